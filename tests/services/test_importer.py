"""Importing files: every bad line reported by number, the rest registered with counters that
agree with a traversal, re-runs that skip and repair, paid marks and tiers, CSV and JSONL."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import InvalidInput
from app.domain.forest import BulkBatch, ProblemKind
from app.domain.members import NewMemberRow, PaidRow
from app.domain.search import MemberSearch
from app.domain.tiers import TierLadder
from app.services.audit import audit_ledger
from app.services.csv_records import QUOTE_RUNS_PAST_LINE
from app.services.importer import ImportReport, import_members
from app.services.plans import load_plan
from app.services.verify import verify_store
from app.store.cypher_store import CypherStore
from app.store.migrations import apply_migrations
from tests.engines import ROOT
from tests.services.test_orders import plan
from tests.store.test_contract import LADDER

HEADER = "id,inviter_id,joined_at,paid_at,name\n"
# Line numbers count the header as line 1.
MIXED_CSV = HEADER + (
    "root,,2024-01-01T00:00:00Z,,Root\n"  # 2: ISO with zone
    "a,root,1704153600000,,A\n"  # 3: epoch ms
    "b,a,2024-01-03T00:00:00,,B\n"  # 4: naive ISO = UTC
    "c,b,2024-01-04T00:00:00+08:00,,C\n"  # 5: ISO with offset
    "self,self,1704153600000,,Self\n"  # 6: self-invite
    "x,y,1704153600000,,X\n"  # 7: cycle x → y → z → x
    "y,z,1704153600000,,Y\n"  # 8
    "z,x,1704153600000,,Z\n"  # 9
    "orphan,nobody,1704153600000,,Orphan\n"  # 10: inviter not a member
    "a,root,1704153600000,,A again\n"  # 11: duplicate of line 3
    "late,root,next tuesday,,Late\n"  # 12: malformed time
    "d,c,1704500000000,,D\n"  # 13
    "e,root,1704500000000,,E\n"  # 14
)
MIXED_PROBLEMS = {
    (6, ProblemKind.SELF_INVITE),
    (7, ProblemKind.CYCLE),
    (8, ProblemKind.CYCLE),
    (9, ProblemKind.CYCLE),
    (10, ProblemKind.INVITER_MISSING),
    (11, ProblemKind.DUPLICATE),
    (12, ProblemKind.MALFORMED),
}
GOOD = ["root", "a", "b", "c", "d", "e"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run_import(store: CypherStore, source: Path, **options: Any) -> ImportReport:
    return import_members(
        store=store, ladder=LADDER, source=source, now=2_000_000_000_000, **options
    )


def problem_kinds(report: ImportReport) -> set[tuple[int, ProblemKind]]:
    return {(problem.line, problem.kind) for problem in report.problems}


def assert_counters_match_traversal(store: CypherStore, ids: Sequence[str]) -> None:
    for record in store.get_members(ids):
        assert store.downline_by_traversal(record.id) == (
            record.downline_total,
            record.downline_paid,
        ), record.id


def test_each_bad_line_is_reported_and_the_rest_imported(
    store: CypherStore, tmp_path: Path
) -> None:
    source = write(tmp_path, "mixed.csv", MIXED_CSV)
    seen: list[int] = []
    report = run_import(store, source, batch_size=2, progress=seen.append)

    assert problem_kinds(report) == MIXED_PROBLEMS
    assert (report.rows_read, report.created, report.skipped, report.marked_paid) == (13, 6, 0, 0)
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert "line 3" in reasons[11] and "nobody" in reasons[10] and "joined_at" in reasons[12]
    assert seen == sorted(seen) and seen[-1] == report.rows_read

    records = {record.id: record for record in store.get_members([*GOOD, "self", "x", "late"])}
    assert set(records) == set(GOOD)
    assert (records["root"].downline_total, records["root"].levels_total[:4]) == (5, [2, 1, 1, 1])
    assert records["root"].joined_at == 1_704_067_200_000
    assert records["b"].joined_at == 1_704_240_000_000
    assert records["c"].joined_at == 1_704_297_600_000
    assert (records["d"].depth, records["c"].name) == (4, "C")
    assert_counters_match_traversal(store, GOOD)
    assert verify_store(store=store, ladder=LADDER).ok


def test_rerunning_an_import_skips_what_is_there_and_reports_the_same_lines(
    store: CypherStore, tmp_path: Path
) -> None:
    source = write(tmp_path, "mixed.csv", MIXED_CSV)
    run_import(store, source)
    again = run_import(store, source)
    assert (again.created, again.skipped) == (0, len(GOOD))
    assert problem_kinds(again) == MIXED_PROBLEMS
    assert store.member_count() == len(GOOD)
    assert verify_store(store=store, ladder=LADDER).ok


def test_rows_below_a_refused_row_name_its_line_and_conflicts_name_fields(
    store: CypherStore, tmp_path: Path
) -> None:
    first = write(tmp_path, "first.csv", HEADER + "root,,1,,Root\nkept,root,2,,Kept\n")
    run_import(store, first)
    source = write(
        tmp_path,
        "second.csv",
        HEADER
        + "orphan,nobody,3,,O\n"  # 2
        + "under,orphan,4,,U\n"  # 3
        + "kept,,2,,Renamed\n"  # 4: stored with another inviter and name
        + "root,,1,,Root\n",  # 5: the same as stored
    )
    report = run_import(store, source)
    assert problem_kinds(report) == {
        (2, ProblemKind.INVITER_MISSING),
        (3, ProblemKind.INVITER_REJECTED),
        (4, ProblemKind.CONFLICT),
    }
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert "line 2" in reasons[3]
    assert reasons[4].endswith("different inviter_id, name")
    assert (report.created, report.skipped) == (0, 1)


# (id, inviter_id, joined_at); "stored" is in the graph before the import, at 1000.
JOIN_ORDER_ROWS = [
    ("under", "early", 6000),  # 0: below a refused row (listed before it)
    ("mum", None, 5000),  # 1
    ("early", "mum", 4999),  # 2: before her inviter in the file
    ("twin", "mum", 5000),  # 3: the same millisecond is fine
    ("old", "stored", 999),  # 4: before her inviter in the graph
    ("below-old", "old", 2000),  # 5
    ("young", "stored", 1000),  # 6
]


def join_order_file(tmp_path: Path, suffix: str) -> tuple[Path, int]:
    """JOIN_ORDER_ROWS as a file, and the line of its first row."""
    if suffix == ".csv":
        rows = [f"{i},{by or ''},{at},,\n" for i, by, at in JOIN_ORDER_ROWS]
        return write(tmp_path, "join-order.csv", HEADER + "".join(rows)), 2
    fields = ("id", "inviter_id", "joined_at")
    rows = [json.dumps(dict(zip(fields, row, strict=True))) + "\n" for row in JOIN_ORDER_ROWS]
    return write(tmp_path, "join-order.jsonl", "".join(rows)), 1


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_row_joining_before_her_inviter_is_reported_and_the_rest_imported(
    store: CypherStore, tmp_path: Path, suffix: str
) -> None:
    run_import(store, write(tmp_path, "first.csv", HEADER + "stored,,1000,,Stored\n"))
    source, first = join_order_file(tmp_path, suffix)
    report = run_import(store, source, batch_size=2)

    under, early, old, below_old = (first + index for index in (0, 2, 4, 5))
    assert problem_kinds(report) == {
        (under, ProblemKind.INVITER_REJECTED),
        (early, ProblemKind.JOINED_BEFORE_INVITER),
        (old, ProblemKind.JOINED_BEFORE_INVITER),
        (below_old, ProblemKind.INVITER_REJECTED),
    }
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert reasons[early] == (
        "joined_at 1970-01-01T00:00:04.999Z is before her inviter mum joined (1970-01-01T00:00:05Z)"
    )
    assert reasons[old] == (
        "joined_at 1970-01-01T00:00:00.999Z is before her inviter stored joined "
        "(1970-01-01T00:00:01Z)"
    )
    assert f"line {early}" in reasons[under] and f"line {old}" in reasons[below_old]
    kept = {m.id for m in store.get_members([row[0] for row in JOIN_ORDER_ROWS])}
    assert kept == {"mum", "twin", "young"} and report.created == 3
    assert verify_store(store=store, ladder=LADDER).ok


def boss_network() -> str:
    rows = ["boss,,1000,,Boss"]
    rows += [f"i{k},boss,{1001 + k},{2000 + k},Invitee {k}" for k in range(4)]
    rows += ["grand,i0,1100,3000,Grandchild", "unpaid,boss,1200,,Unpaid"]
    return HEADER + "\n".join(rows) + "\n"


def test_paid_rows_are_marked_and_tiers_follow_the_ladder(
    store: CypherStore, tmp_path: Path
) -> None:
    report = run_import(store, write(tmp_path, "paid.csv", boss_network()), batch_size=3)
    assert (report.created, report.marked_paid, report.problems) == (7, 5, [])
    [boss, i0] = store.get_members(["boss", "i0"])
    assert (boss.direct_paid, boss.downline_paid, boss.tier) == (4, 5, "peacock")
    assert [(c.tier, c.at) for c in store.tier_history("boss")] == [
        ("butterfly", 2001),
        ("peacock", 2002),
    ]
    assert i0.tier == "bee" and i0.paid_at == 2000
    assert verify_store(store=store, ladder=LADDER).ok


def test_paid_rows_earn_their_inviters_a_paid_trigger_bonus(
    store: CypherStore, tmp_path: Path
) -> None:
    bonus = [{"kind": "referral_bonus", "amount": 1500, "trigger": "paid"}]
    load_plan(store=store, ladder=LADDER, plan=plan(rules=bonus, effective_from=0), now=1)
    report = run_import(store, write(tmp_path, "paid.csv", boss_network()))
    assert (report.marked_paid, report.paid_bonuses_written) == (5, 5)
    bonuses = {(e.buyer_id, e.beneficiary_id, e.event_at) for e in store.paid_bonus_entries()}
    assert bonuses == {(f"i{k}", "boss", 2000 + k) for k in range(4)} | {("grand", "i0", 3000)}
    assert audit_ledger(store=store, ladder=LADDER).differences == []
    assert run_import(store, write(tmp_path, "paid.csv", boss_network())).paid_bonuses_written == 0


class CrashBeforeMarking:
    """A store whose process dies between registering and marking paid."""

    def __init__(self, store: CypherStore) -> None:
        self.store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def mark_paid(self, rows: Sequence[PaidRow], ladder: TierLadder) -> list[str]:
        raise ConnectionError("killed")


def test_a_rerun_repairs_an_import_that_crashed_before_marking_paid(
    store: CypherStore, tmp_path: Path
) -> None:
    # Boss is stored first: her invitees' paid marks go through mark_paid (her tier history
    # depends on paid invitees the file may not know), the pass the crash cuts short.
    run_import(store, write(tmp_path, "boss.csv", HEADER + "boss,,1000,,Boss\n"))
    source = write(tmp_path, "paid.csv", boss_network())
    with pytest.raises(ConnectionError):
        import_members(store=CrashBeforeMarking(store), ladder=LADDER, source=source)  # type: ignore[arg-type]
    assert store.get_members(["boss"])[0].direct_paid == 0
    assert verify_store(store=store, ladder=LADDER).ok
    report = run_import(store, source)
    assert (report.created, report.skipped, report.marked_paid) == (0, 7, 4)
    assert store.get_members(["boss"])[0].tier == "peacock"
    assert run_import(store, source).marked_paid == 0
    assert verify_store(store=store, ladder=LADDER).ok


class CrashAfterStatements:
    """A store whose process dies after `statements` bulk statements of an import."""

    def __init__(self, store: CypherStore, statements: int) -> None:
        self.store = store
        self.left = statements

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def import_members(self, batch: BulkBatch) -> int:
        if self.left == 0:
            raise ConnectionError("killed")
        self.left -= 1
        return self.store.import_members(batch)


def test_a_crash_between_statements_leaves_a_consistent_graph_and_a_rerun_finishes(
    store: CypherStore, tmp_path: Path
) -> None:
    source = write(tmp_path, "paid.csv", boss_network())
    with pytest.raises(ConnectionError):
        import_members(
            store=CrashAfterStatements(store, 1),  # type: ignore[arg-type]
            ladder=LADDER,
            source=source,
            batch_size=3,
        )
    assert store.member_count() == 3
    assert verify_store(store=store, ladder=LADDER).ok
    report = run_import(store, source, batch_size=3)
    assert (report.created, report.skipped, report.problems) == (4, 3, [])
    [boss] = store.get_members(["boss"])
    assert (boss.direct_paid, boss.downline_paid, boss.tier) == (4, 5, "peacock")
    assert [(c.tier, c.at) for c in store.tier_history("boss")] == [
        ("butterfly", 2001),
        ("peacock", 2002),
    ]
    assert verify_store(store=store, ladder=LADDER).ok


def test_malformed_rows_of_every_kind_are_reported_and_the_rest_imported(
    store: CypherStore, tmp_path: Path
) -> None:
    source = write(
        tmp_path,
        "bad.csv",
        HEADER
        + "ok,,1000,,Fine\n"  # 2
        + "a/b,,1000,,Slash in id\n"  # 3
        + ",,1000,,No id\n"  # 4
        + "early,ok,5000,4000,Paid first\n"  # 5
        + "short,ok,1000\n"  # 6
        + '"quoted id",,1000,,Space in the id\n'  # 7: whitespace in the id
        + '"never closed,,1000,,A quote left open\n'  # 8
        + "\n"  # 9: blank, ignored
        + "neg,ok,-1,,Before 1970\n"  # 10
        + "fine,ok,1970-01-01T00:00:01Z,1970-01-01T00:00:02+00:00,Fine too\n",  # 11
    )
    report = run_import(store, source)
    assert problem_kinds(report) == {
        (line, ProblemKind.MALFORMED) for line in (3, 4, 5, 6, 7, 8, 10)
    }
    reasons = {problem.line: problem.reason for problem in report.problems}
    assert reasons[4] == "missing id" and "before joined_at" in reasons[5]
    assert "5 columns" in reasons[6]
    assert reasons[8] == QUOTE_RUNS_PAST_LINE
    assert (report.rows_read, report.created, report.marked_paid) == (9, 2, 1)
    [fine] = store.get_members(["fine"])
    assert (fine.joined_at, fine.paid_at) == (1000, 2000)


def test_jsonl_import(store: CypherStore, tmp_path: Path) -> None:
    lines = [
        {"id": "root", "joined_at": "2024-01-01T00:00:00Z", "name": "Root"},
        {
            "id": "kid",
            "inviter_id": "root",
            "joined_at": 1_704_153_600_000,
            "paid_at": "1704153600001",
        },
        "not json at all",
        {"id": "extra", "colour": "red"},
        {"id": "float", "joined_at": 1.5},
        {"id": "grandkid", "inviter_id": "kid", "joined_at": "2024-01-02T00:00:00", "name": None},
    ]
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    report = run_import(store, write(tmp_path, "members.jsonl", text + "\n\n"))
    assert problem_kinds(report) == {
        (3, ProblemKind.MALFORMED),
        (4, ProblemKind.MALFORMED),
        (5, ProblemKind.MALFORMED),
    }
    assert (report.rows_read, report.created, report.marked_paid) == (6, 3, 1)
    [root] = store.get_members(["root"])
    assert (root.joined_at, root.downline_total, root.downline_paid) == (1_704_067_200_000, 2, 1)
    assert verify_store(store=store, ladder=LADDER).ok


def test_a_file_it_cannot_read_is_refused_whole(store: CypherStore, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="header"):
        run_import(store, write(tmp_path, "x.csv", "member,parent\na,b\n"))
    with pytest.raises(InvalidInput, match="unknown file type"):
        run_import(store, write(tmp_path, "x.txt", HEADER))
    assert run_import(store, write(tmp_path, "empty.csv", "")).rows_read == 0


def many_rows(count: int) -> list[str]:
    """`count` roots, one a line: a refused one leaves no orphans below it."""
    return [f"m{i},,{1_000 + i},,Member {i}" for i in range(count)]


def test_a_stray_quote_costs_its_own_line_only(store: CypherStore, tmp_path: Path) -> None:
    """One unbalanced quote made the csv module read every later line into one field: 500
    of 1,001 rows lost, 1 problem reported."""
    rows = many_rows(1_001)
    rows[500] = 'm500,,1500,,"Ann'  # line 502 (the header is line 1)
    report = run_import(store, write(tmp_path, "quote.csv", HEADER + "\n".join(rows) + "\n"))
    assert [(p.line, p.kind, p.reason) for p in report.problems] == [
        (502, ProblemKind.MALFORMED, QUOTE_RUNS_PAST_LINE)
    ]
    assert (report.rows_read, report.created) == (1_001, 1_000)
    assert len(store.get_members([f"m{i}" for i in (499, 501, 1_000)])) == 3


def test_a_5000_digit_time_is_a_problem_of_its_line(store: CypherStore, tmp_path: Path) -> None:
    """It crashed the whole import with a traceback (int() refuses 4,300+ digits)."""
    huge = "9" * 5_000
    csv_rows = ["ok,,1000,,Fine", f"huge,,{huge},,Huge", f"paid,,1000,{huge},Paid", "after,,1,,A"]
    report = run_import(store, write(tmp_path, "huge.csv", HEADER + "\n".join(csv_rows) + "\n"))
    assert problem_kinds(report) == {(3, ProblemKind.MALFORMED), (4, ProblemKind.MALFORMED)}
    assert all("out of range" in p.reason and len(p.reason) < 200 for p in report.problems)
    assert report.created == 2
    jsonl_rows = ['{"id": "j1"}', f'{{"id": "j2", "joined_at": {huge}}}', '{"id": "j3"}']
    report = run_import(store, write(tmp_path, "huge.jsonl", "\n".join(jsonl_rows) + "\n"))
    assert problem_kinds(report) == {(2, ProblemKind.MALFORMED)}
    assert report.created == 2


def test_a_byte_that_is_not_utf8_is_a_problem_of_its_line(
    store: CypherStore, tmp_path: Path
) -> None:
    """One such byte refused the whole file."""
    source = tmp_path / "latin1.csv"
    source.write_bytes(
        b"\xef\xbb\xbf"  # a BOM, as spreadsheets write it
        + HEADER.encode()
        + b"ok,,1000,,Fine\n"
        + b"cafe,,1000,,Caf\xe9\n"  # line 3: Latin-1
        + b"after,,1000,,Apr\xc3\xa8s\n"
    )
    report = run_import(store, source)
    assert [(p.line, p.kind) for p in report.problems] == [(3, ProblemKind.MALFORMED)]
    assert "not UTF-8" in report.problems[0].reason and "0xe9" in report.problems[0].reason
    assert report.created == 2
    assert store.get_members(["after"])[0].name == "Après"
    jsonl = tmp_path / "latin1.jsonl"
    jsonl.write_bytes(b'{"id": "j1"}\n{"id": "j2", "name": "Caf\xe9"}\n{"id": "j3"}\n')
    report = run_import(store, jsonl)
    assert [(p.line, p.kind) for p in report.problems] == [(2, ProblemKind.MALFORMED)]
    assert report.created == 2


def test_jsonl_strings_that_are_not_unicode_are_refused_by_line(
    store: CypherStore, tmp_path: Path
) -> None:
    lines = [
        '{"id": "a\\ud800"}',  # 1: a lone surrogate in the id
        '{"id": "b", "name": "\\udfff"}',  # 2: in the name
        '{"id": "c", "\\ud800": 1}',  # 3: in an unknown key
        '{"id": "d", "name": "\\ud83d\\ude00"}',  # 4: a pair is one character: fine
    ]
    report = run_import(store, write(tmp_path, "s.jsonl", "\n".join(lines) + "\n"))
    assert problem_kinds(report) == {(line, ProblemKind.MALFORMED) for line in (1, 2, 3)}
    assert all(p.id is None or p.id.isascii() for p in report.problems)
    report.model_dump_json()  # a report can always be printed
    assert store.get_members(["d"])[0].name == "\U0001f600"


# --- the bulk import against the API path ----------------------------------------------

# (id, inviter_id, joined_at, paid_at)
Row = tuple[str, str | None, int, int | None]


def random_network(seed: int) -> tuple[list[Row], list[Row], list[Row]]:
    """Members in registration order, split into those stored before the import (paid
    early, or left unpaid), the file's new rows, and stored rows the file repeats with a
    paid mark a crashed run left undone. Times are drawn from a few milliseconds, so joins
    and paid marks tie; inviters are drawn towards the first members, so some invite many
    and cross every tier."""
    rng = random.Random(seed)
    size = rng.randint(25, 60)
    stored_count = rng.choice([0, rng.randint(1, size // 3)])
    rows: list[Row] = []
    for index in range(size):
        inviter = (
            None if index == 0 or rng.random() < 0.08 else rows[int(rng.random() ** 2 * index)]
        )
        joined = (inviter[2] if inviter else 1000) + rng.randint(0, 2)
        early = index < stored_count
        paid = None
        if rng.random() < 0.7:
            paid = (
                rng.randint(joined, max(joined, 1100))
                if early
                else rng.randint(max(joined, 1200), 1205)
            )
        rows.append((f"m{index:02d}", inviter[0] if inviter else None, joined, paid))
    stored, new = rows[:stored_count], rows[stored_count:]
    undone = [row for row in stored if row[3] is not None and row[3] >= 1200]
    kept: list[Row] = []
    for row in stored:
        if row in undone:
            continue
        if rng.random() < 0.3:  # registered, her paid mark left for the file to finish
            undone.append((*row[:3], rng.randint(max(row[2], 1200), 1205)))
        else:
            kept.append(row)
    stored = kept
    return stored, new, undone


def register_through_the_api(store: CypherStore, rows: Sequence[Row]) -> None:
    for member_id, inviter_id, joined_at, _ in sorted(
        rows, key=lambda row: row[0]
    ):  # ids in registration order
        new = NewMemberRow(
            id=member_id,
            inviter_id=inviter_id,
            name=None,
            joined_at=joined_at,
            attributes_json=None,
        )
        assert store.register_members([new], LADDER) == [member_id]


def mark_through_the_api(store: CypherStore, rows: Sequence[Row]) -> None:
    for paid_at, member_id in sorted((row[3], row[0]) for row in rows if row[3] is not None):
        store.mark_paid([PaidRow(id=member_id, paid_at=paid_at)], LADDER)


def graph_state(store: CypherStore, ids: Sequence[str]) -> dict[str, Any]:
    members = {m.id: m.model_dump() for m in store.get_members(ids)}
    levels = {r.id: (r.levels_total, r.levels_paid) for r in store.iter_forest()}
    histories = {
        member_id: sorted((c.seq, c.tier, c.previous, c.at) for c in store.tier_history(member_id))
        for member_id in ids
    }
    # Every member is found by a prefix of her id (her search key was written with her).
    found = {
        prefix: sorted(r.id for r in store.search_members(MemberSearch(q=prefix), None, 10**6))
        for prefix in sorted({member_id[:2].upper() for member_id in ids})
    }
    return {"members": members, "levels": levels, "histories": histories, "found": found}


def network_csv(tmp_path: Path, rows: Sequence[Row], rng: random.Random) -> Path:
    shuffled = list(rows)
    rng.shuffle(shuffled)  # the file's order is not the registration order
    lines = [
        f"{i},{by or ''},{at},{'' if paid is None else paid},\n" for i, by, at, paid in shuffled
    ]
    return write(tmp_path, f"network-{rng.random()}.csv", HEADER + "".join(lines))


def fresh(store: CypherStore) -> None:
    store.drop_everything()  # type: ignore[attr-defined]
    store.ping()
    apply_migrations(store, ROOT / "migrations")


@pytest.mark.parametrize("seed", range(8))
def test_imported_counters_and_tier_histories_equal_the_api_path(
    store: CypherStore, tmp_path: Path, seed: int
) -> None:
    """Registration and paid marks one at a time through the store's API statements (paid
    marks in paid_at order) against the bulk import of the same rows, into a graph that
    already holds members, in statements of a few rows, after a run that crashed part way
    (odd seeds): every member's record, per-level counts and tier history are the same."""
    stored, new, undone = random_network(seed)
    ids = [row[0] for row in (*stored, *new, *undone)]
    rng = random.Random(seed)

    register_through_the_api(store, [*stored, *undone, *new])
    mark_through_the_api(store, stored)
    mark_through_the_api(store, [*undone, *new])
    expected = graph_state(store, ids)

    fresh(store)
    register_through_the_api(store, [*stored, *undone])
    mark_through_the_api(store, stored)
    source = network_csv(tmp_path, [*new, *undone], rng)
    batch_size = rng.randint(1, 8)
    if seed % 2:
        with pytest.raises(ConnectionError):
            import_members(
                store=CrashAfterStatements(store, rng.randint(0, 3)),  # type: ignore[arg-type]
                ladder=LADDER,
                source=source,
                batch_size=batch_size,
            )
        assert verify_store(store=store, ladder=LADDER).ok
    report = run_import(store, source, batch_size=batch_size)
    assert report.problems == []
    assert graph_state(store, ids) == expected
    assert verify_store(store=store, ladder=LADDER).ok
