"""Member lifecycle changes and their audit trail on the port (app/store/port.py), written
once over named queries."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.lifecycle import Actor, MemberChange, StoredChange
from app.store.outbox import outbox_params
from app.store.shape_lock import ShapeLock

Record = dict[str, Any]


class LifecycleQueries:
    shape: ShapeLock

    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def edit_member(
        self,
        member_id: str,
        rev: int,
        name: str | None,
        attributes_json: str | None,
        name_key: str | None,
        change: StoredChange,
    ) -> bool:
        params = {
            "member_id": member_id,
            "rev": rev,
            "name": name,
            "attributes_json": attributes_json,
            "name_key": name_key,
            "change": change.model_dump(mode="json"),
        }
        return bool(self._write("member_edit", params))

    def erase_member(self, member_id: str, change: StoredChange) -> bool:
        params = {"member_id": member_id, "change": change.model_dump(mode="json")}
        return bool(self._write("member_erase", params))

    def set_member_status(self, member_id: str, rev: int, change: StoredChange) -> bool:
        params = {"member_id": member_id, "rev": rev, "change": change.model_dump(mode="json")}
        return bool(self._write("member_set_status", params))

    def set_member_hold(
        self, member_id: str, rev: int, hold_reason: str | None, change: StoredChange
    ) -> bool:
        params = {
            "member_id": member_id,
            "rev": rev,
            "hold_reason": hold_reason,
            "change": change.model_dump(mode="json"),
        }
        return bool(self._write("member_set_hold", params))

    def move_sponsor(
        self, member_id: str, rev: int, inviter_id: str, effective_at: int, change: StoredChange
    ) -> bool:
        params = {
            "member_id": member_id,
            "rev": rev,
            "inviter_id": inviter_id,
            "effective_at": effective_at,
            "change": change.model_dump(mode="json"),
            **outbox_params("member.sponsor_changed"),
        }
        with self.shape.exclusive():
            return bool(self._write("member_move_sponsor", params))

    def undo_paid(self, member_id: str, rev: int, undone_at: int, change: StoredChange) -> bool:
        params = {
            "member_id": member_id,
            "rev": rev,
            "undone_at": undone_at,
            "change": change.model_dump(mode="json"),
        }
        with self.shape.exclusive():
            return bool(self._write("member_undo_paid", params))

    def sponsor_move_blocker(self, member_id: str) -> int | None:
        rows = self._read("sponsor_move_blocker", {"id": member_id})
        return rows[0]["latest"] if rows else None

    def member_change(self, change_id: str) -> StoredChange | None:
        rows = self._read("member_change", {"change_id": change_id})
        return _stored_change(rows[0]) if rows else None

    def member_history(self, member_id: str) -> list[MemberChange]:
        rows = self._read("member_history", {"member_id": member_id})
        return [
            MemberChange(**_stored_change(row).model_dump(exclude={"fingerprint"})) for row in rows
        ]


def _stored_change(row: Record) -> StoredChange:
    return StoredChange(
        change_id=row["change_id"],
        member_id=row["member_id"],
        kind=row["kind"],
        at=row["at"],
        actor=Actor(role=row["actor_role"], key_id=row["actor_key_id"]),
        reason=row["reason"],
        changed=list(row["changed"] or []),
        fingerprint=row["fingerprint"],
        status=row["status"],
        inviter_id=row["inviter_id"],
        previous_inviter_id=row["previous_inviter_id"],
        effective_at=row["effective_at"],
    )
