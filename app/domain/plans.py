"""The commission plan: its document (field names are a contract integrations write), the
guardrails that refuse an illegal plan, and the lint that names the risky patterns a legal
plan still holds. Pure rules: no I/O."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.domain.points import PointsRules
from app.domain.tiers import TierLadder
from app.domain.units import MINOR_UNITS, Currency, EpochMs, integer_of

# Distribution commission reaches at most this many levels up a chain, whatever a plan says:
# common practice caps it at 3, and criminal 传销 cases start at 3+ levels. Code, not config.
HARD_MAX_LEVELS = 3
FULL_RATE_BP = 10_000
DAY_MS = 86_400_000

_BASIS_POINTS = integer_of("a rate", "rates are integers of basis points (100 bp = 1%)")
Bp = Annotated[int, Field(strict=True, ge=0, le=FULL_RATE_BP), _BASIS_POINTS]
BonusAmount = Annotated[int, Field(strict=True, ge=0), MINOR_UNITS]
HoldDays = Annotated[int, Field(strict=True, ge=0, le=3650)]
PlanVersion = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
TierName = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hold_days: HoldDays = 0


class _RatedRule(_Rule):
    rate_bp: Bp = 0
    # The beneficiary's honour tier at the event picks this rate instead of `rate_bp`.
    tier_rates_bp: dict[TierName, Bp] = Field(default_factory=dict)

    def rate_for(self, tier: str) -> int:
        return self.tier_rates_bp.get(tier, self.rate_bp)

    @property
    def highest_rate_bp(self) -> int:
        return max([self.rate_bp, *self.tier_rates_bp.values()])


class ReferralBonus(_Rule):
    """A fixed `amount` once per invitee, to her inviter, on her first purchase that is not
    fully refunded (`first_purchase`) or when she becomes a paid member (`paid`)."""

    kind: Literal["referral_bonus"]
    amount: BonusAmount
    trigger: Literal["first_purchase", "paid"] = "first_purchase"


class SelfRebate(_RatedRule):
    """The buyer, on every order she buys (her member discount)."""

    kind: Literal["self_rebate"]


class SalesCommission(_RatedRule):
    """The sharer, on a shared order whose buyer is someone else."""

    kind: Literal["sales_commission"]


class Distribution(_Rule):
    """`level_rates_bp[i]` to the member i+1 hops up the invitation chain from the source;
    `tier_rates_bp` replaces a level's rate for a beneficiary holding that tier."""

    kind: Literal["distribution"]
    level_rates_bp: list[Bp] = Field(max_length=HARD_MAX_LEVELS + 5)
    tier_rates_bp: dict[TierName, Bp] = Field(default_factory=dict)

    def rate_for(self, level: int, tier: str) -> int:
        return self.tier_rates_bp.get(tier, self.level_rates_bp[level])

    @property
    def highest_total_bp(self) -> int:
        top = max(self.tier_rates_bp.values(), default=0)
        return sum(max(rate, top) for rate in self.level_rates_bp)


class TrainingAllowance(_RatedRule):
    """A member, on orders whose source is one of her direct invitees, while she holds `tier`
    (or a tier above it) at the order's time."""

    kind: Literal["training_allowance"]
    tier: TierName


Rule = Annotated[
    ReferralBonus | SelfRebate | SalesCommission | Distribution | TrainingAllowance,
    Field(discriminator="kind"),
]
RuleKind = Literal[
    "referral_bonus", "self_rebate", "sales_commission", "distribution", "training_allowance"
]


BonusOnPartialRefund = Literal["prorate", "keep", "reverse"]


