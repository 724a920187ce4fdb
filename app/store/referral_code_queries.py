"""Referral codes on the port (app/store/port.py), written once over named queries."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.referral_clicks import Click
from app.domain.referral_codes import ReferralCodeRecord

Record = dict[str, Any]


class ReferralCodeQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def referral_codes_of(self, member_id: str) -> list[ReferralCodeRecord]:
        rows = self._read("referral_codes_of_member", {"member_id": member_id})
        return [ReferralCodeRecord(**row, current=index == 0) for index, row in enumerate(rows)]

    def issue_referral_code(self, member_id: str, seq: int, code: str, now: int) -> bool:
        params = {"member_id": member_id, "seq": seq, "code": code, "now": now}
        return bool(self._write("referral_code_issue", params))

    def record_click(self, code: str, click_id: str, at: int) -> Click | None:
        params = {"code": code, "click": {"id": click_id, "at": at}}
        rows = self._write("referral_click_record", params)
        return Click(**rows[0]) if rows else None

    def referral_funnel(self, member_id: str, from_: int, to: int) -> tuple[int, int, int]:
        params = {"member_id": member_id, "from": from_, "to": to}
        row = self._read("referral_funnel", params)[0]
        return int(row["clicks"]), int(row["registrations"]), int(row["paid"])

    def resolve_referral_code(self, code: str) -> ReferralCodeRecord | None:
        rows = self._read("referral_code_resolve", {"code": code})
        return ReferralCodeRecord(**rows[0]) if rows else None
