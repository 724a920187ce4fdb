"""GET /v1/members: prefix search and filters, on both backends, every page compared with a
plain-Python search of the network the test built (ties in joined_at included)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.domain.tiers import DEFAULT_LADDER
from tests.api.routes.test_members import assert_problem
from tests.conftest import auth

ADMIN = auth("admin")
# "\uff3aoe" is a full-width Z (phone keyboards), found by "zo" as "zoë" is.
NAMES = ["Ann", "anna", "ANDREW", "Bo", "王芳", "王小明", "汪洋", "\uff3aoe", "zoë", "Straße"]


@dataclass
class Person:
    id: str
    inviter_id: str | None
    name: str | None
    joined_at: int
    paid_at: int | None = None
    circles: set[str] = field(default_factory=set)


def build_network(client: TestClient, seed: int, size: int = 60) -> dict[str, Person]:
    """Members under a few roots, names drawn from NAMES with a number (so prefixes are
    shared), joined_at drawn from few values (ties), some paid, some in circles."""
    rng = random.Random(seed)
    people: dict[str, Person] = {}
    for n in range(size):
        inviter = rng.choice(list(people.values())) if people and rng.random() < 0.85 else None
        joined = max(inviter.joined_at if inviter else 0, 1000 * rng.randint(1, 6))
        name = f"{rng.choice(NAMES)} {n}" if rng.random() < 0.9 else None
        member_id = f"{rng.choice(['M', 'm', 'x'])}{n:03d}"
        person = Person(member_id, inviter.id if inviter else None, name, joined)
        body = {"id": member_id, "inviter_id": person.inviter_id, "joined_at": joined}
        if name is not None:
            body["name"] = name
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        people[member_id] = person
    for person in rng.sample(list(people.values()), size // 2):
        person.paid_at = person.joined_at + rng.randint(0, 3) * 500
        response = client.post(
            f"/v1/members/{person.id}/paid", json={"paid_at": person.paid_at}, headers=ADMIN
        )
        assert response.status_code == 200, response.text
    for circle in ("c1", "c2"):
        body = {"id": circle, "kind": "topic", "name": circle}
        assert client.post("/v1/groups", json=body, headers=ADMIN).status_code == 201
        for person in rng.sample(list(people.values()), size // 3):
            person.circles.add(circle)
            client.put(f"/v1/groups/{circle}/members/{person.id}", headers=ADMIN)
    return people


def expected_hits(people: dict[str, Person], params: dict[str, Any]) -> list[dict[str, Any]]:
    """The search recomputed in plain Python: counts by walking the invitations, the tier by
    the ladder's thresholds, the prefix by casefolding."""
    children: dict[str, list[str]] = {}
    for person in people.values():
        if person.inviter_id:
            children.setdefault(person.inviter_id, []).append(person.id)

    def downline(member_id: str) -> int:
        return sum(1 + downline(child) for child in children.get(member_id, []))

    rows = []
    for p in people.values():
        paid_direct = sum(people[c].paid_at is not None for c in children.get(p.id, []))
        tier = [s.tier for s in DEFAULT_LADDER.steps if s.min_paid_invites <= paid_direct][-1]
        rows.append(
            {
                "id": p.id,
                "name": p.name,
                "tier": tier,
                "paid_at": p.paid_at,
                "joined_at": p.joined_at,
                "direct_total": len(children.get(p.id, [])),
                "downline_total": downline(p.id),
                "paid_direct_invites": paid_direct,
                "circles": p.circles,
                "inviter_id": p.inviter_id,
            }
        )

    def folded(text: str) -> str:
        import unicodedata

        return unicodedata.normalize("NFKC", text).casefold()

    def keep(row: dict[str, Any]) -> bool:
        q = params.get("q")
        if q is not None and not (
            folded(row["id"]).startswith(folded(q))
            or (row["name"] is not None and folded(row["name"]).startswith(folded(q)))
        ):
            return False
        return (
            params.get("tier") in (None, row["tier"])
            and params.get("paid") in (None, row["paid_at"] is not None)
            and params.get("inviter_id") in (None, row["inviter_id"])
            and (params.get("circle") is None or params["circle"] in row["circles"])
            and row["joined_at"] >= params.get("joined_from", 0)
            and row["joined_at"] < params.get("joined_to", 2**62)
        )

    sort = params.get("sort", "id")
    field_name = sort.removeprefix("-")
    sign = -1 if sort.startswith("-") else 1
    found = [row for row in rows if keep(row)]
    if field_name == "id":
        return sorted(found, key=lambda row: row["id"])
    return sorted(found, key=lambda row: (sign * row[field_name], row["id"]))


