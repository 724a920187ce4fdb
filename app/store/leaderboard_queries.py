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

    # Money is summed as a high part and a low remainder of this size: FalkorDB's sum() adds
    # in a double, exact only below 2^53 (as AnalyticsQueries._NET_SPLIT).
    _MONEY_SPLIT = 1 << 26

    def leaderboard(
        self,
        board: Board,
        window: tuple[int, int],
        circle: str | None,
        limit: int,
        *,
        top_tier: str,
        all_time: bool,
        currency: str | None = None,
    ) -> list[BoardRow]:
        """The board's best `limit` members over [from, to), in rank order. `all_time`: the
        downline board reads counters rather than walking every member's chain. `currency`:
        the money board's (sharers)."""
        params: Record = {"from": window[0], "to": window[1], "circle": circle, "limit": limit}
        if board == "downline_growth":
            name = "leaderboard_downline_total" if all_time else "leaderboard_downline_growth"
        elif board == "new_phoenixes":
            name, params["top"] = "leaderboard_new_top_tier", top_tier
        elif board == "sharers":
            name = "leaderboard_sharers"
            params |= {"currency": currency, "split": self._MONEY_SPLIT}
        else:
            name = f"leaderboard_{board}"
        return [BoardRow(**row) for row in self._read(name, params)]

    def leaderboard_currencies(
        self, board: Board, window: tuple[int, int], circle: str | None
    ) -> list[str]:
        """The currencies of the sales a money board would add over [from, to), in `circle`
        when one is given; none for a board that counts."""
        if board != "sharers":
            return []
        params = {"from": window[0], "to": window[1], "circle": circle}
        rows = self._read("leaderboard_sharers_currencies", params)
        return sorted(row["currency"] for row in rows)
