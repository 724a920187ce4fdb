"""The initial load into an empty graph: the same members, counters, per-level counts and
tier histories as the API path, every counter planned before the load; a graph that holds
members is refused. Neo4j's offline importer needs the local server stopped, so its path is
checked here through the files it reads (it is run against a server by the benchmark)."""

from __future__ import annotations

import csv
import json
import os
import random
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import InvalidInput
from app.domain.forest import BulkBatch, BulkMember, BulkTierChange
from app.domain.members import TRACKED_LEVELS
from app.services.generator import generate_network
from app.services.importer import import_members, plan_initial_load
from app.services.initial_load import (
    ARRAY_DELIMITER,
    initial_load_neo4j,
    initial_load_statements,
    neo4j_import_command,
    plan_packed,
    planned_rows,
    write_neo4j_csvs,
)
from app.services.verify import verify_store
from app.store.cypher_store import CypherStore
from app.store.factory import open_store
from app.store.migrations import apply_migrations
from tests.conftest import make_settings
from tests.engines import ROOT
from tests.services.test_importer import (
    HEADER,
    JOIN_ORDER_ROWS,
    MIXED_CSV,
    fresh,
    graph_state,
    mark_through_the_api,
    network_csv,
    random_network,
    register_through_the_api,
    write,
)
from tests.store.test_contract import LADDER

NOW = 2_000_000_000_000
NEO4J_LOCAL = ROOT / "scripts" / "neo4j-local"


def through_the_api_then_emptied(
    store: CypherStore, tmp_path: Path, seed: int
) -> tuple[list[str], dict[str, Any], Path]:
    """A random network registered and marked paid through the API: its ids, the graph it
    left, and the same rows as an import file; the store is emptied again."""
    stored, new, undone = random_network(seed)
    rows = [*stored, *undone, *new]
    ids = [row[0] for row in rows]
    register_through_the_api(store, rows)
    mark_through_the_api(store, rows)
    expected = graph_state(store, ids)
    fresh(store)
    return ids, expected, network_csv(tmp_path, rows, random.Random(seed))


@pytest.mark.parametrize("seed", range(4))
def test_an_initial_load_equals_the_api_path(store: CypherStore, tmp_path: Path, seed: int) -> None:
    ids, expected, source = through_the_api_then_emptied(store, tmp_path, seed)
    # Statements of a few members: edges and tier changes cross statements.
    loaded = initial_load_statements(
        store=store, ladder=LADDER, source=source, now=NOW, batch_size=seed * 3 + 1
    )
    assert loaded.import_report.problems == [] and loaded.members == len(ids)
    assert graph_state(store, ids) == expected


def test_an_initial_load_refuses_a_graph_with_members(store: CypherStore, tmp_path: Path) -> None:
    register_through_the_api(store, [("old", None, 1, None)])
    source = write(tmp_path, "m.csv", HEADER + "a,,5,,A\n")
    with pytest.raises(InvalidInput, match="empty graph only"):
        initial_load_statements(store=store, ladder=LADDER, source=source, now=NOW)
    assert store.member_count() == 1


def test_neo4j_import_files_hold_every_planned_value(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "m.csv",
        HEADER
        + 'boss,,1,,"Boss, ""the"" first"\n'
        + "".join(f"i{k},boss,2,{10 + k},\n" for k in range(4))
        + "bad,nobody,3,,\n",
    )
    plan = plan_packed(ladder=LADDER, source=source, now=NOW)
    assert [p.line for p in plan.report.problems] == [7]
    files, changes = write_neo4j_csvs(plan, LADDER, tmp_path)
    assert changes == 2
    with files["members"].open(newline="", encoding="utf-8") as handle:
        members = {row["id:ID(Member)"]: row for row in csv.DictReader(handle)}
    boss = members["boss"]
    assert boss["name"] == 'Boss, "the" first' and boss["inviter_id"] == ""
    assert (boss["downline_total:long"], boss["downline_paid:long"]) == ("4", "4")
    assert boss["levels_paid:long[]"].split(ARRAY_DELIMITER) == ["4"] + ["0"] * (TRACKED_LEVELS - 1)
    assert (boss["tier"], boss["tier_since:long"], boss["tier_seq:long"]) == ("peacock", "12", "2")
    assert members["i0"]["paid_at:long"] == "10" and members["boss"]["paid_at:long"] == ""
    with files["edges"].open(newline="", encoding="utf-8") as handle:
        assert sorted(tuple(row) for row in list(csv.reader(handle))[1:]) == [
            (f"i{k}", "boss") for k in range(4)
        ]
    with files["tier_changes"].open(newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle))[1:] == [
            ["boss", "1", "butterfly", "bee", "11"],
            ["boss", "2", "peacock", "butterfly", "12"],
        ]
    with files["search_keys"].open(newline="", encoding="utf-8") as handle:
        keys = {row[0]: row[1:] for row in list(csv.reader(handle))[1:]}
    assert keys["boss"] == ["boss", 'boss, "the" first'] and keys["i0"] == ["i0", ""]
    command = neo4j_import_command(files)
    assert command[:3] == ["database", "import", "full"] and command[-1] == "neo4j"
    assert f"--nodes=SearchKey={files['search_keys']}" in command


def typed(header: str, value: str) -> Any:
    """A field as `neo4j-admin database import` reads it (an empty one is absent)."""
    if value == "":
        return None
    kind = header.partition(":")[2]
    if kind == "long[]":
        return [int(part) for part in value.split(ARRAY_DELIMITER)]
    return int(value) if kind == "long" else value


def typed_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        names = [name.partition(":")[0] for name in header]
        return [
            {name: typed(kind, value) for name, kind, value in zip(names, header, row, strict=True)}
            for row in reader
        ]


