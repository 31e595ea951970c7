"""API keys: tokens, their hashes, scopes. Shared by the CLI, the REST API and the guard.

A token is `sentinel_<prefix>_<secret>`: the prefix (public, 12 hex digits) finds the key, the
secret (256 random bits) proves it. Only SHA-256 of the whole token is stored.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from sentinel.queries import Queries

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
# Each scope includes the ones before it.
_RANK = {scope: rank for rank, scope in enumerate(SCOPES)}
KEY_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
_TOKEN = re.compile(r"^sentinel_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")

KeyName = Annotated[
    str,
    Field(
        pattern=KEY_NAME_PATTERN,
        description="1-64 letters, digits, '.', '_' or '-' (it appears in URLs)",
    ),
]


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: KeyName
    scope: Scope = Field(description="read < write < admin; each includes the ones before")


class ApiKey(BaseModel):
    """A key as listed: never its token or hash."""

    id: int
    name: str
    scope: Scope
    prefix: str = Field(description="The token's public part: sentinel_<prefix>_...")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedApiKey(ApiKey):
    token: str = Field(description="The bearer token. Shown this once; only its hash is kept.")


class StoredApiKey(BaseModel):
    """What authentication needs of a key."""

    id: int
    name: str
    scope: Scope
    token_sha256: bytes
    last_used_at: datetime | None


def grants(have: Scope, need: Scope) -> bool:
    return _RANK[have] >= _RANK[need]


def token_sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> tuple[str, str]:
    """(prefix, token) for a new key."""
    prefix = secrets.token_hex(6)
    return prefix, f"sentinel_{prefix}_{secrets.token_urlsafe(32)}"


async def create_key(
    conn: AsyncConnection, queries: "Queries", *, name: str, scope: Scope
) -> CreatedApiKey | None:
    """A new key with its token (the one time it exists outside the client), or None when the
    name is taken."""
    prefix, token = new_token()
    stored = await queries.insert_api_key(
        conn, name=name, scope=scope, prefix=prefix, token_sha256=token_sha256(token)
    )
    return None if stored is None else CreatedApiKey(**stored.model_dump(), token=token)


async def authenticate(
    conn: AsyncConnection, queries: "Queries", *, token: str
) -> StoredApiKey | None:
    """The active key of this token, or None. The hashes are compared in constant time, so
    the time taken says nothing about how much of a guessed token was right."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    key = await queries.find_api_key(conn, prefix=match.group(1))
    if key is None or not hmac.compare_digest(key.token_sha256, token_sha256(token)):
        return None
    await queries.touch_api_key(conn, id=key.id)
    return key
