"""Import planning and forest recounts on small hand-made forests."""

from __future__ import annotations

from app.domain.forest import (
    ImportRow,
    ProblemKind,
    counter_mismatches,
    forest_problems,
    load_forest,
    plan_import,
    recount,
)
from app.domain.members import TRACKED_LEVELS
from app.domain.tiers import TierLadder, TierStep
from app.store.port import ForestRow

LADDER = TierLadder(
    steps=(TierStep(tier="bee", min_paid_invites=0), TierStep(tier="butterfly", min_paid_invites=2))
)


def rows(*pairs: tuple[str, str | None]) -> list[ImportRow]:
    """Import rows from (id, inviter_id), numbered from line 2 as under a CSV header."""
    return [
        ImportRow(line=line, id=i, inviter_id=inviter, joined_at=1, paid_at=None, name=None)
        for line, (i, inviter) in enumerate(pairs, start=2)
    ]


def wave_ids(waves: list[list[ImportRow]]) -> list[list[str]]:
    return [[row.id for row in wave] for wave in waves]


def test_waves_put_every_inviter_before_her_invitees_whatever_the_file_order() -> None:
    plan = plan_import(rows(("c", "b"), ("b", "a"), ("a", None), ("x", "outside"), ("d", "a")))
    # Within a wave rows keep their file order.
    assert wave_ids(plan.waves) == [["a", "x"], ["b", "d"], ["c"]]
    assert plan.problems == []


def test_self_invites_cycles_and_duplicates_are_reported_by_line() -> None:
    plan = plan_import(
        rows(
            ("ok", None),  # 2
            ("self", "self"),  # 3
            ("p", "q"),  # 4
            ("q", "r"),  # 5
            ("r", "p"),  # 6
            ("below", "p"),  # 7: hangs under the cycle
            ("ok", "p"),  # 8: a duplicate
            ("under-self", "self"),  # 9
            ("under-ok", "ok"),  # 10: `ok` is defined by line 2, still fine
        )
    )
    found = {(problem.line, problem.kind) for problem in plan.problems}
    assert found == {
        (3, ProblemKind.SELF_INVITE),
        (4, ProblemKind.CYCLE),
        (5, ProblemKind.CYCLE),
        (6, ProblemKind.CYCLE),
        (7, ProblemKind.INVITER_REJECTED),
        (8, ProblemKind.DUPLICATE),
        (9, ProblemKind.INVITER_REJECTED),
    }
    reasons = {problem.line: problem.reason for problem in plan.problems}
    assert "p → q → r → p" in reasons[4] and "q → r → p → q" in reasons[5]
    assert "line 4" in reasons[7] and "line 2" in reasons[8] and "line 3" in reasons[9]
    assert wave_ids(plan.waves) == [["ok"], ["under-ok"]]
    assert [problem.line for problem in plan.problems] == sorted(r.line for r in plan.problems)


def test_a_row_joining_before_her_inviters_row_is_rejected_with_her_invitees() -> None:
    def row(line: int, member_id: str, inviter_id: str | None, joined_at: int | None) -> ImportRow:
        return ImportRow(line, member_id, inviter_id, joined_at, paid_at=None, name=None)

    plan = plan_import(
        [
            row(2, "below", "early", 9000),
            row(3, "mum", None, 5000),
            row(4, "early", "mum", 4999),
            row(5, "twin", "mum", 5000),  # the same millisecond is fine
            row(6, "undated", "mum", None),  # the import time: the store checks it
        ]
    )
    assert [(p.line, p.kind, p.reason) for p in plan.problems] == [
        (2, ProblemKind.INVITER_REJECTED, "inviter 'early' rejected at line 4"),
        (
            4,
            ProblemKind.JOINED_BEFORE_INVITER,
            "joined_at 1970-01-01T00:00:04.999Z is before her inviter mum joined "
            "(1970-01-01T00:00:05Z)",
        ),
    ]
    assert wave_ids(plan.waves) == [["mum"], ["twin", "undated"]]


def test_invitees_of_malformed_lines_are_rejected_against_that_line() -> None:
    plan = plan_import(rows(("a", "bad"), ("bad", None)), malformed={"bad": 1})
    assert [(p.line, p.kind) for p in plan.problems] == [
        (2, ProblemKind.INVITER_REJECTED),
        (3, ProblemKind.DUPLICATE),
    ]
    assert "line 1" in plan.problems[0].reason


def test_a_long_chain_and_a_long_cycle_need_no_recursion() -> None:
    length = 50_000
    chain = [(f"c{i}", f"c{i - 1}" if i else None) for i in range(length)]
    loop = [(f"l{i}", f"l{(i + 1) % length}") for i in range(length)]
    plan = plan_import(rows(*reversed(chain), *loop))
    assert len(plan.waves) == length
    assert {p.kind for p in plan.problems} == {ProblemKind.CYCLE}
    assert len(plan.problems) == length
    assert "50000 members in the cycle" in plan.problems[0].reason