def all_pages(client: TestClient, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/members", params=query, headers=ADMIN)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("more than 100 pages")


CASES: list[dict[str, Any]] = [
    {},
    {"q": "an"},
    {"q": "AN", "sort": "-downline_total"},
    {"q": "王"},
    {"q": "王小"},
    {"q": "zo"},
    {"q": "STRASSE"},  # ß folds to ss
    {"q": "m0"},  # ids, either case
    {"q": "nobody"},
    {"tier": "butterfly"},
    {"paid": True, "sort": "-joined_at"},
    {"paid": False, "sort": "joined_at"},
    {"circle": "c1", "sort": "-paid_direct_invites"},
    {"circle": "c2", "q": "a", "paid": True},
    {"joined_from": 2000, "joined_to": 4000, "sort": "downline_total"},
    {"sort": "-downline_total"},
    {"sort": "paid_direct_invites"},
]


@pytest.mark.parametrize("seed", [1, 2])
def test_every_page_of_every_search_matches_a_plain_recomputation(
    client: TestClient, seed: int
) -> None:
    people = build_network(client, seed)
    inviters = sorted({p.inviter_id for p in people.values() if p.inviter_id})
    cases = [
        *CASES,
        {"inviter_id": inviters[0]},
        {"inviter_id": inviters[-1], "sort": "-joined_at"},
    ]
    for params in cases:
        expected = expected_hits(people, params)
        for limit in (3, 500):
            got = all_pages(client, params, limit)
            assert [hit["id"] for hit in got] == [row["id"] for row in expected], (params, limit)
            for hit, row in zip(got, expected, strict=True):
                for key in ("name", "tier", "paid_at", "joined_at", "direct_total",
                            "downline_total", "paid_direct_invites", "inviter_id"):  # fmt: skip
                    assert hit[key] == row[key], (params, key, hit)


def test_a_search_answers_what_a_member_read_answers(client: TestClient) -> None:
    client.post("/v1/members", json={"id": "ann", "name": "Ann", "joined_at": 5,
                                     "attributes": {"city": "杭州"}}, headers=ADMIN)  # fmt: skip
    [hit] = client.get("/v1/members", params={"q": "a"}, headers=ADMIN).json()["items"]
    member = client.get("/v1/members/ann", headers=ADMIN).json()
    assert hit == {**member, "direct_total": 0, "downline_total": 0, "paid_direct_invites": 0}


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"q": ""}, "q"),
        ({"q": "a\x00"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"tier": "dragon"}, "dragon"),
        ({"sort": "name"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"joined_from": 5, "joined_to": 5}, "joined_from"),
        ({"joined_from": "yesterday"}, "joined_from"),
        ({"paid": "maybe"}, "paid"),
        ({"inviter_id": "a/b"}, "inviter_id"),
    ],
)
def test_bad_search_parameters_are_422_naming_them(
    client: TestClient, params: dict[str, Any], where: str
) -> None:
    assert_problem(client.get("/v1/members", params=params, headers=ADMIN), 422, where)


def test_every_member_reader_may_search_and_nobody_else(client: TestClient) -> None:
    for role in ("admin", "storefront", "growth", "auditor"):
        assert client.get("/v1/members", headers=auth(role)).status_code == 200
    assert client.get("/v1/members").status_code == 401


def test_joined_bounds_take_iso_moments(client: TestClient) -> None:
    for member_id, joined in (("early", 1_700_000_000_000), ("late", 1_800_000_000_000)):
        body = {"id": member_id, "joined_at": joined}
        client.post("/v1/members", json=body, headers=ADMIN)
    params = {"joined_from": "2024-01-01T00:00:00+08:00"}
    page = client.get("/v1/members", params=params, headers=ADMIN).json()
    assert [hit["id"] for hit in page["items"]] == ["late"]
