"""Member search on the port (app/store/port.py), written once over named queries: which
query starts the search (the narrowest filter that has an index or an edge to follow), and
the search keys' upkeep."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from app.domain.members import MemberRecord
from app.domain.search import MemberSearch, prefix_range, search_key_fields

Record = dict[str, Any]
# Below every sort value a page can hold (the first page's position).
_LATEST = 2**62
# Search keys written per statement by the backfill of members stored before them.
BACKFILL_BATCH = 20_000


class SearchQueries:
    @abstractmethod
    def _read(self, name: str, params: Record) -> list[Record]: ...

    @abstractmethod
    def _write(self, name: str, params: Record) -> list[Record]: ...

    def search_members(
        self, search: MemberSearch, after: tuple[int, str] | None, limit: int
    ) -> list[MemberRecord]:
        """One page of the members every filter of `search` holds for, in its order, after
        the (sort value, id) position `after`."""
        params: Record = {
            "tier": search.tier,
            "paid": search.paid,
            "circle": search.circle,
            "inviter_id": search.inviter_id,
            "joined_from": search.joined_from,
            "joined_to": search.joined_to,
            "sort": search.sort,
            "after_key": after[0] if after else -_LATEST,
            "after_id": after[1] if after else "",
            "limit": limit,
        }
        if search.q is not None:
            low, high = prefix_range(search.q)
            # No string sorts above a prefix of the last code points: their keys end the index.
            params |= {"low": low, "high": high if high is not None else chr(0x10FFFF) * 201}
            name = "member_search_by_prefix"
        elif search.inviter_id is not None:
            name = "member_search_of_inviter"
        elif search.circle is not None:
            name = "member_search_of_circle"
        else:
            name = "member_search_all"
        return [MemberRecord(**row) for row in self._read(name, params)]

    def backfill_search_keys(self) -> int:
        """Writes the search keys of members stored before search existed (a migration);
        returns how many. Nothing to read when every member has hers (a new graph, or the
        initial load, which writes them with the members)."""
        if not self._read("search_keys_missing", {})[0]["missing"]:
            return 0
        written, after = 0, ""
        while rows := self._read(
            "members_without_search_key", {"after": after, "limit": BACKFILL_BATCH}
        ):
            keys = [search_key_fields(row["id"], row["name"]) for row in rows if row["missing"]]
            if keys:
                self._write("search_keys_put", {"keys": keys})
            written += len(keys)
            after = rows[-1]["id"]
        return written
