"""The operations of the port (app/store/port.py), written once over named queries: the
members' here, each other capability's in its own mixin (*_queries.py). A backend adapter
supplies only how a named query is run (`_read`, `_write`), how schema work is done, and
what only its engine has (Graph Data Science on Neo4j)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from app.domain import spend
from app.domain.forest import BulkBatch, Counters, recount_from_levels
from app.domain.members import (
    TRACKED_LEVELS,
    LevelCount,
    MemberRecord,
    NewMemberRow,
    PaidRow,
    TierChange,
    TierSnapshot,
)
from app.domain.search import search_key_fields
from app.domain.spend import SpendLadder
from app.domain.super_membership import SuperMembership, SuperMembershipCreate
from app.domain.tiers import TierCorrection, TierLadder, TierStamp, invitee_spans
from app.store.analytics_queries import AnalyticsQueries
from app.store.catalogue import Backend, QueryCatalogue
from app.store.connector_queries import ConnectorQueries
from app.store.group_queries import GroupQueries
from app.store.job_queries import JobQueries
from app.store.leaderboard_queries import LeaderboardQueries
from app.store.lifecycle_queries import LifecycleQueries
from app.store.order_queries import OrderQueries
from app.store.outbox import member_event, outbox_params, registered_event
from app.store.path_queries import PathQueries
from app.store.payout_queries import PayoutQueries
from app.store.plan_queries import PlanQueries
from app.store.points_queries import PointsQueries
from app.store.port import (
    DescendantRow,
    DownlineCount,
    ForestRow,
    JoinedBeforeInviter,
    Migration,
    TierHistory,
    TierInputs,
)
from app.store.referral_code_queries import ReferralCodeQueries
from app.store.report_queries import ReportQueries
from app.store.search_queries import SearchQueries
from app.store.shape_lock import ShapeLock
from app.store.signal_queries import SignalQueries
from app.store.simulation_queries import SimulationQueries
from app.store.tree_queries import TreeQueries
from app.store.webhook_queries import WebhookQueries

Record = dict[str, Any]


class CypherStore(
    PlanQueries,
    OrderQueries,
    ReportQueries,
    TreeQueries,
    AnalyticsQueries,
    GroupQueries,
    SimulationQueries,
    ConnectorQueries,
    JobQueries,
    SearchQueries,
    LifecycleQueries,
    LeaderboardQueries,
    PathQueries,
    ReferralCodeQueries,
    PayoutQueries,
    PointsQueries,
    WebhookQueries,
    SignalQueries,
    ABC,
):
    backend: Backend

    def __init__(self, catalogue: QueryCatalogue) -> None:
        self.queries = catalogue
        self.shape = ShapeLock()

    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def apply_migration(self, migration: Migration) -> None: ...

    # Graph Data Science: a Neo4j plugin, so each adapter answers for its own engine.
    @abstractmethod
    def gds_available(self) -> bool: ...

    @abstractmethod
    def gds_version(self) -> str: ...

    @abstractmethod
    def gds_member_betweenness(self, *, with_circles: bool) -> dict[str, float]: ...

    @abstractmethod
    def iter_forest(self) -> Iterator[ForestRow]: ...

    @abstractmethod
    def close(self) -> None: ...

    def register_members(self, rows: Sequence[NewMemberRow], ladder: TierLadder) -> list[str]:
        if not rows:
            return []
        params = {
            "rows": [
                row.model_dump()
                | search_key_fields(row.id, row.name)
                | {"event": registered_event(row)}
                for row in rows
            ],
            "zero_levels": [0] * TRACKED_LEVELS,
            "base_tier": ladder.base_tier,
            **outbox_params(),
        }
        with self.shape.shared():
            result = self._write("register_members", params)
        return [record["id"] for record in result]

    def mark_paid(self, rows: Sequence[PaidRow], ladder: TierLadder) -> list[str]:
        if not rows:
            return []
        params = {
            "rows": [
                row.model_dump()
                | {
                    "event": member_event(
                        "member.paid", row.id, row.paid_at, {"paid_at": row.paid_at}
                    )
                }
                for row in rows
            ],
            "ladder": ladder.as_params(),
            "top": ladder.steps[-1].min_paid_invites,
            **outbox_params("member.tier_changed"),
        }
        with self.shape.shared():
            result = self._write("mark_paid", params)
        return [member_id for record in result for member_id in record["marked"]]

    def get_members(self, ids: Sequence[str]) -> list[MemberRecord]:
        if not ids:
            return []
        return [MemberRecord(**record) for record in self._read("get_members", {"ids": list(ids)})]

    def tier_snapshot(
        self, member_id: str, at: int, spend_ladder: SpendLadder
    ) -> TierSnapshot | None:
        params = {
            "id": member_id,
            "at": at,
            "from": at - spend.LOOKBACK_MS,
            "currency": spend_ladder.currency,
            "max_purchases": spend.MAX_PURCHASES,
            "max_memberships": spend.MAX_MEMBERSHIPS,
            "with_points": spend_ladder.counts_points,
        }
        rows = self._read("tier_status", params)
        return TierSnapshot(**rows[0]) if rows else None

    def put_super_membership(
        self, member_id: str, membership: SuperMembershipCreate, now: int
    ) -> bool:
        params = {"member_id": member_id, "membership": membership.model_dump(), "now": now}
        return bool(self._write("put_super_membership", params))

    def super_memberships_by_id(self, ids: Sequence[str]) -> list[SuperMembership]:
        rows = self._read("super_memberships_by_id", {"ids": list(ids)}) if ids else []
        return [SuperMembership(**row) for row in rows]

    def tier_changes_until(self, member_id: str, as_of: int) -> list[TierChange]:
        rows = self._read("tier_changes_until", {"id": member_id, "as_of": as_of})
        return [TierChange(**row) for row in rows]

    def paid_direct_invites_at(self, member_id: str, as_of: int) -> int:
        return int(
            self._read("paid_direct_invites_at", {"id": member_id, "as_of": as_of})[0]["paid"]
        )

    def tier_history(self, member_id: str) -> list[TierChange]:
        return [TierChange(**row) for row in self._read("tier_history", {"id": member_id})]

    def tier_histories(self, asks: Sequence[tuple[str, int]]) -> dict[tuple[str, int], TierHistory]:
        if not asks:
            return {}
        params = {"asks": [{"id": member, "at": at} for member, at in asks]}
        return {
            (row["id"], row["at"]): TierHistory(
                row["tier_seq"], [TierStamp(*change) for change in row["changes"]]
            )
            for row in self._read("tier_histories", params)
        }

    def upline(self, member_id: str, limit: int) -> list[str] | None:
        rows = self._read("upline", {"id": member_id, "limit": limit})
        return list(rows[0]["path"]) if rows else None

    def upline_at(self, member_id: str, limit: int, as_of: int) -> list[str] | None:
        rows = self._read("upline_at", {"id": member_id, "limit": limit, "as_of": as_of})
        return list(rows[0]["path"]) if rows else None

    def derived_sponsors(self, member_ids: Sequence[str]) -> list[str]:
        rows = self._read("derived_sponsors", {"ids": list(member_ids)}) if member_ids else []
        return sorted(row["id"] for row in rows)

    def tier_inputs(self, member_id: str) -> TierInputs | None:
        rows = self._read("tier_inputs", {"id": member_id})
        if not rows:
            return None
        spans = [span for edge in rows[0]["edges"] for span in invitee_spans(*edge)]
        changes = [TierStamp(*change) for change in rows[0]["changes"]]
        return TierInputs(rows[0]["joined_at"], rows[0]["tier_seq"], spans, changes)

    def put_tier_history(
        self, member_id: str, seq: int, corrections: Sequence[TierCorrection], since: int
    ) -> bool:
        params = {
            "id": member_id,
            "seq": seq,
            "changes": [correction._asdict() for correction in corrections],
            "tier": corrections[-1].tier,
            "since": since,
            **outbox_params("member.tier_changed"),
        }
        with self.shape.exclusive():
            return bool(self._write("tier_history_put", params))

    def downline_members_at(self, member_id: str, as_of: int) -> list[DescendantRow]:
        rows = self._read("downline_members_at", {"id": member_id, "as_of": as_of})
        return [DescendantRow(**row) for row in rows]

    def downline_levels_at(self, member_id: str, as_of: int) -> list[LevelCount]:
        rows = self._read("downline_levels_at", {"id": member_id, "as_of": as_of})
        return [
            LevelCount(depth=int(row["level"]), total=int(row["total"]), paid=int(row["paid"]))
            for row in rows
            if row["level"] is not None
        ]

    def downline_by_traversal(self, member_id: str) -> DownlineCount:
        row = self._read("downline_by_traversal", {"id": member_id})
        return DownlineCount(row[0]["total"], row[0]["paid"]) if row else DownlineCount(0, 0)

    def sample_member_ids(self, limit: int) -> list[str]:
        return [row["id"] for row in self._read("sample_member_ids", {"limit": limit})]

    def member_recount(self, member_id: str) -> Counters | None:
        rows = self._read("member_recount", {"id": member_id})
        return recount_from_levels(rows[0]["depth"], rows[0]["levels"]) if rows else None

    def members_joined_before_inviter(self) -> list[JoinedBeforeInviter]:
        return [
            JoinedBeforeInviter(**row) for row in self._read("members_joined_before_inviter", {})
        ]

    def member_count(self) -> int:
        return int(self._read("member_count", {})[0]["members"])

    def compact(self) -> None:
        """Folds the engine's write log into a snapshot, where that means something (the
        embedded FalkorDB's append-only file); a no-op elsewhere."""

    def ping(self) -> None:
        self._read("ping", {})

    def applied_migrations(self) -> set[str]:
        return {row["name"] for row in self._read("applied_migrations", {})}

    def record_migration(self, name: str, applied_at: int) -> None:
        self._write("record_migration", {"name": name, "applied_at": applied_at})

    def import_members(self, batch: BulkBatch) -> int:
        params = {
            "rows": [
                member._asdict() | search_key_fields(member.id, member.name)
                for member in batch.members
            ],
            "changes": [change._asdict() for change in batch.changes],
            "anchors": [anchor._asdict() for anchor in batch.anchors],
            "tiers": [tier._asdict() for tier in batch.tiers],
        }
        with self.shape.shared():
            return int(self._write("import_members", params)[0]["created"])
