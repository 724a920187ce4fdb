"""The compliance report auditors file: how deep and how concentrated the network is, proof
that no payout reached past the hard level cap, how much was paid for recruiting rather than
for sales, and which payouts went to a buyer on her own order. Built from maintained counters
and ledger aggregates: two passes over the members and one over the entries (and one more to
list ids only when there are some to list), no traversal."""

from __future__ import annotations

from itertools import groupby

from pydantic import BaseModel, Field

from app.core.errors import InvalidInput
from app.domain.ledger import TimeWindow
from app.domain.members import TRACKED_LEVELS
from app.domain.plans import HARD_MAX_LEVELS, Linkage, Plan, rule_linkage
from app.domain.units import iso_moment
from app.store.port import GraphStore, LedgerSummaryRow, SubtreeRow

# Depth from which a chain looks like a pyramid's (commission past 3 levels is the line the
# Chinese rules on 传销 draw).
DEEP_FROM = 3
LARGE_SUBTREE_MEMBERS = 30
LARGE_SUBTREE_LEVELS = 3
LARGEST_SUBTREES_SHOWN = 20
ENTRY_IDS_SHOWN = 50


class DepthCount(BaseModel):
    depth: int = Field(
        description="Invitation edges between these members and the root of their tree "
        "(0: members nobody invited)"
    )
    members: int = Field(description="Members at this depth")


class LongestChain(BaseModel):
    depth: int = Field(
        description="The greatest depth in the network: invitation edges from the deepest "
        "member up to her root"
    )
    member_id: str = Field(description="A member at that depth (the smallest id among them)")


class Subtree(BaseModel):
    member_id: str = Field(description="The member heading the subtree")
    members: int = Field(description="Members in her subtree: her and her whole downline")
    levels: int = Field(
        description=f"Levels of the subtree counting her: 1 + the levels below her that have "
        f"members. Only {TRACKED_LEVELS} levels below a member are tracked, so past them this "
        "is a lower bound (see `levels_lower_bound`)"
    )
    levels_lower_bound: bool = Field(
        description=f"True when all {TRACKED_LEVELS} tracked levels below her have members: "
        "the subtree may be deeper than `levels`"
    )


class LargeSubtrees(BaseModel):
    min_members: int = Field(description="Members a subtree needs to count (her included)")
    min_levels: int = Field(description="Levels a subtree needs to count (her level included)")
    count: int = Field(description="Members heading a subtree that meets both thresholds")
    largest: list[Subtree] = Field(
        description=f"The {LARGEST_SUBTREES_SHOWN} largest of them, by members then id"
    )


class RulePayout(BaseModel):
    plan_version: str = Field(description="The plan version the entries were granted under")
    rule: int = Field(description="The rule's index in that version's `rules`")
    kind: str | None = Field(description="The rule's kind; null when the rule is not found")
    linkage: Linkage | None = Field(
        description="How the rule is classified (app.domain.plans.rule_linkage); null when "
        "the plan version or rule is not found"
    )
    reason: str | None = Field(description="Why the rule has that linkage")
    amount: int = Field(description="Net amount paid under the rule (minor units)")
    entries: int = Field(description="Entries under the rule, reversals included")


class CurrencyPayouts(BaseModel):
    """Every ledger entry in one currency, netted (reversals of refunds included), split two
    ways: by what the rule pays for, and by who the sale came from. All integer minor
    units."""

    currency: str = Field(description="ISO 4217 code of the amounts below")
    total: int = Field(description="Net amount of every entry in this currency")
    entries: int = Field(description="Entries in this currency, reversals included")
    recruitment_linked: int = Field(
        description="Paid under recruitment-linked rules: the money follows who was brought "
        "in (referral bonuses, allowances or rates gated on a tier earned by invites)"
    )
    sales_linked: int = Field(
        description="Paid under sales-linked rules: the money follows a sale to a customer"
    )
    unclassified: int = Field(
        description="Paid under a plan version or rule the store no longer holds (0 in a "
        "sound ledger)"
    )
    own_consumption: int = Field(
        description="Paid on orders whose source is the buyer herself (source_id = buyer_id: "
        "she bought unshared, or through her own share link)"
    )
    outside_customers: int = Field(
        description="Paid on orders a member shared and someone else bought (source_id <> buyer_id)"
    )
    by_rule: list[RulePayout] = Field(description="The same amounts per plan version and rule")


