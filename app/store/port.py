"""The one interface the services use to reach the graph, and the value types it answers
with. Both backends implement it with the same named queries (app/store/*_queries.py, one
mixin per capability); only the adapters know a dialect or a driver. Every method answers
with our own models or named tuples, built inside the store: no service knows a query's
column names or how a value is encoded in the graph."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

from pydantic import BaseModel

from app.domain.connectors import (
    CircleMembership,
    ConnectorArrays,
    ConnectorScore,
    Estimator,
    ProjectedMember,
)
from app.domain.forest import BulkBatch, Counters
from app.domain.groups import Group, GroupCreate
from app.domain.identity import IdentityFact, IdentityKind, MemberIdentity
from app.domain.jobs import Job
from app.domain.leaderboards import Board
from app.domain.ledger import (
    LedgerEntry,
    LedgerFilter,
    Order,
    OrderCreate,
    Refund,
    RefundCreate,
    TimeBasis,
    TimeWindow,
)
from app.domain.lifecycle import Actor, MemberChange, StoredChange
from app.domain.members import (
    LevelCount,
    MemberRecord,
    NewMemberRow,
    PaidRow,
    TierChange,
    TierSnapshot,
)
from app.domain.paths import Node
from app.domain.payouts import (
    BalanceRow,
    Candidate,
    ClaimedEntry,
    Payout,
    PayoutCreate,
    PayoutItem,
    PayoutLineRow,
    PayoutSkip,
    StoredPayoutItem,
)
from app.domain.plans import Plan
from app.domain.points import PointsEntry
from app.domain.referral_clicks import Click
from app.domain.referral_codes import ReferralCodeRecord
from app.domain.search import MemberSearch
from app.domain.signals import OrderFact, RiskSignal
from app.domain.spend import SpendLadder
from app.domain.statements import StatementLine
from app.domain.super_membership import SuperMembership, SuperMembershipCreate
from app.domain.tiers import PaidSpan, TierCorrection, TierLadder, TierStamp
from app.domain.tree import TreeNode
from app.domain.webhooks import Attempt, Delivery, DeliveryState, OutboxEvent
from app.store.catalogue import Backend

# --- value types: members and the forest ----------------------------------------------


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


class DownlineCount(NamedTuple):
    total: int
    paid: int


class PaidMark(NamedTuple):
    """An invited member's paid mark: what a `paid` referral bonus pays her inviter for."""

    member_id: str
    inviter_id: str
    paid_at: int
    undone_at: int | None = None  # when the mark was undone (its bonus is reversed then)


class DescendantRow(NamedTuple):
    """A member below another, as the tree at a past moment needs her."""

    id: str
    inviter_id: str  # her inviter then
    name: str | None
    paid: bool  # then


class TierInputs(NamedTuple):
    """What a member's tier history follows from, with the version of her history."""

    joined_at: int
    seq: int
    spans: list[PaidSpan]  # one per stretch a direct invitee of hers was paid
    changes: list[TierStamp]


class TierHistory(NamedTuple):
    """A member's tier changes up to a moment, with the version (`seq`) of her history."""

    seq: int
    changes: list[TierStamp]


@dataclass(frozen=True)
class Migration:
    name: str
    # "cypher": statements separated by ';'; "constraint": GRAPH.CONSTRAINT args;
    # "backfill": the name of a data backfill in app/store/migrations.py
    kind: str
    body: str

    def statements(self) -> list[str]:
        return [part.strip() for part in self.body.split(";\n") if _has_code(part)]


def _has_code(text: str) -> bool:
    return any(line.strip() and not line.strip().startswith("//") for line in text.splitlines())


# --- value types: orders, refunds and the ledger -----------------------------------------


class OrderContextRow(BaseModel):
    """What the graph says about an order at its placed_at; the service turns it into an
    OrderContext."""

    order_id: str
    buyer_joined_at: int
    source_joined_at: int
    ancestors: list[tuple[int, str]]  # (hop, member id)
    buyer_inviter_id: str | None
    histories: list[tuple[str, list[TierStamp]]]  # member id, her changes up to placed_at
    tier_seqs: list[tuple[str, int]]  # member id, the version of her history read
    statuses: list[tuple[str, list[int], list[str]]] = []  # member id, her status history
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


