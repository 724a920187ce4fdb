"""The network as of a past moment (`?as_of=`) on downline counts and the upline, on both
backends, against a replay in plain Python of random histories: registrations with ties in
time and paid marks posted out of order."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.tiers import DEFAULT_LADDER
from tests.api.routes.test_members import assert_problem
from tests.conftest import auth

ADMIN = auth("admin")
DAY = 86_400_000
START = 1_767_225_600_000


def history(client: TestClient, seed: int) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    people: dict[str, dict[str, Any]] = {}
    for n in range(60):
        inviter = rng.choice(list(people)) if people and rng.random() < 0.9 else None
        joined = START + rng.randrange(0, 30) * DAY
        if inviter is not None:
            joined = max(joined, people[inviter]["joined_at"])
        body = {"id": f"m{n}", "inviter_id": inviter, "joined_at": joined}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        people[f"m{n}"] = {"inviter": inviter, "joined_at": joined, "paid_at": None}
    marks = [member for member in people if rng.random() < 0.5]
    rng.shuffle(marks)
    for member_id in marks:
        paid_at = people[member_id]["joined_at"] + rng.randrange(0, 15) * DAY
        people[member_id]["paid_at"] = paid_at
        client.post(f"/v1/members/{member_id}/paid", json={"paid_at": paid_at}, headers=ADMIN)
    return people


def replayed_counts(people: dict[str, dict[str, Any]], member_id: str, at: int) -> dict[str, Any]:
    """Her downline at `at` by walking a plain dict of who invited whom."""
    levels: dict[int, list[int]] = {}
    frontier = [member_id]
    depth = 0
    while frontier:
        depth += 1
        frontier = [
            m for m, p in people.items() if p["inviter"] in frontier and p["joined_at"] <= at
        ]
        for m in frontier:
            paid = people[m]["paid_at"] is not None and people[m]["paid_at"] <= at
            counts = levels.setdefault(depth, [0, 0])
            counts[0] += 1
            counts[1] += paid
    return {
        "member_id": member_id,
        "direct_total": levels.get(1, [0, 0])[0],
        "direct_paid": levels.get(1, [0, 0])[1],
        "downline_total": sum(c[0] for c in levels.values()),
        "downline_paid": sum(c[1] for c in levels.values()),
        "levels": [
            {"depth": d, "total": levels.get(d, [0, 0])[0], "paid": levels.get(d, [0, 0])[1]}
            for d in range(1, 11)
        ],
    }


@pytest.mark.parametrize("seed", [11, 12])
def test_downline_counts_and_upline_as_of_match_a_replay(client: TestClient, seed: int) -> None:
    people = history(client, seed)
    rng = random.Random(seed)
    members = ["m0", *rng.sample(list(people), 8)]
    for at in (START + 3 * DAY, START + 12 * DAY + 1, START + 40 * DAY, START + 99 * DAY):
        for member_id in members:
            path = f"/v1/members/{member_id}/downline/counts"
            answer = client.get(path, params={"as_of": at}, headers=ADMIN)
            if people[member_id]["joined_at"] > at:
                assert_problem(answer, 404, "had not joined")
                continue
            assert answer.status_code == 200, answer.text
            assert answer.json() == replayed_counts(people, member_id, at), (member_id, at)
            upline = client.get(f"/v1/members/{member_id}/upline", params={"as_of": at},
                                headers=ADMIN).json()  # fmt: skip
            expected, inviter = [], people[member_id]["inviter"]
            while inviter is not None:
                expected.append(inviter)
                inviter = people[inviter]["inviter"]
            assert upline["path"] == expected
    # Long after every event, the walk agrees with the maintained counters.
    for member_id in members:
        now = client.get(f"/v1/members/{member_id}/downline/counts", headers=ADMIN).json()
        late = client.get(f"/v1/members/{member_id}/downline/counts",
                          params={"as_of": START + 400 * DAY}, headers=ADMIN).json()  # fmt: skip
        assert late == now


def replayed_tree(
    people: dict[str, dict[str, Any]], member_id: str, at: int, depth: int, limit: int
) -> dict[str, Any]:
    joined = {m: p for m, p in people.items() if p["joined_at"] <= at}
    kids: dict[str, list[str]] = {}
    for m, p in joined.items():
        if p["inviter"] is not None:
            kids.setdefault(p["inviter"], []).append(m)

    def below(m: str) -> int:
        return sum(1 + below(k) for k in kids.get(m, []))

    def tier(m: str) -> str:
        paid = sum(1 for k in kids.get(m, []) if (people[k]["paid_at"] or at + 1) <= at)
        return [s.tier for s in DEFAULT_LADDER.steps if s.min_paid_invites <= paid][-1]

    def node(m: str, levels: int) -> dict[str, Any]:
        ordered = sorted(kids.get(m, []), key=lambda k: (-below(k), k))
        shown = ordered[:limit] if levels else []
        made: dict[str, Any] = {
            "id": m, "name": None, "tier": tier(m),
            "paid": people[m]["paid_at"] is not None and people[m]["paid_at"] <= at,
            "direct_total": len(ordered), "downline_total": below(m),
            "children": [node(k, levels - 1) for k in shown],
        }  # fmt: skip
        if levels and len(ordered) > len(shown):
            made["next_cursor"] = made["next_cursor_expected"] = True
        return made

    return node(member_id, depth)


def without_cursors(tree: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in tree.items() if k not in ("next_cursor", "next_cursor_expected")},
        "cut": "next_cursor" in tree,
        "children": [without_cursors(child) for child in tree["children"]],
    }


@pytest.mark.parametrize("seed", [13])
def test_the_tree_as_of_matches_a_replay_and_now_equals_the_live_tree(
    client: TestClient, seed: int
) -> None:
    people = history(client, seed)
    for at in (START + 5 * DAY, START + 20 * DAY, START + 60 * DAY):
        for member_id in ("m0", "m1", "m3"):
            params = {"as_of": at, "depth": 3, "children_limit": 3}
            answer = client.get(f"/v1/members/{member_id}/tree", params=params, headers=ADMIN)
            if people[member_id]["joined_at"] > at:
                assert_problem(answer, 404, "had not joined")
                continue
            expected = replayed_tree(people, member_id, at, 3, 3)
            assert without_cursors(answer.json()) == without_cursors(expected), (member_id, at)
    later = {"as_of": START + 400 * DAY, "depth": 3, "children_limit": 4}
    live = client.get("/v1/members/m0/tree", params={"depth": 3, "children_limit": 4},
                      headers=ADMIN).json()  # fmt: skip
    assert client.get("/v1/members/m0/tree", params=later, headers=ADMIN).json() == live
