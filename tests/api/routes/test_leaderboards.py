"""GET /v1/leaderboards/{board} on both backends, every board, period and circle compared
with a plain-Python ranking of the network the test built (ties in time included, paid
marks posted out of order)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.domain.leaderboards import period_window
from app.domain.tiers import TierLadder, TierStep
from tests.api.routes.test_members import assert_problem
from tests.conftest import auth, make_settings

ADMIN = auth("admin")
DAY = 86_400_000
START = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a Thursday
# A short ladder, so that small networks have members at the top.
LADDER = TierLadder(
    steps=(
        TierStep(tier="bee", min_paid_invites=0),
        TierStep(tier="butterfly", min_paid_invites=1),
        TierStep(tier="phoenix", min_paid_invites=2),
    )
)


@pytest.fixture
def settings() -> Settings:
    return make_settings(tier_ladder=LADDER)


Network = dict[str, dict[str, Any]]


def build(client: TestClient, seed: int) -> Network:
    rng = random.Random(seed)
    people: Network = {}
    for n in range(70):
        inviter = rng.choice(list(people)) if people and rng.random() < 0.9 else None
        # Few distinct moments over ~40 days: many ties.
        joined = START + rng.randrange(0, 40) * DAY + rng.choice([0, 3_600_000])
        if inviter is not None:
            joined = max(joined, people[inviter]["joined_at"])
        member_id = f"m{n:02d}"
        body = {"id": member_id, "inviter_id": inviter, "joined_at": joined}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        people[member_id] = {"inviter": inviter, "joined_at": joined, "paid_at": None}
    marks = [m for m in people if rng.random() < 0.6]
    rng.shuffle(marks)  # posted out of order: late marks record earlier crossings
    for member_id in marks:
        paid_at = people[member_id]["joined_at"] + rng.randrange(0, 10) * DAY
        people[member_id]["paid_at"] = paid_at
        answer = client.post(f"/v1/members/{member_id}/paid", json={"paid_at": paid_at},
                             headers=ADMIN)  # fmt: skip
        assert answer.status_code == 200, answer.text
    body = {"id": "c1", "kind": "topic", "name": "C1"}
    assert client.post("/v1/groups", json=body, headers=ADMIN).status_code == 201
    for member_id in rng.sample(list(people), 25):
        people[member_id]["c1"] = True
        client.put(f"/v1/groups/c1/members/{member_id}", headers=ADMIN)
    return people


def ancestors(people: Network, member_id: str) -> list[str]:
    found = []
    inviter = people[member_id]["inviter"]
    while inviter is not None:
        found.append(inviter)
        inviter = people[inviter]["inviter"]
    return found


def expected(
    people: Network, board: str, window: tuple[int, int], circle: str | None, all_time: bool
) -> list[tuple[str, int, int | None]]:
    start, end = window
    value: dict[str, int] = {}
    achieved: dict[str, int | None] = {}

    def add(member_id: str, moment: int | None) -> None:
        value[member_id] = value.get(member_id, 0) + 1
        if moment is not None:
            achieved[member_id] = max(achieved.get(member_id) or moment, moment)

    for member_id, person in people.items():
        if board == "inviters" and person["inviter"] and start <= person["joined_at"] < end:
            add(person["inviter"], person["joined_at"])
        paid = person["paid_at"]
        if (
            board == "paid_inviters"
            and person["inviter"]
            and paid is not None
            and start <= paid < end
        ):
            add(person["inviter"], paid)
        if board == "downline_growth":
            if all_time:
                for above in ancestors(people, member_id):
                    add(above, None)
            elif start <= person["joined_at"] < end:
                for above in ancestors(people, member_id):
                    add(above, person["joined_at"])
    if board == "new_phoenixes":
        for member_id in people:
            paid_times = sorted(
                p["paid_at"]
                for p in people.values()
                if p["inviter"] == member_id and p["paid_at"] is not None
            )
            if len(paid_times) >= 2 and start <= paid_times[1] < end:
                value[member_id], achieved[member_id] = 1, paid_times[1]
    rows = [
        (member_id, value[member_id], achieved.get(member_id))
        for member_id in value
        if circle is None or people[member_id].get(circle)
    ]
    if board == "new_phoenixes":
        return sorted(rows, key=lambda row: (row[2] or 0, row[0]))
    return sorted(rows, key=lambda row: (-row[1], row[2] or 0, row[0]))


@pytest.mark.parametrize("seed", [3, 4])
def test_every_board_matches_a_plain_ranking(client: TestClient, seed: int) -> None:
    people = build(client, seed)
    moments = [START + 5 * DAY, START + 17 * DAY + 7_200_000, START + 33 * DAY]
    for board in ("inviters", "paid_inviters", "downline_growth", "new_phoenixes"):
        for period in ("day", "week", "month", "all"):
            for at in moments:
                for circle in (None, "c1"):
                    params: dict[str, Any] = {"period": period, "at": at, "limit": 100}
                    if circle:
                        params["circle"] = circle
                    answer = client.get(f"/v1/leaderboards/{board}", params=params,
                                        headers=ADMIN)  # fmt: skip
                    assert answer.status_code == 200, answer.text
                    page = answer.json()
                    window = period_window(period, at)
                    assert (page["period"]["from"], page["period"]["to"]) == window
                    want = expected(people, board, window, circle, period == "all")
                    got = [(i["member_id"], i["value"], i["achieved_at"]) for i in page["items"]]
                    assert got == want, (board, period, at, circle)
                    assert [i["rank"] for i in page["items"]] == list(range(1, len(got) + 1))


def test_limit_keeps_the_best_and_bad_requests_are_refused(client: TestClient) -> None:
    people = build(client, 5)
    params = {"period": "all", "limit": 3}
    top = client.get("/v1/leaderboards/downline_growth", params=params, headers=ADMIN).json()
    assert len(top["items"]) == 3
    totals = sorted((len([p for p in people if m in ancestors(people, p)]) for m in people),
                    reverse=True)  # fmt: skip
    assert [item["value"] for item in top["items"]] == totals[:3]
    for path, where in (
        ("/v1/leaderboards/sellers", "board"),
        ("/v1/leaderboards/inviters?period=year", "period"),
        ("/v1/leaderboards/inviters?limit=101", "limit"),
        ("/v1/leaderboards/inviters?at=yesterday", "at"),
    ):
        assert_problem(client.get(path, headers=ADMIN), 422, where)
    assert_problem(client.get("/v1/leaderboards/inviters?circle=nope", headers=ADMIN), 404, "nope")
    for role in ("storefront", "growth", "auditor"):
        assert client.get("/v1/leaderboards/inviters", headers=auth(role)).status_code == 200
