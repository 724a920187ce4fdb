"""The commission plan: the document pydantic accepts, the guardrails that refuse an illegal
plan (and say which rule broke which limit), and the lint that classifies each rule and
names the risky patterns a legal plan still holds."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from app.domain.plans import (
    ART_7,
    HARD_MAX_LEVELS,
    Distribution,
    Plan,
    ReferralBonus,
    SalesCommission,
    SelfRebate,
    TrainingAllowance,
    Violation,
    lint_plan,
    max_rate_per_order_bp,
    plan_violations,
    rule_linkage,
)
from app.domain.tiers import DEFAULT_LADDER, TierLadder, TierStep
from tests.engines import ROOT

SEED_PATH = ROOT / "examples" / "seed-plan.json"
LADDER = DEFAULT_LADDER  # bee → butterfly → peacock → phoenix
Doc = dict[str, Any]


def document(rules: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A plan document with the given rules; the plan fields default to a lenient plan."""
    doc: dict[str, Any] = {
        "version": "t1",
        "effective_from": 1_000,
        "currency": "CNY",
        "max_levels": 3,
        "rate_ceiling_bp": 10_000,
        "rules": rules,
    }
    doc.update(fields)
    return doc


def plan_of(rules: list[dict[str, Any]], **fields: Any) -> Plan:
    return Plan.model_validate(document(rules, **fields))


def limits(
    violations: list[Violation],
) -> list[tuple[int | None, str, int | None, int | None]]:
    return [(v.rule, v.limit, v.value, v.allowed) for v in violations]


def seed_plan() -> Plan:
    return Plan.model_validate_json(SEED_PATH.read_bytes())


# --- the document -------------------------------------------------------------------------


def test_the_seed_plan_loads_with_no_violations() -> None:
    plan = seed_plan()
    assert plan_violations(plan, LADDER) == []
    assert [rule.kind for rule in plan.rules] == [
        "referral_bonus",
        "self_rebate",
        "sales_commission",
        "distribution",
        "training_allowance",
    ]
    # self_rebate 500 + sales_commission 1000 + distribution 200 + 100 + allowance 300
    assert max_rate_per_order_bp(plan) == 2100
    assert plan.rule_of("distribution") == (3, plan.rules[3])
    assert plan.rule_of("sales_commission") == (2, plan.rules[2])


def test_defaults_of_a_minimal_rule() -> None:
    plan = plan_of([{"kind": "referral_bonus", "amount": 100}, {"kind": "self_rebate"}])
    bonus, rebate = plan.rules
    assert isinstance(bonus, ReferralBonus) and isinstance(rebate, SelfRebate)
    assert (bonus.trigger, bonus.hold_days) == ("first_purchase", 0)
    assert (rebate.rate_bp, rebate.tier_rates_bp, rebate.hold_days) == (0, {}, 0)
    assert plan.promoter_counts_as_level is False


SEED_DOC: dict[str, Any] = document(
    [
        {"kind": "referral_bonus", "amount": 2000},
        {"kind": "self_rebate", "rate_bp": 500},
        {"kind": "sales_commission", "rate_bp": 1000},
        {"kind": "distribution", "level_rates_bp": [200, 100]},
        {"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"},
    ]
)


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        (0, "amount", -1),  # a negative bonus
        (0, "amount", 10.5),  # money is integer minor units
        (0, "amount", "2000"),  # strict: no numeric strings
        (1, "rate_bp", -5),
        (1, "rate_bp", 12.5),
        (1, "rate_bp", True),  # strict: a bool is not a rate
        (1, "rate_bp", 10_001),  # above 100%
        (1, "tier_rates_bp", {"phoenix": -1}),
        (3, "level_rates_bp", [200, -100]),
        (3, "level_rates_bp", [200, 100.5]),
        (1, "hold_days", -1),
        (0, "trigger", "signup"),  # only first_purchase or paid
        (0, "tier_rates_bp", {"phoenix": 3000}),  # the bonus is a fixed amount, never tiered
        (4, "tier", ""),
        (2, "bonus_bp", 100),  # unknown fields are refused, not ignored
        (2, "kind", "matching_bonus"),  # unknown rule kinds too
        (None, "max_levels", -1),
        (None, "max_levels", 2.5),
        (None, "rate_ceiling_bp", -1),
        (None, "effective_from", -1),
        (None, "currency", "cny"),
        (None, "version", "has space"),
        (None, "extra_field", 1),
    ],
)
def test_pydantic_refuses_a_malformed_document(where: int | None, field: str, value: Any) -> None:
    doc = copy.deepcopy(SEED_DOC)
    Plan.model_validate(doc)  # the unchanged document is valid
    target = doc if where is None else doc["rules"][where]
    target[field] = value
    with pytest.raises(ValidationError):
        Plan.model_validate(doc)


