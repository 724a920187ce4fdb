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

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

import networkx as nx  # type: ignore[import-untyped]
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


# --- betweenness ---------------------------------------------------------------------------


def projection_graph(projection: ConnectorProjection) -> nx.Graph:
    """Node i < n is the i-th member, node n + j the j-th circle (in order of first
    membership): member and circle ids live in different spaces, and integer nodes make
    networkx's BFS about a third faster than tuple keys (measured on 100,000 members). A
    circle is one node joined to its members, so a circle of 300 adds 300 edges, not the
    44,850 of a clique."""
    index = {m.id: i for i, m in enumerate(projection.members)}
    circles: dict[str, int] = {}
    for ms in projection.memberships:
        circles.setdefault(ms.circle_id, len(index) + len(circles))
    graph = nx.Graph()
    graph.add_nodes_from(range(len(index)))
    graph.add_edges_from(
        (index[m.inviter_id], index[m.id]) for m in projection.members if m.inviter_id
    )
    graph.add_edges_from(
        (index[ms.member_id], circles[ms.circle_id]) for ms in projection.memberships
    )
    return graph


def _pair_dependencies(
    graph: nx.Graph, sources: Iterable[int], targets: list[int]
) -> dict[int, float]:
    """sum over s in sources, t in targets of sigma(s, t | v) / sigma(s, t), halved.

    networkx walks every (s, t) in sources x targets in the s -> t direction only and, on an
    undirected graph with normalized=False, multiplies by 1/2 (its `_rescale`: N / (N * 2)) so
    that sources = targets = all counts each unordered pair once. The halving is kept here
    and accounted for by the caller."""
    raw = nx.betweenness_centrality_subset(
        graph, sources=list(sources), targets=targets, normalized=False
    )
    return {node: float(value) for node, value in raw.items()}


def member_betweenness(
    projection: ConnectorProjection, *, sample_sources: int | None, seed: int
) -> tuple[dict[str, float], bool]:
    """Each member's share of the pairs of other members whose shortest paths pass through
    her (module docstring), and whether it is a sampled estimate.

    Exact when `sample_sources` is None or at least the number of members n: one BFS per
    member, O(n * (nodes + edges)). Otherwise k = `sample_sources` source members are drawn
    uniformly without replacement (seeded) and every member is still a target. A sampled
    member's own BFS can never pass through her, so her pairs are covered by the other k - 1
    sources out of n - 1 possible ones, and everyone else's by k out of n - 1: the estimate
    is scaled by (n - 1) / (k - 1) or (n - 1) / k respectively, which is unbiased for every
    member whether or not she was drawn (the plain n / k is unbiased only averaged over both
    cases, and under-counts a drawn member by about (k - 1) / k). Draws follow the order of
    `projection.members`, so the same seed on the same projection gives the same estimate."""
    if sample_sources is not None and sample_sources < 2:
        raise ValueError("sample_sources must be at least 2 (or None for the exact value)")
    members = list(range(len(projection.members)))
    n = len(members)
    if n < 3:
        return {m.id: 0.0 for m in projection.members}, False
    graph = projection_graph(projection)
    approximate = sample_sources is not None and sample_sources < n
    if not approximate:
        dependencies = _pair_dependencies(graph, members, members)
        # sources = targets = members: each unordered pair {s, t} appears as (s, t) and (t, s),
        # and networkx's halving makes it count once.
        pair_sums = {node: dependencies[node] for node in members}
    else:
        assert sample_sources is not None
        k = sample_sources
        sampled = random.Random(seed).sample(members, k)
        dependencies = _pair_dependencies(graph, sampled, members)
        chosen = set(sampled)
        # The halving is right as it stands: the sum over all possible sources, halved, is
        # the unordered-pair sum, and the sample's sum stands for (k or k - 1) / (n - 1) of it.
        pair_sums = {
            node: dependencies[node] * (n - 1) / ((k - 1) if node in chosen else k)
            for node in members
        }
    return betweenness_from_pair_sums(
        {m.id: pair_sums[node] for node, m in enumerate(projection.members)}
    ), approximate


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


def growth_counts(projection: ConnectorProjection, computed_at: int, days: int) -> dict[str, int]:
    """Per member: how many of her downline (any depth, her excluded) joined in
    (computed_at - days * 86_400_000, computed_at]. O(recent joiners x depth)."""
    if days <= 0:
        raise ValueError("days must be positive")
    since = computed_at - days * DAY_MS
    inviter = projection.inviters()
    counts = dict.fromkeys(inviter, 0)
    for member in projection.members:
        if since < member.joined_at <= computed_at:
            ancestor = member.inviter_id
            while ancestor is not None:
                counts[ancestor] += 1
                ancestor = inviter[ancestor]
    return counts


def circles_reached(projection: ConnectorProjection) -> dict[str, int]:
    """Per member: distinct circles that members of her downline (her excluded) belong to,
    not counting circles she belongs to herself.

    Per circle, each member's ancestors are marked once: a walk stops at an ancestor already
    marked for this circle, since everything above her is marked too. So the cost is, per
    circle, the number of distinct ancestors of its members."""
    inviter = projection.inviters()
    counts = dict.fromkeys(inviter, 0)
    for members in projection.circles_of_members().values():
        marked: set[str] = set()
        for member_id in members:
            ancestor = inviter[member_id]
            while ancestor is not None and ancestor not in marked:
                marked.add(ancestor)
                ancestor = inviter[ancestor]
        # An ancestor who is in the circle herself does not "reach" it through her downline.
        for ancestor in marked - members:
            counts[ancestor] += 1
    return counts


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
