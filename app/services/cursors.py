"""Opaque page cursors: a position (a sort key and an id) as URL-safe base64 JSON. Every
paged route hands out and takes back these."""

from __future__ import annotations

import base64
import binascii
import json

from app.core.errors import InvalidInput


def encode_position(key: int, item_id: str) -> str:
    raw = json.dumps([key, item_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str) -> tuple[int, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key, item_id = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(key, int) or isinstance(key, bool) or not isinstance(item_id, str):
            raise ValueError
    except (ValueError, TypeError, binascii.Error) as error:
        raise InvalidInput("cursor is not one this API handed out", field="cursor") from error
    return (key, item_id)
