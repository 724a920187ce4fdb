"""Finding members: the search keys stored beside each member, the prefix range a query
reads from their index, the filters and sort orders a search takes, and what it answers."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.domain.members import Member, MemberId, MemberRecord
from app.domain.text import VALID_UNICODE

# The largest page a search answers; the default is smaller.
MAX_SEARCH_LIMIT = 500
DEFAULT_SEARCH_LIMIT = 50
SearchSort = Literal[
    "id",
    "joined_at",
    "-joined_at",
    "downline_total",
    "-downline_total",
    "paid_direct_invites",
    "-paid_direct_invites",
]
SearchText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"),
    VALID_UNICODE,
]
# Above every code point: the first key no prefix of a member's key can reach.
_LAST_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def search_key(text: str) -> str:
    """What a name or an id is found by: compatibility-normalised (full-width letters are
    plain ones, as phone keyboards type them) and case-folded, computed here only, so the stored key
    and the query's key can never disagree the way two engines' toLower do (ß, final sigma)."""
    return unicodedata.normalize("NFKC", text).casefold()


def search_key_fields(member_id: str, name: str | None) -> dict[str, str | None]:
    """The properties of a member's (:SearchKey) node, as every write that creates or renames
    her stores them."""
    return {
        "member_id": member_id,
        "id_key": search_key(member_id),
        "name_key": search_key(name) if name else None,
    }


def prefix_range(q: str) -> tuple[str, str | None]:
    """[low, high): every key that starts with `q`'s key sorts in it (code point order, which
    is also the UTF-8 byte order FalkorDB compares in), so an index answers a prefix with a
    range seek. `high` is None only when no string is above the prefix."""
    low = search_key(q)
    stem = low
    while stem:
        last = ord(stem[-1]) + 1
        if last in _SURROGATES:
            last = _SURROGATES.stop
        if last <= _LAST_CODE_POINT:
            return low, stem[:-1] + chr(last)
        stem = stem[:-1]
    return low, None


class MemberSearch(BaseModel):
    """The filters of `GET /v1/members`; every one given must hold."""

    q: SearchText | None = None
    tier: str | None = None
    paid: bool | None = None
    circle: MemberId | None = None
    joined_from: int | None = None
    joined_to: int | None = None
    inviter_id: MemberId | None = None
    sort: SearchSort = "id"


class MemberHit(Member):
    """A member as a search lists her: with her counts, so a result table needs no second
    read per row."""

    direct_total: int
    downline_total: int
    paid_direct_invites: int

    @classmethod
    def from_record(cls, record: MemberRecord) -> MemberHit:
        member = Member.from_record(record)
        return cls(
            **member.model_dump(),
            direct_total=record.levels_total[0],
            downline_total=record.downline_total,
            paid_direct_invites=record.levels_paid[0],
        )


class MemberPage(BaseModel):
    items: list[MemberHit]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page"
    )


def sort_value(hit: MemberHit, sort: SearchSort) -> int:
    """The number a page is ordered by (then the id), as the search queries compute it: a
    descending order sorts the negated value ascending."""
    field = sort.removeprefix("-")
    if field == "id":
        return 0
    value: int = getattr(hit, field)
    return -value if sort.startswith("-") else value