class SelfDealing(BaseModel):
    count: int = Field(
        description="Entries paying a member on her own order outside the self-rebate rule "
        "(beneficiary_id = buyer_id and kind <> self_rebate); reversals are not payouts and "
        "are not counted"
    )
    entry_ids: list[str] = Field(
        description=f"The first {ENTRY_IDS_SHOWN} of them by the window's time, then id"
    )
    net_amounts: dict[str, int] = Field(
        description="Their net amount per currency, after reversals (minor units)"
    )


class ComplianceReport(BaseModel):
    generated_at: int = Field(description="When the report was computed (epoch ms)")
    window: TimeWindow = Field(
        description="The ledger entries counted: `by` time (event_at, or created_at) in "
        "[from, to); the network parts describe the network now"
    )
    members: int = Field(description="Members in the network")
    depth_histogram: list[DepthCount] = Field(
        description="Members per depth, shallowest first; depths without members are left out"
    )
    members_depth_3_or_more: int = Field(description=f"Members at depth {DEEP_FROM} or more")
    share_depth_3_or_more: float = Field(
        description=f"Fraction (0..1) of members at depth {DEEP_FROM} or more; 0 without members"
    )
    longest_chain: LongestChain | None = Field(
        description="The deepest member and her depth; null without members"
    )
    large_subtrees: LargeSubtrees = Field(
        description=f"Members whose subtree has at least {LARGE_SUBTREE_MEMBERS} members and "
        f"{LARGE_SUBTREE_LEVELS} levels counting her"
    )
    deepest_entry_hop: int | None = Field(
        description="The most invitation edges any ledger entry's path crossed from the member "
        "the rule paid for to the beneficiary (size(path) - 1); null without entries"
    )
    hard_max_levels: int = Field(
        description="The hard cap on distribution levels, in code whatever a plan says"
    )
    within_cap: bool = Field(
        description="No entry's path crossed more than `hard_max_levels` invitation edges"
    )
    entries_beyond_cap: list[str] = Field(
        description=f"The first {ENTRY_IDS_SHOWN} entries past the cap by the window's time, "
        "then id "
        "(empty when `within_cap`)"
    )
    payouts: list[CurrencyPayouts] = Field(description="The ledger per currency, by code")
    self_dealing: SelfDealing = Field(
        description="Payouts to a buyer on her own order other than her self-rebate: a sharer's "
        "inviter buying through her link is paid distribution (or an allowance) on her purchase"
    )


def compliance_report(
    *, store: GraphStore, now: int, window: TimeWindow | None = None
) -> ComplianceReport:
    """`window`: the entries the ledger parts count (payouts, the deepest hop, self-dealing),
    by event time unless it says otherwise; None: the whole ledger. The network parts are
    the network now."""
    window = window if window is not None else TimeWindow()
    if window.to <= window.from_:
        raise InvalidInput(
            f"to ({iso_moment(window.to)}) must be after from ({iso_moment(window.from_)})",
            field="to",
        )
    depths = [row for row in store.members_by_depth(LARGE_SUBTREE_MEMBERS, LARGE_SUBTREE_LEVELS)]
    members = sum(row.members for row in depths)
    deep = sum(row.members for row in depths if row.depth >= DEEP_FROM)
    deepest = max(depths, key=lambda row: row.depth, default=None)
    large = sum(row.large_subtrees for row in depths)
    largest = (
        [
            subtree(row)
            for row in store.largest_subtrees(
                LARGE_SUBTREE_MEMBERS, LARGE_SUBTREE_LEVELS, LARGEST_SUBTREES_SHOWN
            )
        ]
        if large
        else []
    )
    ledger = store.ledger_summary(window)
    deepest_hop = max((row.deepest_hop for row in ledger), default=None)
    within_cap = deepest_hop is None or deepest_hop <= HARD_MAX_LEVELS
    self_dealing = [row for row in ledger if row.self_dealing]
    self_dealt = sum(row.originals for row in self_dealing)
    return ComplianceReport(
        generated_at=now,
        window=window,
        members=members,
        depth_histogram=[DepthCount(depth=row.depth, members=row.members) for row in depths],
        members_depth_3_or_more=deep,
        share_depth_3_or_more=deep / members if members else 0.0,
        longest_chain=(
            LongestChain(depth=deepest.depth, member_id=deepest.example_id) if deepest else None
        ),
        large_subtrees=LargeSubtrees(
            min_members=LARGE_SUBTREE_MEMBERS,
            min_levels=LARGE_SUBTREE_LEVELS,
            count=large,
            largest=largest,
        ),
        deepest_entry_hop=deepest_hop,
        hard_max_levels=HARD_MAX_LEVELS,
        within_cap=within_cap,
        entries_beyond_cap=(
            []
            if within_cap
            else store.entry_ids_beyond_hop(window, HARD_MAX_LEVELS, ENTRY_IDS_SHOWN)
        ),
        payouts=payouts(ledger, {plan.version: plan for plan in store.plans()}),
        self_dealing=SelfDealing(
            count=self_dealt,
            entry_ids=store.self_dealing_entry_ids(window, ENTRY_IDS_SHOWN) if self_dealt else [],
            net_amounts=_by_currency(self_dealing),
        ),
    )