def test_a_plan_needs_its_fields_and_its_rules_their_own() -> None:
    for missing in ("version", "effective_from", "currency", "max_levels", "rate_ceiling_bp"):
        doc = copy.deepcopy(SEED_DOC)
        del doc[missing]
        with pytest.raises(ValidationError):
            Plan.model_validate(doc)
    for where, missing in ((0, "amount"), (3, "level_rates_bp"), (4, "tier"), (2, "kind")):
        doc = copy.deepcopy(SEED_DOC)
        del doc["rules"][where][missing]
        with pytest.raises(ValidationError):
            Plan.model_validate(doc)


# --- guardrails ---------------------------------------------------------------------------


def test_max_levels_above_the_hard_limit_is_refused_whatever_the_rules() -> None:
    assert HARD_MAX_LEVELS == 3
    plan = plan_of([{"kind": "self_rebate", "rate_bp": 100}], max_levels=4)
    assert limits(plan_violations(plan, LADDER)) == [(None, "max_levels", 4, 3)]
    assert plan_violations(plan_of([], max_levels=3), LADDER) == []


def test_a_plan_that_tries_four_levels_is_refused() -> None:
    four = [{"kind": "distribution", "level_rates_bp": [100, 100, 100, 100]}]
    # Saying so: max_levels 4 breaks the hard limit, and 4 levels are more than 3.
    violations = plan_violations(plan_of(four, max_levels=4), LADDER)
    assert limits(violations) == [(None, "max_levels", 4, 3), (0, "max_levels", 4, 3)]
    assert "above the hard limit of 3 levels" in violations[0].message
    assert violations[1].message == "distribution pays 4 levels; at most 3 are allowed"
    # Not saying so: max_levels 3 still refuses a 4th level rate.
    assert limits(plan_violations(plan_of(four, max_levels=3), LADDER)) == [(0, "max_levels", 4, 3)]
    # Three levels are fine.
    three = [{"kind": "distribution", "level_rates_bp": [100, 100, 100]}]
    assert plan_violations(plan_of(three, max_levels=3), LADDER) == []


def test_the_level_rates_may_not_outnumber_the_plans_own_max_levels() -> None:
    rules: list[Doc] = [
        {"kind": "self_rebate", "rate_bp": 100},
        {"kind": "distribution", "level_rates_bp": [200, 100]},
    ]
    assert limits(plan_violations(plan_of(rules, max_levels=1), LADDER)) == [
        (1, "max_levels", 2, 1)
    ]
    assert limits(plan_violations(plan_of(rules, max_levels=0), LADDER)) == [
        (1, "max_levels", 2, 0)
    ]
    assert plan_violations(plan_of(rules, max_levels=2), LADDER) == []


