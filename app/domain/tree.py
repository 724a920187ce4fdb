"""The genealogy tree view: its node, its bounds and the order children come in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import Field, TypeAdapter

MAX_DEPTH = 5
DEFAULT_DEPTH = 2
MAX_CHILDREN_LIMIT = 500
DEFAULT_CHILDREN_LIMIT = 50
# Depth 5 at 500 children a parent could reach 500^5 nodes: every response stops at this many
# nodes (the member counted), whatever depth and children_limit allow.
MAX_TREE_NODES = 2000
# Children come in (downline_total descending, id ascending) order. A page position is the
# last child returned; this one sorts before every child, since no counter comes near it.
START: tuple[int, str] = (2**62, "")


# A plain dataclass, not a pydantic model: a view holds up to 2,000 nodes, built from the
# store's own rows, and validating each took ~2 µs (4 ms of a wide tree, as much as its
# widest query); pydantic still writes its schema and its JSON (TREE_JSON).
@dataclass(slots=True)
class TreeNode:
    """A member in a tree view, her invitees below her."""

    id: str
    name: str | None
    tier: str
    paid: bool
    direct_total: Annotated[int, Field(description="Members she invited herself")]
    downline_total: Annotated[int, Field(description="Members below her, at any depth")]
    children: Annotated[
        list[TreeNode],
        Field(description="Her invitees, largest downline first (then by id); empty past `depth`"),
    ] = field(default_factory=list)
    next_cursor: Annotated[
        str | None,
        Field(
            exclude_if=lambda cursor: cursor is None,
            description=(
                "Present when her children were cut (children_limit or the node budget): pass "
                "it as `cursor` to her own tree, with depth=1, for the next page of them"
            ),
        ),
    ] = None


TREE_JSON: TypeAdapter[TreeNode] = TypeAdapter(TreeNode)