def subtree(row: SubtreeRow) -> Subtree:
    # A level below her has members only if every level above it has: the populated levels
    # are the first ones, so counting them gives her subtree's depth.
    populated = sum(1 for count in row.levels_total if count > 0)
    return Subtree(
        member_id=row.member_id,
        members=row.members,
        levels=1 + populated,
        levels_lower_bound=bool(row.levels_total) and row.levels_total[-1] > 0,
    )


def payouts(ledger: list[LedgerSummaryRow], plans: dict[str, Plan]) -> list[CurrencyPayouts]:
    return [
        _currency_payouts(currency, list(rows), plans)
        for currency, rows in groupby(sorted(ledger, key=_rule_key), key=lambda r: r.currency)
    ]


def _currency_payouts(
    currency: str, rows: list[LedgerSummaryRow], plans: dict[str, Plan]
) -> CurrencyPayouts:
    by_rule = _by_rule(rows, plans)
    linkage = {(r.plan_version, r.rule): r.linkage for r in by_rule}

    def linked(kind: Linkage | None) -> int:
        return sum(r.amount for r in rows if linkage[(r.plan_version, r.rule)] == kind)

    return CurrencyPayouts(
        currency=currency,
        total=sum(r.amount for r in rows),
        entries=sum(r.entries for r in rows),
        recruitment_linked=linked("recruitment-linked"),
        sales_linked=linked("sales-linked"),
        unclassified=linked(None),
        own_consumption=sum(r.amount for r in rows if r.own_consumption),
        outside_customers=sum(r.amount for r in rows if not r.own_consumption),
        by_rule=by_rule,
    )


def _rule_key(row: LedgerSummaryRow) -> tuple[str, str, int]:
    return (row.currency, row.plan_version, row.rule)


def _by_rule(rows: list[LedgerSummaryRow], plans: dict[str, Plan]) -> list[RulePayout]:
    """One currency's rows per plan version and rule, each rule classified by its own plan
    version (the same index can be another rule, or the same rule with tier rates, in the
    next version)."""
    found = []
    for (_, version, index), group in groupby(rows, key=_rule_key):
        same_rule = list(group)
        plan = plans.get(version)
        rule = plan.rules[index] if plan is not None and 0 <= index < len(plan.rules) else None
        linkage, reason = rule_linkage(rule) if rule is not None else (None, None)
        found.append(
            RulePayout(
                plan_version=version,
                rule=index,
                kind=rule.kind if rule is not None else None,
                linkage=linkage,
                reason=reason,
                amount=sum(r.amount for r in same_rule),
                entries=sum(r.entries for r in same_rule),
            )
        )
    return found


def _by_currency(rows: list[LedgerSummaryRow]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r.currency):
        totals[row.currency] = totals.get(row.currency, 0) + row.amount
    return totals
