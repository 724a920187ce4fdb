"""Logs as operators search them: one JSON object per line, each with the request id of the
request it belongs to (also answered in `X-Request-ID` and in every problem+json). What is
logged is chosen where it is logged: never an API key, never a member's name or attributes
(an erased member's data must not survive in logs)."""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
# A caller's own id is kept when it is short and plain (a proxy's or a client's); anything
# else is replaced, so a log line never carries what a client chose to inject.
_CALLER_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The attributes every LogRecord has: the rest were passed in `extra` and are logged.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def request_id_from(header: str | None) -> str:
    if header is not None and _CALLER_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        line.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(form: Literal["json", "text"], level: str = "INFO") -> None:
    """The root logger (uvicorn's loggers propagate to it) writes to stderr in `form`."""
    handler = logging.StreamHandler(sys.stderr)
    if form == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs every URL it sends to at INFO (the webhook worker's: a subscriber's URL may
    # carry a token of hers); its warnings still pass.
    logging.getLogger("httpx").setLevel(logging.WARNING)
