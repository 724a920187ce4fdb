"""The referral bonus of a plan whose trigger is `paid`: granted when an invitee becomes a
paid member. A paid mark and its bonus are two statements (the mark is group-committed
with others), so the grant is idempotent and `refgraph verify` re-runs it for every paid
member whose bonus is missing."""

from __future__ import annotations

from app.domain.ledger import LedgerEntry, paid_bonus_entry, plan_in_force
from app.domain.plans import Plan
from app.domain.tiers import TierLadder, latest_tier
from app.store.port import GraphStore

BATCH = 1000


def grant_paid_bonus(
    *, store: GraphStore, ladder: TierLadder, member_id: str, now: int
) -> LedgerEntry | None:
    """Writes the bonus her becoming paid earns her inviter, if a plan grants one and it is
    not written yet; returns the entry the plan grants (written now or before)."""
    plans = store.plans()
    if not any(plan.pays_on_paid_mark for plan in plans):
        return None
    member = next(iter(store.get_members([member_id])), None)
    if member is None or member.paid_at is None or member.inviter_id is None:
        return None
    mark = (member.id, member.inviter_id, member.paid_at)
    for entry in bonuses_for(store, ladder, plans, [mark], now):
        store.record_paid_bonus(entry)
        return entry
    return None


def expected_paid_bonuses(
    *, store: GraphStore, ladder: TierLadder, plans: list[Plan], now: int
) -> list[LedgerEntry]:
    """Every bonus the plans grant for paid marks in the graph (what audit expects)."""
    starts = [plan.effective_from for plan in plans if plan.pays_on_paid_mark]
    if not starts:
        return []
    paid = store.paid_members(min(starts))
    found: list[LedgerEntry] = []
    for start in range(0, len(paid), BATCH):
        found += bonuses_for(store, ladder, plans, paid[start : start + BATCH], now)
    return found


def bonuses_for(
    store: GraphStore,
    ladder: TierLadder,
    plans: list[Plan],
    paid: list[tuple[str, str, int]],
    now: int,
) -> list[LedgerEntry]:
    """The bonuses for (member, inviter, paid_at) marks, each under the plan in force at
    its paid_at, with the inviter's tier then."""
    histories = store.tier_histories([(inviter, paid_at) for _, inviter, paid_at in paid])
    found = []
    for member, inviter, paid_at in paid:
        plan = plan_in_force(plans, paid_at)
        if plan is None:
            continue
        tier = latest_tier(histories.get((inviter, paid_at), []), ladder.base_tier)
        entry = paid_bonus_entry(
            invitee_id=member,
            inviter_id=inviter,
            paid_at=paid_at,
            plan=plan,
            inviter_tier=tier,
            now=now,
        )
        if entry is not None:
            found.append(entry)
    return found


def repair_paid_bonuses(*, store: GraphStore, ladder: TierLadder, now: int) -> int:
    """Writes every missing paid-trigger bonus; returns how many were written."""
    written = {entry.id for entry in store.paid_bonus_entries()}
    missing = [
        entry
        for entry in expected_paid_bonuses(store=store, ladder=ladder, plans=store.plans(), now=now)
        if entry.id not in written
    ]
    return sum(store.record_paid_bonus(entry) for entry in missing)
