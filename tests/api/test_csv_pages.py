"""List routes as CSV (`Accept: text/csv`): the same rows as the JSON page, flattened, safe
to open in a spreadsheet, on both backends."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

from app.api.csv_pages import rows_as_csv
from app.api.deps import get_now
from tests.api.routes.test_members import register
from tests.api.routes.test_orders import JAN, load_seed_plan, order
from tests.conftest import auth

ADMIN = auth("admin")
CSV = {**ADMIN, "Accept": "text/csv"}


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")  # Excel reads Chinese names right only after a BOM
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def flat(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A JSON item as the CSV writes it: dotted columns, null empty, lists as JSON."""
    out: dict[str, str] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        elif value is None:
            out[f"{prefix}{key}"] = ""
        elif isinstance(value, bool):
            out[f"{prefix}{key}"] = str(value).lower()
        elif isinstance(value, list):
            out[f"{prefix}{key}"] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


def test_cells_are_flattened_and_never_run_as_formulas() -> None:
    text = rows_as_csv(
        [
            {"id": "a", "name": "=HYPERLINK(\"x\")", "n": -5, "ok": True, "tags": ["x", "王"],
             "actor": {"role": "admin", "key_id": "k"}},
            {"id": "b", "name": "+1", "extra": "@sum"},
        ],
        known=["id", "name"],
    )  # fmt: skip
    rows = read_csv(text)
    assert list(rows[0]) == ["id", "name", "n", "ok", "tags", "actor.role", "actor.key_id", "extra"]
    assert rows[0]["name"] == '\'=HYPERLINK("x")' and rows[0]["n"] == "-5"
    assert rows[0]["ok"] == "true" and rows[0]["tags"] == '["x","王"]'
    assert rows[1]["name"] == "'+1" and rows[1]["extra"] == "'@sum" and rows[1]["n"] == ""
    assert read_csv(rows_as_csv([], known=["id"])) == []
    assert rows_as_csv([], known=["id"]) == "\ufeffid\r\n"


def test_every_list_route_answers_its_json_rows_as_csv(client: TestClient) -> None:
    async def second_day() -> int:
        return int(JAN) + 2 * 86_400_000

    client.app.dependency_overrides[get_now] = second_day  # type: ignore[attr-defined]
    register(client, "root", name="王 Root", joined_at=JAN)
    for n in range(3):
        register(client, f"kid{n}", "root", name=f"Kid {n}", joined_at=JAN)
    assert load_seed_plan(client).status_code == 201
    client.post("/v1/orders", json=order("o1", "kid0"), headers=ADMIN)
    client.post("/v1/groups", json={"id": "g", "kind": "topic", "name": "G"}, headers=ADMIN)
    client.put("/v1/groups/g/members/kid1", headers=ADMIN)
    body = {"change_id": "c1", "reason": "typo", "name": "=cmd"}
    assert client.patch("/v1/members/kid2", json=body, headers=ADMIN).status_code == 200
    routes = [
        ("/v1/members?limit=2", "items"),
        ("/v1/members?q=nobody", "items"),
        ("/v1/ledger?limit=2", "items"),
        ("/v1/groups?member_id=kid1", "items"),
        ("/v1/groups/g/members", "items"),
        ("/v1/members/kid2/history", "items"),
        ("/v1/connectors", "items"),
        (f"/v1/analytics/cohorts?from={JAN}&to={JAN + 40 * 86_400_000}", "cohorts"),
    ]
    for path, rows in routes:
        page = client.get(path, headers=ADMIN).json()
        answer = client.get(path, headers=CSV)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["content-type"] == "text/csv; charset=utf-8", path
        assert answer.headers["content-disposition"].startswith("attachment; filename="), path
        assert answer.headers.get("x-next-cursor") == page.get("next_cursor"), path
        got = read_csv(answer.text)
        expected = [
            flat(item if isinstance(item, dict) else {"value": item}) for item in page[rows]
        ]
        for row in expected:
            for key, value in row.items():
                if value.startswith(("=", "+", "-", "@")) and not value.lstrip("-").isdigit():
                    row[key] = "'" + value
        assert [{k: v for k, v in row.items() if k in expected_row} for row, expected_row in
                zip(got, expected, strict=True)] == expected, path  # fmt: skip
        assert answer.text.splitlines()[0], path  # a header, also for no rows
    # A page that goes on says where, in the CSV's headers too.
    assert client.get("/v1/members?limit=2", headers=CSV).headers["x-next-cursor"]
    # Problems stay problem+json whatever the Accept.
    refused = client.get("/v1/members?limit=0", headers=CSV)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
