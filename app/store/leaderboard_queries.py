"""Leaderboards on the port (app/store/port.py), written once over named queries: which
query answers which board."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.leaderboards import Board
from app.store.port import BoardRow

Record = dict[str, Any]


class LeaderboardQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    def leaderboard(
        self,
        board: Board,
        window: tuple[int, int],
        circle: str | None,
        limit: int,
        *,
        top_tier: str,
        all_time: bool,
    ) -> list[BoardRow]:
        """The board's best `limit` members over [from, to), in rank order. `all_time`: the
        downline board reads counters rather than walking every member's chain."""
        params: Record = {"from": window[0], "to": window[1], "circle": circle, "limit": limit}
        if board == "downline_growth":
            name = "leaderboard_downline_total" if all_time else "leaderboard_downline_growth"
        elif board == "new_phoenixes":
            name, params["top"] = "leaderboard_new_top_tier", top_tier
        else:
            name = f"leaderboard_{board}"
        return [BoardRow(**row) for row in self._read(name, params)]
