"""Key-connector runs: export the projection, score every member (app/domain/connectors.py),
write the scores back with the time computed, and serve top-k reads from the run's
rankings without sorting every member per request.

Betweenness is exact up to EXACT_UP_TO members, else estimated from sampled sources in
networkx. An exact run on a Neo4j with Graph Data Science takes it from GDS instead
(app/store/neo4j_gds.py: the same definition, circles included, as long as their
members-only form stays under GDS_CIRCLE_PAIR_EDGES_LIMIT edges); the run says which source
computed it. Sampled runs never use GDS: its sampling estimates another quantity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import GdsUnavailable, InvalidInput
from app.domain.connectors import (
    PART_NAMES,
    ConnectorParts,
    ConnectorProjection,
    ConnectorScore,
    PartName,
    circle_pair_edges,
    connector_parts,
    connector_scores,
)
from app.domain.tiers import TierLadder
from app.store.port import BetweennessSource, GraphStore, StoredConnectorRun

MAX_LIMIT = 1000
# Exact betweenness is one search per member: fine for a few thousand, not for a million.
EXACT_UP_TO = 2000
DEFAULT_SAMPLE_SOURCES = 64
# GDS sees a circle of k members as k(k - 1)/2 edges (`circle_pair_edges`): past this many,
# projecting them costs more than networkx's search over the circle nodes.
GDS_CIRCLE_PAIR_EDGES_LIMIT = 1_000_000
SortKey = Literal["score", PartName]
SORT_KEYS: tuple[str, ...] = ("score", *PART_NAMES)


class ConnectorItem(BaseModel):
    member_id: str
    rank: int = Field(description="Position in the requested order, from 1")
    score: float
    parts: ConnectorParts


class ConnectorPage(BaseModel):
    computed_at: int | None = Field(description="When the latest run computed; null: none yet")
    approximate: bool = Field(description="Betweenness was estimated from sampled sources")
    betweenness_source: BetweennessSource | None = Field(
        description="What computed betweenness: Neo4j Graph Data Science or networkx; "
        "null: no run yet"
    )
    items: list[ConnectorItem]


class ConnectorRun(BaseModel):
    members: int
    approximate: bool
    computed_at: int
    betweenness_source: BetweennessSource


def run_connectors(
    *,
    store: GraphStore,
    ladder: TierLadder,
    now: int,
    sample_sources: int | None = None,
    progress: Callable[[float], None] | None = None,
) -> ConnectorRun:
    """Scores every member as of `now` and stores the run. Betweenness is exact up to
    EXACT_UP_TO members (from GDS where the store has it), else estimated from
    `sample_sources` (default 64) sources."""
    report = progress or (lambda _share: None)
    projection = ConnectorProjection(
        members=tuple(store.connector_members()),
        memberships=tuple(store.connector_memberships()),
        ladder=ladder,
    )
    report(0.2)
    members = len(projection.members)
    sample = None if members <= EXACT_UP_TO else (sample_sources or DEFAULT_SAMPLE_SOURCES)
    betweenness = None if sample is not None else _gds_betweenness(store, projection)
    source: BetweennessSource = "networkx" if betweenness is None else "gds"
    parts, approximate = connector_parts(
        projection, now, sample_sources=sample, seed=7, betweenness=betweenness
    )
    report(0.7)
    scores = connector_scores(parts)
    store.write_connector_scores(scores, now)
    report(0.9)
    store.put_connector_run(
        StoredConnectorRun(
            computed_at=now,
            approximate=approximate,
            members=members,
            betweenness_source=source,
            rankings={key: _ranked(scores, key)[:MAX_LIMIT] for key in SORT_KEYS},
        )
    )
    report(1.0)
    return ConnectorRun(
        members=members, approximate=approximate, computed_at=now, betweenness_source=source
    )


def _gds_betweenness(store: GraphStore, projection: ConnectorProjection) -> dict[str, float] | None:
    """Every member's exact betweenness from Graph Data Science, or None where networkx
    must compute it: no GDS, too many circle edges, GDS failed, or the members changed
    between the export and GDS's projection (each reads the graph once)."""
    if len(projection.members) < 3 or not store.gds_available():
        return None
    if circle_pair_edges(projection) > GDS_CIRCLE_PAIR_EDGES_LIMIT:
        return None
    try:
        betweenness = store.gds_member_betweenness(with_circles=bool(projection.memberships))
    except GdsUnavailable:
        return None
    if betweenness.keys() != {m.id for m in projection.members}:
        return None
    return betweenness


def _ranked(scores: list[ConnectorScore], key: str) -> list[str]:
    def value(item: ConnectorScore) -> float:
        return item.score if key == "score" else float(getattr(item.parts, key))

    return [item.member_id for item in sorted(scores, key=lambda s: (-value(s), s.member_id))]


def top_connectors(
    *, store: GraphStore, limit: int, circle: str | None, sort: str
) -> ConnectorPage:
    if sort not in SORT_KEYS:
        raise InvalidInput(f"sort must be one of {', '.join(SORT_KEYS)}", field="sort")
    run = store.connector_run()
    if run is None:
        return ConnectorPage(computed_at=None, approximate=False, betweenness_source=None, items=[])
    if circle is not None:
        by_id = {score.member_id: score for score in store.connector_circle_scores(circle)}
        ordered = [by_id[member_id] for member_id in _ranked(list(by_id.values()), sort)[:limit]]
    else:
        ids = run.rankings[sort][:limit]
        found = {score.member_id: score for score in store.connector_scores_of(ids)}
        ordered = [found[member_id] for member_id in ids if member_id in found]
    return ConnectorPage(
        computed_at=run.computed_at,
        approximate=run.approximate,
        betweenness_source=run.betweenness_source,
        items=[
            ConnectorItem(member_id=s.member_id, rank=rank, score=s.score, parts=s.parts)
            for rank, s in enumerate(ordered, start=1)
        ],
    )
