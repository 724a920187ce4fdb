"""GET /v1/paths on both backends: the length networkx finds on the same network, every step
an invitation or a circle membership, and clear answers when there is no path."""

from __future__ import annotations

import random
from itertools import pairwise

import networkx as nx  # type: ignore[import-untyped]
from fastapi.testclient import TestClient

from tests.api.routes.test_members import assert_problem
from tests.conftest import auth

ADMIN = auth("admin")


def test_paths_are_shortest_and_real(client: TestClient) -> None:
    rng = random.Random(21)
    graph = nx.Graph()
    members = [f"m{n}" for n in range(50)]
    for index, member in enumerate(members):
        inviter = members[rng.randrange(index)] if index and rng.random() < 0.75 else None
        body = {"id": member, "inviter_id": inviter, "joined_at": 1000, "name": f"N{index}"}
        assert client.post("/v1/members", json=body, headers=ADMIN).status_code == 201
        graph.add_node(("member", member))
        if inviter:
            graph.add_edge(("member", member), ("member", inviter))
    for c in range(4):
        body = {"id": f"c{c}", "kind": "topic", "name": f"Circle {c}"}
        client.post("/v1/groups", json=body, headers=ADMIN)
        for member in rng.sample(members, 4):
            client.put(f"/v1/groups/c{c}/members/{member}", headers=ADMIN)
            graph.add_edge(("member", member), ("circle", f"c{c}"))
    for _ in range(40):
        a, b = rng.choice(members), rng.choice(members)
        answer = client.get("/v1/paths", params={"from": a, "to": b, "max_length": 10},
                            headers=ADMIN)  # fmt: skip
        try:
            expected = nx.shortest_path_length(graph, ("member", a), ("member", b))
        except nx.NetworkXNoPath:
            assert_problem(answer, 404, "not connected within 10 steps")
            continue
        assert answer.status_code == 200, answer.text
        path = answer.json()
        assert path["length"] == expected and (path["from"], path["to"]) == (a, b)
        nodes = [(node["kind"], node["id"]) for node in path["nodes"]]
        assert nodes[0] == ("member", a) and nodes[-1] == ("member", b)
        assert all(graph.has_edge(x, y) for x, y in pairwise(nodes))
        for node in path["nodes"]:
            prefix = "N" if node["kind"] == "member" else "Circle "
            assert node["name"].startswith(prefix)


def test_bad_asks_are_refused(client: TestClient) -> None:
    for member_id in ("a", "b", "c"):
        client.post("/v1/members", json={"id": member_id}, headers=ADMIN)
    client.post("/v1/members", json={"id": "a1", "inviter_id": "a"}, headers=ADMIN)
    assert client.get("/v1/paths?from=a1&to=a", headers=ADMIN).json()["length"] == 1
    assert_problem(client.get("/v1/paths?from=a&to=b", headers=ADMIN), 404, "not connected")
    assert_problem(client.get("/v1/paths?from=a&to=nobody", headers=ADMIN), 404, "nobody")
    assert_problem(client.get("/v1/paths?from=a", headers=ADMIN), 422, "to")
    assert_problem(
        client.get("/v1/paths?from=a&to=b&max_length=11", headers=ADMIN), 422, "max_length"
    )
    assert client.get("/v1/paths?from=a&to=b", headers=auth("storefront")).status_code == 403
