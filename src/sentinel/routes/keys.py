"""API keys over REST (admin): list, create (the token is in that answer only), revoke."""

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter
from psycopg import AsyncConnection

from sentinel.errors import ERROR_RESPONSES, NOT_FOUND_RESPONSE, problem
from sentinel.keys import KEY_NAME_PATTERN, ApiKey, ApiKeyIn, CreatedApiKey, create_key
from sentinel.queries import Queries

Connection = NamedDependency[AsyncConnection]
QueryFiles = NamedDependency[Queries]


class KeysController(Controller):
    path = "/api/v1/keys"
    tags = ["keys"]

    @get(
        "/",
        summary="Every API key (never a token)",
        responses=ERROR_RESPONSES,
        opt={"scope": "admin"},
    )
    async def list_keys(self, conn: Connection, queries: QueryFiles) -> list[ApiKey]:
        return await queries.list_api_keys(conn)

    @post(
        "/",
        status_code=201,
        summary="Create an API key; the answer holds its token, shown this once",
        responses=ERROR_RESPONSES,
        opt={"scope": "admin", "body": "json"},
    )
    async def create(
        self, data: JSONBody[ApiKeyIn], conn: Connection, queries: QueryFiles
    ) -> CreatedApiKey:
        created = await create_key(conn, queries, name=data.name, scope=data.scope)
        if created is None:
            detail = f"an API key named {data.name!r} exists (revoked keys keep their names)"
            raise problem(
                409, detail, errors=[{"field": "name", "message": detail, "source": "body"}]
            )
        return created

    @delete(
        "/{name:str}",
        status_code=200,
        summary="Revoke an API key",
        responses={**ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
        opt={"scope": "admin", "body": "none"},
    )
    async def revoke(
        self,
        name: Annotated[str, PathParameter(pattern=KEY_NAME_PATTERN)],
        conn: Connection,
        queries: QueryFiles,
    ) -> ApiKey:
        revoked = await queries.revoke_api_key(conn, name=name)
        if revoked is None:
            detail = f"no active API key named {name!r}"
            raise problem(
                404, detail, errors=[{"field": "name", "message": detail, "source": "path"}]
            )
        return revoked
