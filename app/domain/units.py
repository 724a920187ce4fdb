"""The units every domain module shares: times and money. No imports from the domain."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

EpochMs = Annotated[int, Field(ge=0, le=253_402_300_799_999)]  # up to year 9999
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]  # ISO 4217
