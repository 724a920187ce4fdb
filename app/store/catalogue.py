"""The Cypher catalogue: every query is a named file under `cypher/`, with a backend's own
file under `cypher/<backend>/` only where the dialects differ. Loaded once; a missing name
fails fast."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path


class Backend(StrEnum):
    NEO4J = "neo4j"
    FALKORDB = "falkordb"


class QueryCatalogue:
    def __init__(self, directory: Path, backend: Backend) -> None:
        if not directory.is_dir():
            raise FileNotFoundError(f"Cypher catalogue folder {directory} does not exist")
        self.backend = backend
        self._queries = {path.stem: path.read_text() for path in directory.glob("*.cypher")}
        override_dir = directory / backend.value
        if override_dir.is_dir():
            self._queries.update(
                {path.stem: path.read_text() for path in override_dir.glob("*.cypher")}
            )

    def __getitem__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no query named {name!r} for {self.backend.value}") from None

    def names(self) -> list[str]:
        return sorted(self._queries)
