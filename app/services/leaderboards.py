"""Leaderboards: a board over a calendar period (and a circle), ranked."""

from __future__ import annotations

from app.core.errors import NotFound
from app.domain.leaderboards import (
    Board,
    BoardItem,
    BoardPeriod,
    Leaderboard,
    Period,
    period_window,
    ranked,
)
from app.domain.text import servable_text
from app.domain.tiers import TierLadder
from app.store.port import GraphStore


def leaderboard(
    *,
    store: GraphStore,
    ladder: TierLadder,
    board: Board,
    period: Period,
    at: int,
    circle: str | None,
    limit: int,
) -> Leaderboard:
    if circle is not None and not store.groups_by_id([circle]):
        raise NotFound(f"circle {circle} does not exist", circle=circle)
    window = period_window(period, at)
    rows = store.leaderboard(
        board,
        window,
        circle,
        limit,
        top_tier=ladder.steps[-1].tier,
        all_time=period == "all",
    )
    found = {row.member_id: row for row in rows}
    items = []
    for rank, member_id, value, achieved in ranked(
        [(row.member_id, row.value, row.achieved) for row in rows]
    ):
        name = found[member_id].name
        items.append(
            BoardItem(
                rank=rank,
                member_id=member_id,
                name=None if name is None else servable_text(name),
                tier=found[member_id].tier,
                value=value,
                achieved_at=achieved,
            )
        )
    return Leaderboard(
        board=board,
        period=BoardPeriod(kind=period, from_=window[0], to=window[1]),
        circle=circle,
        items=items,
    )