def load_like_neo4j_admin(store: CypherStore, files: dict[str, Path]) -> None:
    """Writes what the import files hold, property for property, through the store's bulk
    statement (nothing computed: every counter, tier and change is the file's), so the
    graph the offline importer builds is checked on a running server of either backend."""
    members = typed_rows(files["members"])
    members.sort(key=lambda row: row["depth"])  # inviters first: each edge finds its inviter
    changes = [BulkTierChange(**row) for row in typed_rows(files["tier_changes"])]
    edges = {(start, end) for start, end in list(csv.reader(files["edges"].open()))[1:]}
    assert edges == {(row["id"], row["inviter_id"]) for row in members if row["inviter_id"]}
    store.import_members(
        BulkBatch(
            members=[BulkMember(**row) for row in members],
            changes=changes,
            anchors=[],
            tiers=[],
            deferred=[],
        )
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_neo4j_import_files_equal_the_api_path(
    store: CypherStore, tmp_path: Path, seed: int
) -> None:
    ids, expected, source = through_the_api_then_emptied(store, tmp_path, seed)
    plan = plan_packed(ladder=LADDER, source=source, now=NOW)
    assert plan.report.problems == [] and plan.report.created == len(ids)
    files, _ = write_neo4j_csvs(plan, LADDER, tmp_path)
    load_like_neo4j_admin(store, files)
    assert graph_state(store, ids) == expected
    assert verify_store(store=store, ladder=LADDER).ok


def problem_files(tmp_path: Path) -> list[Path]:
    join_rows = [f"{i},{by or ''},{at},,\n" for i, by, at in JOIN_ORDER_ROWS]
    fields = ("id", "inviter_id", "joined_at")
    join_jsonl = [json.dumps(dict(zip(fields, row, strict=True))) + "\n" for row in JOIN_ORDER_ROWS]
    messy = HEADER + (
        "kid,mum,5,,Before her mum's line\n"  # inviter defined later in the file
        "mum,,4,,Mum\n"
        "early,mum,3,,Joins first\n"
        "below,early,9,,Below early\n"
        "now,mum,,,Empty time: the import time\n"
        "after-now,now,6,,Joins before the import time\n"
        "bad-inviter,bad,9,,\n"
        "bad,,x,,Malformed\n"
        "bad,,1,,Repeats a malformed id\n"
        "été,mum,7,,Not plain ASCII\n"
        'q,mum,8,9,"Quoted, name"\n'
        + "".join(f"c{k},c{(k + 1) % 14},1,," + "\n" for k in range(14))  # a long cycle
        + "under-cycle,c3,2,,\n"
    )
    return [
        write(tmp_path, "mixed.csv", MIXED_CSV),
        write(tmp_path, "join.csv", HEADER + "stored,,1000,,\n" + "".join(join_rows)),
        write(
            tmp_path, "join.jsonl", '{"id": "stored", "joined_at": 1000}\n' + "".join(join_jsonl)
        ),
        write(tmp_path, "messy.csv", messy),
    ]


def test_the_packed_plan_reports_what_the_importer_reports(tmp_path: Path) -> None:
    for source in problem_files(tmp_path):
        report, members = plan_initial_load(ladder=LADDER, source=source, now=NOW)
        plan = plan_packed(ladder=LADDER, source=source, now=NOW)
        assert plan.report.problems == report.problems, source.name
        assert plan.report.rows_read == report.rows_read
        created = {member_id: inviter for _, member_id, inviter, _ in planned_rows(plan)}
        assert created == {member.id: member.inviter_id for member in members}
        assert plan.report.created == len(members)


def test_refgraph_import_initial_loads_a_local_neo4j_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole `--initial` path as a new platform runs it: a `scripts/neo4j-local` server
    of its own (its own home and port, so the suite's engine keeps running) is stopped,
    loaded by `neo4j-admin database import`, started and migrated; the graph then equals a
    FalkorDB import of the same file and verifies clean."""
    home = tmp_path / "neo4j-home"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {
        "NEO4J_LOCAL_DIR": str(home),
        "NEO4J_BOLT_PORT": str(port),
        "NEO4J_GDS": "0",
        "NEO4J_HEAP": "512m",
        "NEO4J_PAGECACHE": "128m",
    }.items():
        monkeypatch.setenv(name, value)
    started = subprocess.run([str(NEO4J_LOCAL), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        message = f"scripts/neo4j-local start: {started.stderr.strip() or started.stdout.strip()}"
        if os.environ.get("REFGRAPH_REQUIRE_NEO4J") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        source = tmp_path / "network.csv"
        generate_network(members=1500, out=source, seed=5)
        settings = make_settings(graph_url=f"bolt://127.0.0.1:{port}")
        loaded = initial_load_neo4j(
            ladder=LADDER,
            source=source,
            open_store=lambda: open_store(settings, migrate=False),
            neo4j_local=NEO4J_LOCAL,
            neo4j_home=home,
            migrate=lambda store: apply_migrations(store, settings.migrations_dir),
            now=NOW,
        )
        assert loaded.import_report.problems == [] and loaded.members == 1500
        neo4j = open_store(settings)
        falkordb = open_store(make_settings(graph_url=f"embedded:{tmp_path / 'falkordb'}"))
        try:
            assert import_members(store=falkordb, ladder=LADDER, source=source, now=NOW).created
            ids = [f"m{i}" for i in range(1500)]
            assert graph_state(neo4j, ids) == graph_state(falkordb, ids)
            assert verify_store(store=neo4j, ladder=LADDER).ok
            assert neo4j.backfill_search_keys() == 0  # the import wrote every key
        finally:
            neo4j.close()
            falkordb.close()
    finally:
        subprocess.run([str(NEO4J_LOCAL), "stop"], capture_output=True)