class PayoutRules(BaseModel):
    """Whom a payout batch pays besides active members: `pay` or `skip` (she is listed as
    skipped with the reason, and her balance waits)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    inactive: Literal["pay", "skip"] = "pay"
    terminated: Literal["pay", "skip"] = "skip"
    # An erased member left no name to pay to.
    erased: Literal["pay", "skip"] = "skip"


class Plan(BaseModel):
    """A commission plan version: in force from `effective_from` until the next version's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: PlanVersion
    effective_from: EpochMs
    currency: Currency
    max_levels: int = Field(strict=True, ge=0)
    # Strict, like every number here: a 0 or "false" is a client bug, not a flag.
    promoter_counts_as_level: bool = Field(default=False, strict=True)
    # Rewards that would reach a member who is not active at the event: `skip` (nobody is
    # paid that hop) or `compress` (upline rewards go to the next active member up, within
    # the same level cap; a member's own rewards are skipped either way).
    inactive_members: Literal["skip", "compress"] = "skip"
    # What a partial refund does to the order's referral bonus (a flat amount): `prorate`
    # (its share of the refund, as every rate-based entry), `keep` (nothing until the order
    # is refunded in full) or `reverse` (all of it at the first refund).
    bonus_on_partial_refund: BonusOnPartialRefund = "prorate"
    # Whom a payout batch under this version (in force at its as_of) pays.
    payouts: PayoutRules = PayoutRules()
    rate_ceiling_bp: Annotated[int, Field(strict=True, ge=0), _BASIS_POINTS]
    rules: list[Rule] = Field(max_length=20)
    # The points ledger (app/domain/points.py); None: orders earn no points, and grants and
    # redemptions are refused.
    points: PointsRules | None = None

    def rule_of(self, kind: RuleKind) -> tuple[int, Rule] | None:
        return next(((i, rule) for i, rule in enumerate(self.rules) if rule.kind == kind), None)

    @property
    def pays_on_paid_mark(self) -> bool:
        """A referral bonus triggered by an invitee becoming a paid member."""
        found = self.rule_of("referral_bonus")
        return found is not None and getattr(found[1], "trigger", None) == "paid"

    def document_json(self) -> str:
        """The document as it was written: defaults the author left out stay out."""
        return self.model_dump_json(exclude_unset=True)


class Violation(BaseModel):
    """A guardrail a plan breaks: which rule (index in `rules`, None for the plan), which
    limit, the plan's value and the limit's (None for a limit that is no number: a tier
    must be on the ladder), and a sentence saying all of it."""

    rule: int | None
    limit: str
    # None, not 0 and 0: `refgraph plan check` printed those as "(limit tier = 0)".
    value: int | None
    allowed: int | None
    message: str


def max_rate_per_order_bp(plan: Plan) -> int:
    """Every rate that can apply to one order, each at its highest tier rate."""
    total = 0
    for rule in plan.rules:
        if isinstance(rule, SelfRebate | SalesCommission | TrainingAllowance):
            total += rule.highest_rate_bp
        elif isinstance(rule, Distribution):
            total += rule.highest_total_bp
    return total


def plan_violations(plan: Plan, ladder: TierLadder) -> list[Violation]:
    found: list[Violation] = []
    if plan.max_levels > HARD_MAX_LEVELS:
        found.append(
            Violation(
                rule=None,
                limit="max_levels",
                value=plan.max_levels,
                allowed=HARD_MAX_LEVELS,
                message=f"max_levels {plan.max_levels} is above the hard limit of "
                f"{HARD_MAX_LEVELS} levels",
            )
        )
    kinds = [rule.kind for rule in plan.rules]
    for index, rule in enumerate(plan.rules):
        if kinds.index(rule.kind) != index:
            found.append(
                Violation(
                    rule=index,
                    limit="one_rule_per_kind",
                    value=kinds.count(rule.kind),
                    allowed=1,
                    message=f"rule {index} repeats kind {rule.kind}; a plan has one rule per kind",
                )
            )
        found.extend(_tier_name_violations(index, rule, ladder))
    levels_allowed = min(plan.max_levels, HARD_MAX_LEVELS)
    promoter = plan.rule_of("sales_commission")
    if plan.promoter_counts_as_level and promoter is not None:
        levels_allowed -= 1
    distribution = plan.rule_of("distribution")
    if distribution is not None:
        index, rule = distribution
        assert isinstance(rule, Distribution)
        if len(rule.level_rates_bp) > max(levels_allowed, 0):
            counted = (
                " (the sharer's sales commission counts as a level)"
                if (plan.promoter_counts_as_level and promoter is not None)
                else ""
            )
            found.append(
                Violation(
                    rule=index,
                    limit="max_levels",
                    value=len(rule.level_rates_bp),
                    allowed=max(levels_allowed, 0),
                    message=f"distribution pays {len(rule.level_rates_bp)} levels; at most "
                    f"{max(levels_allowed, 0)} are allowed{counted}",
                )
            )
    if plan.rate_ceiling_bp > FULL_RATE_BP:
        found.append(
            Violation(
                rule=None,
                limit="rate_ceiling_bp",
                value=plan.rate_ceiling_bp,
                allowed=FULL_RATE_BP,
                message=f"rate_ceiling_bp {plan.rate_ceiling_bp} is above {FULL_RATE_BP} "
                "(100% of the order)",
            )
        )
    total = max_rate_per_order_bp(plan)
    ceiling = min(plan.rate_ceiling_bp, FULL_RATE_BP)
    if total > ceiling:
        found.append(
            Violation(
                rule=None,
                limit="rate_ceiling_bp",
                value=total,
                allowed=ceiling,
                message=f"the rates that can apply to one order add up to {total} bp, above "
                f"the ceiling of {ceiling} bp",
            )
        )
    return found


