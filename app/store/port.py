"""The one interface the services use to reach the graph. Both backends implement it with
the same named queries; only the adapters know a dialect or a driver."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from pydantic import BaseModel

from app.domain.ledger import LedgerEntry, Order, OrderCreate, Refund, RefundCreate
from app.domain.members import MemberRecord, NewMemberRow, PaidRow, TierChange, TierSnapshot
from app.domain.plans import Plan
from app.domain.spend import SpendLadder
from app.domain.super_membership import SuperMembership, SuperMembershipCreate
from app.domain.tiers import TierLadder
from app.store.analytics_queries import AnalyticsStore
from app.store.catalogue import Backend
from app.store.connector_queries import ConnectorStore
from app.store.gds_queries import GdsStore
from app.store.group_queries import GroupStore
from app.store.job_queries import JobStore
from app.store.ledger_queries import (
    LedgerFilter,
    OrderContextRow,
    StoredOrder,
    TimeBasis,
    TimeWindow,
)
from app.store.migrations import Migration
from app.store.simulation_queries import SimulationStore
from app.store.tree_queries import TreeStore


class ForestRow(BaseModel):
    """A member as `verify` sees her: stored counters next to her real edges."""

    id: str
    inviter_id: str | None
    paid_at: int | None
    depth: int | None
    tier: str | None
    downline_total: int | None
    downline_paid: int | None
    levels_total: list[int] | None
    levels_paid: list[int] | None
    edge_targets: list[str]


class JoinedBeforeInviter(BaseModel):
    """A member whose INVITED_BY edge leads to an inviter who joined after her."""

    id: str
    joined_at: int
    inviter_id: str
    inviter_joined_at: int


class LedgerStore(Protocol):
    """Plan versions, orders and refunds with the entries they grant (app/store/
    ledger_queries.py)."""

    def plans(self) -> list[Plan]: ...

    def put_plan(self, plan: Plan, loaded_at: int) -> bool: ...

    def first_order_from(self, at: int) -> tuple[str, int] | None: ...

    def order_contexts(self, orders: Sequence[OrderCreate]) -> dict[str, OrderContextRow]: ...

    def record_order(
        self,
        order: OrderCreate,
        plan_version: str | None,
        entries: Sequence[LedgerEntry],
        *,
        expected_seq: int,
        tier_seqs: dict[str, int],
        now: int,
    ) -> bool: ...

    def record_refund(
        self,
        order: Order,
        refund: RefundCreate,
        entries: Sequence[LedgerEntry],
        *,
        expected_refunded: int,
        expected_seq: int | None,
        next_first: str | None,
        now: int,
    ) -> bool: ...

    def buyer_purchase_state(
        self, buyer_id: str, except_order: str
    ) -> tuple[int, str | None, StoredOrder | None]: ...

    def orders_by_id(self, ids: Sequence[str]) -> list[StoredOrder]: ...

    def refunds_by_id(self, ids: Sequence[str]) -> list[Refund]: ...

    def entries_of_orders(self, order_ids: Sequence[str]) -> list[LedgerEntry]: ...

    def ledger_entry(self, entry_id: str) -> LedgerEntry | None: ...

    def invitation_edges(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]: ...

    def ledger_page(
        self, where: LedgerFilter, after: tuple[int, str], limit: int
    ) -> list[LedgerEntry]: ...

    def all_orders(self) -> list[StoredOrder]: ...

    def all_refunds(self) -> list[Refund]: ...

    def ledger_entry_count(self) -> int: ...

    def release_due_entries(self, now: int, limit: int = 10_000) -> int: ...

    def record_paid_bonus(self, entry: LedgerEntry) -> bool: ...

    def paid_members(self, from_: int) -> list[tuple[str, str, int]]: ...

    def paid_bonus_entries(self) -> list[LedgerEntry]: ...

    def first_paid_from(self, at: int) -> tuple[str, int] | None: ...

    def tier_histories(
        self, asks: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[int, list[tuple[int, int, str]]]]: ...

    # Earnings and the compliance report: aggregated rows as the named queries return them.

    def earnings_by_day(
        self, member_id: str, from_: int, to: int, by: TimeBasis = "event_at"
    ) -> list[dict[str, object]]: ...

    def members_by_depth(self, min_members: int, min_levels: int) -> list[dict[str, object]]: ...

    def largest_subtrees(
        self, min_members: int, min_levels: int, limit: int
    ) -> list[dict[str, object]]: ...

    def ledger_summary(self, window: TimeWindow) -> list[dict[str, object]]: ...

    def self_dealing_entry_ids(self, window: TimeWindow, limit: int) -> list[str]: ...

    def entry_ids_beyond_hop(self, window: TimeWindow, max_hop: int, limit: int) -> list[str]: ...


class GraphStore(
    LedgerStore,
    TreeStore,
    AnalyticsStore,
    GroupStore,
    SimulationStore,
    ConnectorStore,
    JobStore,
    GdsStore,
    Protocol,
):
    backend: Backend

    def register_members(self, rows: Sequence[NewMemberRow], ladder: TierLadder) -> list[str]:
        """Creates the rows whose id is new and whose inviter exists and joined no later
        than the row (at the ladder's base tier); returns their ids. Each id at most once
        per batch, and no row whose inviter is in the same batch (that row is refused: the
        engines evaluate a clause for every row before the next clause, so the inviter is
        not yet there)."""
        ...

    def mark_paid(self, rows: Sequence[PaidRow], ladder: TierLadder) -> list[str]:
        """Marks the rows paid that were not; returns their ids."""
        ...

    def get_members(self, ids: Sequence[str]) -> list[MemberRecord]: ...

    def tier_snapshot(
        self, member_id: str, at: int, spend_ladder: SpendLadder
    ) -> TierSnapshot | None:
        """Her tier counter, her purchases in the spend ladder's currency of the two years to
        `at` and her super memberships, in one read; None when she does not exist."""
        ...

    def tier_changes_until(self, member_id: str, as_of: int) -> list[TierChange]:
        """Her tier changes at or before `as_of`, oldest first."""
        ...

    def paid_direct_invites_at(self, member_id: str, as_of: int) -> int: ...

    def tier_history(self, member_id: str) -> list[TierChange]: ...

    def put_super_membership(
        self, member_id: str, membership: SuperMembershipCreate, now: int
    ) -> bool:
        """Creates the membership; False (nothing written) when she does not exist, its id is
        taken or it starts before she joined."""
        ...

    def super_memberships_by_id(self, ids: Sequence[str]) -> list[SuperMembership]: ...

    def upline(self, member_id: str, limit: int) -> list[str] | None:
        """Ids from the inviter up to the root; None when the member does not exist."""
        ...

    def downline_by_traversal(self, member_id: str) -> tuple[int, int]: ...

    def members_joined_before_inviter(self) -> list[JoinedBeforeInviter]:
        """Every member (by her edge) who joined before her inviter, in id order."""
        ...

    def paid_marks_without_bonus(self, from_: int, bonus_prefix: str) -> list[tuple[str, str, int]]:
        """(member, inviter, paid_at) of every invited member paid at or after `from_` who
        has no ledger entry with the id `bonus_prefix` + her id."""
        ...

    def iter_forest(self) -> Iterator[ForestRow]: ...

    def member_count(self) -> int: ...

    def ping(self) -> None: ...

    def compact(self) -> None:
        """Folds the engine's write log into a snapshot so the next start loads it fast."""
        ...

    def applied_migrations(self) -> set[str]: ...

    def apply_migration(self, migration: Migration) -> None: ...

    def record_migration(self, name: str, applied_at: int) -> None: ...

    def close(self) -> None: ...
