"""Identity facts and abuse signals on the port (app/store/port.py), written once over named
queries: the facts members carry, what a signals run reads, and the runs it writes."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections import Counter
from collections.abc import Sequence
from itertools import islice
from typing import Any

from app.domain.identity import IdentityFact, IdentityKind, MemberIdentity
from app.domain.signals import OrderFact, RiskSignal
from app.store.column_pages import column_pages, integers, texts
from app.store.port import SignalRun

Record = dict[str, Any]
# Signals per write, and stale signals deleted per statement.
SIGNAL_BATCH = 2_000
# Members (Neo4j) or internal ids (FalkorDB) per page of an export a run reads.
EXPORT_PAGE = 100_000


class SignalQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def put_identity_facts(
        self, member_id: str, facts: Sequence[tuple[IdentityKind, str]], at: int, now: int
    ) -> bool:
        if not facts:
            return True
        written = self.put_identity_facts_of_members([MemberIdentity(member_id, facts, at)], now)
        return member_id in written

    def put_identity_facts_of_members(
        self, members: Sequence[MemberIdentity], now: int
    ) -> set[str]:
        rows = [
            {
                "member_id": member.member_id,
                "at": member.at,
                "facts": [
                    {"key": f"{kind}:{value}", "kind": kind, "value": value}
                    for kind, value in member.facts
                ],
            }
            for member in members
            if member.facts
        ]
        if not rows:
            return set()
        return set(self._write("identity_put", {"members": rows, "now": now})[0]["member_ids"])

    def identity_facts(self) -> list[IdentityFact]:
        # Models are made without validation: the values were validated when they came in.
        facts: list[IdentityFact] = []
        ceiling = self._read("connector_node_ceiling", {})[0]["ceiling"]  # the members
        for _, page in column_pages(self._read, "identity_fact_page", EXPORT_PAGE, ceiling):
            count = page["facts"]
            facts.extend(
                IdentityFact.model_construct(member_id=member_id, kind=kind, value=value, at=at)
                for member_id, kind, value, at in zip(
                    texts(page["member_ids"], count),
                    texts(page["kinds"], count),
                    texts(page["fact_values"], count),
                    integers(page["at"], count),
                    strict=True,
                )
            )
        return facts

    def signal_orders(self) -> list[OrderFact]:
        orders: list[OrderFact] = []
        ceiling = self._read("node_id_ceiling", {})[0]["ceiling"]
        for _, page in column_pages(self._read, "signal_order_page", EXPORT_PAGE, ceiling):
            count = page["orders"]
            orders.extend(
                OrderFact.model_construct(
                    id=order_id,
                    buyer_id=buyer_id,
                    shared_by=shared_by or None,
                    placed_at=placed_at,
                    amount=amount,
                    refunded=refunded,
                )
                for order_id, buyer_id, shared_by, placed_at, amount, refunded in zip(
                    texts(page["ids"], count),
                    texts(page["buyer_ids"], count),
                    texts(page["shared_by"], count),
                    integers(page["placed_at"], count),
                    integers(page["amounts"], count),
                    integers(page["refunded"], count),
                    strict=True,
                )
            )
        return orders

    def put_signal_run(self, run_id: str, computed_at: int, signals: Sequence[RiskSignal]) -> None:
        # Written under a new run id, named as the latest only once complete, then the
        # runs before it deleted: a reader sees one whole run or the one before.
        stream = iter(signals)
        while batch := list(islice(stream, SIGNAL_BATCH)):
            rows = [
                {
                    "id": s.id,
                    "kind": s.kind,
                    "score_bp": round(s.score * 10_000),
                    "member_ids": s.members,
                    "summary": s.summary,
                    "evidence_json": json.dumps(s.evidence, sort_keys=True, separators=(",", ":")),
                    "at": s.at,
                }
                for s in batch
            ]
            self._write(
                "signals_put", {"signals": rows, "run_id": run_id, "computed_at": computed_at}
            )
        counts = Counter(s.kind for s in signals)
        run = {
            "run_id": run_id,
            "computed_at": computed_at,
            "signals": len(signals),
            "kinds": list(counts),
            "counts": list(counts.values()),
        }
        self._write("signal_run_put", run)
        while self._write("signals_prune", {"run_id": run_id, "limit": SIGNAL_BATCH})[0]["deleted"]:
            pass

    def signal_run(self) -> SignalRun | None:
        rows = self._read("signal_run", {})
        if not rows:
            return None
        row = rows[0]
        return SignalRun(
            run_id=row["run_id"],
            computed_at=row["computed_at"],
            signals=row["signals"],
            counts=dict(zip(row["kinds"] or [], row["counts"] or [], strict=True)),
        )

    def signals_page(
        self, kind: str | None, since: int, after: tuple[int, str] | None, limit: int
    ) -> list[RiskSignal]:
        params = {
            "kind": kind,
            "since": since,
            "after_score": None if after is None else after[0],
            "after_id": None if after is None else after[1],
            "limit": limit,
        }
        return [_signal(row) for row in self._read("signals_page", params)]

    def signals_of_member(self, member_id: str) -> list[RiskSignal]:
        return [_signal(row) for row in self._read("signals_of_member", {"member_id": member_id})]


def _signal(row: Record) -> RiskSignal:
    return RiskSignal(
        id=row["id"],
        kind=row["kind"],
        score=row["score_bp"] / 10_000,
        members=list(row["member_ids"]),
        summary=row["summary"],
        evidence=json.loads(row["evidence_json"]),
        at=row["at"],
    )