def _tier_name_violations(index: int, rule: Rule, ladder: TierLadder) -> list[Violation]:
    known = [step.tier for step in ladder.steps]
    names = list(getattr(rule, "tier_rates_bp", {}))
    if isinstance(rule, TrainingAllowance):
        names.append(rule.tier)
    return [
        Violation(
            rule=index,
            limit="tier",
            value=None,
            allowed=None,
            message=f"rule {index} names tier {name!r}, which is not on the ladder "
            f"({', '.join(known)})",
        )
        for name in names
        if name not in known
    ]


# --- lint ---------------------------------------------------------------------------------

ART_7 = "禁止传销条例 Art. 7"
Linkage = Literal["recruitment-linked", "sales-linked"]


class Finding(BaseModel):
    """A pattern a regulator would look at: the rule, its pattern and why."""

    rule: int
    kind: str
    pattern: str
    article: str
    reason: str


class RuleLint(BaseModel):
    rule: int
    kind: str
    linkage: Linkage
    why: str


class PlanLint(BaseModel):
    rules: list[RuleLint]
    findings: list[Finding]


def rule_linkage(rule: Rule) -> tuple[Linkage, str]:
    """Recruitment-linked: the money follows who was brought in (a join, an invite count);
    sales-linked: it follows a sale to a customer."""
    if isinstance(rule, ReferralBonus):
        return "recruitment-linked", "paid for bringing in an invitee"
    if isinstance(rule, TrainingAllowance):
        why = f"paid only to holders of {rule.tier}, a tier earned by invites"
        return "recruitment-linked", why
    if getattr(rule, "tier_rates_bp", None):
        return "recruitment-linked", "its rate depends on a tier earned by invites"
    if isinstance(rule, Distribution):
        return "sales-linked", "a share of sales made below the beneficiary"
    return "sales-linked", "a share of a sale the beneficiary made or bought"


def lint_plan(plan: Plan) -> PlanLint:
    rules: list[RuleLint] = []
    findings: list[Finding] = []
    for index, rule in enumerate(plan.rules):
        linkage, why = rule_linkage(rule)
        rules.append(RuleLint(rule=index, kind=rule.kind, linkage=linkage, why=why))
        if isinstance(rule, ReferralBonus) and rule.trigger == "paid":
            findings.append(
                Finding(
                    rule=index,
                    kind=rule.kind,
                    pattern="入门费/拉人头 (entry fee / head-count)",
                    article=ART_7,
                    reason="the bonus is paid when an invitee pays to join: money for "
                    "recruiting, funded by an entry fee",
                )
            )
        if getattr(rule, "tier_rates_bp", None):
            findings.append(
                Finding(
                    rule=index,
                    kind=rule.kind,
                    pattern="拉人头 (pay by head-count)",
                    article=ART_7,
                    reason="its rate depends on the beneficiary's tier, and tiers are earned "
                    "by the number of paid invites",
                )
            )
        if isinstance(rule, TrainingAllowance):
            findings.append(
                Finding(
                    rule=index,
                    kind=rule.kind,
                    pattern="团队计酬 (upline pay from downline sales)",
                    article=ART_7,
                    reason="pays an upline from her invitees' sales, gated on an invite-count "
                    "tier; '培育奖' (training bonus) is on the police list of pyramid bonus "
                    "names",
                )
            )
        if isinstance(rule, Distribution) and len(rule.level_rates_bp) > 1:
            upper = len(rule.level_rates_bp)
            levels = "level 2" if upper == 2 else f"levels 2..{upper}"
            findings.append(
                Finding(
                    rule=index,
                    kind=rule.kind,
                    pattern="团队计酬 (upline pay from downline sales)",
                    article=ART_7,
                    reason=f"{levels} pay{'s' if upper == 2 else ''} members beyond the "
                    "source's own inviter from sales made below them",
                )
            )
    return PlanLint(rules=rules, findings=findings)
