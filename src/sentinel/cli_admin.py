"""The `sentinel` commands that manage access and data: keys, imports delete, reset."""

import argparse
import asyncio
import re
import sys
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from rich.console import Console

from sentinel.cli_output import Column, add_format_option, show, when
from sentinel.keys import KEY_NAME_PATTERN, SCOPES, ApiKey, create_key
from sentinel.queries import Queries

COMMANDS = ("keys", "imports", "reset")


def _key_name(text: str) -> str:
    if not re.fullmatch(KEY_NAME_PATTERN, text):
        raise argparse.ArgumentTypeError("1-64 letters, digits, '.', '_' or '-'")
    return text


def add_commands(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser("keys", help="API keys: create, list, revoke")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key; prints its token once")
    create.add_argument("--name", required=True, type=_key_name, help="a unique name")
    create.add_argument("--scope", required=True, choices=SCOPES, help="read < write < admin")
    add_format_option(key_commands.add_parser("list", help="list the keys (never their tokens)"))
    revoke = key_commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("name", type=_key_name)

    imports = commands.add_parser("imports", help="the import history: delete")
    import_commands = imports.add_subparsers(dest="imports_command", required=True)
    delete = import_commands.add_parser("delete", help="delete an import and its records")
    delete.add_argument("id", type=int, help="the import's id (sentinel.imports)")

    reset = commands.add_parser(
        "reset", help="delete every billing record and import (a development database)"
    )
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(
    args: argparse.Namespace, url: str, owner_url: str, console: Console, errors: Console
) -> int:
    if args.command == "keys":
        return asyncio.run(_keys(args, url, console, errors))
    if args.command == "imports":
        return asyncio.run(_delete_import(url, args.id, console, errors))
    if args.command == "reset":
        return _reset(owner_url, console, errors, assume_yes=args.yes)
    raise AssertionError(args.command)


async def _keys(args: argparse.Namespace, url: str, console: Console, errors: Console) -> int:
    queries = Queries()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        if args.keys_command == "create":
            created = await create_key(conn, queries, name=args.name, scope=args.scope)
            if created is None:
                errors.print(f"[red]an API key named {args.name!r} exists[/red]")
                return 1
            await conn.commit()
            console.print(
                f"created API key {created.name!r} (scope {created.scope}, prefix "
                f"{created.prefix}). Its token, shown only this once:"
            )
            # Alone on the last line, unstyled and unwrapped, for scripts: `| tail -n 1`.
            print(created.token, flush=True)
            return 0
        if args.keys_command == "list":
            keys = await queries.list_api_keys(conn)
            show(console, title=f"{len(keys)} API key(s)", **_key_listing(keys), output=args.format)
            return 0
        revoked = await queries.revoke_api_key(conn, name=args.name)
        if revoked is None:
            errors.print(f"[red]no active API key named {args.name!r}[/red]")
            return 1
        await conn.commit()
        console.print(f"revoked API key {revoked.name!r} (prefix {revoked.prefix})")
        return 0


def _key_listing(keys: list[ApiKey]) -> dict[str, Any]:
    columns = [Column("name", wrap=True)]
    columns += [Column(name) for name in ("scope", "prefix", "created", "last used")]
    columns.append(Column("revoked", optional=True))
    rows = [
        [
            key.name,
            key.scope,
            key.prefix,
            when(key.created_at),
            when(key.last_used_at),
            when(key.revoked_at),
        ]
        for key in keys
    ]
    return {"columns": columns, "rows": rows, "models": keys}


async def _delete_import(url: str, import_id: int, console: Console, errors: Console) -> int:
    queries = Queries()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await queries.lock_imports(conn)
        deleted = await queries.delete_import(conn, import_id=import_id)
        if deleted.imports_deleted == 0:
            errors.print(f"[red]no import {import_id}[/red]")
            return 1
        await conn.commit()
    also = deleted.imports_deleted - 1
    console.print(
        f"deleted import {import_id} and its {deleted.records_deleted:,} record(s)"
        + (f", with {also} unchanged re-import(s) of the same file" if also else "")
    )
    return 0


async def _truncate(owner_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(owner_url) as conn:
        await Queries().truncate_billing_data(conn)


def _reset(owner_url: str, console: Console, errors: Console, *, assume_yes: bool) -> int:
    database = conninfo_to_dict(owner_url).get("dbname", "?")
    if not assume_yes:
        if not sys.stdin.isatty():
            errors.print("[red]refusing to reset without --yes (no terminal to ask on)[/red]")
            return 2
        answer = console.input(
            f"Delete every billing record and import in database {database!r}? Type yes: "
        )
        if answer.strip().lower() != "yes":
            console.print("nothing deleted")
            return 1
    asyncio.run(_truncate(owner_url))
    console.print(f"reset {database!r}: every billing record and import deleted (API keys kept)")
    return 0
