"""Moving a member to another sponsor, over HTTP on both backends: her whole downline moves,
every counter stays right (verify), the ledger keeps the paths it paid through, and the
network as of any moment (counts, upline, tree, tiers) matches a replay in plain Python of
random histories of registrations, paid marks posted late and moves."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.domain.tiers import TierLadder, TierStep
from app.services.audit import audit_ledger
from app.services.importer import import_members
from app.services.verify import verify_store
from app.store.cypher_store import CypherStore
from tests.api.routes.test_member_lifecycle import history
from tests.api.routes.test_members import assert_problem, register
from tests.api.routes.test_orders import JAN, order
from tests.conftest import auth, make_settings

ADMIN = auth("admin")
DAY = 86_400_000
# A short ladder, so a few paid invitees cross tiers both ways.
LADDER = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="butterfly", min_paid_invites=1),
        TierStep(tier="peacock", min_paid_invites=3),
    )
)


PLAN = {
    "version": "p1", "effective_from": JAN, "currency": "CNY", "max_levels": 2,
    "rate_ceiling_bp": 1000,
    "rules": [{"kind": "distribution", "level_rates_bp": [500, 300]},
              {"kind": "referral_bonus", "amount": 2000, "trigger": "paid"}],
}  # fmt: skip


@pytest.fixture
def settings() -> Settings:
    return make_settings(tier_ladder=LADDER)


def move(client: TestClient, member_id: str, inviter_id: str, change_id: str, **extra: Any) -> Any:
    body = {"change_id": change_id, "inviter_id": inviter_id, "reason": "wrong link", **extra}
    return client.post(f"/v1/members/{member_id}/sponsor", json=body, headers=ADMIN)


def get(client: TestClient, path: str, **params: Any) -> Any:
    answer = client.get(path, params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_she_moves_with_her_downline_and_every_counter_follows(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    clock(JAN)
    for member_id, inviter in (("a", None), ("b", "a"), ("c", "b"), ("d", "c"), ("e", "d"),
                               ("x", None), ("y", "x")):  # fmt: skip
        assert register(client, member_id, inviter, joined_at=JAN - DAY).status_code == 201
    client.post("/v1/members/c/paid", json={"paid_at": JAN - DAY}, headers=ADMIN)
    client.post("/v1/members/e/paid", json={"paid_at": JAN - DAY}, headers=ADMIN)
    clock(JAN + 10 * DAY)
    moved = move(client, "c", "y", "mv-1")
    assert moved.status_code == 200, moved.text
    assert moved.json()["inviter_id"] == "y"
    assert move(client, "c", "y", "mv-1").json() == moved.json()  # a retry
    assert get(client, "/v1/members/e/upline")["path"] == ["d", "c", "y", "x"]
    assert get(client, "/v1/members/b/downline/counts")["downline_total"] == 0
    x = get(client, "/v1/members/x/downline/counts")
    assert (x["downline_total"], x["downline_paid"]) == (4, 2)
    assert [level["total"] for level in x["levels"][:4]] == [1, 1, 1, 1]
    assert verify_store(store=store, ladder=LADDER).problems == []
    # Before the move, the network as it was.
    before = JAN + 5 * DAY
    assert get(client, "/v1/members/e/upline", as_of=before)["path"] == ["d", "c", "b", "a"]
    assert get(client, "/v1/members/b/downline/counts", as_of=before)["downline_total"] == 3
    # Her paid mark counted for b until the move, and for y from it.
    assert get(client, "/v1/members/b/tier", as_of=before)["tier"] == "butterfly"
    assert get(client, "/v1/members/y/tier", as_of=before)["tier"] == "bee"
    assert get(client, "/v1/members/b/tier")["tier"] == "bee"
    assert get(client, "/v1/members/y/tier")["tier"] == "butterfly"
    [change] = history(client, "c")
    assert (change["kind"], change["inviter_id"], change["previous_inviter_id"]) == (
        "sponsor", "y", "b",
    )  # fmt: skip
    assert change["effective_at"] == JAN + 10 * DAY


def test_refusals_change_nothing(client: TestClient, clock: Callable[[int], None]) -> None:
    clock(JAN)
    for member_id, inviter in (("a", None), ("b", "a"), ("c", "b"), ("late", None)):
        register(client, member_id, inviter, joined_at=JAN - DAY)
    register(client, "newbie", joined_at=JAN)
    assert_problem(move(client, "a", "c", "m1"), 409, "would make a cycle")
    assert_problem(move(client, "b", "b", "m2"), 422, "cannot sponsor herself")
    assert_problem(move(client, "b", "ghost", "m3"), 422, "not a member")
    assert_problem(move(client, "b", "late", "m4", effective_at=JAN + DAY), 422, "future")
    assert_problem(move(client, "b", "newbie", "m5", effective_at=JAN - DAY), 422, "after the move")
    assert_problem(move(client, "ghost", "a", "m6"), 404, "does not exist")
    body = {"change_id": "m7", "inviter_id": "a"}  # no reason
    assert client.post("/v1/members/c/sponsor", json=body, headers=ADMIN).status_code == 422
    forbidden = client.post(
        "/v1/members/c/sponsor",
        json={**body, "reason": "r"},
        headers=auth("storefront"),
    )
    assert forbidden.status_code == 403
    assert get(client, "/v1/members/c/upline")["path"] == ["b", "a"]
    assert history(client, "c") == []
    past = client.get("/v1/members", params={"as_of": JAN, "tier": "bee"}, headers=ADMIN)
    assert_problem(past, 422, "cannot be combined with as_of")


def test_the_ledger_keeps_the_path_it_paid_through(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    clock(JAN - DAY)
    assert client.put("/v1/plans/p1", json=PLAN, headers=ADMIN).status_code == 201
    for member_id, inviter in (("old", None), ("new", None), ("mum", "old"), ("kid", "mum")):
        register(client, member_id, inviter, joined_at=JAN - DAY)

    def beneficiaries(order_id: str, placed_at: int) -> set[str]:
        body = {**order(order_id, "kid"), "placed_at": placed_at}
        posted = client.post("/v1/orders", json=body, headers=ADMIN)
        assert posted.status_code == 201, posted.text
        return {e["beneficiary_id"] for e in posted.json()["entries"]}

    clock(JAN + 10 * DAY)
    assert "old" in beneficiaries("o1", JAN + 2 * DAY)
    # Something was priced through mum's edge on day 2: the move cannot start before it.
    assert_problem(move(client, "mum", "new", "mv-0", effective_at=JAN + DAY), 409, "priced")
    assert move(client, "mum", "new", "mv-1", effective_at=JAN + 5 * DAY).status_code == 200
    # Placed before the move but posted after it: the old path; placed after: the new one.
    assert "old" in beneficiaries("o2", JAN + 4 * DAY)
    after = beneficiaries("o3", JAN + 6 * DAY)
    assert "new" in after and "old" not in after
    # Her paid mark, posted late, was on day 3: her bonus goes to the sponsor of day 3.
    paid = client.post("/v1/members/mum/paid", json={"paid_at": JAN + 3 * DAY}, headers=ADMIN)
    assert paid.status_code == 200, paid.text
    bonus = get(client, "/v1/ledger", kind="referral_bonus")["items"]
    assert [(e["buyer_id"], e["beneficiary_id"]) for e in bonus] == [("mum", "old")]
    assert get(client, "/v1/members/old/tier", as_of=JAN + 4 * DAY)["tier"] == "butterfly"
    assert get(client, "/v1/members/old/tier")["tier"] == "bee"
    assert audit_ledger(store=store, ladder=LADDER).differences == []
    assert verify_store(store=store, ladder=LADDER).problems == []


def test_an_import_under_a_moved_sponsor_derives_her_history(
    client: TestClient, store: CypherStore, clock: Callable[[int], None], tmp_path: Path
) -> None:
    clock(JAN)
    for member_id, inviter in (("a", None), ("b", "a"), ("y", None)):
        register(client, member_id, inviter, joined_at=JAN - 30 * DAY)
    client.post("/v1/members/b/paid", json={"paid_at": JAN - 20 * DAY}, headers=ADMIN)
    assert move(client, "b", "y", "mv-1").status_code == 200  # y's history now steps
    # z joins under y, paid before the move, told by an import: y holds two paid invitees
    # from the move on, so peacock needs three and she stays a butterfly.
    source = tmp_path / "late.csv"
    source.write_text(
        f"id,inviter_id,joined_at,paid_at,name\nz,y,{JAN - 10 * DAY},{JAN - 5 * DAY},\n"
    )
    report = import_members(store=store, ladder=LADDER, source=source, now=JAN)
    assert report.created == 1 and report.marked_paid == 1
    assert get(client, "/v1/members/y/tier", as_of=JAN - 6 * DAY)["tier"] == "bee"
    assert get(client, "/v1/members/y/tier", as_of=JAN - 5 * DAY)["tier"] == "butterfly"
    assert get(client, "/v1/members/y/tier")["tier"] == "butterfly"
    assert get(client, "/v1/members/y/downline/counts")["direct_paid"] == 2
    assert verify_store(store=store, ladder=LADDER).problems == []


def undo(client: TestClient, member_id: str, change_id: str) -> Any:
    body = {"change_id": change_id, "reason": "fee charged back"}
    return client.post(f"/v1/members/{member_id}/paid/undo", json=body, headers=ADMIN)


def test_an_undone_paid_mark_steps_back_and_reverses_its_bonus(
    client: TestClient, store: CypherStore, clock: Callable[[int], None]
) -> None:
    clock(JAN - DAY)
    assert client.put("/v1/plans/p1", json=PLAN, headers=ADMIN).status_code == 201
    for member_id, inviter in (("root", None), ("mum", "root"), ("kid", "mum")):
        register(client, member_id, inviter, joined_at=JAN - DAY)
    clock(JAN + DAY)
    assert client.post("/v1/members/kid/paid", json={}, headers=ADMIN).status_code == 200
    assert get(client, "/v1/members/mum/tier")["tier"] == "butterfly"
    clock(JAN + 20 * DAY)
    undone = undo(client, "kid", "undo-1")
    assert undone.status_code == 200, undone.text
    assert undone.json()["paid_at"] is None
    assert undo(client, "kid", "undo-1").json() == undone.json()  # a retry
    assert_problem(undo(client, "kid", "undo-2"), 409, "is not paid")
    assert get(client, "/v1/members/mum/tier")["tier"] == "bee"
    root = get(client, "/v1/members/root/downline/counts")
    assert (root["downline_total"], root["downline_paid"]) == (2, 0)
    # Before the undo she was paid, and mum a butterfly.
    before = JAN + 10 * DAY
    assert get(client, "/v1/members/mum/tier", as_of=before)["tier"] == "butterfly"
    assert get(client, "/v1/members/mum/downline/counts", as_of=before)["direct_paid"] == 1
    # The bonus stays written; a reversal entry takes it back at the undo.
    entries = get(client, "/v1/ledger", kind="referral_bonus")["items"]
    assert sorted((e["amount"], e["event_at"]) for e in entries) == [
        (-2000, JAN + 20 * DAY), (2000, JAN + DAY),
    ]  # fmt: skip
    # A mark again is taken from the undo on, and earns no second bonus.
    paid_before = client.post("/v1/members/kid/paid", json={"paid_at": before}, headers=ADMIN)
    assert_problem(paid_before, 409, "undone")
    clock(JAN + 30 * DAY)
    assert client.post("/v1/members/kid/paid", json={}, headers=ADMIN).status_code == 200
    assert get(client, "/v1/members/mum/tier")["tier"] == "butterfly"
    assert len(get(client, "/v1/ledger", kind="referral_bonus")["items"]) == 2
    assert [c["kind"] for c in history(client, "kid")] == ["paid_undo"]
    assert audit_ledger(store=store, ladder=LADDER).differences == []
    assert verify_store(store=store, ladder=LADDER).problems == []


@dataclass
class Replay:
    """The network in plain Python: each member's invitation edges with when they held
    (valid_to None: still), her join and paid times."""

    joined: dict[str, int] = field(default_factory=dict)
    paid: dict[str, list[list[Any]]] = field(default_factory=dict)  # [since, until]
    edges: dict[str, list[list[Any]]] = field(default_factory=dict)  # [inviter, from, to]

    def inviter_at(self, member_id: str, at: int) -> str | None:
        for inviter, since, until in self.edges.get(member_id, []):
            if since <= at and (until is None or at < until):
                return str(inviter)
        return None

    def children_at(self, member_id: str, at: int) -> list[str]:
        return sorted(
            m for m in self.joined if self.joined[m] <= at and self.inviter_at(m, at) == member_id
        )

    def paid_then(self, member_id: str, at: int) -> bool:
        return any(
            since <= at and (until is None or at < until)
            for since, until in self.paid.get(member_id, [])
        )

    def paid_now(self, member_id: str) -> int | None:
        spans = self.paid.get(member_id, [])
        return spans[-1][0] if spans and spans[-1][1] is None else None

    def upline_at(self, member_id: str, at: int) -> list[str]:
        path, inviter = [], self.inviter_at(member_id, at)
        while inviter is not None:
            path.append(inviter)
            inviter = self.inviter_at(inviter, at)
        return path

    def below_at(self, member_id: str, at: int) -> list[str]:
        return [k for c in self.children_at(member_id, at) for k in [c, *self.below_at(c, at)]]

    def counts_at(self, member_id: str, at: int) -> tuple[int, int, int, int]:
        direct = self.children_at(member_id, at)
        below = self.below_at(member_id, at)
        return (
            len(direct),
            sum(self.paid_then(m, at) for m in direct),
            len(below),
            sum(self.paid_then(m, at) for m in below),
        )

    def tier_at(self, member_id: str, at: int) -> str:
        paid = sum(self.paid_then(m, at) for m in self.children_at(member_id, at))
        return LADDER.tier_for(paid)


def random_history(
    client: TestClient, clock: Callable[[int], None], rng: random.Random
) -> tuple[Replay, list[int]]:
    """60 members joining over 20 days (ties in time), paid marks posted in random order
    (many late), sponsor moves and undone paid marks between day 20 and day 44, and marks
    again after some undos. Returns the replay and the moments of the moves and undos."""
    replay = Replay()
    clock(JAN + 60 * DAY)
    for n in range(60):
        member_id = f"m{n}"
        inviter = rng.choice(list(replay.joined)) if replay.joined and rng.random() < 0.85 else None
        joined = JAN + rng.randrange(0, 20) * DAY  # whole days: many ties
        if inviter is not None:
            joined = max(joined, replay.joined[inviter])
        body = {"id": member_id, "inviter_id": inviter, "joined_at": joined}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        replay.joined[member_id] = joined
        replay.edges[member_id] = [] if inviter is None else [[inviter, joined, None]]
    paid_times = {
        m: replay.joined[m] + rng.randrange(0, 30) * DAY
        for m in replay.joined
        if rng.random() < 0.6
    }
    marks = list(paid_times)
    rng.shuffle(marks)
    early, late = marks[: len(marks) // 2], marks[len(marks) // 2 :]

    def mark(member_id: str, paid_at: int) -> None:
        body = {"paid_at": paid_at}
        answer = client.post(f"/v1/members/{member_id}/paid", json=body, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        replay.paid.setdefault(member_id, []).append([paid_at, None])

    for member_id in early:
        mark(member_id, paid_times[member_id])
    moments = []
    undone: dict[str, int] = {}
    for k in range(16):
        at = JAN + 20 * DAY + k * DAY + rng.choice([0, 1])  # ties with joins and marks
        clock(at)
        if k % 3 == 2:
            paid = [m for m in replay.joined if (replay.paid_now(m) or at + 1) <= at]
            if paid:
                member_id = rng.choice(paid)
                body = {"change_id": f"undo-{k}", "reason": "charged back"}
                answer = client.post(f"/v1/members/{member_id}/paid/undo", json=body, headers=ADMIN)
                assert answer.status_code == 200, answer.text
                replay.paid[member_id][-1][1] = at
                undone[member_id] = at
                moments.append(at)
            continue
        member_id = rng.choice(list(replay.joined))
        below = set(replay.below_at(member_id, at))
        choices = [
            m for m in replay.joined
            if m != member_id and m not in below and replay.joined[m] <= at
            and m != replay.inviter_at(member_id, at)
        ]  # fmt: skip
        if not choices or any(since >= at for since, _ in replay.paid.get(member_id, [])):
            continue
        sponsor = rng.choice(choices)
        answer = move(client, member_id, sponsor, f"mv-{k}")
        assert answer.status_code == 200, (member_id, sponsor, answer.text)
        for edge in replay.edges[member_id]:
            if edge[2] is None:
                edge[2] = at
        replay.edges[member_id].append([sponsor, at, None])
        moments.append(at)
    # Paid marks posted after the moves, most of them paid before some move; and some undone
    # members paid again.
    clock(JAN + 60 * DAY)
    for member_id in late:
        if member_id not in undone and replay.paid_now(member_id) is None:
            mark(member_id, paid_times[member_id])
    for member_id, at in undone.items():
        if rng.random() < 0.5 and replay.paid_now(member_id) is None:
            mark(member_id, at + rng.randrange(0, 3) * DAY)
    return replay, moments


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_the_network_as_of_any_moment_matches_a_replay_of_moves(
    client: TestClient, store: CypherStore, clock: Callable[[int], None], seed: int
) -> None:
    rng = random.Random(seed)
    replay, moves = random_history(client, clock, rng)
    assert moves, "the history holds moves and undos"
    moments = sorted(
        {JAN + d * DAY for d in (0, 5, 19, 25, 33, 45, 59)}
        | {m + d for m in moves for d in (-1, 0)}
    )
    members = rng.sample(sorted(replay.joined), 15)
    for at in moments:
        for member_id in members:
            if replay.joined[member_id] > at:
                continue
            counts = get(client, f"/v1/members/{member_id}/downline/counts", as_of=at)
            got = (counts["direct_total"], counts["direct_paid"], counts["downline_total"],
                   counts["downline_paid"])  # fmt: skip
            assert got == replay.counts_at(member_id, at), (member_id, at)
            upline = get(client, f"/v1/members/{member_id}/upline", as_of=at)["path"]
            assert upline == replay.upline_at(member_id, at), (member_id, at)
            tier = get(client, f"/v1/members/{member_id}/tier", as_of=at)["tier"]
            assert tier == replay.tier_at(member_id, at), (member_id, at)
    # A search as of a moment lists who had joined then, each as she stood then.
    for at in moments[::4]:
        page = get(client, "/v1/members", as_of=at, limit=500)
        assert [hit["id"] for hit in page["items"]] == sorted(
            m for m, joined in replay.joined.items() if joined <= at
        )
        for hit in page["items"]:
            direct, direct_paid, below, _ = replay.counts_at(hit["id"], at)
            assert (
                hit["inviter_id"], hit["paid_at"] is not None, hit["tier"],
                hit["direct_total"], hit["downline_total"], hit["paid_direct_invites"],
            ) == (
                replay.inviter_at(hit["id"], at), replay.paid_then(hit["id"], at),
                replay.tier_at(hit["id"], at), direct, below, direct_paid,
            ), (hit["id"], at)  # fmt: skip
    # Now: the maintained counters and tiers agree with the replay and with a recount.
    now = JAN + 60 * DAY
    for member_id in replay.joined:
        counts = get(client, f"/v1/members/{member_id}/downline/counts")
        got = (counts["direct_total"], counts["direct_paid"], counts["downline_total"],
               counts["downline_paid"])  # fmt: skip
        assert got == replay.counts_at(member_id, now), member_id
        assert get(client, f"/v1/members/{member_id}/tier")["tier"] == replay.tier_at(
            member_id, now
        )
    assert verify_store(store=store, ladder=LADDER).problems == []
