"""The dependencies routes declare: settings, the store, the clock and the caller's role.

They are `async def` because none of them blocks: FastAPI runs a plain `def` dependency in
the threadpool, a thread hop per dependency on every request. Routes that call the store
stay plain `def`."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.config import Settings
from app.domain.lifecycle import Actor, key_id
from app.domain.spend import SpendLadder
from app.domain.tiers import TierLadder
from app.services.leaderboards import BoardCache
from app.store.port import GraphStore

bearer = HTTPBearer(auto_error=False, description="An API key from REFGRAPH_API_KEYS")


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> GraphStore:
    store: GraphStore = request.app.state.store
    return store


async def get_board_cache(request: Request) -> BoardCache:
    cache: BoardCache = request.app.state.board_cache
    return cache


async def get_ladder(settings: Annotated[Settings, Depends(get_settings)]) -> TierLadder:
    return settings.tier_ladder


async def get_spend_ladder(settings: Annotated[Settings, Depends(get_settings)]) -> SpendLadder:
    return settings.spend_ladder


async def get_now() -> int:
    return int(time.time() * 1000)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
LadderDep = Annotated[TierLadder, Depends(get_ladder)]
SpendLadderDep = Annotated[SpendLadder, Depends(get_spend_ladder)]
NowDep = Annotated[int, Depends(get_now)]
BoardCacheDep = Annotated[BoardCache, Depends(get_board_cache)]


KEY_REQUIRED = "an Authorization: Bearer <key> header is required"
KEY_INVALID = "the API key is not valid"


def role_of_key(api_keys: Mapping[str, str], presented: str) -> str | None:
    """The role of a presented key, None for no configured key. Every configured key is
    compared, in constant time, so timing says nothing of which key or how much matched.
    Also the request guard's check (app/api/middleware.py), before a body is read."""
    presented_bytes = presented.encode()
    role = None
    for key, key_role in api_keys.items():
        if hmac.compare_digest(key.encode(), presented_bytes):
            role = key_role
    return role


async def get_role(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The caller's role. The request guard already refused a request under /v1 without a
    valid key before its body was read; this is the check routes (and their roles) rely on."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, KEY_REQUIRED)
    role = role_of_key(settings.api_keys, credentials.credentials)
    if role is None:
        raise HTTPException(401, KEY_INVALID)
    return role


RoleDep = Annotated[str, Depends(get_role)]


async def get_actor(
    role: RoleDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """Who is making a change, for the audit trail: the role and an id of the key (a digest;
    the key itself is never stored)."""
    assert credentials is not None  # get_role refused a request without one
    return Actor(role=role, key_id=key_id(credentials.credentials))


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_roles(*roles: str) -> Callable[[str], Awaitable[str]]:
    async def check(role: RoleDep) -> str:
        if role not in roles:
            raise HTTPException(403, f"role {role} may not do this; allowed: {', '.join(roles)}")
        return role

    return check


# Who may do what; the pages offer each role the views these allow (app/web/router.py).
MEMBER_READER_ROLES = ("admin", "storefront", "growth", "auditor")
NETWORK_READER_ROLES = ("admin", "growth", "auditor")
GROWTH_ROLES = ("admin", "growth")
# A member's account page in the storefront shows her earnings, balance and statement.
EARNINGS_READER_ROLES = ("admin", "auditor", "storefront")
# ... and her points, which the storefront also grants and redeems (Writers).
POINTS_READER_ROLES = EARNINGS_READER_ROLES
AUDITOR_ROLES = ("admin", "auditor")

Writers = Depends(require_roles("admin", "storefront"))
MemberReaders = Depends(require_roles(*MEMBER_READER_ROLES))
NetworkReaders = Depends(require_roles(*NETWORK_READER_ROLES))
Admins = Depends(require_roles("admin"))
Auditors = Depends(require_roles(*AUDITOR_ROLES))
# The growth team's tools: what-if simulations, connector runs and following jobs.
GrowthTeam = Depends(require_roles(*GROWTH_ROLES))
# Circles are kept by the storefront and curated by the growth team.
GroupWriters = Depends(require_roles("admin", "storefront", "growth"))
EarningsReaders = Depends(require_roles(*EARNINGS_READER_ROLES))
PointsReaders = Depends(require_roles(*POINTS_READER_ROLES))
