"""One root for every error the service raises on purpose; the API maps each class once."""

from __future__ import annotations

from typing import Any


class RefgraphError(Exception):
    """Base class. `title` is stable, `detail` says what was wrong, `extra` goes into the body."""

    title = "Referral graph error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(RefgraphError):
    title = "Not found"


class Conflict(RefgraphError):
    title = "Conflict"


class InvalidInput(RefgraphError):
    title = "Invalid input"


class StoreUnavailable(RefgraphError):
    title = "Graph store unavailable"


class EngineBusy(RefgraphError):
    """Another live process owns the embedded data folder."""

    title = "Embedded engine busy"


class GdsUnavailable(StoreUnavailable):
    """The engine has no Graph Data Science (only a Neo4j with the plugin has it), or it
    refused the work."""

    title = "Graph Data Science unavailable"
