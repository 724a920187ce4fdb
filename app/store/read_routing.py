"""Which reads a FalkorDB read replica (REFGRAPH_READ_URL) may serve beyond the named
storefront reads (app/store/falkordb_store.py REPLICA_READS): every read of a request that
writes nothing. A GET never writes, so none of its reads decides a write, and it may see
the replica's state, which trails the primary by the replication lag (none with
REFGRAPH_READ_AFTER_WRITE=wait). A write path's reads (a registration reading back her
inviter, an order its buyer's context) stay on the primary, because they decide what is
written. Set per request by the API (app/api/middleware.py ReplicaReads); a context
variable, so a request's threads and nothing else see it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_replica_may_answer: ContextVar[bool] = ContextVar("replica_may_answer", default=False)


@contextmanager
def replica_may_answer() -> Iterator[None]:
    """Within it, every read of this context may go to the replica."""
    token = _replica_may_answer.set(True)
    try:
        yield
    finally:
        _replica_may_answer.reset(token)


def replica_may_answer_now() -> bool:
    return _replica_may_answer.get()
