"""Member search: filters checked against the plan's ladder, a page from the store, and the
cursor of the next."""

from __future__ import annotations

from app.core.errors import InvalidInput
from app.domain.search import MemberHit, MemberPage, MemberSearch, sort_value
from app.domain.tiers import TierLadder
from app.services.cursors import decode_position, encode_position
from app.store.port import GraphStore


def search_members(
    *,
    store: GraphStore,
    ladder: TierLadder,
    search: MemberSearch,
    cursor: str | None,
    limit: int,
) -> MemberPage:
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
    last = items[-1] if len(records) > limit else None
    return MemberPage(
        items=items,
        next_cursor=encode_position(sort_value(last, search.sort), last.id) if last else None,
    )
