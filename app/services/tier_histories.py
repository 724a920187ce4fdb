"""A member's tier history once it can step down: after a sponsor move or an undone paid
mark it is no longer rising only, so it is derived again from her invitees' paid spans and
corrected by appending floors (app/domain/tiers.py). The same derivation every time, so a
retry or a second caller writes nothing more."""

from __future__ import annotations

from collections.abc import Sequence

from app.core.errors import Conflict
from app.domain.tiers import TierLadder, history_corrections, tier_steps
from app.store.port import GraphStore

SETTLE_ATTEMPTS = 20


def settle_sponsors(*, store: GraphStore, ladder: TierLadder, member_ids: Sequence[str]) -> None:
    """Settles the history of each sponsor they have had whose history is derived (a paid
    mark counts for whichever sponsor's edge held at its time)."""
    for sponsor in store.derived_sponsors(member_ids):
        settle_tier_history(store=store, ladder=ladder, member_id=sponsor)


def settle_tier_history(*, store: GraphStore, ladder: TierLadder, member_id: str) -> int:
    """Makes her recorded history tell what her invitees' paid spans say; returns how many
    changes it appended (0: it did already). Written only over the version it read, and
    read again when a paid mark or another move landed meanwhile."""
    for _ in range(SETTLE_ATTEMPTS):
        inputs = store.tier_inputs(member_id)
        if inputs is None:
            return 0
        steps = tier_steps(inputs.spans, ladder)
        corrections = history_corrections(steps, inputs.changes, ladder)
        if not corrections:
            return 0
        since = steps[-1][0] if steps else inputs.joined_at
        if store.put_tier_history(member_id, inputs.seq, corrections, since):
            return len(corrections)
    raise Conflict(f"the tier history of member {member_id} kept changing; retry")