def forest_row(
    member_id: str,
    inviter_id: str | None,
    *,
    paid: bool = False,
    edges: list[str] | None = None,
    **stored: object,
) -> ForestRow:
    zero = [0] * TRACKED_LEVELS
    values: dict[str, object] = {
        "depth": 0,
        "tier": "bee",
        "downline_total": 0,
        "downline_paid": 0,
        "levels_total": zero,
        "levels_paid": zero,
        **stored,
    }
    return ForestRow(
        id=member_id,
        inviter_id=inviter_id,
        paid_at=5 if paid else None,
        edge_targets=edges if edges is not None else ([] if inviter_id is None else [inviter_id]),
        **values,  # type: ignore[arg-type]
    )


def levels(*counts: int) -> list[int]:
    return [*counts, *[0] * (TRACKED_LEVELS - len(counts))]


def test_recount_of_a_small_forest() -> None:
    forest = [
        forest_row("a", None),
        forest_row("d", "c", paid=True),  # listed before her inviter
        forest_row("b", "a", paid=True),
        forest_row("c", "b"),
        forest_row("e", "a", paid=True),
        forest_row("solo", None, paid=True),
    ]
    counts = recount(forest)
    a = counts.get("a")
    assert a is not None
    assert (a.depth, a.downline_total, a.downline_paid) == (0, 4, 3)
    assert (a.levels_total, a.levels_paid) == (levels(2, 1, 1), levels(2, 0, 1))
    c = counts.get("c")
    assert c is not None and (c.depth, c.downline_total, c.levels_paid) == (2, 1, levels(1))
    d = counts.get("d")
    assert d is not None and (d.depth, d.downline_total, d.levels_total) == (3, 0, levels())
    assert counts.get("nobody") is None
    assert {member_id for member_id, _ in counts} == {"a", "b", "c", "d", "e", "solo"}


def test_levels_stop_at_the_tracked_depth_but_totals_do_not() -> None:
    length = TRACKED_LEVELS + 5
    chain = [forest_row(f"c{i}", f"c{i - 1}" if i else None) for i in range(length)]
    top = recount(chain).get("c0")
    assert top is not None
    assert top.downline_total == length - 1
    assert top.levels_total == [1] * TRACKED_LEVELS


def test_stored_counters_that_agree_give_no_mismatch() -> None:
    forest = load_forest(
        [
            forest_row(
                "a",
                None,
                tier="butterfly",
                downline_total=2,
                downline_paid=2,
                levels_total=levels(2),
                levels_paid=levels(2),
            ),
            forest_row("b", "a", paid=True, depth=1),
            forest_row("c", "a", paid=True, depth=1),
        ]
    )
    assert forest_problems(forest) == []
    assert list(counter_mismatches(forest, recount(forest), LADDER)) == []


def test_each_wrong_counter_and_tier_is_named() -> None:
    forest = load_forest(
        [
            forest_row("a", None, downline_total=5, levels_total=levels(1), levels_paid=None),
            forest_row("b", "a", paid=True, depth=3),
        ]
    )
    found = list(counter_mismatches(forest, recount(forest), LADDER))
    assert "member a: downline_total stored 5, recounted 1" in found
    assert "member a: downline_paid stored 0, recounted 1" in found
    assert f"member a: levels_paid stored None, recounted {levels(1)}" in found
    assert "member b: depth stored 3, recounted 1" in found
    assert len(found) == 4
    forest = load_forest([forest_row("a", None, tier="butterfly")])
    assert list(counter_mismatches(forest, recount(forest), LADDER)) == [
        "member a: tier stored butterfly, expected bee for 0 paid direct invites"
    ]


def test_forest_problems_name_each_broken_edge() -> None:
    problems = forest_problems(
        [
            forest_row("a", None),
            forest_row("b", None),
            forest_row("two", "a", edges=["a", "b"]),
            forest_row("self", "self", edges=["self"]),
            forest_row("wrong", "a", edges=["b"]),
            forest_row("missing-edge", "a", edges=[]),
            forest_row("extra-edge", None, edges=["a"]),
            forest_row("ghost-inviter", "ghost"),
        ]
    )
    assert sorted(problems) == sorted(
        [
            "member two: 2 INVITED_BY edges (to a, b)",
            "member self: INVITED_BY edge to herself",
            "member wrong: inviter_id a but INVITED_BY edge to b",
            "member missing-edge: inviter_id a but no INVITED_BY edge",
            "member extra-edge: inviter_id None but INVITED_BY edge to a",
            "member ghost-inviter: inviter_id ghost is not a member",
        ]
    )


def test_cycles_are_reported_and_not_recounted() -> None:
    forest = load_forest(
        [
            forest_row("p", "q"),
            forest_row("q", "p"),
            forest_row("under", "p"),
            forest_row("fine", None),
        ]
    )
    assert forest_problems(forest) == ["members in an INVITED_BY cycle: p → q → p"]
    counts = recount(forest)
    assert counts.get("p") is None and counts.get("under") is None
    assert counts.get("fine") is not None
    assert list(counter_mismatches(forest, counts, LADDER)) == [
        "3 members on or below an INVITED_BY cycle were not recounted"
    ]


def test_an_id_on_two_nodes_is_reported() -> None:
    assert forest_problems([forest_row("a", None), forest_row("a", None)]) == [
        "member a: the id is held by more than one node"
    ]