def test_the_sharers_commission_counts_as_a_level_when_the_plan_says_so() -> None:
    rules: list[Doc] = [
        {"kind": "sales_commission", "rate_bp": 1000},
        {"kind": "distribution", "level_rates_bp": [200, 100, 50]},
    ]
    # 1 (the sharer) + 3 distribution levels = 4 > max_levels 3: refused, naming rule 1.
    violations = plan_violations(
        plan_of(rules, max_levels=3, promoter_counts_as_level=True), LADDER
    )
    assert limits(violations) == [(1, "max_levels", 3, 2)]
    assert "the sharer's sales commission counts as a level" in violations[0].message
    # Two distribution levels + the sharer = 3: loads.
    two: list[Doc] = [rules[0], {"kind": "distribution", "level_rates_bp": [200, 100]}]
    assert plan_violations(plan_of(two, max_levels=3, promoter_counts_as_level=True), LADDER) == []
    # Not counted: the same three levels load.
    assert plan_violations(plan_of(rules, max_levels=3), LADDER) == []
    # Counted, but with no sales commission there is no sharer's level to count.
    alone = plan_of([rules[1]], max_levels=3, promoter_counts_as_level=True)
    assert plan_violations(alone, LADDER) == []


def test_rates_adding_up_to_120_percent_are_refused() -> None:
    rules: list[Doc] = [
        {"kind": "self_rebate", "rate_bp": 5000},
        {"kind": "sales_commission", "rate_bp": 5000},
        {"kind": "distribution", "level_rates_bp": [1000, 1000]},
    ]
    # 5000 + 5000 + 1000 + 1000 = 12000 bp against a ceiling of 10000.
    violations = plan_violations(plan_of(rules, rate_ceiling_bp=10_000), LADDER)
    assert limits(violations) == [(None, "rate_ceiling_bp", 12_000, 10_000)]
    assert "12000 bp" in violations[0].message and "10000 bp" in violations[0].message
    # A ceiling above 100% is itself refused, and the total is held to 100% all the same.
    assert limits(plan_violations(plan_of(rules, rate_ceiling_bp=12_000), LADDER)) == [
        (None, "rate_ceiling_bp", 12_000, 10_000),
        (None, "rate_ceiling_bp", 12_000, 10_000),
    ]


def test_the_ceiling_is_inclusive_and_counts_every_rated_rule_but_not_the_bonus() -> None:
    rules: list[Doc] = [
        {"kind": "referral_bonus", "amount": 1_000_000},  # a fixed amount, not a rate
        {"kind": "self_rebate", "rate_bp": 500},
        {"kind": "sales_commission", "rate_bp": 1000},
        {"kind": "distribution", "level_rates_bp": [200, 100]},
        {"kind": "training_allowance", "rate_bp": 300, "tier": "phoenix"},
    ]
    # 500 + 1000 + 200 + 100 + 300 = 2100
    assert plan_violations(plan_of(rules, rate_ceiling_bp=2100), LADDER) == []
    assert limits(plan_violations(plan_of(rules, rate_ceiling_bp=2099), LADDER)) == [
        (None, "rate_ceiling_bp", 2100, 2099)
    ]


@pytest.mark.parametrize(
    ("where", "tier_rates", "highest_total"),
    [
        # self_rebate 500 → 1500 at phoenix: 1500 + 1000 + 200 + 100 + 300 = 3100
        (1, {"phoenix": 1500}, 3100),
        # sales_commission 1000 → 2000 at peacock: 500 + 2000 + 200 + 100 + 300 = 3100
        (2, {"peacock": 2000, "bee": 900}, 3100),
        # a tier rate replaces each level's rate: 500 + 1000 + 1000 + 1000 + 300 = 3800
        (3, {"phoenix": 1000}, 3800),
        # training_allowance 300 → 1400 at phoenix: 500 + 1000 + 200 + 100 + 1400 = 3200
        (4, {"phoenix": 1400}, 3200),
    ],
)
def test_a_tier_rate_that_raises_a_rate_above_the_ceiling_is_refused(
    where: int, tier_rates: dict[str, int], highest_total: int
) -> None:
    doc = copy.deepcopy(SEED_DOC)
    doc["rate_ceiling_bp"] = 3000
    assert plan_violations(Plan.model_validate(doc), LADDER) == []  # 2100 at the base rates
    doc["rules"][where]["tier_rates_bp"] = tier_rates
    plan = Plan.model_validate(doc)
    assert max_rate_per_order_bp(plan) == highest_total
    assert limits(plan_violations(plan, LADDER)) == [(None, "rate_ceiling_bp", highest_total, 3000)]


