"""`refgraph plan check|load|list`, `audit` and `release` as a user runs them: `plan check`
needs no store, a refused `plan load` never opens one, and a loadable plan is stored once in
an embedded data folder of its own."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import app.cli
from app.cli import cli
from tests.api.test_error_messages import unreadable
from tests.engines import ROOT

SEED = ROOT / "examples" / "seed-plan.json"


def run(*args: str, data_dir: Path) -> Result:
    """The command in this process, with the environment a user's shell would give it: only
    REFGRAPH_GRAPH_URL set, and to a folder of the test's own."""
    env: dict[str, str | None] = {
        "REFGRAPH_GRAPH_URL": f"embedded:{data_dir}",
        "REFGRAPH_CONFIG_FILE": None,
        "REFGRAPH_API_KEYS": None,
        "REFGRAPH_TIER_LADDER": None,
        "COLUMNS": "200",  # rich wraps stderr at the terminal width
    }
    return CliRunner().invoke(cli, list(args), env=env)


def plan_file(tmp_path: Path, name: str, **changes: Any) -> Path:
    """The seed plan with `changes` applied, written as a file."""
    doc = json.loads(SEED.read_text())
    doc.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_plan_check_of_the_seed_plan_prints_its_warnings_and_exits_0(data_dir: Path) -> None:
    result = run("plan", "check", str(SEED), data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert lines_starting(result.stdout, "REFUSED") == []
    assert lines_starting(result.stdout, "rule ") == [
        "rule 0 referral_bonus: recruitment-linked (paid for bringing in an invitee)",
        "rule 1 self_rebate: sales-linked (a share of a sale the beneficiary made or bought)",
        "rule 2 sales_commission: sales-linked (a share of a sale the beneficiary made or bought)",
        "rule 3 distribution: sales-linked (a share of sales made below the beneficiary)",
        "rule 4 training_allowance: recruitment-linked (paid only to holders of phoenix, a tier "
        "earned by invites)",
    ]
    warnings = lines_starting(result.stdout, "WARNING")
    assert [w.split(":")[0] for w in warnings] == [
        "WARNING  rule 3 distribution",
        "WARNING  rule 4 training_allowance",
    ]
    assert all("团队计酬" in w and "禁止传销条例 Art. 7" in w for w in warnings)
    assert "plan 2026-01: loadable" in result.stderr
    assert not data_dir.exists()  # checking a plan needs no store


def test_plan_check_of_a_plan_with_four_levels_exits_2_naming_max_levels(
    tmp_path: Path, data_dir: Path
) -> None:
    four = plan_file(
        tmp_path,
        "four.json",
        max_levels=4,
        rules=[{"kind": "distribution", "level_rates_bp": [100, 100, 100, 100]}],
    )
    result = run("plan", "check", str(four), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert lines_starting(result.stdout, "REFUSED") == [
        "REFUSED  rule -: max_levels 4 is above the hard limit of 3 levels",
        "REFUSED  rule 0: distribution pays 4 levels; at most 3 are allowed",
    ]
    assert "plan 2026-01: refused" in result.stderr


def test_plan_check_of_rates_above_the_ceiling_exits_2(tmp_path: Path, data_dir: Path) -> None:
    # The seed's 2100 bp against a ceiling of 2000.
    tight = plan_file(tmp_path, "tight.json", rate_ceiling_bp=2000)
    result = run("plan", "check", str(tight), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert lines_starting(result.stdout, "REFUSED") == [
        "REFUSED  rule -: the rates that can apply to one order add up to 2100 bp, above the "
        "ceiling of 2000 bp"
    ]


@pytest.mark.parametrize(
    "content",
    [
        '{"version": "2026-01", "rules": [',  # not JSON at all
        "[]",  # JSON, not a plan
        json.dumps({**json.loads(SEED.read_text()), "max_levels": -1}),  # a negative level count
        json.dumps({**json.loads(SEED.read_text()), "rules": [{"kind": "self_rebate",
                                                               "rate_bp": -500}]}),
    ],
)  # fmt: skip
def test_plan_check_of_a_malformed_document_exits_2(
    content: str, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run("plan", "check", str(path), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert "is not a valid plan document" in flat(result.stderr)
    assert unreadable(result.stderr) == []
    assert result.stdout == ""


def test_plan_check_of_a_malformed_document_says_where_and_why_line_by_line(
    tmp_path: Path, data_dir: Path
) -> None:
    """Each problem on a line of its own, as the API's 422 says it: pydantic's text was
    "3 validation errors for Plan … [type=int_type, input_value=1.5, input_type=float] For
    further information visit https://errors.pydantic.dev/…"."""
    bad = plan_file(
        tmp_path,
        "bad.json",
        effective_from="2026-01-01T00:00:00",
        rules=[{"kind": "referral_bonus", "amount": 20.5}, {"kind": "self_rebate", "rate_bp": 1.5}],
    )
    result = run("plan", "check", str(bad), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[1:] == [
        "  effective_from: '2026-01-01T00:00:00' has no zone: add one (Z, +08:00) or send "
        "epoch milliseconds",
        "  rules.0.referral_bonus.amount: 20.5 is not an amount: amounts are integers of minor "
        "units (fen, cents), e.g. 1250 for 12.50",
        "  rules.1.self_rebate.rate_bp: 1.5 is not a rate: rates are integers of basis points "
        "(100 bp = 1%)",
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": ')
    result = run("plan", "check", str(broken), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert "not valid JSON (EOF while parsing a value at line 1 column 12)" in result.stderr


def test_plan_check_names_an_unknown_tier_in_a_sentence_without_placeholders(
    tmp_path: Path, data_dir: Path
) -> None:
    queen = plan_file(
        tmp_path,
        "queen.json",
        rules=[{"kind": "training_allowance", "rate_bp": 100, "tier": "queen"}],
    )
    result = run("plan", "check", str(queen), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert lines_starting(result.stdout, "REFUSED") == [
        "REFUSED  rule 0: rule 0 names tier 'queen', which is not on the ladder "
        "(bee, butterfly, peacock, phoenix)"  # was followed by "(limit tier = 0)"
    ]
    assert unreadable(result.output) == []


def test_plan_check_of_a_missing_file_exits_2(tmp_path: Path, data_dir: Path) -> None:
    result = run("plan", "check", str(tmp_path / "nowhere.json"), data_dir=data_dir)
    assert result.exit_code == 2
    assert "does not exist" in flat(result.stderr)


def test_plan_load_of_a_refused_plan_exits_2_without_touching_a_store(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_store(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused plan must not open the store")

    monkeypatch.setattr(app.cli, "open_store", no_store)
    three = plan_file(
        tmp_path,
        "three.json",
        max_levels=3,
        promoter_counts_as_level=True,
        rules=[
            {"kind": "sales_commission", "rate_bp": 1000},
            {"kind": "distribution", "level_rates_bp": [200, 100, 50]},
        ],
    )
    result = run("plan", "load", str(three), data_dir=data_dir)
    assert result.exit_code == 2, result.output
    assert lines_starting(result.stdout, "REFUSED") == [
        "REFUSED  rule 1: distribution pays 3 levels; at most 2 are allowed (the sharer's sales "
        "commission counts as a level)"
    ]
    assert "refused; the plans in force are unchanged" in flat(result.stderr)
    assert not data_dir.exists()
    malformed = tmp_path / "malformed.json"
    malformed.write_text("{")
    assert run("plan", "load", str(malformed), data_dir=data_dir).exit_code == 2
    assert not data_dir.exists()


def test_plan_load_stores_a_version_once_and_plan_list_shows_it(
    tmp_path: Path, data_dir: Path
) -> None:
    loaded = run("plan", "load", str(SEED), data_dir=data_dir)
    assert loaded.exit_code == 0, loaded.output
    assert "plan 2026-01: loaded" in loaded.stderr
    assert len(lines_starting(loaded.stdout, "WARNING")) == 2  # loading still shows the lint
    again = run("plan", "load", str(SEED), data_dir=data_dir)
    assert again.exit_code == 0, again.output
    assert "plan 2026-01: already loaded" in again.stderr
    # A refused later version leaves the plans in force as they were.
    refused = plan_file(tmp_path, "v2.json", version="2026-02", max_levels=4)
    assert run("plan", "load", str(refused), data_dir=data_dir).exit_code == 2
    # So does another document under a loaded version.
    rewritten = plan_file(tmp_path, "v1b.json", rate_ceiling_bp=2500)
    clash = run("plan", "load", str(rewritten), data_dir=data_dir)
    assert clash.exit_code == 2 and "loaded with a different document" in flat(clash.stderr)
    listed = run("plan", "list", data_dir=data_dir)
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == ["2026-01\teffective_from=2026-01-01T00:00:00Z\tCNY"]
    # With plans but no orders: nothing to audit, nothing to release.
    audited = run("audit", data_dir=data_dir)
    assert audited.exit_code == 0, audited.output
    assert "0 orders, 0 refunds, 0 entries checked" in flat(audited.stderr)
    assert "0 differences" in flat(audited.stderr)
    released = run("release", data_dir=data_dir)
    assert released.exit_code == 0, released.output
    assert "0 entries released" in released.stderr
