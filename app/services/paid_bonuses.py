"""The referral bonus of a plan whose trigger is `paid`: granted when an invitee becomes a
paid member. A paid mark and its bonus are two statements (the mark is group-committed
with others), so the grant is idempotent, and the service at every start and `refgraph
verify` re-run it for every paid member whose bonus is missing (app/services/repairs.py)."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.ledger import (
    LedgerEntry,
    paid_bonus_entry,
    paid_bonus_id,
    paid_bonus_reversal,
    plan_in_force,
)
from app.domain.lifecycle import status_at
from app.domain.plans import Plan
from app.domain.tiers import TierLadder, known_changes, tier_reached
from app.store.port import GraphStore, PaidMark

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
    if member.paid_since:
        return None  # once per invitee, for her first mark: that one was undone
    # Her sponsor when she became paid: a sponsor move since does not move the bonus.
    inviter = (store.upline_at(member.id, 1, member.paid_at) or [member.inviter_id])[0]
    mark = PaidMark(member.id, inviter, member.paid_at)
    for entry in bonuses_for(store, ladder, plans, [mark], now):
        store.record_paid_bonus(entry)
        return entry
    return None


def expected_paid_bonuses(
    *,
    store: GraphStore,
    ladder: TierLadder,
    plans: list[Plan],
    now: int,
    known: dict[str, int | None] | None = None,
) -> list[LedgerEntry]:
    """Every bonus the plans grant for paid marks in the graph (what audit expects).
    `known`: entry id → the version of the inviter's tier history it was priced with (the
    audit replays that, not a later correction)."""
    starts = [plan.effective_from for plan in plans if plan.pays_on_paid_mark]
    if not starts:
        return []
    paid = store.paid_members(min(starts))
    found: list[LedgerEntry] = []
    for start in range(0, len(paid), BATCH):
        found += bonuses_for(store, ladder, plans, paid[start : start + BATCH], now, known)
    return found


def bonuses_for(
    store: GraphStore,
    ladder: TierLadder,
    plans: list[Plan],
    paid: Sequence[PaidMark],
    now: int,
    known: dict[str, int | None] | None = None,
) -> list[LedgerEntry]:
    """The bonuses for (member, inviter, paid_at) marks, each under the plan in force at
    its paid_at, with the inviter's tier then (as her history stood at the version `known`
    gives the bonus, else as it stands). None for an inviter not active at paid_at: the
    bonus is her own reward, skipped whatever the plan's `inactive_members`."""
    histories = store.tier_histories([(mark.inviter_id, mark.paid_at) for mark in paid])
    inviters = {
        record.id: record for record in store.get_members(sorted({m.inviter_id for m in paid}))
    }
    found = []
    for member, inviter, paid_at, undone_at in paid:
        plan = plan_in_force(plans, paid_at)
        if plan is None:
            continue
        record = inviters.get(inviter)
        if record is not None and (
            status_at(record.status_times, record.statuses, paid_at) != "active"
        ):
            continue
        seq, changes = histories.get((inviter, paid_at), (0, []))
        if known is not None and paid_bonus_id(member) in known:
            seq_known = known[paid_bonus_id(member)]
            changes = known_changes(changes, seq_known)
            seq = seq_known if seq_known is not None else seq
        entry = paid_bonus_entry(
            invitee_id=member,
            inviter_id=inviter,
            paid_at=paid_at,
            plan=plan,
            inviter_tier=tier_reached(changes, ladder),
            inviter_tier_seq=seq,
            now=now,
        )
        if entry is not None:
            found.append(entry)
            if undone_at is not None:
                found.append(paid_bonus_reversal(entry, undone_at, now))
    return found


def reverse_paid_bonus(*, store: GraphStore, member_id: str, now: int) -> LedgerEntry | None:
    """Writes the reversal of the bonus her first paid mark earned, once that mark is
    undone (nothing when it earned none or is reversed already); returns the reversal."""
    member = next(iter(store.get_members([member_id])), None)
    original = store.ledger_entry(paid_bonus_id(member_id))
    if member is None or not member.paid_until or original is None:
        return None
    reversal = paid_bonus_reversal(original, member.paid_until[0], now)
    store.record_bonus_reversal(reversal, now)
    return reversal


def repair_paid_bonuses(*, store: GraphStore, ladder: TierLadder, now: int) -> int:
    """Writes every missing paid-trigger bonus; returns how many were written. The engine
    finds the paid marks without a bonus entry, so with nothing missing this reads no
    entry (and nothing at all without a plan that pays on a paid mark): the service runs
    it at every start."""
    plans = store.plans()
    starts = [plan.effective_from for plan in plans if plan.pays_on_paid_mark]
    if not starts:
        return 0
    # Ids are per invitee (paid_bonus_id): the prefix is what the engine looks for.
    unpaid = store.paid_marks_without_bonus(min(starts), paid_bonus_id(""))
    written = 0
    for start in range(0, len(unpaid), BATCH):
        for entry in bonuses_for(store, ladder, plans, unpaid[start : start + BATCH], now):
            written += store.record_paid_bonus(entry)
    return written
