"""Numbered schema migrations, one folder per backend, applied in order and recorded in the
graph as (:Migration {name}) so that applying them again changes nothing."""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib.resources.abc import Traversable

from app.store.catalogue import Backend
from app.store.port import GraphStore, Migration

MIGRATION_KINDS = ("cypher", "constraint", "backfill")


# What a `.backfill` migration names: data a new schema needs that only Python computes
# (a member's search key is a Unicode normalisation no Cypher engine offers).
BACKFILLS: dict[str, Callable[[GraphStore], object]] = {
    "search_keys": lambda store: store.backfill_search_keys()
}


def migrations_for(directory: Traversable, backend: Backend) -> list[Migration]:
    """`directory`: a folder on disk or any importlib.resources container (the packaged
    migrations are read through importlib.resources)."""
    folder = directory / backend.value
    if not folder.is_dir():
        raise FileNotFoundError(f"migrations folder {folder} does not exist")
    found = []
    for entry in folder.iterdir():
        name, _, kind = entry.name.rpartition(".")
        if kind in MIGRATION_KINDS and name and entry.is_file():
            found.append(Migration(name=name, kind=kind, body=entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.name)


def apply_migrations(store: GraphStore, directory: Traversable) -> list[str]:
    """Applies the migrations not yet recorded; returns the names applied now."""
    done = store.applied_migrations()
    applied = []
    for migration in migrations_for(directory, store.backend):
        if migration.name in done:
            continue
        if migration.kind == "backfill":
            BACKFILLS[migration.body.strip()](store)
        else:
            store.apply_migration(migration)
        store.record_migration(migration.name, int(time.time() * 1000))
        applied.append(migration.name)
    if applied:
        # The schema goes into the snapshot the write log starts from: FalkorDB replaying
        # an index's creation from the log looks members up without it until the load ends
        # (a restart after 20k registrations took 60 s instead of 2).
        store.compact()
    return applied