class MemberPoints(NamedTuple):
    """A member's points entries, how many redemptions she has made (the sequence a
    redemption's write checks), and when she joined."""

    redemptions: int
    joined_at: int
    entries: list[PointsEntry]


class PurchaseState(NamedTuple):
    """A buyer's write sequence, her first live purchase, and her earliest other live
    order."""

    seq: int
    first_purchase_order: str | None
    next_live: StoredOrder | None


class Occurrence(NamedTuple):
    """The first of something at or after a moment: its id and when it happened."""

    id: str
    at: int


class EarningsDay(BaseModel):
    """A beneficiary's entries netted per currency, kind, status and UTC day."""

    currency: str
    kind: str
    status: str
    day: int  # the day's first epoch ms
    amount: int
    entries: int


class DepthRow(BaseModel):
    """The members at one depth, an example among them, and how many head a large subtree."""

    depth: int
    members: int
    example_id: str
    large_subtrees: int


class SubtreeRow(BaseModel):
    member_id: str
    members: int
    levels_total: list[int]


class LedgerSummaryRow(BaseModel):
    """The ledger netted per plan version, rule, currency, own consumption and
    self-dealing."""

    plan_version: str
    rule: int
    currency: str
    own_consumption: bool
    self_dealing: bool
    amount: int
    entries: int
    originals: int
    deepest_hop: int


# --- value types: analytics, the what-if, trees, circles, connectors --------------------


class CohortMember(NamedTuple):
    joined_at: int
    purchases: list[int]  # placed_at of her purchases (orders not refunded in full)


class NetSale(NamedTuple):
    buyer_id: str
    currency: str
    net: int


class TierGroup(NamedTuple):
    """The members holding one tier now with one count of paid direct invites."""

    tier: str
    paid: int
    members: int


class PeriodOrder(NamedTuple):
    id: str
    amount: int
    placed_at: int
    source_id: str


class Trainer(NamedTuple):
    """A source's inviter, and the paid times of everyone that inviter invited."""

    trainer_id: str
    paid_times: list[int]


class ChildrenAsk(NamedTuple):
    """One parent's page of children: those after `after` in tree order, at most `take`."""

    parent_id: str
    after: tuple[int, str]
    take: int


class GroupPut(NamedTuple):
    group: Group
    created: bool


class GroupTotalMismatch(BaseModel):
    """A group whose maintained members_total (None: absent) differs from its members
    counted."""

    id: str
    stored: int | None
    counted: int


# "networkx": runs stored before igraph computed betweenness (read as they were stored).
BetweennessSource = Literal["igraph", "gds", "networkx"]


class StoredConnectorRun(BaseModel):
    """The latest connector run: when, how, and the top members per sort key. `sources`:
    breadth-first searches run (None: not recorded or GDS); `error_bound`: see
    app/domain/connectors.py BetweennessEstimate (None: not recorded)."""

    computed_at: int
    approximate: bool
    members: int
    betweenness_source: BetweennessSource
    estimator: Estimator | None = None
    sources: int | None = None
    error_bound: float | None = None
    rankings: dict[str, list[str]]


class BoardRow(NamedTuple):
    """One member on a leaderboard: her value and when she reached it (None: a counter)."""

    member_id: str
    name: str | None
    tier: str
    value: int
    achieved: int | None


class ConnectorScoreRow(NamedTuple):
    """One member's score as a run writes it back: her parts as ConnectorParts JSON."""

    member_id: str
    score: float
    parts_json: str


# --- the port ---------------------------------------------------------------------------


class StoredWebhook(NamedTuple):
    id: str
    url: str
    events: list[str]
    description: str
    status: str
    created_at: int
    secret: str


