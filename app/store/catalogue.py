"""The Cypher catalogue: every query is a named file under `cypher/`, with a backend's own
file under `cypher/<backend>/` only where the dialects differ. Loaded once; a missing name
fails fast."""

from __future__ import annotations

from enum import StrEnum
from importlib.resources.abc import Traversable


class Backend(StrEnum):
    NEO4J = "neo4j"
    FALKORDB = "falkordb"


class QueryCatalogue:
    """`directory`: a folder on disk or any importlib.resources container (the packaged
    catalogue is read through importlib.resources, see `app.core.config.packaged`)."""

    def __init__(self, directory: Traversable, backend: Backend) -> None:
        if not directory.is_dir():
            raise FileNotFoundError(f"Cypher catalogue folder {directory} does not exist")
        self.backend = backend
        self._queries = _queries_in(directory)
        override_dir = directory / backend.value
        if override_dir.is_dir():
            self._queries.update(_queries_in(override_dir))

    def __getitem__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise KeyError(f"no query named {name!r} for {self.backend.value}") from None

    def names(self) -> list[str]:
        return sorted(self._queries)


def _queries_in(folder: Traversable) -> dict[str, str]:
    return {
        entry.name.removesuffix(".cypher"): entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".cypher") and entry.is_file()
    }
