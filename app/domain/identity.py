"""Identity facts: hashed contact and device facts a member may carry for abuse signals
(app/domain/signals.py). The storefront sends them on registration and PATCH; they are
never answered to the storefront, and an erasure deletes them.

Only digests are taken for a phone or a payout account, so a raw phone number is refused
rather than stored: a hash is 32 to 128 lowercase hex digits (MD5 to SHA-512). An IP is
taken only as its network prefix (at most /24 for IPv4, /64 for IPv6), never an address."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Annotated, Literal, NamedTuple, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

IdentityKind = Literal["phone_hash", "device_id", "payout_account_hash", "ip_prefix"]
IDENTITY_KINDS: tuple[IdentityKind, ...] = get_args(IdentityKind)
# The facts one person cannot easily share with a stranger: a shared ip_prefix (a campus, a
# carrier's NAT) only corroborates one of these.
STRONG_KINDS: tuple[IdentityKind, ...] = ("phone_hash", "device_id", "payout_account_hash")
MAX_IPV4_PREFIX = 24
MAX_IPV6_PREFIX = 64

Digest = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{32,128}$"),
    Field(description="A lowercase hex digest (e.g. SHA-256) made by the storefront"),
]
DeviceId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9._:-]{8,128}$"),
    Field(description="The storefront's device or installation id (8 to 128 of A-Z a-z 0-9 ._:-)"),
]


class IdentityFacts(BaseModel):
    """The `identity` object of a registration or a PATCH. A fact once seen stays: a PATCH
    adds facts (a second device), it does not replace the ones before."""

    model_config = ConfigDict(extra="forbid")

    phone_hash: Digest | None = None
    device_id: DeviceId | None = None
    payout_account_hash: Digest | None = None
    ip_prefix: str | None = Field(
        default=None,
        description=f"The network she registered from, as a prefix: IPv4 at most "
        f"/{MAX_IPV4_PREFIX}, IPv6 at most /{MAX_IPV6_PREFIX}",
        examples=["203.0.113.0/24"],
    )

    @field_validator("ip_prefix")
    @classmethod
    def network_prefix(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"is not a network prefix such as 203.0.113.0/24: {error}") from error
        widest = MAX_IPV4_PREFIX if network.version == 4 else MAX_IPV6_PREFIX
        if network.prefixlen > widest:
            raise ValueError(
                f"/{network.prefixlen} is too narrow: send at most /{widest}, never an address"
            )
        return str(network)

    def pairs(self) -> list[tuple[IdentityKind, str]]:
        """Each fact given, as (kind, value)."""
        return [(kind, value) for kind in IDENTITY_KINDS if (value := getattr(self, kind))]


class IdentityFact(BaseModel):
    """One fact of one member as stored: when it was first seen (`at`, event time)."""

    member_id: str
    kind: IdentityKind
    value: str
    at: int


class MemberIdentity(NamedTuple):
    """Facts to add to one member, first seen at `at` (event time)."""

    member_id: str
    facts: Sequence[tuple[IdentityKind, str]]
    at: int
