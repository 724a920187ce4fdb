"""The ledger's operations on the port, written once over named queries (as cypher_store.py
does for members): plan versions, orders and refunds with their entries, and the reads the
audit API and `refgraph audit` make."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.domain.ledger import LedgerEntry, Order, OrderCreate, PathStep, Refund, RefundCreate
from app.domain.plans import Plan

Record = dict[str, Any]


class OrderContextRow(BaseModel):
    """order_context.cypher's row: raw, the service turns it into an OrderContext."""

    order_id: str
    buyer_joined_at: int
    source_joined_at: int
    ancestors: list[tuple[int, str]]  # (hop, member id)
    buyer_inviter_id: str | None
    histories: list[tuple[str, list[tuple[int, int, str]]]]  # id, [(at, seq, tier)]
    tier_seqs: list[tuple[str, int]]  # id, the version of her history read
    first_purchase_order: str | None
    seq: int


class StoredOrder(Order):
    refunded: int
    # The version of each tier history the order was priced with (parallel lists; absent on
    # orders written before versions were kept).
    tier_members: list[str] | None = None
    tier_seqs: list[int] | None = None

    def tier_versions(self) -> dict[str, int] | None:
        if self.tier_members is None or self.tier_seqs is None:
            return None
        return dict(zip(self.tier_members, self.tier_seqs, strict=True))


# Which of an entry's times a window and an order of entries go by: when it happened
# (default) or when it was written.
TimeBasis = Literal["event_at", "created_at"]


class TimeWindow(BaseModel):
    """Entries whose `by` time is in [from_, to)."""

    from_: int = Field(default=0, serialization_alias="from", description="epoch ms, inclusive")
    to: int = Field(default=2**62, description="epoch ms, exclusive")
    by: TimeBasis = Field(
        default="event_at",
        description="event_at: when what an entry pays for happened; created_at: when written",
    )

    def params(self) -> Record:
        return {"from": self.from_, "to": self.to, "by": self.by}


class LedgerFilter(BaseModel):
    """The audit listing's filters; times bound entries' `by` time, `to` exclusive."""

    beneficiary_id: str | None = None
    kind: str | None = None
    status: str | None = None
    order_id: str | None = None
    from_: int = 0
    to: int = 2**62
    by: TimeBasis = "event_at"


def entry_params(entry: LedgerEntry) -> Record:
    params = entry.model_dump(exclude={"path"})
    params["path_ids"] = [step.member_id for step in entry.path]
    return params


def entry_from_record(record: Record) -> LedgerEntry:
    fields = dict(record)
    path_ids = fields.pop("path_ids")
    fields["path"] = [PathStep(member_id=member, hop=hop) for hop, member in enumerate(path_ids)]
    return LedgerEntry(**fields)


class LedgerQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    # --- plans --------------------------------------------------------------------------

    def plans(self) -> list[Plan]:
        return [Plan.model_validate_json(row["document"]) for row in self._read("plans", {})]

    def put_plan(self, plan: Plan, loaded_at: int) -> bool:
        """Stores a new version; False when its version or effective_from is taken, or an
        order was placed at or after its effective_from."""
        rows = self._write(
            "put_plan",
            {
                "version": plan.version,
                "effective_from": plan.effective_from,
                "currency": plan.currency,
                "document": plan.document_json(),
                "loaded_at": loaded_at,
            },
        )
        return bool(rows)

    def first_order_from(self, at: int) -> tuple[str, int] | None:
        rows = self._read("first_order_from", {"at": at})
        return (rows[0]["id"], rows[0]["placed_at"]) if rows else None

    # --- orders and refunds -------------------------------------------------------------

    def order_contexts(self, orders: Sequence[OrderCreate]) -> dict[str, OrderContextRow]:
        if not orders:
            return {}
        params = [
            {
                "id": order.id,
                "buyer_id": order.buyer_id,
                "source_id": order.source_id,
                "placed_at": order.placed_at,
            }
            for order in orders
        ]
        rows = self._read("order_context", {"orders": params})
        return {row["order_id"]: OrderContextRow(**row) for row in rows}

    def record_order(
        self,
        order: OrderCreate,
        plan_version: str | None,
        entries: Sequence[LedgerEntry],
        *,
        expected_seq: int,
        tier_seqs: dict[str, int],
        now: int,
    ) -> bool:
        """Writes the order with its entries when the buyer is still at `expected_seq`, the
        plan in force is still `plan_version` and the order is new; else writes nothing.
        `tier_seqs`: the version of each tier history it was priced with."""
        members = sorted(tier_seqs)
        rows = self._write(
            "record_order",
            {
                "buyer_id": order.buyer_id,
                "order": {**order.model_dump(), "plan_version": plan_version},
                "entries": [entry_params(entry) for entry in entries],
                "expected_seq": expected_seq,
                "tier_members": members,
                "tier_seqs": [tier_seqs[member] for member in members],
                "now": now,
            },
        )
        return bool(rows)

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
    ) -> bool:
        """Writes the refund with its entries (reversals, and a bonus moving to `next_first`)
        when the order's refunded total is still `expected_refunded` and the buyer still at
        `expected_seq` (None: not checked); else writes nothing."""
        rows = self._write(
            "record_refund",
            {
                "order_id": order.id,
                "buyer_id": order.buyer_id,
                "refund": refund.model_dump(),
                "entries": [entry_params(entry) for entry in entries],
                "expected_refunded": expected_refunded,
                "expected_seq": expected_seq,
                "next_first": next_first,
                "now": now,
            },
        )
        return bool(rows)

    def buyer_purchase_state(
        self, buyer_id: str, except_order: str
    ) -> tuple[int, str | None, StoredOrder | None]:
        """(her write sequence, her first live purchase, her earliest other live order)."""
        rows = self._read("buyer_purchase_state", {"buyer_id": buyer_id, "except": except_order})
        row = rows[0]
        live = StoredOrder(**row["next_live"]) if row["next_live"] else None
        return row["seq"], row["first_purchase_order"], live

    def orders_by_id(self, ids: Sequence[str]) -> list[StoredOrder]:
        rows = self._read("orders_by_id", {"ids": list(ids)}) if ids else []
        return [StoredOrder(**row["order"]) for row in rows]

    def refunds_by_id(self, ids: Sequence[str]) -> list[Refund]:
        rows = self._read("refunds_by_id", {"ids": list(ids)}) if ids else []
        return [Refund(**row["refund"]) for row in rows]

    def entries_of_orders(self, order_ids: Sequence[str]) -> list[LedgerEntry]:
        if not order_ids:
            return []
        rows = self._read("entries_of_orders", {"order_ids": list(order_ids)})
        return [entry_from_record(row["entry"]) for row in rows]

    def ledger_entry(self, entry_id: str) -> LedgerEntry | None:
        rows = self._read("ledger_entry", {"id": entry_id})
        return entry_from_record(rows[0]["entry"]) if rows else None

    def invitation_edges(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not pairs:
            return set()
        rows = self._read("invitation_edges", {"pairs": [list(pair) for pair in pairs]})
        return {(row["invitee_id"], row["inviter_id"]) for row in rows}

    def ledger_page(
        self, where: LedgerFilter, after: tuple[int, str], limit: int
    ) -> list[LedgerEntry]:
        """Entries after `after` = (time, id) in that order, the time being `where.by`,
        starting from the most selective index the filter allows."""
        name = (
            "ledger_page_of_order"
            if where.order_id is not None
            else "ledger_page_of_beneficiary"
            if where.beneficiary_id is not None
            else "ledger_page_by_event"
            if where.by == "event_at"
            else "ledger_page_by_write"
        )
        params = {
            **where.model_dump(exclude={"from_"}),
            "from": where.from_,
            "after_at": after[0],
            "after_id": after[1],
            "limit": limit,
        }
        return [entry_from_record(row["entry"]) for row in self._read(name, params)]

    def all_orders(self) -> list[StoredOrder]:
        """Every order, sorted by buyer and then by her write sequence."""
        return [StoredOrder(**row["order"]) for row in self._read("all_orders", {})]

    def all_refunds(self) -> list[Refund]:
        return [Refund(**row["refund"]) for row in self._read("all_refunds", {})]

    def ledger_entry_count(self) -> int:
        return int(self._read("ledger_entry_count", {})[0]["entries"])

    def record_paid_bonus(self, entry: LedgerEntry) -> bool:
        """Writes a paid-trigger referral bonus unless it exists; True when written now."""
        return bool(self._write("record_paid_bonus", {"entry": entry_params(entry)}))

    def paid_members(self, from_: int) -> list[tuple[str, str, int]]:
        """(member, inviter, paid_at) of every invited member paid at or after `from_`."""
        rows = self._read("paid_members", {"from": from_})
        return [(row["id"], row["inviter_id"], row["paid_at"]) for row in rows]

    def paid_bonus_entries(self) -> list[LedgerEntry]:
        return [entry_from_record(row["entry"]) for row in self._read("paid_bonus_entries", {})]

    def first_paid_from(self, at: int) -> tuple[str, int] | None:
        rows = self._read("first_paid_from", {"at": at})
        return (rows[0]["id"], rows[0]["paid_at"]) if rows else None

    def tier_histories(
        self, asks: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], tuple[int, list[tuple[int, int, str]]]]:
        """(member, moment) -> (the version of her tier history, her tier changes up to that
        moment as (at, seq, tier))."""
        if not asks:
            return {}
        params = {"asks": [{"id": member, "at": at} for member, at in asks]}
        return {
            (row["id"], row["at"]): (row["tier_seq"], [tuple(c) for c in row["changes"]])
            for row in self._read("tier_histories", params)
        }

    def release_due_entries(self, now: int, limit: int = 10_000) -> int:
        """Releases up to `limit` held entries whose hold has passed; returns how many."""
        return int(self._write("release_due_entries", {"now": now, "limit": limit})[0]["released"])

    # --- earnings and the compliance report (app/services/earnings.py, compliance.py) ----
    # Rows come back as the queries name them; the services validate them into their models.

    # Amounts are summed as a high part and a low remainder of this size: FalkorDB's sum()
    # adds in a double, exact only below 2^53 (Neo4j's is exact anyway).
    _SUM_SPLIT = 1 << 26

    def earnings_by_day(
        self, member_id: str, from_: int, to: int, by: TimeBasis = "event_at"
    ) -> list[Record]:
        """Her entries as beneficiary whose `by` time is in [from_, to), netted per currency,
        kind, status and UTC day of that time: rows (currency, kind, status, day, amount,
        entries), `day` the day's first epoch ms."""
        params = {
            "member_id": member_id,
            "from": from_,
            "to": to,
            "by": by,
            "split": self._SUM_SPLIT,
        }
        return self._read("earnings_by_day", params)

    def members_by_depth(self, min_members: int, min_levels: int) -> list[Record]:
        """Rows (depth, members, example_id, large_subtrees) by depth: large subtrees have at
        least `min_members` members and `min_levels` levels (2..11) counting their head."""
        params = {"min_members": min_members, "min_levels": min_levels}
        return self._read("compliance_members_by_depth", params)

    def largest_subtrees(self, min_members: int, min_levels: int, limit: int) -> list[Record]:
        """The `limit` largest large subtrees, largest first: rows (member_id, members,
        levels_total)."""
        params = {"min_members": min_members, "min_levels": min_levels, "limit": limit}
        return self._read("compliance_largest_subtrees", params)

    def ledger_summary(self, window: TimeWindow) -> list[Record]:
        """The ledger's entries in `window`, netted per (plan_version, rule, currency,
        own_consumption, self_dealing): rows with amount, entries, originals and
        deepest_hop."""
        params = {**window.params(), "split": self._SUM_SPLIT}
        return self._read("compliance_ledger_summary", params)

    def self_dealing_entry_ids(self, window: TimeWindow, limit: int) -> list[str]:
        params = {**window.params(), "limit": limit}
        return [row["id"] for row in self._read("compliance_self_dealing_entries", params)]

    def entry_ids_beyond_hop(self, window: TimeWindow, max_hop: int, limit: int) -> list[str]:
        params = {**window.params(), "max_hop": max_hop, "limit": limit}
        return [row["id"] for row in self._read("compliance_entries_beyond_hop", params)]