def test_a_tier_rate_below_a_level_rate_does_not_lower_the_highest_total() -> None:
    dist = Distribution.model_validate(
        {"kind": "distribution", "level_rates_bp": [600, 100], "tier_rates_bp": {"phoenix": 300}}
    )
    # The tier rate replaces both levels for a phoenix: max(600, 300) + max(100, 300) = 900.
    assert dist.highest_total_bp == 900
    assert (dist.rate_for(0, "phoenix"), dist.rate_for(0, "bee")) == (300, 600)
    assert (dist.rate_for(1, "phoenix"), dist.rate_for(1, "bee")) == (300, 100)


def test_unknown_tier_names_are_refused() -> None:
    rules: list[Doc] = [
        {"kind": "self_rebate", "rate_bp": 100, "tier_rates_bp": {"dragon": 200, "bee": 150}},
        {"kind": "sales_commission", "rate_bp": 100},
        {"kind": "distribution", "level_rates_bp": [100], "tier_rates_bp": {"Phoenix": 100}},
        {"kind": "training_allowance", "rate_bp": 100, "tier": "queen"},
    ]
    violations = plan_violations(plan_of(rules), LADDER)
    assert limits(violations) == [
        (0, "tier", None, None),
        (2, "tier", None, None),
        (3, "tier", None, None),
    ]
    assert "'dragon'" in violations[0].message and "'bee'" not in violations[0].message
    assert "'Phoenix'" in violations[1].message  # names are case-sensitive
    assert "'queen'" in violations[2].message
    assert "bee, butterfly, peacock, phoenix" in violations[2].message
    # The ladder in force decides: on a ladder that has them, the same names are known.
    ladder = TierLadder(
        steps=(
            TierStep(tier="dragon", min_paid_invites=0),
            TierStep(tier="bee", min_paid_invites=1),
            TierStep(tier="Phoenix", min_paid_invites=2),
            TierStep(tier="queen", min_paid_invites=3),
        )
    )
    assert plan_violations(plan_of(rules), ladder) == []


def test_a_plan_has_one_rule_per_kind() -> None:
    rules: list[Doc] = [
        {"kind": "sales_commission", "rate_bp": 100},
        {"kind": "self_rebate", "rate_bp": 100},
        {"kind": "sales_commission", "rate_bp": 200},
    ]
    # The second sales commission is the one refused; the first stands.
    assert limits(plan_violations(plan_of(rules), LADDER)) == [(2, "one_rule_per_kind", 2, 1)]


def test_every_violation_of_a_plan_is_reported_at_once() -> None:
    rules: list[Doc] = [
        {"kind": "self_rebate", "rate_bp": 9000, "tier_rates_bp": {"emperor": 9500}},
        {"kind": "distribution", "level_rates_bp": [100, 100, 100, 100, 100]},
    ]
    violations = plan_violations(plan_of(rules, max_levels=5, rate_ceiling_bp=10_500), LADDER)
    # 9500 + 5 x 100 = 10000, at the 100% cap: only the ceiling field itself is above it.
    assert limits(violations) == [
        (None, "max_levels", 5, 3),
        (0, "tier", None, None),
        (1, "max_levels", 5, 3),
        (None, "rate_ceiling_bp", 10_500, 10_000),
    ]


# --- lint ---------------------------------------------------------------------------------


def test_the_seed_plans_lint_exactly() -> None:
    lint = lint_plan(seed_plan())
    assert [(r.rule, r.kind, r.linkage) for r in lint.rules] == [
        (0, "referral_bonus", "recruitment-linked"),
        (1, "self_rebate", "sales-linked"),
        (2, "sales_commission", "sales-linked"),
        (3, "distribution", "sales-linked"),
        (4, "training_allowance", "recruitment-linked"),
    ]
    # The bonus triggers on a first purchase (not on paying to join) and no rule is tiered:
    # only the second distribution level and the training allowance are 团队计酬.
    team_pay = "团队计酬 (upline pay from downline sales)"
    assert [(f.rule, f.kind, f.pattern, f.article) for f in lint.findings] == [
        (3, "distribution", team_pay, "禁止传销条例 Art. 7"),
        (4, "training_allowance", team_pay, "禁止传销条例 Art. 7"),
    ]
    assert lint.findings[0].reason.startswith("level 2 pays members beyond the source's own")
    assert "phoenix" in lint.rules[4].why


