"""Identity facts (app/domain/identity.py) as registrations and edits record them."""

from __future__ import annotations

from app.domain.identity import IdentityFacts
from app.store.port import GraphStore


def record_identity(
    store: GraphStore, member_id: str, facts: IdentityFacts | None, at: int, now: int
) -> None:
    """Adds the facts to her, first seen at `at`. Idempotent, so a retried request calls it
    again to write what a crash of its first try left out."""
    if facts is not None:
        store.put_identity_facts(member_id, facts.pairs(), at, now)
