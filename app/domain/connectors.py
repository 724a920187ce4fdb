"""Key-connector discovery, the pure core: the parts of a member's connector score and how they
combine. Inputs are a projection of the network (members, circle memberships, the tier
ladder); nothing here reads or writes a store.

Parts, per member (all computed at `computed_at`, epoch ms):

- `paid_direct_invites`: as maintained on the member.
- `growth_30d` / `growth_90d`: members of her downline (any depth, her excluded) whose
  `joined_at` lies in (computed_at - days * 86_400_000, computed_at].
- `circles_reached`: distinct circles that some member of her downline (her excluded)
  belongs to, minus the circles she belongs to herself.
- `betweenness`: on the undirected graph whose nodes are members and circles and whose edges
  are invitations (member-member) and memberships (member-circle),

      betweenness(v) = sum over unordered pairs {s, t} of members, s != v != t, of
                       sigma(s, t | v) / sigma(s, t)
                       divided by (n - 1)(n - 2) / 2,  n = number of members,

  where sigma(s, t) counts shortest s-t paths and sigma(s, t | v) those through v. So it is
  the share of pairs of OTHER members whose shortest paths pass through her (fractional on
  ties; pairs in different components count in the denominator and never through anyone).
  Circles are intermediaries, never endpoints, and get no score. With no circles this is
  the classic normalised betweenness of an undirected graph (Freeman 1977). The same
  quantity, over members only: replace each circle by an edge of length 2 between every
  two of its members (one edge per circle they share) and take the weighted betweenness
  of that multigraph (see `circle_pair_edges`), which is how Neo4j Graph Data Science,
  where every node is an endpoint, computes it (app/store/neo4j_gds.py).
- `rising`: see `rising`.
"""

from __future__ import annotations

import gc
import heapq
import json
import math
import multiprocessing
import random
from array import array
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

import igraph as ig  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.domain.members import MemberId
from app.domain.tiers import TierLadder
from app.domain.units import EpochMs

DAY_MS = 86_400_000
CircleId = Annotated[str, StringConstraints(pattern=r"^[^\s/\x00-\x1f\x7f]{1,128}$")]

PartName = Literal[
    "paid_direct_invites",
    "growth_30d",
    "growth_90d",
    "circles_reached",
    "betweenness",
    "rising",
]
PART_NAMES: tuple[PartName, ...] = (
    "paid_direct_invites",
    "growth_30d",
    "growth_90d",
    "circles_reached",
    "betweenness",
    "rising",
)
# Bridging circles is what makes a key connector (the brief), so betweenness and circles
# reached weigh most; growth is split so that recent growth counts more than older growth
# (the 90-day window contains the 30-day one, so recent joiners count in both); `rising`
# is a forward-looking hint and the weakest signal. They sum to 1, so a score is in [0, 1].
WEIGHTS: Mapping[PartName, float] = {
    "paid_direct_invites": 0.20,
    "growth_30d": 0.15,
    "growth_90d": 0.10,
    "circles_reached": 0.20,
    "betweenness": 0.25,
    "rising": 0.10,
}


