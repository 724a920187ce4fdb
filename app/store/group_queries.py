"""Circles (groups) on the port (app/store/port.py), written once over named queries."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from app.domain.groups import Group, GroupCreate
from app.store.port import GroupPut, GroupTotalMismatch

Record = dict[str, Any]


class GroupQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def put_groups(self, groups: Sequence[GroupCreate]) -> list[GroupPut]:
        if not groups:
            return []
        rows = self._write("group_put", {"groups": [g.model_dump(mode="json") for g in groups]})
        return [GroupPut(_group(row), bool(row["created"])) for row in rows]

    def groups_by_id(self, ids: Sequence[str]) -> list[Group]:
        rows = self._read("group_get_many", {"ids": list(ids)}) if ids else []
        return [_group(row) for row in rows]

    def add_group_members(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not pairs:
            return set()
        params = {"pairs": [{"group_id": g, "member_id": m} for g, m in pairs]}
        rows = self._write("group_add_members", params)
        return {(row["group_id"], member_id) for row in rows for member_id in row["added"]}

    def remove_group_member(self, group_id: str, member_id: str) -> bool | None:
        rows = self._write("group_remove_member", {"group_id": group_id, "member_id": member_id})
        return bool(rows[0]["removed"]) if rows else None

    def group_members_page(self, group_id: str, after: str, limit: int) -> list[str]:
        params = {"group_id": group_id, "after": after, "limit": limit}
        return [row["id"] for row in self._read("group_members_page", params)]

    def groups_of_member(self, member_id: str, limit: int) -> list[Group]:
        rows = self._read("group_memberships", {"member_id": member_id, "limit": limit})
        return [_group(row) for row in rows]

    def group_total_mismatches(self) -> list[GroupTotalMismatch]:
        return [GroupTotalMismatch(**row) for row in self._read("group_total_mismatches", {})]


def _group(row: Record) -> Group:
    return Group(
        id=row["id"], kind=row["kind"], name=row["name"], members_total=row["members_total"]
    )