def test_a_bonus_paid_when_the_invitee_pays_to_join_is_an_entry_fee() -> None:
    paid = lint_plan(plan_of([{"kind": "referral_bonus", "amount": 100, "trigger": "paid"}]))
    assert [(f.rule, f.kind, f.pattern, f.article) for f in paid.findings] == [
        (0, "referral_bonus", "入门费/拉人头 (entry fee / head-count)", ART_7)
    ]
    assert [r.linkage for r in paid.rules] == ["recruitment-linked"]
    first = lint_plan(plan_of([{"kind": "referral_bonus", "amount": 100}]))
    assert first.findings == []
    assert [r.linkage for r in first.rules] == ["recruitment-linked"]


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "self_rebate", "rate_bp": 100, "tier_rates_bp": {"phoenix": 200}},
        {"kind": "sales_commission", "rate_bp": 100, "tier_rates_bp": {"peacock": 200}},
        {"kind": "distribution", "level_rates_bp": [100], "tier_rates_bp": {"bee": 50}},
    ],
)
def test_a_rate_that_follows_the_invite_tier_is_head_count_pay(rule: dict[str, Any]) -> None:
    tiered = lint_plan(plan_of([rule]))
    assert [(r.kind, r.linkage) for r in tiered.rules] == [(rule["kind"], "recruitment-linked")]
    assert [(f.rule, f.pattern, f.article) for f in tiered.findings] == [
        (0, "拉人头 (pay by head-count)", ART_7)
    ]
    # The same rule without tier rates is sales-linked and raises nothing.
    flat = lint_plan(plan_of([{k: v for k, v in rule.items() if k != "tier_rates_bp"}]))
    assert [(r.kind, r.linkage) for r in flat.rules] == [(rule["kind"], "sales-linked")]
    assert flat.findings == []


def test_a_tiered_training_allowance_is_flagged_twice() -> None:
    rule: Doc = {"kind": "training_allowance", "rate_bp": 100, "tier": "peacock",
            "tier_rates_bp": {"phoenix": 200}}  # fmt: skip
    lint = lint_plan(plan_of([rule]))
    assert [f.pattern for f in lint.findings] == [
        "拉人头 (pay by head-count)",
        "团队计酬 (upline pay from downline sales)",
    ]
    assert all(f.article == ART_7 and f.rule == 0 for f in lint.findings)


def test_distribution_is_flagged_only_past_its_first_level() -> None:
    def findings(levels: list[int]) -> list[str]:
        lint = lint_plan(plan_of([{"kind": "distribution", "level_rates_bp": levels}]))
        assert [r.linkage for r in lint.rules] == ["sales-linked"]
        return [f.reason for f in lint.findings]

    assert findings([]) == []
    assert findings([300]) == []
    [two] = findings([300, 100])
    assert two.startswith("level 2 pays members beyond")
    [three] = findings([300, 100, 50])
    assert three.startswith("levels 2..3 pay members beyond")


def test_rule_linkage_of_each_kind() -> None:
    assert rule_linkage(ReferralBonus(kind="referral_bonus", amount=1))[0] == "recruitment-linked"
    assert rule_linkage(SelfRebate(kind="self_rebate", rate_bp=1))[0] == "sales-linked"
    assert rule_linkage(SalesCommission(kind="sales_commission", rate_bp=1))[0] == "sales-linked"
    assert rule_linkage(Distribution(kind="distribution", level_rates_bp=[1]))[0] == "sales-linked"
    allowance = TrainingAllowance(kind="training_allowance", rate_bp=1, tier="peacock")
    assert rule_linkage(allowance) == (
        "recruitment-linked",
        "paid only to holders of peacock, a tier earned by invites",
    )
