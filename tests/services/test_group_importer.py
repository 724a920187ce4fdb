"""`import-groups`: problems by line, the rest imported, and a re-run that adds nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.core.errors import InvalidInput
from app.domain.groups import GroupCreate, GroupKind
from app.domain.members import NewMemberRow
from app.domain.tiers import DEFAULT_LADDER
from app.services.csv_records import QUOTE_RUNS_PAST_LINE
from app.services.group_importer import GroupProblemKind, import_groups
from app.store.cypher_store import CypherStore
from tests.test_cli import refgraph

HEADER = "group_id,kind,name,member_id\n"
# Line numbers are the file's own (the header is line 1).
ROWS = [
    "reading,topic,Reading,ann",  # 2
    "reading,topic,Reading,bea",  # 3
    "hz,region,Hangzhou,ann",  # 4
    "hz,region,Hangzhou,nobody",  # 5 unknown member
    "reading,store,Reading,cat",  # 6 contradicts line 2's group
    "a b,topic,Bad,ann",  # 7 malformed group id
    "reading,topic,Reading,x/y",  # 8 malformed member id
    "reading,club,Reading,ann",  # 9 malformed kind
    "reading,,Reading,cat",  # 10 missing column
    "reading,topic",  # 11 short row
    "english,topic,English,",  # 12 a group without members yet
    "reading,topic,Reading,ann",  # 13 repeats line 2
    "old,store,Store No. 1,cat",  # 14 contradicts the stored group
    "reading,topic,Reading,cat",  # 15
]


def members(store: CypherStore, *ids: str) -> None:
    rows = [NewMemberRow(id=i, inviter_id=None, name=None, joined_at=1, attributes_json=None)
            for i in ids]  # fmt: skip
    store.register_members(rows, DEFAULT_LADDER)


def write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    source = tmp_path / "groups.csv"
    source.write_text(header + "\n".join(lines) + "\n")
    return source


def test_each_bad_line_is_reported_and_the_rest_imported(
    store: CypherStore, tmp_path: Path
) -> None:
    members(store, "ann", "bea", "cat")
    store.put_groups([GroupCreate(id="old", kind=GroupKind.STORE, name="Store No. 0")])
    seen: list[int] = []
    report = import_groups(
        store=store, source=write(tmp_path, ROWS), batch_size=2, progress=seen.append
    )
    kinds = {problem.line: problem.kind for problem in report.problems}
    assert kinds == {
        5: GroupProblemKind.UNKNOWN_MEMBER,
        6: GroupProblemKind.CONFLICT,
        7: GroupProblemKind.MALFORMED,
        8: GroupProblemKind.MALFORMED,
        9: GroupProblemKind.MALFORMED,
        10: GroupProblemKind.MISSING_COLUMN,
        11: GroupProblemKind.MALFORMED,
        14: GroupProblemKind.CONFLICT,
    }
    [conflict] = [p for p in report.problems if p.line == 6]
    assert "different kind" in conflict.reason and conflict.member_id == "cat"
    assert report.rows_read == len(ROWS)
    assert report.groups_created == 3  # reading, hz, english
    assert report.memberships_added == 4
    assert report.memberships_existing == 1  # line 13
    assert seen[-1] == len(ROWS) and seen == sorted(seen)
    totals = {g.id: (g.kind, g.name, g.members_total)
              for g in store.groups_by_id(["reading", "hz", "english", "old"])}  # fmt: skip
    assert totals == {
        "reading": (GroupKind.TOPIC, "Reading", 3),
        "hz": (GroupKind.REGION, "Hangzhou", 1),
        "english": (GroupKind.TOPIC, "English", 0),
        "old": (GroupKind.STORE, "Store No. 0", 0),
    }
    assert store.group_members_page("reading", "", 10) == ["ann", "bea", "cat"]


def test_rerunning_adds_nothing_and_reports_the_same_lines(
    store: CypherStore, tmp_path: Path
) -> None:
    members(store, "ann", "bea", "cat")
    source = write(tmp_path, ROWS)
    first = import_groups(store=store, source=source)
    again = import_groups(store=store, source=source, batch_size=3)
    assert again.groups_created == 0 and again.memberships_added == 0
    assert again.memberships_existing == first.memberships_added + first.memberships_existing
    assert [p.line for p in again.problems] == [p.line for p in first.problems]
    assert store.groups_by_id(["reading"])[0].members_total == 3


def test_a_stray_quote_or_a_bad_byte_costs_its_own_line_only(
    store: CypherStore, tmp_path: Path
) -> None:
    """An unbalanced quote swallowed every later line; a byte that is not UTF-8 refused the
    whole file."""
    members(store, *(f"m{i}" for i in range(1_001)))
    rows = [f"big,topic,Big,m{i}" for i in range(1_001)]
    rows[500] = 'big,topic,"Big,m500'  # line 502
    rows[700] = "big,topic,Big,m700\udcff"  # line 702: written below as the byte 0xff
    source = tmp_path / "groups.csv"
    text = HEADER + "\n".join(rows) + "\n"
    source.write_bytes(text.encode("utf-8", "surrogateescape"))
    report = import_groups(store=store, source=source)
    assert [(p.line, p.kind) for p in report.problems] == [
        (502, GroupProblemKind.MALFORMED),
        (702, GroupProblemKind.MALFORMED),
    ]
    assert report.problems[0].reason == QUOTE_RUNS_PAST_LINE
    assert "not UTF-8" in report.problems[1].reason
    assert (report.rows_read, report.memberships_added) == (1_001, 999)
    assert store.groups_by_id(["big"])[0].members_total == 999


def test_a_wrong_header_or_file_type_stops_before_writing(
    store: CypherStore, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="group_id,kind,name,member_id"):
        import_groups(store=store, source=write(tmp_path, ROWS, "group,kind,name,member_id\n"))
    other = tmp_path / "groups.jsonl"
    other.write_text("{}\n")
    with pytest.raises(InvalidInput, match=r"\.csv"):
        import_groups(store=store, source=other)
    assert store.groups_by_id(["reading"]) == []


def test_cli_exits_2_with_problems_and_0_without(data_dir: Path, tmp_path: Path) -> None:
    people = tmp_path / "members.csv"
    people.write_text("id,inviter_id,joined_at,paid_at,name\nann,,1,,\nbea,ann,2,,\n")
    assert refgraph("import", str(people), data_dir=data_dir).wait(120) == 0
    clean = tmp_path / "clean.csv"
    clean.write_text(HEADER + "reading,topic,Reading,ann\nreading,topic,Reading,bea\n")
    run = refgraph(
        "import-groups", str(clean), data_dir=data_dir, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "2 memberships added" in err
    with_problem = write(tmp_path, ["reading,topic,Reading,ann", "reading,topic,Reading,zed"])
    run = refgraph(
        "import-groups", str(with_problem), data_dir=data_dir, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = run.communicate(timeout=120)
    assert run.returncode == 2, err
    assert "line 3: unknown_member: member 'zed' is not a member" in out
    assert "0 memberships added, 1 already there, 1 problems" in err
