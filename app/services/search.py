"""Member search: filters checked against the plan's ladder, a page from the store, and the
cursor of the next."""

from __future__ import annotations

from app.core.errors import InvalidInput
from app.domain.lifecycle import status_at
from app.domain.members import MemberRecord, downline_counts_from_levels
from app.domain.search import MemberHit, MemberPage, MemberSearch, sort_value
from app.domain.tiers import TierLadder, tier_reached
from app.services.cursors import decode_position, encode_position
from app.store.port import GraphStore

# What a search as of a past moment can filter and sort by: the index and the join times.
# Tier, paid and inviter filters and the counter sorts read today's counters, not the past.
AS_OF_UNFILTERED = ("tier", "paid", "inviter_id")
AS_OF_SORTS = ("id", "joined_at", "-joined_at")


def search_members(
    *,
    store: GraphStore,
    ladder: TierLadder,
    search: MemberSearch,
    cursor: str | None,
    limit: int,
    as_of: int | None = None,
) -> MemberPage:
    """A page of members found; at `as_of`, members who had joined by then, each as she
    stood then (tier, paid mark, inviter, status and counts, from the history)."""
    if as_of is not None:
        for name in AS_OF_UNFILTERED:
            if getattr(search, name) is not None:
                raise InvalidInput(
                    f"{name} cannot be combined with as_of (it filters by today's state)",
                    field=name,
                )
        if search.sort not in AS_OF_SORTS:
            raise InvalidInput(f"with as_of, sort is one of {', '.join(AS_OF_SORTS)}", field="sort")
        joined_to = as_of + 1 if search.joined_to is None else min(search.joined_to, as_of + 1)
        search = search.model_copy(update={"joined_to": joined_to})
    tiers = [step.tier for step in ladder.steps]
    if search.tier is not None and search.tier not in tiers:
        raise InvalidInput(f"tier {search.tier!r} is not one of {', '.join(tiers)}", field="tier")
    if (
        search.joined_from is not None
        and search.joined_to is not None
        and search.joined_from >= search.joined_to
    ):
        raise InvalidInput("joined_from must be before joined_to", field="joined_from")
    after = decode_position(cursor) if cursor is not None else None
    # One more than asked says whether another page exists without a count.
    records = store.search_members(search, after, limit + 1)
    items = [MemberHit.from_record(record) for record in records[:limit]]
    if as_of is not None:
        items = hits_as_of(store, ladder, records[:limit], as_of)
    last = items[-1] if len(records) > limit else None
    return MemberPage(
        items=items,
        next_cursor=encode_position(sort_value(last, search.sort), last.id) if last else None,
    )


def hits_as_of(
    store: GraphStore, ladder: TierLadder, records: list[MemberRecord], as_of: int
) -> list[MemberHit]:
    """Each member as she stood at `as_of`: her tier from her recorded history, her paid
    mark holding then, her inviter then (a sponsor move since is undone), her status then,
    and her counts from a walk of her downline then (one walk per hit: a search of the past
    costs what the hits' downlines weigh)."""
    histories = store.tier_histories([(record.id, as_of) for record in records])
    hits = []
    for record in records:
        history = histories.get((record.id, as_of))
        counts = downline_counts_from_levels(
            record.id, store.downline_levels_at(record.id, as_of), max_depth=1
        )
        upline = store.upline_at(record.id, 1, as_of)
        inviter = upline[0] if upline else None
        current = MemberHit.from_record(record)
        hits.append(
            current.model_copy(
                update={
                    "inviter_id": inviter,
                    "paid_at": record.paid_mark_at(as_of),
                    "tier": tier_reached(history.changes if history else [], ladder),
                    "status": status_at(record.status_times, record.statuses, as_of),
                    "direct_total": counts.direct_total,
                    "downline_total": counts.downline_total,
                    "paid_direct_invites": counts.direct_paid,
                }
            )
        )
    return hits
