"""A member's statement for a period, from her ledger entries and payout lines."""

from __future__ import annotations

from app.core.errors import InvalidInput
from app.domain.statements import Statement, statement_of
from app.services.earnings import member_window
from app.store.port import GraphStore

# A statement is a document a member reads or prints; a period with more lines than this
# is asked for in shorter periods.
MAX_LINES = 10_000


def get_statement(
    *, store: GraphStore, member_id: str, from_: int | None, to: int | None
) -> Statement:
    start, end = member_window(store, member_id, from_, to)
    lines = store.statement_lines(member_id, start, end, MAX_LINES + 1)
    if len(lines) > MAX_LINES:
        raise InvalidInput(
            f"the period holds more than {MAX_LINES} lines; ask for a shorter one", field="to"
        )
    return statement_of(member_id, start, end, store.statement_opening(member_id, start), lines)