class ProjectedMember(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: MemberId
    inviter_id: MemberId | None = None
    joined_at: EpochMs
    paid_direct_invites: int = Field(ge=0)
    tier: str = Field(min_length=1, max_length=40)


class CircleMembership(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: MemberId
    circle_id: CircleId


class ConnectorProjection(BaseModel):
    """The network as connector discovery sees it. The invitation graph must be a forest
    over exactly these members: every walk up an inviter chain here relies on it ending."""

    model_config = ConfigDict(frozen=True)

    members: tuple[ProjectedMember, ...]
    memberships: tuple[CircleMembership, ...] = ()
    ladder: TierLadder

    @model_validator(mode="after")
    def a_forest_over_known_members(self) -> ConnectorProjection:
        inviter = {m.id: m.inviter_id for m in self.members}
        if len(inviter) != len(self.members):
            raise ValueError("member ids must be unique")
        for member_id, parent in inviter.items():
            if parent is not None and parent not in inviter:
                raise ValueError(f"member {member_id!r}: inviter {parent!r} is not projected")
        unknown = {m.member_id for m in self.memberships} - inviter.keys()
        if unknown:
            raise ValueError(f"memberships of unprojected members: {sorted(unknown)[:5]}")
        _check_acyclic(inviter)
        return self

    def inviters(self) -> dict[str, str | None]:
        return {m.id: m.inviter_id for m in self.members}

    def circles_of_members(self) -> dict[str, set[str]]:
        """Circle -> its members (duplicated memberships collapse)."""
        circles: dict[str, set[str]] = defaultdict(set)
        for membership in self.memberships:
            circles[membership.circle_id].add(membership.member_id)
        return dict(circles)


def _check_acyclic(inviter: Mapping[str, str | None]) -> None:
    # Each member is walked at most once overall: a walk stops at the first member already
    # known to reach a root, so this is O(members) however deep the chains are.
    reaches_root: set[str] = set()
    for start in inviter:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in reaches_root:
            if node in on_path:
                raise ValueError(f"invitation cycle through member {node!r}")
            path.append(node)
            on_path.add(node)
            node = inviter[node]
        reaches_root.update(path)


# --- the projection as arrays ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ConnectorArrays:
    """The projection as a run holds it at a million members: member i is `ids[i]`, her
    inviter's index in `inviter` (-1: none), and the memberships as two parallel arrays of
    (member index, circle index); circle j is `circle_ids[j]`. Machine integers in arrays
    rather than one object per member: a million members take tens of megabytes, not
    gigabytes, and igraph builds its graph straight from them. `check` holds it to what
    `ConnectorProjection` validates."""

    ids: list[str]
    inviter: array[int]
    joined_at: array[int]
    paid: array[int]
    circle_ids: list[str] = field(default_factory=list)
    membership_member: array[int] = field(default_factory=lambda: array("q"))
    membership_circle: array[int] = field(default_factory=lambda: array("q"))

    @property
    def members(self) -> int:
        return len(self.ids)

    @classmethod
    def from_projection(cls, projection: ConnectorProjection) -> ConnectorArrays:
        index = {m.id: i for i, m in enumerate(projection.members)}
        circles: dict[str, int] = {}
        for ms in projection.memberships:
            circles.setdefault(ms.circle_id, len(circles))
        return cls(
            ids=[m.id for m in projection.members],
            inviter=array(
                "q",
                (-1 if m.inviter_id is None else index[m.inviter_id] for m in projection.members),
            ),
            joined_at=array("q", (m.joined_at for m in projection.members)),
            paid=array("q", (m.paid_direct_invites for m in projection.members)),
            circle_ids=list(circles),
            membership_member=array("q", (index[ms.member_id] for ms in projection.memberships)),
            membership_circle=array("q", (circles[ms.circle_id] for ms in projection.memberships)),
        )

    def check(self) -> None:
        """ValueError unless the arrays are one projection: equal lengths, indices in range,
        unique ids and an invitation forest (no cycle)."""
        n = len(self.ids)
        if not len(self.inviter) == len(self.joined_at) == len(self.paid) == n:
            raise ValueError("member arrays must have one entry per member")
        if len(self.membership_member) != len(self.membership_circle):
            raise ValueError("membership arrays must have equal lengths")
        if len(set(self.ids)) != n:
            raise ValueError("member ids must be unique")
        if any(not -1 <= p < n for p in self.inviter):
            raise ValueError("an inviter is not projected")
        if any(not 0 <= m < n for m in self.membership_member) or any(
            not 0 <= c < len(self.circle_ids) for c in self.membership_circle
        ):
            raise ValueError("a membership names an unprojected member or circle")
        # Each member is walked at most once overall (a walk stops at a member known to
        # reach a root): O(members) however deep the chains are.
        state = bytearray(n)  # 0 unknown, 1 on the current walk, 2 reaches a root
        for start in range(n):
            path: list[int] = []
            node = start
            while node >= 0 and state[node] != 2:
                if state[node] == 1:
                    raise ValueError(f"invitation cycle through member {self.ids[node]!r}")
                state[node] = 1
                path.append(node)
                node = self.inviter[node]
            for v in path:
                state[v] = 2

    def circle_members(self) -> tuple[array[int], array[int]]:
        """Each circle's distinct members, as offsets (circle j's are
        members[offsets[j]:offsets[j + 1]], ascending) and one array of member indices:
        duplicated memberships collapse, as they do in a graph."""
        circles = len(self.circle_ids)
        counts = array("q", bytes(8 * (circles + 1)))
        for c in self.membership_circle:
            counts[c + 1] += 1
        for j in range(circles):
            counts[j + 1] += counts[j]
        grouped = array("q", bytes(8 * len(self.membership_member)))
        fill = array("q", counts)
        for m, c in zip(self.membership_member, self.membership_circle, strict=True):
            grouped[fill[c]] = m
            fill[c] += 1
        offsets = array("q", [0])
        members = array("q")
        for j in range(circles):
            members.extend(sorted(set(grouped[counts[j] : counts[j + 1]])))
            offsets.append(len(members))
        return offsets, members


# --- betweenness ---------------------------------------------------------------------------

Estimator = Literal["exact", "sampled"]
# The spread of the estimate is measured over this many independent batches of sources.
ERROR_BATCHES = 8
_EDGE_CHUNK = 262_144


@dataclass(frozen=True)
class BetweennessEstimate:
    """Every member's betweenness (index i: member i), and how it was had.

    `sources`: breadth-first searches run (exact: one per distinct attachment point, see
    `member_betweenness_arrays`; sampled: the members drawn). `error_bound`: for a sampled
    estimate, twice the largest standard error among the 100 highest estimates, from the
    spread of ERROR_BATCHES independent batches of the draws (about 95% of those estimates
    lie within it of the exact share); 0 for an exact run."""

    values: array[float]
    estimator: Estimator
    sources: int
    error_bound: float


def connector_graph(arrays: ConnectorArrays) -> ig.Graph:
    """The betweenness graph in igraph: vertex i < n is member i, vertex n + j circle j.
    Edges are added in chunks so that at most one chunk of Python pairs exists at a time;
    duplicated memberships collapse (a multigraph would count its parallel paths twice)."""
    n = arrays.members
    offsets, members = arrays.circle_members()
    graph = ig.Graph(n + len(arrays.circle_ids))
    chunk: list[tuple[int, int]] = []
    for v, p in enumerate(arrays.inviter):
        if p >= 0:
            chunk.append((p, v))
            if len(chunk) >= _EDGE_CHUNK:
                graph.add_edges(chunk)
                chunk = []
    for j in range(len(arrays.circle_ids)):
        circle = n + j
        chunk.extend((m, circle) for m in members[offsets[j] : offsets[j + 1]])
        if len(chunk) >= _EDGE_CHUNK:
            graph.add_edges(chunk)
            chunk = []
    if chunk:
        graph.add_edges(chunk)
    return graph


@dataclass(frozen=True)
class _Shape:
    """What the exact part of betweenness needs (see `member_betweenness_arrays`)."""

    tree_pairs: array[float]  # per member: her exactly counted pairs, halved as igraph's
    weight: dict[int, int]  # core vertex -> members that attach to it (her included)
    attachment: array[int]  # per member: the core vertex she attaches to; -1 for none


def _shape(graph: ig.Graph, members: int) -> _Shape:
    total = graph.vcount()
    coreness = graph.coreness()
    component = graph.connected_components().membership
    component_members: dict[int, int] = defaultdict(int)
    for v in range(members):
        component_members[component[v]] += 1
    # A root joined to every core vertex and to one vertex of each component without a core:
    # one breadth-first search from it orients every hanging tree towards where it hangs.
    root = total
    seeds = [v for v in range(total) if coreness[v] >= 2]
    coreless = {component[v] for v in range(total)} - {component[v] for v in seeds}
    seen: set[int] = set()
    for v in range(total):
        if component[v] in coreless and component[v] not in seen:
            seen.add(component[v])
            seeds.append(v)
    graph.add_vertices(1)
    for start in range(0, len(seeds), _EDGE_CHUNK):
        graph.add_edges([(root, v) for v in seeds[start : start + _EDGE_CHUNK]])
    order, _layers, parent = graph.bfs(root)
    graph.delete_vertices(root)
    below = [0] * total  # members in the hanging trees under v (her excluded)
    below_squares = [0] * total
    for v in reversed(order[1:]):
        if coreness[v] >= 2:
            continue
        hanging = below[v] + (1 if v < members else 0)
        p = parent[v]
        if p != root:
            below[p] += hanging
            below_squares[p] += hanging * hanging
    attachment = array("q", bytes(8 * total))
    for v in order[1:]:
        p = parent[v]
        if coreness[v] >= 2:
            attachment[v] = v
        else:
            attachment[v] = -1 if p == root else attachment[p]
    tree_pairs = array("d", bytes(8 * members))
    for v in range(members):
        others = component_members[component[v]] - 1
        if coreness[v] >= 2:
            # Pairs with an end in one of her hanging trees and the other end elsewhere in
            # her component: every path between them passes through her.
            tree_pairs[v] = (below[v] * others - below_squares[v]) / 2
        else:
            # A hanging vertex cuts her component: every pair she separates is hers.
            rest = others - below[v]
            tree_pairs[v] = (others * others - below_squares[v] - rest * rest) / 2
    weight = {
        v: below[v] + (1 if v < members else 0)
        for v in range(total)
        if coreness[v] >= 2 and below[v] + (1 if v < members else 0) > 0
    }
    return _Shape(tree_pairs, weight, array("q", attachment[:members]))


# The graph and targets a worker process searches, set before the pool forks so that each
# worker shares the parent's copy instead of receiving one.
_WORK: tuple[ig.Graph, list[int]] | None = None


def _dependencies(task: list[tuple[int, list[int]]]) -> bytes:
    """sum over (weight, sources) of weight x igraph's subset betweenness of the members
    from those sources to every member (halved, as networkx and igraph both do on an
    undirected graph), as the bytes of an array of doubles."""
    assert _WORK is not None
    graph, targets = _WORK
    total = array("d", bytes(8 * len(targets)))
    for weight, sources in task:
        values = graph.betweenness(
            vertices=targets, directed=False, sources=sources, targets=targets
        )
        for i, value in enumerate(values):
            if value:
                total[i] += weight * value
    return total.tobytes()


def _run_tasks(
    graph: ig.Graph, members: int, tasks: list[list[tuple[int, list[int]]]], workers: int
) -> list[array[float]]:
    global _WORK
    _WORK = (graph, list(range(members)))
    try:
        if workers <= 1 or len(tasks) <= 1:
            answers = [_dependencies(task) for task in tasks]
        else:
            # Fork after building: the workers share the graph page for page. gc.freeze keeps
            # a worker's collector from touching (and so copying) every object it inherited.
            gc.freeze()
            try:
                context = multiprocessing.get_context("fork")
                with context.Pool(min(workers, len(tasks))) as pool:
                    answers = pool.map(_dependencies, tasks, chunksize=1)
            finally:
                gc.unfreeze()
    finally:
        _WORK = None
    out = []
    for answer in answers:
        values = array("d")
        values.frombytes(answer)
        out.append(values)
    return out


def _split(weighted: Mapping[int, list[int]], parts: int) -> list[list[tuple[int, list[int]]]]:
    """The sources of each weight dealt round-robin into `parts` tasks of about equal size."""
    tasks: list[list[tuple[int, list[int]]]] = [[] for _ in range(parts)]
    for weight, sources in sorted(weighted.items()):
        for p in range(parts):
            share = sources[p::parts]
            if share:
                tasks[p].append((weight, share))
    return [task for task in tasks if task]


def member_betweenness_arrays(
    arrays: ConnectorArrays, *, sample_sources: int | None, seed: int, workers: int = 1
) -> BetweennessEstimate:
    """Every member's betweenness (module docstring), exact or estimated, in igraph.

    The exact part. Peel the graph to its 2-core (igraph's coreness): what is peeled off are
    trees hanging from core vertices (or whole components that are trees). A hanging vertex
    cuts her component, so her betweenness is the number of member pairs she separates,
    counted exactly from the sizes of the pieces. A member s in a tree hanging from core
    vertex x reaches everything outside her tree through x, so for every vertex v outside
    it, her pairs through v are those of x: the search from x, weighted by the w(x) members
    attached to x (x's own tree, x included if she is a member), stands for all of theirs.
    A core member v gets her pairs with one end in her own hanging trees exactly too.

    The searched part, sum over core x of w(x) x (igraph's subset betweenness from x to all
    members), is computed from every core x with w(x) > 0 when `sample_sources` is None or
    at least the number of members, else estimated: `sample_sources` members are drawn
    uniformly with replacement (seeded) and each drawn member's attachment point searched,
    scaled by members / draws. This is unbiased for every member, never searches from a
    hanging member (whose search would credit her inviter with the whole network), and
    costs one search per draw. The draws are split into ERROR_BATCHES batches whose spread
    gives the error bound; `workers` > 1 runs the searches in that many forked processes."""
    if sample_sources is not None and sample_sources < 2:
        raise ValueError("sample_sources must be at least 2 (or None for the exact value)")
    n = arrays.members
    if n < 3:
        return BetweennessEstimate(array("d", bytes(8 * n)), "exact", 0, 0.0)
    graph = connector_graph(arrays)
    shape = _shape(graph, n)
    other_pairs = (n - 1) * (n - 2) / 2
    # The exact sum needs one search per weighted core vertex: when that is no more than the
    # draws would cost (a forest has none), the exact value is the cheaper answer.
    exact = sample_sources is None or sample_sources >= min(n, len(shape.weight))
    if exact:
        weighted: dict[int, list[int]] = defaultdict(list)
        for vertex, weight in shape.weight.items():
            weighted[weight].append(vertex)
        tasks = _split(weighted, max(workers, 1) * 2)
        sums = _run_tasks(graph, n, tasks, workers)
        searched = array("d", bytes(8 * n))
        for part in sums:
            for i, value in enumerate(part):
                searched[i] += value
        # A hanging member's searched dependencies are already among the pairs she cuts.
        values = array(
            "d",
            (
                (shape.tree_pairs[i] + (searched[i] if shape.attachment[i] == i else 0.0))
                / other_pairs
                for i in range(n)
            ),
        )
        return BetweennessEstimate(values, "exact", len(shape.weight), 0.0)
    assert sample_sources is not None
    rng = random.Random(seed)
    draws = [shape.attachment[rng.randrange(n)] for _ in range(sample_sources)]
    batches = min(ERROR_BATCHES, sample_sources)
    tasks = []
    sizes = []
    for b in range(batches):
        batch = draws[b::batches]
        sizes.append(len(batch))
        counted: dict[int, int] = defaultdict(int)
        for vertex in batch:
            if vertex >= 0:  # a member of a tree-shaped component: nothing to search
                counted[vertex] += 1
        by_weight: dict[int, list[int]] = defaultdict(list)
        for vertex, times in counted.items():
            by_weight[times].append(vertex)
        tasks.append(sorted(by_weight.items()))
    sums = _run_tasks(graph, n, tasks, workers)
    for part in sums:  # a hanging member's searched dependencies are among the pairs she cuts
        for i in range(n):
            if shape.attachment[i] != i:
                part[i] = 0.0
    estimates = [
        array("d", (value * n / size for value in part))
        for part, size in zip(sums, sizes, strict=True)
    ]
    values = array("d", bytes(8 * n))
    for part in sums:
        for i, value in enumerate(part):
            values[i] += value
    for i in range(n):
        values[i] = (shape.tree_pairs[i] + values[i] * n / sample_sources) / other_pairs
    top = heapq.nlargest(100, range(n), key=values.__getitem__)
    worst = 0.0
    for i in top:
        batch_values = [e[i] for e in estimates]
        mean = sum(batch_values) / batches
        variance = sum((x - mean) ** 2 for x in batch_values) / (batches - 1)
        worst = max(worst, math.sqrt(variance / batches))
    return BetweennessEstimate(values, "sampled", sample_sources, 2 * worst / other_pairs)


def member_betweenness(
    projection: ConnectorProjection, *, sample_sources: int | None, seed: int
) -> tuple[dict[str, float], bool]:
    """`member_betweenness_arrays` by member id, and whether it is a sampled estimate."""
    estimate = member_betweenness_arrays(
        ConnectorArrays.from_projection(projection), sample_sources=sample_sources, seed=seed
    )
    return (
        {m.id: estimate.values[i] for i, m in enumerate(projection.members)},
        estimate.estimator == "sampled",
    )


def betweenness_from_pair_sums(pair_sums: Mapping[str, float]) -> dict[str, float]:
    """Normalises each member's sum over unordered pairs of other members of
    sigma(s, t | v) / sigma(s, t) by the number of those pairs, (n - 1)(n - 2) / 2, where n
    is the number of members: `pair_sums` must name every member. Below 3 members there is
    no pair of others, and every share is 0."""
    n = len(pair_sums)
    if n < 3:
        return dict.fromkeys(pair_sums, 0.0)
    other_pairs = (n - 1) * (n - 2) / 2
    return {member_id: value / other_pairs for member_id, value in pair_sums.items()}


def circle_pair_edges(projection: ConnectorProjection) -> int:
    """How many edges the members-only form of the betweenness graph has in place of its
    circles: one of length 2 between every two members of a circle, per circle.

    Why it is the same betweenness: in the graph with circle nodes a circle touches only
    members, so a member-to-member path visits a circle as a step a-circle-b (a != b, else
    the path is not simple), of length 2. Replacing each such step by the edge (a, b) of
    that circle is a bijection between the member-to-member paths of the two graphs that
    keeps every length and every member on the path, so shortest paths, their counts
    sigma(s, t) and sigma(s, t | v) are the same for every pair of members and every member
    v. Two members sharing two circles have two parallel edges, as they have two paths of
    length 2 through circles. The price is quadratic: a circle of k members becomes
    k(k - 1)/2 edges."""
    return sum(
        len(members) * (len(members) - 1) // 2
        for members in projection.circles_of_members().values()
    )


# --- growth and reach ----------------------------------------------------------------------


def growth_counts_arrays(arrays: ConnectorArrays, computed_at: int, days: int) -> array[int]:
    """Per member (by index): how many of her downline (any depth, her excluded) joined in
    (computed_at - days * 86_400_000, computed_at]. O(recent joiners x depth)."""
    if days <= 0:
        raise ValueError("days must be positive")
    since = computed_at - days * DAY_MS
    inviter = arrays.inviter
    counts = array("q", bytes(8 * arrays.members))
    for member, joined_at in enumerate(arrays.joined_at):
        if since < joined_at <= computed_at:
            ancestor = inviter[member]
            while ancestor >= 0:
                counts[ancestor] += 1
                ancestor = inviter[ancestor]
    return counts


def growth_counts(projection: ConnectorProjection, computed_at: int, days: int) -> dict[str, int]:
    """`growth_counts_arrays` by member id."""
    counts = growth_counts_arrays(ConnectorArrays.from_projection(projection), computed_at, days)
    return {m.id: counts[i] for i, m in enumerate(projection.members)}


def circles_reached_arrays(arrays: ConnectorArrays) -> array[int]:
    """Per member (by index): distinct circles that members of her downline (her excluded)
    belong to, not counting circles she belongs to herself.

    Per circle, each member's ancestors are marked once: a walk stops at an ancestor already
    marked for this circle, since everything above her is marked too. So the cost is, per
    circle, the number of distinct ancestors of its members."""
    inviter = arrays.inviter
    offsets, members = arrays.circle_members()
    counts = array("q", bytes(8 * arrays.members))
    # Stamps of the circle being walked, instead of a set per circle: -1 is no circle.
    marked = array("q", [-1]) * arrays.members
    own = array("q", [-1]) * arrays.members
    for circle in range(len(offsets) - 1):
        these = members[offsets[circle] : offsets[circle + 1]]
        for member in these:
            own[member] = circle
        for member in these:
            ancestor = inviter[member]
            while ancestor >= 0 and marked[ancestor] != circle:
                marked[ancestor] = circle
                # An ancestor in the circle herself does not reach it through her downline.
                if own[ancestor] != circle:
                    counts[ancestor] += 1
                ancestor = inviter[ancestor]
    return counts


def circles_reached(projection: ConnectorProjection) -> dict[str, int]:
    """`circles_reached_arrays` by member id."""
    counts = circles_reached_arrays(ConnectorArrays.from_projection(projection))
    return {m.id: counts[i] for i, m in enumerate(projection.members)}


def rising(
    paid_direct_invites: int, next_threshold: int | None, growth_30d: int, growth_90d: int
) -> float:
    """In [0, 1]: closeness to the next tier x acceleration of her downline's growth.

    closeness    = paid_direct_invites / next_threshold, in [0, 1); 0 at the top tier
                   (`next_threshold` None: there is no next tier to rise to).
    acceleration = min(growth_30d / max(growth_90d / 3, 1), 2) / 2, in [0, 1]: the last 30
                   days' joiners against the 90-day monthly average; steady growth is 0.5,
                   all of the 90 days' growth in the last 30 is 1. The floor of 1 joiner a
                   month keeps a single recent joiner from reading as a surge.
    rising       = closeness x acceleration.
    """
    if min(paid_direct_invites, growth_30d, growth_90d) < 0:
        raise ValueError("counts must not be negative")
    if growth_30d > growth_90d:
        raise ValueError("growth_30d counts joiners that growth_90d also counts")
    if next_threshold is None:
        return 0.0
    if next_threshold <= paid_direct_invites:
        raise ValueError("the next threshold must be above the paid invites already made")
    closeness = paid_direct_invites / next_threshold
    acceleration = min(growth_30d / max(growth_90d / 3, 1.0), 2.0) / 2.0
    return closeness * acceleration


# --- the score -----------------------------------------------------------------------------


class ConnectorParts(BaseModel):
    model_config = ConfigDict(frozen=True)

    paid_direct_invites: int = Field(ge=0)
    growth_30d: int = Field(ge=0)
    growth_90d: int = Field(ge=0)
    circles_reached: int = Field(ge=0)
    betweenness: float = Field(ge=0, le=1)
    rising: float = Field(ge=0, le=1)


class ConnectorScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: str
    score: float = Field(description="Weighted sum of the parts, each divided by its maximum")
    parts: ConnectorParts = Field(description="Raw, unnormalised parts")


def connector_scores(
    parts: Mapping[str, ConnectorParts], weights: Mapping[PartName, float] = WEIGHTS
) -> list[ConnectorScore]:
    """score = sum over parts p of weights[p] * value_p / max over members of value_p (a part
    whose maximum is 0 contributes 0). Best first; ties by member id."""
    if set(weights) != set(PART_NAMES):
        raise ValueError(f"weights must name exactly {list(PART_NAMES)}")
    if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 1.0) > 1e-9:
        raise ValueError("weights must be non-negative and sum to 1")
    maxima = {
        name: max((float(getattr(p, name)) for p in parts.values()), default=0.0)
        for name in PART_NAMES
    }
    scores = [
        ConnectorScore(
            member_id=member_id,
            score=sum(
                weights[name] * float(getattr(p, name)) / maxima[name]
                for name in PART_NAMES
                if maxima[name] > 0
            ),
            parts=p,
        )
        for member_id, p in parts.items()
    ]
    scores.sort(key=lambda s: (-s.score, s.member_id))
    return scores


@dataclass(frozen=True, eq=False)
class ConnectorColumns:
    """Every member's parts, one array per part (index i: member i of the arrays)."""

    paid_direct_invites: array[int]
    growth_30d: array[int]
    growth_90d: array[int]
    circles_reached: array[int]
    betweenness: array[float]
    rising: array[float]

    def column(self, name: PartName) -> array[int] | array[float]:
        column: array[int] | array[float] = getattr(self, name)
        return column

    def parts(self, i: int) -> ConnectorParts:
        return ConnectorParts.model_validate({name: self.column(name)[i] for name in PART_NAMES})

    def parts_json(self, i: int) -> str:
        """`parts(i)` as JSON (what ConnectorParts reads back), without a model per member."""
        return json.dumps(
            {name: self.column(name)[i] for name in PART_NAMES}, separators=(",", ":")
        )


def connector_columns(
    arrays: ConnectorArrays, ladder: TierLadder, computed_at: int, betweenness: array[float]
) -> ConnectorColumns:
    """Every member's parts at `computed_at`, `betweenness` computed already (index i:
    member i)."""
    if len(betweenness) != arrays.members:
        raise ValueError("betweenness must name every member")
    recent = growth_counts_arrays(arrays, computed_at, 30)
    quarter = growth_counts_arrays(arrays, computed_at, 90)
    thresholds: dict[int, int | None] = {}
    rises = array("d", bytes(8 * arrays.members))
    for i, paid in enumerate(arrays.paid):
        if paid not in thresholds:
            step = ladder.next_step(paid)
            thresholds[paid] = None if step is None else step.min_paid_invites
        rises[i] = rising(paid, thresholds[paid], recent[i], quarter[i])
    return ConnectorColumns(
        paid_direct_invites=arrays.paid,
        growth_30d=recent,
        growth_90d=quarter,
        circles_reached=circles_reached_arrays(arrays),
        # Sampling can overshoot the exact share a little; the part is a share.
        betweenness=array("d", (min(value, 1.0) for value in betweenness)),
        rising=rises,
    )


def score_column(
    columns: ConnectorColumns, weights: Mapping[PartName, float] = WEIGHTS
) -> array[float]:
    """`connector_scores`' score of every member, by index, from the columns."""
    if set(weights) != set(PART_NAMES):
        raise ValueError(f"weights must name exactly {list(PART_NAMES)}")
    if any(w < 0 for w in weights.values()) or abs(sum(weights.values()) - 1.0) > 1e-9:
        raise ValueError("weights must be non-negative and sum to 1")
    scores = array("d", bytes(8 * len(columns.paid_direct_invites)))
    for name in PART_NAMES:
        column = columns.column(name)
        maximum = float(max(column, default=0))
        if maximum > 0:
            weight = weights[name]
            for i, value in enumerate(column):
                scores[i] += weight * float(value) / maximum
    return scores


def connector_parts(
    projection: ConnectorProjection,
    computed_at: int,
    *,
    sample_sources: int | None,
    seed: int,
    betweenness: Mapping[str, float] | None = None,
) -> tuple[dict[str, ConnectorParts], bool]:
    """Every member's parts at `computed_at`, and whether betweenness is a sampled estimate.

    `betweenness`, when given, is every member's exact betweenness as defined above,
    computed elsewhere (Graph Data Science); it must name exactly the projection's members,
    and `sample_sources` and `seed` are then unused."""
    approximate = False
    if betweenness is None:
        betweenness, approximate = member_betweenness(
            projection, sample_sources=sample_sources, seed=seed
        )
    elif betweenness.keys() != {m.id for m in projection.members}:
        raise ValueError("precomputed betweenness must name exactly the projected members")
    recent = growth_counts(projection, computed_at, 30)
    quarter = growth_counts(projection, computed_at, 90)
    reached = circles_reached(projection)
    parts: dict[str, ConnectorParts] = {}
    for member in projection.members:
        step = projection.ladder.next_step(member.paid_direct_invites)
        parts[member.id] = ConnectorParts(
            paid_direct_invites=member.paid_direct_invites,
            growth_30d=recent[member.id],
            growth_90d=quarter[member.id],
            circles_reached=reached[member.id],
            # Sampling can overshoot the exact share a little; the part is a share.
            betweenness=min(betweenness[member.id], 1.0),
            rising=rising(
                member.paid_direct_invites,
                None if step is None else step.min_paid_invites,
                recent[member.id],
                quarter[member.id],
            ),
        )
    return parts, approximate
