"""Points entries on the port (app/store/port.py), written once over named queries. The
earn and take-back entries ride in the order's and the refund's own statements
(order_queries.py); grants and redemptions are written here."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.points import PointsEntry
from app.store.port import MemberPoints

Record = dict[str, Any]


def points_params(entry: PointsEntry) -> Record:
    return entry.model_dump()


class PointsQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def points_of_member(self, member_id: str) -> MemberPoints | None:
        rows = self._read("points_of_member", {"member_id": member_id})
        if not rows:
            return None
        entries = [PointsEntry(**entry) for entry in rows[0]["entries"]]
        return MemberPoints(int(rows[0]["seq"]), int(rows[0]["joined_at"]), entries)

    def record_points_grant(self, entry: PointsEntry) -> tuple[PointsEntry, bool] | None:
        params = {"member_id": entry.member_id, "entry": points_params(entry)}
        rows = self._write("points_grant", params)
        return (PointsEntry(**rows[0]["entry"]), bool(rows[0]["created"])) if rows else None

    def record_redemption(self, entry: PointsEntry, *, expected_seq: int) -> bool:
        params = {
            "member_id": entry.member_id,
            "entry": points_params(entry),
            "expected_seq": expected_seq,
        }
        return bool(self._write("points_redeem", params))

    def points_history(
        self, member_id: str, after: tuple[int, str], limit: int
    ) -> list[PointsEntry]:
        params = {
            "member_id": member_id,
            "after_at": after[0],
            "after_id": after[1],
            "limit": limit,
        }
        return [PointsEntry(**row["entry"]) for row in self._read("points_history", params)]

    def points_expiring_members(self, now: int, until: int) -> list[str]:
        rows = self._read("points_expiring_members", {"now": now, "until": until})
        return [row["member_id"] for row in rows]

    def all_points_entries(self) -> list[PointsEntry]:
        return [PointsEntry(**row["entry"]) for row in self._read("all_points_entries", {})]
