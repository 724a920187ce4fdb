"""Key-connector runs: export the projection as arrays, score every member
(app/domain/connectors.py), write the scores back with the time computed, and serve top-k
reads from the run's rankings without sorting every member per request.

Betweenness is computed in igraph: exactly up to EXACT_UP_TO members (about 20 s on two
cores at 20,000), else estimated from sampled sources (default DEFAULT_SAMPLE_SOURCES)
searched in WORKERS processes. An exact run on a Neo4j with Graph Data Science takes it
from GDS instead (app/store/neo4j_gds.py: the same definition, circles included, as long as
their members-only form stays under GDS_CIRCLE_PAIR_EDGES_LIMIT edges); the run says which
source computed it, how it was estimated and with what error. Sampled runs never use GDS:
its sampling estimates another quantity."""

from __future__ import annotations

import heapq
import os
import time
from array import array
from collections.abc import Callable, Iterator
from typing import Literal

from pydantic import BaseModel, Field

from app.core.errors import GdsUnavailable, InvalidInput
from app.domain.connectors import (
    PART_NAMES,
    BetweennessEstimate,
    ConnectorArrays,
    ConnectorParts,
    ConnectorScore,
    Estimator,
    PartName,
    connector_columns,
    member_betweenness_arrays,
    score_column,
)
from app.domain.tiers import TierLadder
from app.services.jobs import start_job
from app.services.periodic import Periodic
from app.store.port import BetweennessSource, ConnectorScoreRow, GraphStore, StoredConnectorRun

MAX_LIMIT = 1000
# Exact betweenness is one search per core vertex: ~45 s on one core at 20,000 members
# (generated, 200 circles of 300), quadratic beyond.
EXACT_UP_TO = 20_000
# Sampled runs: 256 sources take ~1 minute on two cores at a million members.
DEFAULT_SAMPLE_SOURCES = 256
WORKERS = max(1, min(os.cpu_count() or 1, 8))
# GDS sees a circle of k members as k(k - 1)/2 edges (`circle_pair_edges`): past this many,
# projecting them costs more than igraph's search over the circle nodes.
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
        description="What computed betweenness: igraph, or Neo4j Graph Data Science "
        "(networkx: a run stored before igraph); null: no run yet"
    )
    estimator: Estimator | None = Field(
        default=None,
        description="exact, or sampled: hanging trees exact, the rest from sampled sources; "
        "null: no run yet or not recorded",
    )
    sources: int | None = Field(
        default=None, description="Breadth-first searches the estimate ran (null: GDS)"
    )
    error_bound: float | None = Field(
        default=None,
        description="Sampled: about 95% of the top estimates lie within this of the exact "
        "betweenness (twice the largest standard error among the top 100); exact: 0",
    )
    items: list[ConnectorItem]


class ConnectorRun(BaseModel):
    members: int
    approximate: bool
    computed_at: int
    betweenness_source: BetweennessSource
    estimator: Estimator
    sources: int | None
    error_bound: float


def run_connectors(
    *,
    store: GraphStore,
    ladder: TierLadder,
    now: int,
    sample_sources: int | None = None,
    progress: Callable[[float], None] | None = None,
    workers: int | None = None,
) -> ConnectorRun:
    """Scores every member as of `now` and stores the run. Betweenness is exact up to
    EXACT_UP_TO members (from GDS where the store has it), else estimated from
    `sample_sources` (default DEFAULT_SAMPLE_SOURCES) sources in `workers` processes."""
    report = progress or (lambda _share: None)
    arrays = store.connector_arrays()
    arrays.check()
    report(0.2)
    members = arrays.members
    sample = None if members <= EXACT_UP_TO else (sample_sources or DEFAULT_SAMPLE_SOURCES)
    source: BetweennessSource = "igraph"
    estimate = None if sample is not None else _gds_betweenness(store, arrays)
    if estimate is None:
        estimate = member_betweenness_arrays(
            arrays, sample_sources=sample, seed=7, workers=workers or WORKERS
        )
    else:
        source = "gds"
    columns = connector_columns(arrays, ladder, now, estimate.values)
    scores = score_column(columns)
    report(0.7)
    rankings = {"score": _top(arrays.ids, scores, MAX_LIMIT)} | {
        name: _top(arrays.ids, columns.column(name), MAX_LIMIT) for name in PART_NAMES
    }

    def rows() -> Iterator[ConnectorScoreRow]:
        for i, member_id in enumerate(arrays.ids):
            yield ConnectorScoreRow(member_id, scores[i], columns.parts_json(i))

    store.write_connector_rows(rows(), now)
    report(0.9)
    approximate = estimate.estimator == "sampled"
    sources = None if source == "gds" else estimate.sources
    stored = StoredConnectorRun(
        computed_at=now,
        approximate=approximate,
        members=members,
        betweenness_source=source,
        estimator=estimate.estimator,
        sources=sources,
        error_bound=estimate.error_bound,
        rankings=rankings,
    )
    store.put_connector_run(stored)
    report(1.0)
    return ConnectorRun(**stored.model_dump(exclude={"rankings"}))


def _top(ids: list[str], values: array[int] | array[float], limit: int) -> list[str]:
    """The `limit` member ids with the highest values, ties by member id."""
    best = heapq.nsmallest(limit, range(len(ids)), key=lambda i: (-values[i], ids[i]))
    return [ids[i] for i in best]


def _gds_betweenness(store: GraphStore, arrays: ConnectorArrays) -> BetweennessEstimate | None:
    """Every member's exact betweenness from Graph Data Science, or None where igraph
    must compute it: no GDS, too many circle edges, GDS failed, or the members changed
    between the export and GDS's projection (each reads the graph once)."""
    if arrays.members < 3 or not store.gds_available():
        return None
    offsets, _ = arrays.circle_members()
    pair_edges = sum(
        (offsets[j + 1] - offsets[j]) * (offsets[j + 1] - offsets[j] - 1) // 2
        for j in range(len(offsets) - 1)
    )
    if pair_edges > GDS_CIRCLE_PAIR_EDGES_LIMIT:
        return None
    try:
        betweenness = store.gds_member_betweenness(with_circles=bool(arrays.circle_ids))
    except GdsUnavailable:
        return None
    if betweenness.keys() != set(arrays.ids):
        return None
    return BetweennessEstimate(
        array("d", (betweenness[member_id] for member_id in arrays.ids)), "exact", 0, 0.0
    )


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
        estimator=run.estimator,
        sources=run.sources,
        error_bound=run.error_bound,
        items=[
            ConnectorItem(member_id=s.member_id, rank=rank, score=s.score, parts=s.parts)
            for rank, s in enumerate(ordered, start=1)
        ],
    )


def connector_schedule(store: GraphStore, ladder: TierLadder, every_s: float) -> Periodic:
    """Starts a connector run every `every_s` seconds (0: never), as `POST /v1/jobs/connectors`
    does: one run at a time, so a round that finds one still going starts nothing."""

    def start() -> None:
        start_job(
            store=store,
            kind="connectors",
            work=lambda progress: run_connectors(
                store=store, ladder=ladder, now=int(time.time() * 1000), progress=progress
            ),
        )

    return Periodic("connector-schedule", every_s, start)
