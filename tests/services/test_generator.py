"""The synthetic network: the same seed gives the same file, its shape is the community's,
and it imports cleanly."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from app.services.generator import generate_network
from app.services.importer import import_members
from app.services.verify import verify_store
from app.store.cypher_store import CypherStore
from tests.store.test_contract import LADDER


def test_the_same_seed_gives_the_same_file(tmp_path: Path) -> None:
    first, second, other = tmp_path / "1.csv", tmp_path / "2.csv", tmp_path / "3.csv"
    assert generate_network(members=500, out=first, seed=3) == generate_network(
        members=500, out=second, seed=3
    )
    generate_network(members=500, out=other, seed=4)
    assert first.read_bytes() == second.read_bytes() != other.read_bytes()


def test_the_shape_is_a_community(tmp_path: Path) -> None:
    out = tmp_path / "net.csv"
    stats = generate_network(members=5000, out=out)
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == stats.members == 5000
    assert 20 <= stats.roots <= 100  # ~1%
    assert 850 <= stats.paid <= 1150  # ~20%
    assert stats.max_depth >= 200
    assert stats.max_direct_invites >= 40
    invites = Counter(row["inviter_id"] for row in rows if row["inviter_id"])
    assert max(invites.values()) == stats.max_direct_invites
    # Most members invite at most two, a few invite dozens or more.
    assert sum(1 for row in rows if invites[row["id"]] <= 2) > 0.85 * len(rows)
    assert sum(1 for row in rows if not row["inviter_id"]) == stats.roots
    assert sum(1 for row in rows if row["paid_at"]) == stats.paid
    position = {row["id"]: index for index, row in enumerate(rows)}
    for index, row in enumerate(rows):
        if row["inviter_id"]:
            assert position[row["inviter_id"]] < index
        if row["paid_at"]:
            assert int(row["paid_at"]) > int(row["joined_at"])
        assert row["name"] == f"Member {row['id'][1:]}"
    joined = [int(row["joined_at"]) for row in rows]
    assert joined == sorted(joined)


def test_small_networks_scale_the_chain_down(tmp_path: Path) -> None:
    assert generate_network(members=300, out=tmp_path / "small.csv").max_depth >= 30
    assert generate_network(members=1, out=tmp_path / "one.csv").roots == 1


def test_the_generated_file_imports_cleanly(store: CypherStore, tmp_path: Path) -> None:
    out = tmp_path / "net.csv"
    stats = generate_network(members=5000, out=out, seed=11)
    report = import_members(store=store, ladder=LADDER, source=out)
    assert report.problems == []
    assert (report.created, report.marked_paid) == (stats.members, stats.paid)
    assert verify_store(store=store, ladder=LADDER).ok