class PendingDelivery(NamedTuple):
    """A delivery as the worker sends it: the stored body, and the attempt count its answer
    is recorded against."""

    id: str
    event_id: str
    member_id: str
    body: str
    attempts: int
    next_attempt_at: int
    retry_from: int


class Dispatch(NamedTuple):
    event_id: str
    body: str
    webhook_ids: list[str]


class Backlog(NamedTuple):
    """What waits for the service's own workers (the metrics' gauges)."""

    due_releases: int
    new_events: int
    pending_deliveries: int
    failed_deliveries: int


class SignalRun(BaseModel):
    """The signals run readers see."""

    run_id: str
    computed_at: int
    signals: int
    counts: dict[str, int]


class GraphStore(Protocol):
    backend: Backend

    # --- members and the forest (cypher_store.py) -----------------------------------------

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

    # --- member lifecycle and its audit trail (lifecycle_queries.py) ---------------------

    def edit_member(
        self,
        member_id: str,
        rev: int,
        name: str | None,
        attributes_json: str | None,
        name_key: str | None,
        change: StoredChange,
    ) -> bool:
        """Writes her name and attributes and the change, only if she is at `rev`, not
        erased, and the change id is new (False: nothing written)."""
        ...

    def erase_member(self, member_id: str, change: StoredChange) -> bool:
        """Removes her name and attributes and records the change, unless she is erased
        already or the change id is taken (False: nothing written)."""
        ...

    def set_member_hold(
        self, member_id: str, rev: int, hold_reason: str | None, change: StoredChange
    ) -> bool:
        """Puts her on payout hold (None: releases her) when she is still at `rev` and the
        change id is new; False otherwise."""
        ...

    def set_member_status(self, member_id: str, rev: int, change: StoredChange) -> bool:
        """Appends `change.status` to her status history and records the change, only if she
        is at `rev` and the change id is new (False: nothing written)."""
        ...

    def move_sponsor(
        self, member_id: str, rev: int, inviter_id: str, effective_at: int, change: StoredChange
    ) -> bool:
        """Moves her with her downline under `inviter_id` from `effective_at` on, with every
        counter and depth, and records the change; only if she is at `rev`, the change id is
        new, it makes no cycle, the new sponsor had joined by then and nothing was priced
        through her edge from then on (False: nothing written)."""
        ...

    def undo_paid(self, member_id: str, rev: int, undone_at: int, change: StoredChange) -> bool:
        """Undoes her paid mark from `undone_at` on, with every ancestor's paid counters, and
        records the change; only if she is paid, at `rev`, and the change id is new (False:
        nothing written)."""
        ...

    def sponsor_move_blocker(self, member_id: str) -> int | None:
        """The latest event priced through her invitation edge (None: none)."""
        ...

    def member_change(self, change_id: str) -> StoredChange | None: ...

    def member_history(self, member_id: str) -> list[MemberChange]: ...

    # --- referral codes (referral_code_queries.py) ----------------------------------------

    def referral_codes_of(self, member_id: str) -> list[ReferralCodeRecord]:
        """Her codes, newest (her code now) first."""
        ...

    def issue_referral_code(self, member_id: str, seq: int, code: str, now: int) -> bool:
        """Issues her `code` as her newest, only if she has had `seq` codes and nobody holds
        it (False: nothing written)."""
        ...

    def resolve_referral_code(self, code: str) -> ReferralCodeRecord | None: ...

    def record_click(self, code: str, click_id: str, at: int) -> Click | None:
        """Records a click on `code` unless its id is stored; the click as stored (None: no
        such code)."""
        ...

    def referral_funnel(self, member_id: str, from_: int, to: int) -> tuple[int, int, int]:
        """(clicks on her codes, her direct invitees joined, of them paid) in [from_, to)."""
        ...

    # --- connections (path_queries.py) ----------------------------------------------------

    def path_neighbours(self, nodes: Sequence[Node]) -> dict[Node, list[Node]]:
        """Each member's inviter, invitees and circles; each circle's members."""
        ...

    # --- leaderboards (leaderboard_queries.py) ------------------------------------------

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
        """The board's best `limit` members over the window [from, to), in rank order; a
        money board's values in `currency`."""
        ...

    def leaderboard_currencies(
        self, board: Board, window: tuple[int, int], circle: str | None
    ) -> list[str]:
        """The currencies of the sales a money board would add over the window, in `circle`
        when one is given."""
        ...

    # --- member search (search_queries.py) ------------------------------------------------

    def search_members(
        self, search: MemberSearch, after: tuple[int, str] | None, limit: int
    ) -> list[MemberRecord]:
        """One page of the members `search` finds, in its order, after the (sort value, id)
        position `after`."""
        ...

    def backfill_search_keys(self) -> int:
        """Writes the search keys members stored before search lack; returns how many."""
        ...

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

    def tier_histories(self, asks: Sequence[tuple[str, int]]) -> dict[tuple[str, int], TierHistory]:
        """(member, moment) -> her tier changes up to that moment, and her history's
        version."""
        ...

    def derived_sponsors(self, member_ids: Sequence[str]) -> list[str]:
        """Their sponsors, now and before a move, whose tier history is derived again after
        each paid mark (`tier_floors`)."""
        ...

    def tier_inputs(self, member_id: str) -> TierInputs | None:
        """Her paid invitees' spans and her recorded history (None: no such member)."""
        ...

    def put_tier_history(
        self, member_id: str, seq: int, corrections: Sequence[TierCorrection], since: int
    ) -> bool:
        """Appends `corrections` (at least one) to her history and sets her tier to the last
        one's (held since `since`), only if her history is still at version `seq`."""
        ...

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

    def upline_at(self, member_id: str, limit: int, as_of: int) -> list[str] | None:
        """`upline` along the invitation edges valid at `as_of`."""
        ...

    def downline_by_traversal(self, member_id: str) -> DownlineCount: ...

    def downline_members_at(self, member_id: str, as_of: int) -> list[DescendantRow]:
        """Every member below her who had joined by `as_of` (a walk of her downline)."""
        ...

    def downline_levels_at(self, member_id: str, as_of: int) -> list[LevelCount]:
        """Her downline as it stood at `as_of`, per level below her (1 = direct), every
        level: who had joined and who was paid by then. Empty for no downline (or no her)."""
        ...

    def sample_member_ids(self, limit: int) -> list[str]:
        """Up to `limit` member ids drawn uniformly at random."""
        ...

    def member_recount(self, member_id: str) -> Counters | None:
        """Her counters recounted by walking the graph (depth, downline totals, the
        tracked levels); None when she is not a member."""
        ...

    def members_joined_before_inviter(self) -> list[JoinedBeforeInviter]:
        """Every member (by her edge) who joined before her inviter, in id order."""
        ...

    def iter_forest(self) -> Iterator[ForestRow]: ...

    def member_count(self) -> int: ...

    # --- plans (plan_queries.py) ---------------------------------------------------------

    def plans(self) -> list[Plan]: ...

    def put_plan(self, plan: Plan, loaded_at: int) -> bool:
        """Stores a new version; False when its version or effective_from is taken, or an
        order was placed at or after its effective_from."""
        ...

    def first_order_from(self, at: int) -> Occurrence | None: ...

    def first_paid_from(self, at: int) -> Occurrence | None: ...

    # --- orders, refunds and their entries (order_queries.py) ----------------------------

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
        points: Sequence[PointsEntry] = (),
    ) -> bool:
        """Writes the order with its entries when the buyer is still at `expected_seq`, the
        plan in force is still `plan_version` and the order is new; else writes nothing.
        `tier_seqs`: the version of each tier history it was priced with; `points`: what it
        earns her (points entries, written in the same statement)."""
        ...

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
        points: Sequence[PointsEntry] = (),
    ) -> bool:
        """Writes the refund with its entries (reversals, and a bonus moving to `next_first`)
        and the points it takes back (`points`) when the order's refunded total is still
        `expected_refunded` and the buyer still at `expected_seq` (None: not checked); else
        writes nothing. Each reversal takes its
        original's status as it stands when written."""
        ...

    def buyer_purchase_state(self, buyer_id: str, except_order: str) -> PurchaseState: ...

    def orders_by_id(self, ids: Sequence[str]) -> list[StoredOrder]: ...

    def refunds_by_id(self, ids: Sequence[str]) -> list[Refund]: ...

    def entries_of_orders(self, order_ids: Sequence[str]) -> list[LedgerEntry]: ...

    def all_orders(self) -> list[StoredOrder]:
        """Every order, sorted by buyer and then by her write sequence."""
        ...

    def all_refunds(self) -> list[Refund]: ...

    def release_due_entries(self, now: int, limit: int = 10_000) -> int:
        """Releases up to `limit` held originals whose hold has passed, each with its
        reversals; returns how many originals."""
        ...

    def record_paid_bonus(self, entry: LedgerEntry) -> bool:
        """Writes a paid-trigger referral bonus unless it exists; True when written now."""
        ...

    def paid_members(self, from_: int) -> list[PaidMark]:
        """Every invited member's first paid mark at or after `from_` (undone or not)."""
        ...

    def paid_marks_without_bonus(self, from_: int, bonus_prefix: str) -> list[PaidMark]:
        """Every invited member paid at or after `from_` who has no ledger entry with the id
        `bonus_prefix` + her id."""
        ...

    def record_bonus_reversal(self, entry: LedgerEntry, now: int) -> bool:
        """Writes the reversal of a paid-trigger bonus (its original's status as it stands)
        unless it exists; True when written now."""
        ...

    def paid_bonus_entries(self) -> list[LedgerEntry]: ...

    # --- points (points_queries.py; earns and take-backs ride in record_order/_refund) ----

    def points_of_member(self, member_id: str) -> MemberPoints | None:
        """Her points entries and redemption count (None: she is not a member)."""
        ...

    def record_points_grant(self, entry: PointsEntry) -> tuple[PointsEntry, bool] | None:
        """Writes a grant unless its id is stored; (the entry as stored, whether written now),
        None when she is not a member."""
        ...

    def record_redemption(self, entry: PointsEntry, *, expected_seq: int) -> bool:
        """Writes a redemption when she has made `expected_seq` redemptions and its id is
        new (False: nothing written)."""
        ...

    def points_history(
        self, member_id: str, after: tuple[int, str], limit: int
    ) -> list[PointsEntry]:
        """Her entries after `after` = (event_at, id), in that order."""
        ...

    def points_expiring_members(self, now: int, until: int) -> list[str]:
        """The members with points entries expiring in (now, until]."""
        ...

    def all_points_entries(self) -> list[PointsEntry]:
        """Every points entry, by member and event time."""
        ...

    # --- webhooks (webhook_queries.py; the events ride in the causing statements) --------

    def put_webhook(self, webhook: StoredWebhook) -> tuple[StoredWebhook, bool]:
        """Stores an endpoint unless its id is taken; (the stored one, whether written now)."""
        ...

    def webhooks(self) -> list[StoredWebhook]: ...

    def disable_webhook(self, webhook_id: str, now: int) -> StoredWebhook | None: ...

    def delivery_counts(self, webhook_id: str) -> dict[str, int]: ...

    def new_outbox_events(self, settled_before: int, limit: int) -> list[OutboxEvent]:
        """Events not yet dispatched, written by `settled_before`, in sending order."""
        ...

    def operations_backlog(self, now: int) -> Backlog:
        """Entries due for release, events not dispatched, deliveries pending and failed."""
        ...

    def put_outbox_events(self, events: Sequence[dict[str, object]]) -> int:
        """Writes events no change causes, each once by its id; how many were new."""
        ...

    def dispatch_events(self, dispatches: Sequence[Dispatch], now: int) -> int:
        """Marks events dispatched with a pending delivery per endpoint; the deliveries made."""
        ...

    def pending_deliveries(self, webhook_id: str, limit: int) -> list[PendingDelivery]:
        """An endpoint's pending deliveries in sending order, due or not."""
        ...

    def record_attempt(
        self,
        delivery: PendingDelivery,
        attempt: Attempt,
        state: DeliveryState,
        next_at: int | None,
    ) -> bool:
        """Records an attempt if the delivery is still pending at the count read."""
        ...

    def deliveries_page(
        self, webhook_id: str, state: DeliveryState | None, before: tuple[int, str], limit: int
    ) -> list[Delivery]:
        """An endpoint's deliveries newest first, before `before` = (written_at, event id)."""
        ...

    def resend_delivery(
        self, webhook_id: str, event_id: str, now: int
    ) -> tuple[Delivery, bool] | None:
        """Makes a failed delivery pending again; (the delivery, whether it was resent)."""
        ...

    def prune_outbox(self, dispatched_before: int, limit: int) -> int:
        """Deletes up to `limit` events dispatched before `dispatched_before` whose deliveries
        are all delivered or failed, with those deliveries; how many events went."""
        ...

    # --- the auditor's and the reports' reads (report_queries.py) ------------------------

    def ledger_entry(self, entry_id: str) -> LedgerEntry | None: ...

    def ledger_page(
        self, where: LedgerFilter, after: tuple[int, str], limit: int
    ) -> list[LedgerEntry]:
        """Entries after `after` = (time, id) in that order, the time being `where.by`."""
        ...

    def ledger_entry_count(self) -> int: ...

    def invitation_edges(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """The (invitee, inviter) pairs whose edge is in the graph."""
        ...

    def earnings_by_day(
        self, member_id: str, from_: int, to: int, by: TimeBasis = "event_at"
    ) -> list[EarningsDay]: ...

    def members_by_depth(self, min_members: int, min_levels: int) -> list[DepthRow]:
        """Members per depth; large subtrees have at least `min_members` members and
        `min_levels` levels (2..11) counting their head."""
        ...

    def largest_subtrees(
        self, min_members: int, min_levels: int, limit: int
    ) -> list[SubtreeRow]: ...

    def ledger_summary(self, window: TimeWindow) -> list[LedgerSummaryRow]: ...

    def self_dealing_entry_ids(self, window: TimeWindow, limit: int) -> list[str]: ...

    def entry_ids_beyond_hop(self, window: TimeWindow, max_hop: int, limit: int) -> list[str]: ...

    # --- payouts, balances and statements (payout_queries.py) ----------------------------

    def payout_candidates(self, currency: str, as_of: int, now: int) -> list[Candidate]:
        """Every member with released entries in `currency`, released at or before `as_of`,
        that no live payout item claims; her status is the one at `now`."""
        ...

    def create_payout(
        self,
        create: PayoutCreate,
        items: Sequence[PayoutItem],
        skipped: Sequence[PayoutSkip],
        actor: Actor,
        now: int,
    ) -> bool:
        """Writes the batch in draft with its items, each claiming its entries; False (and
        nothing written) when the id is taken or an entry is no longer free to claim."""
        ...

    def move_payout(
        self, payout_id: str, action: str, from_: str, to: str, actor: Actor, now: int
    ) -> bool:
        """Moves the batch from `from_` to `to`; False when it is not at `from_`."""
        ...

    def settle_payout_item(
        self,
        payout_id: str,
        member_id: str,
        *,
        paid: bool,
        reference: str | None,
        reason: str | None,
        at: int,
        actor: Actor,
        now: int,
    ) -> bool:
        """Marks her open item of the exported batch paid (writing her payout line) or
        failed (freeing its entries); False when the batch is not exported or the item not
        open."""
        ...

    def payouts_by_id(self, ids: Sequence[str]) -> list[Payout]: ...

    def payout_status(self, payout_id: str) -> str | None: ...

    def payout_item(self, payout_id: str, member_id: str) -> tuple[str, PayoutItem | None] | None:
        """The batch's status and her item in it (None: no such item); None: no batch."""
        ...

    def payout_ids_page(self, after: tuple[int, str], limit: int) -> list[tuple[int, str]]:
        """(created_at, id) of batches before `after`, newest first."""
        ...

    def payee_names(self, member_ids: Sequence[str]) -> dict[str, str | None]:
        """Each member's name; None when she has none or it was erased."""
        ...

    def member_balance_rows(self, member_id: str) -> list[BalanceRow]: ...

    def statement_opening(self, member_id: str, from_: int) -> dict[str, int]:
        """Per currency, the sum of her entries and payout lines before `from_`."""
        ...

    def statement_lines(
        self, member_id: str, from_: int, to: int, limit: int
    ) -> list[StatementLine]:
        """Her entries and payout lines in [from_, to), at most `limit` of each, by event
        time then id."""
        ...

    def payout_items_for_audit(self) -> list[StoredPayoutItem]: ...

    def claimed_entries(self) -> list[ClaimedEntry]: ...

    def payout_lines(self) -> list[PayoutLineRow]: ...

    # --- trees (tree_queries.py) ---------------------------------------------------------

    def tree_children(self, asks: Sequence[ChildrenAsk]) -> dict[str, list[TreeNode]]:
        """Parent id -> up to take + 1 of her children in tree order (one more than asked
        says whether she has more), for every asked parent that exists; one query."""
        ...

    # --- analytics and the tier what-if (analytics_queries.py, simulation_queries.py) ----

    def dashboard_counts(self, kind: Literal["joined", "paid"], bounds: list[int]) -> list[int]:
        """Members who joined (or became paid) in each bucket [bounds[k], bounds[k+1])."""
        ...

    def dashboard_money(
        self, kind: Literal["sales", "commission"], bounds: list[int]
    ) -> list[dict[str, int]]:
        """Net sales (or commissions, reversals netted) per currency in each bucket."""
        ...

    def members_before(self, at: int) -> tuple[int, int]:
        """Members who had joined, and who were paid, before `at`."""
        ...

    def cohort_members(self, from_: int, to: int, until: int) -> list[CohortMember]:
        """Every member who joined in [from_, to), with her purchases before `until`."""
        ...

    def net_sales(self, from_: int, to: int) -> list[NetSale]:
        """Net of refunds per buyer and currency of the orders placed in [from_, to), > 0."""
        ...

    def tier_groups(self) -> list[TierGroup]: ...

    def move_sample(self, tier: str, low: int, high: int) -> list[str]:
        """Up to 20 members holding `tier` now with paid direct invites in [low, high]."""
        ...

    def period_orders(self, from_: int, to: int) -> list[PeriodOrder]: ...

    def trainers(self, sources: Sequence[str]) -> dict[str, Trainer]:
        """Source -> her inviter and the paid times of everyone that inviter invited."""
        ...

    def allowance_paid(self, order_ids: Sequence[str]) -> int:
        """The training allowance the ledger granted for the orders, before refunds."""
        ...

    # --- circles (group_queries.py) ------------------------------------------------------

    def put_groups(self, groups: Sequence[GroupCreate]) -> list[GroupPut]:
        """Creates the groups whose id is new; returns each as stored with whether this call
        created it. Each id at most once per batch."""
        ...

    def groups_by_id(self, ids: Sequence[str]) -> list[Group]: ...

    def add_group_members(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Adds each (group id, member id) pair not yet there; returns the pairs added now.
        Pairs naming no group or no member are skipped. Each pair at most once per batch."""
        ...

    def remove_group_member(self, group_id: str, member_id: str) -> bool | None:
        """Whether the membership was removed now; None when the group does not exist."""
        ...

    def group_members_page(self, group_id: str, after: str, limit: int) -> list[str]: ...

    def groups_of_member(self, member_id: str, limit: int) -> list[Group]: ...

    def group_total_mismatches(self) -> list[GroupTotalMismatch]:
        """Every group whose members_total differs from a count of its MEMBER_OF edges, in
        id order (one aggregating query)."""
        ...

    # --- key connectors (connector_queries.py; GDS in the Neo4j adapter) -----------------

    def connector_members(self) -> list[ProjectedMember]: ...

    def connector_memberships(self) -> list[CircleMembership]: ...

    def connector_arrays(self) -> ConnectorArrays:
        """The projection a run reads, as arrays, read in pages (not checked: the caller
        checks)."""
        ...

    def write_connector_scores(self, scores: Sequence[ConnectorScore], computed_at: int) -> None:
        """Writes each member's score and parts onto her, in batches."""
        ...

    def write_connector_rows(self, rows: Iterable[ConnectorScoreRow], computed_at: int) -> None:
        """`write_connector_scores` from rows made as they are written (a million members
        never exist as models at once)."""
        ...

    def put_connector_run(self, run: StoredConnectorRun) -> None: ...

    def connector_run(self) -> StoredConnectorRun | None: ...

    def connector_scores_of(self, ids: Sequence[str]) -> list[ConnectorScore]:
        """The latest run's scores of these members (those scored)."""
        ...

    def connector_circle_scores(self, circle: str) -> list[ConnectorScore]:
        """The latest run's scores of a circle's members."""
        ...

    def gds_available(self) -> bool:
        """Whether the engine has Graph Data Science (only a Neo4j with the plugin)."""
        ...

    def gds_version(self) -> str:
        """The GDS version; GdsUnavailable, saying why, where there is none."""
        ...

    def gds_member_betweenness(self, *, with_circles: bool) -> dict[str, float]:
        """Every member's exact betweenness (normalised as ours), by member id, computed by
        GDS on a projection made for the call and dropped after it. `with_circles` False
        projects invitations only, and is right only when no member is in a circle.
        GdsUnavailable when there is no GDS or it refused the work."""
        ...

    # --- identity facts and abuse signals (signal_queries.py) ----------------------------

    def put_identity_facts(
        self, member_id: str, facts: Sequence[tuple[IdentityKind, str]], at: int, now: int
    ) -> bool:
        """Adds identity facts to a member, first seen at `at`; a fact she has keeps its
        first time. False: she is not a member, or was erased."""
        ...

    def put_identity_facts_of_members(
        self, members: Sequence[MemberIdentity], now: int
    ) -> set[str]:
        """`put_identity_facts` for many members in one statement (a bulk load); the ids of
        the members written (the others are not members, or were erased)."""
        ...

    def identity_facts(self) -> list[IdentityFact]: ...

    def signal_orders(self) -> list[OrderFact]: ...

    def put_signal_run(self, run_id: str, computed_at: int, signals: Sequence[RiskSignal]) -> None:
        """Stores a run's signals and makes it the run readers see, then deletes the runs
        before it."""
        ...

    def signal_run(self) -> SignalRun | None: ...

    def signals_page(
        self, kind: str | None, since: int, after: tuple[int, str] | None, limit: int
    ) -> list[RiskSignal]:
        """The latest run's signals by score (basis points) down, then id, after `after`."""
        ...

    def signals_of_member(self, member_id: str) -> list[RiskSignal]: ...

    # --- background jobs (job_queries.py) ------------------------------------------------

    def live_or_created_job(self, job: Job, heartbeat_after: int) -> Job:
        """The queued or running job of `job`'s kind whose runner beat after the time given;
        with none, `job`, created. One statement: of concurrent calls for a kind, one
        creates and the others get its job."""
        ...

    def put_job(self, job: Job) -> None: ...

    def get_job(self, job_id: str) -> Job | None: ...

    # --- the engine and the schema -------------------------------------------------------

    def ping(self) -> None: ...

    def compact(self) -> None:
        """Folds the engine's write log into a snapshot so the next start loads it fast."""
        ...

    def applied_migrations(self) -> set[str]: ...

    def apply_migration(self, migration: Migration) -> None: ...

    def record_migration(self, name: str, applied_at: int) -> None: ...

    def close(self) -> None: ...

    # --- bulk import ---------------------------------------------------------------------

    def import_members(self, batch: BulkBatch) -> int:
        """Writes one planned statement of an import (app/domain/forest.py,
        `plan_bulk_writes`) atomically; returns how many members it created."""
        ...
