"""The Neo4j backup the README gives: `neo4j-admin database dump` of a stopped server's
database, `neo4j-admin database load` into a fresh server home, and the same graph there.
It runs on servers of its own (`scripts/neo4j-local`, with homes and ports of the test's
own), never on the one the other tests use."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from tests.engines import ROOT
from tests.test_cli import free_port

NEO4J_LOCAL = ROOT / "scripts" / "neo4j-local"
MEMBERS = 500


def neo4j_local(*args: str, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NEO4J_LOCAL_DIR": str(home),
        "NEO4J_BOLT_PORT": str(port),
        "NEO4J_GDS": "0",
        "NEO4J_HEAP": "512m",
        "NEO4J_PAGECACHE": "64m",
        "NEO4J_AUTH": "none",
    }
    return subprocess.run(
        [str(NEO4J_LOCAL), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def counts(url: str) -> tuple[int, int]:
    with GraphDatabase.driver(url) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (m:Member) WITH count(m) AS members "
            "OPTIONAL MATCH (:Member)-[i:INVITED]->(:Member) RETURN members, count(i) AS invited"
        )
        return int(records[0]["members"]), int(records[0]["invited"])


@pytest.mark.slow
def test_a_dump_loaded_into_a_fresh_home_holds_the_same_graph(tmp_path: Path) -> None:
    first, second, dumps = tmp_path / "first", tmp_path / "second", tmp_path / "dumps"
    port = free_port()
    probe = neo4j_local("admin", "--version", home=first, port=port)
    if probe.returncode != 0:
        pytest.skip(f"neo4j-admin cannot run here: {probe.stderr.strip()[-500:]}")

    started = neo4j_local("start", home=first, port=port)
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip().splitlines()[-1]
        with GraphDatabase.driver(url) as driver:
            driver.execute_query(
                "UNWIND range(0, $n - 1) AS i CREATE (:Member {id: 'm' + i})", n=MEMBERS
            )
            driver.execute_query(
                "MATCH (a:Member), (b:Member) WHERE b.id = 'm' + toString(toInteger("
                "substring(a.id, 1)) * 2 + 1) CREATE (a)-[:INVITED]->(b)"
            )
        before = counts(url)
    finally:
        assert neo4j_local("stop", home=first, port=port).returncode == 0
    assert before == (MEMBERS, MEMBERS // 2)

    # Community edition dumps and loads a stopped database (README: Backups).
    dumps.mkdir()
    dump = neo4j_local(
        "admin", "database", "dump", "neo4j", f"--to-path={dumps}", home=first, port=port
    )
    assert dump.returncode == 0, dump.stdout + dump.stderr
    assert (dumps / "neo4j.dump").stat().st_size > 0
    load = neo4j_local(
        "admin", "database", "load", "neo4j", f"--from-path={dumps}",
        "--overwrite-destination=true", home=second, port=port,
    )  # fmt: skip
    assert load.returncode == 0, load.stdout + load.stderr

    other_port = free_port()
    started = neo4j_local("start", home=second, port=other_port)
    try:
        assert started.returncode == 0, started.stderr
        assert counts(started.stdout.strip().splitlines()[-1]) == before
    finally:
        assert neo4j_local("stop", home=second, port=other_port).returncode == 0
