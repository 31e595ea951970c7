"""The `sentinel` commands that read the detectors: anomalies, monitors and alerts.

Values go through the same validation as the REST API's (sentinel.detection for the detector
parameters, the pydantic models of alert_schemas for monitors and feedback), before any
database is opened, so a bad value gets the API's message, naming the option. What is left out
is left to SQL's defaults (sentinel.detector_defaults), as the API does."""

import argparse
import asyncio
import getpass
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, get_args

import psycopg
from pydantic import ValidationError
from rich.console import Console

from sentinel.alert_schemas import Alert, FeedbackIn, Monitor, MonitorIn, Verdict
from sentinel.cli_output import Column, add_format_option, number, show, when
from sentinel.detection import (
    DIRECTIONS,
    GRANULARITIES,
    GROUP_COLUMNS,
    METHODS,
    DetectionParams,
    ParameterError,
    detection_params,
)
from sentinel.queries import Queries
from sentinel.schemas import Anomaly, AnomalyEvent, DetectedAnomaly, DetectorDefaults

COMMANDS = ("anomalies", "monitors", "alerts")
ORIGINAL = "original"
BIGINT_MAX = 2**63 - 1


class UsageError(Exception):
    """A value the command cannot use; one line, exit status 2 (as argparse's own errors)."""


def feedback_author() -> str:
    """Who rated an alert from the command line, stored where the API stores its key's name:
    `cli:` and the OS user. A key name cannot hold a colon, so this never passes for a key."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no user name in the environment nor in the password file
        return "cli"


def say(console: Console, text: str) -> None:
    """A message as it is: no markup, no highlighting, one line when piped (main's consoles)."""
    console.print(text, markup=False, highlight=False)


def _threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError("threshold must be a number >= 0")
    return value


def _id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= BIGINT_MAX:
        raise argparse.ArgumentTypeError(f"an id is a whole number >= 1, not {text!r}")
    return value


def _words(values: Sequence[str]) -> str:
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else values[0]


def _detector_options(parser: argparse.ArgumentParser) -> None:
    """The detector's options that anomalies and monitors share; help from the validators'
    own lists, defaults left to SQL."""
    parser.add_argument("--granularity", help=f"{_words(GRANULARITIES)}: the bucket to judge")
    parser.add_argument(
        "--group-by",
        action="append",
        metavar="COLUMNS",
        help=f"{', '.join(GROUP_COLUMNS)} (repeat or comma-separate; default service)",
    )
    parser.add_argument(
        "--window", help="the baseline window, e.g. 36h, 7d, 4w (default: the method's)"
    )
    parser.add_argument(
        "--min-impact",
        help="flag only at least this many dollars of change (default: the method's floor; 0: off)",
    )
    parser.add_argument("--min-pct", help="flag only at least this many percent of expected")
    parser.add_argument(
        "--min-daily-pct",
        help="flag only changes of at least this percent of the series' typical daily spend "
        "(default: the method's; 0: off)",
    )
    parser.add_argument(
        "--direction", help=f"{_words(DIRECTIONS)}: which changes count (default: up)"
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    anomalies = commands.add_parser(
        "anomalies",
        help="print anomalies: the original rule, or a causal detector with --method",
        description="Without detector options: the original rule (one z-score per service over "
        "all records). With --method or any detector option: a causal detector; what is left "
        "out takes the defaults of `sentinel.detector_defaults` (GET /api/v1/billing/detectors).",
    )
    anomalies.add_argument(
        "--method",
        help=f"{ORIGINAL} (the z-score rule), {_words(METHODS)} (default: the original rule; "
        "with other detector options, the recommended method)",
    )
    anomalies.add_argument(
        "--threshold",
        type=_threshold,
        help="flag when |score| is above this (default: the method's)",
    )
    _detector_options(anomalies)
    anomalies.add_argument(
        "--events", action="store_true", help="runs of flagged points of a series, one line each"
    )
    add_format_option(anomalies)

    monitors = commands.add_parser(
        "monitors", help="monitors, which raise alerts: list, create, delete"
    )
    monitor_commands = monitors.add_subparsers(dest="monitors_command", required=True)
    add_format_option(monitor_commands.add_parser("list", help="list the monitors"))
    create = monitor_commands.add_parser(
        "create",
        help="create a monitor (options left out take the recommended defaults)",
        description="The same fields and rules as POST /api/v1/monitors. It judges the data "
        "that arrives from now on.",
    )
    create.add_argument("name", help="a unique name")
    create.add_argument("--method", help=f"{_words(METHODS)} (default: the recommended method)")
    create.add_argument("--threshold", help="|score| above this (default: the method's)")
    _detector_options(create)
    for column in ("service", "account-id", "region"):
        create.add_argument(
            f"--{column}",
            action="append",
            metavar="VALUE",
            help=f"watch only this {column.replace('-', ' ')} (repeat for several)",
        )
    create.add_argument(
        "--tag",
        action="append",
        metavar="KEY=VALUE",
        help="only the records tagged so (repeat: values of one key are alternatives, "
        "different keys must all match)",
    )
    create.add_argument("--disabled", action="store_true", help="store it without evaluating it")
    delete = monitor_commands.add_parser("delete", help="delete a monitor with its alerts")
    delete.add_argument("id", type=_id)

    alerts = commands.add_parser(
        "alerts",
        help="alerts raised by monitors: list (default), show, feedback, evaluate",
        description="Without a subcommand: the alerts, newest first.",
    )
    alerts.add_argument("--status", choices=("open", "closed"), help="open or closed")
    alerts.add_argument("--monitor", type=_id, metavar="ID", help="raised by this monitor")
    alerts.add_argument("--service", help="of this service")
    alerts.add_argument("--min-impact", type=float, help="total impact at least, dollars")
    alerts.add_argument("--limit", type=_id, default=100, metavar="N", help="at most N (100)")
    add_format_option(alerts)
    alert_commands = alerts.add_subparsers(dest="alerts_command")
    show_alert = alert_commands.add_parser("show", help="one alert with its root causes")
    show_alert.add_argument("id", type=_id)
    # Given before `show` or after it: a default here would override the one given before.
    add_format_option(show_alert, default=argparse.SUPPRESS)
    feedback = alert_commands.add_parser(
        "feedback",
        help="rate an alert: yes (real), no (a false alarm) or planned",
        description="no and planned close the alert and keep its series quiet (see the README). "
        f"Stored with key_name {feedback_author()!r} (cli: and the OS user).",
    )
    feedback.add_argument("id", type=_id)
    feedback.add_argument("verdict", metavar="|".join(get_args(Verdict)))
    feedback.add_argument("--note", help="why, stored with the rating")
    alert_commands.add_parser(
        "evaluate", help="evaluate the monitors over the data changed since the last evaluation"
    )


def validate(args: argparse.Namespace) -> None:
    """Turn the options into the validated values the queries take (args.params, args.monitor,
    args.feedback), before a database is opened; UsageError names the option."""
    if args.command == "anomalies":
        args.params = _detection(args)
    elif args.command == "monitors" and args.monitors_command == "create":
        args.monitor = _monitor(args)
    elif args.command == "alerts" and args.alerts_command == "feedback":
        try:
            args.feedback = FeedbackIn(verdict=args.verdict, note=args.note)
        except ValidationError as exc:
            raise UsageError(_describe(exc)) from None
    elif (
        args.command == "alerts"
        and args.alerts_command is None
        and args.min_impact is not None
        and not 0 <= args.min_impact <= 1e12
    ):
        raise UsageError("--min-impact: must be a number between 0 and 1e12")


def _detection(args: argparse.Namespace) -> DetectionParams | None:
    """None for the original rule; a detector's parameters otherwise."""
    options = {
        "granularity": args.granularity,
        "group_by": args.group_by,
        "window": args.window,
        "min_impact": _float("--min-impact", args.min_impact),
        "min_pct": _float("--min-pct", args.min_pct),
        "direction": args.direction,
        "min_daily_pct": _float("--min-daily-pct", args.min_daily_pct),
    }
    given = [name for name, value in options.items() if value is not None]
    method = None if args.method is None else args.method.strip().lower()
    if method == ORIGINAL or (method is None and not given):
        if given:
            raise UsageError(
                f"--{given[0].replace('_', '-')}: the original rule takes --threshold only"
            )
        if args.events:
            raise UsageError("--events: needs a detector (--method)")
        return None
    try:
        return detection_params(method=method, threshold=args.threshold, **options)
    except ParameterError as exc:
        if exc.field == "method":
            raise UsageError(f"--method: use {ORIGINAL}, {_words(METHODS)}") from None
        raise UsageError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None


def _float(option: str, text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        raise UsageError(f"{option}: not a number: {text!r}") from None


def _monitor(args: argparse.Namespace) -> MonitorIn:
    """The options as the REST body they stand for, validated by its model."""
    body: dict[str, Any] = {"name": args.name}
    fields = (
        "method",
        "granularity",
        "window",
        "threshold",
        "min_impact",
        "min_pct",
        "min_daily_pct",
        "direction",
    )
    body.update(
        {field: getattr(args, field) for field in fields if getattr(args, field) is not None}
    )
    if args.group_by:
        body["group_by"] = [name.strip() for value in args.group_by for name in value.split(",")]
    scope = {
        field: getattr(args, field)
        for field in ("service", "account_id", "region")
        if getattr(args, field)
    }
    if args.tag:
        scope["tags"] = _tags(args.tag)
    if scope:
        body["filter"] = scope
    if args.disabled:
        body["enabled"] = False
    try:
        return MonitorIn.model_validate(body)
    except ValidationError as exc:
        raise UsageError(_describe(exc)) from None


def _tags(pairs: list[str]) -> dict[str, list[str]]:
    """--tag team=data --tag team=web --tag env=prod: {"team": ["data", "web"], "env": ["prod"]}."""
    tags: dict[str, list[str]] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals:
            raise UsageError(f"--tag: expected KEY=VALUE, not {pair!r}")
        tags.setdefault(key, []).append(value)
    return tags


def _describe(exc: ValidationError) -> str:
    """`--threshold: Input should be greater than or equal to 0`: pydantic's message (the
    API's), under the option's name."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
        field = loc[-1] if loc else ""
        option = field.upper() if field in ("name", "verdict") else "--" + field.replace("_", "-")
        if loc[:2] == ["filter", "tags"]:
            key = loc[2] if len(loc) > 2 else ""
            field, option = "tags", "--tag" + (f" {key}" if key else "")
        message = error["msg"].removeprefix("Value error, ").removeprefix(f"{field}: ")
        problems.append(f"{option}: {message}" if field else message)
    return "; ".join(problems)


def run(args: argparse.Namespace, url: str, console: Console, errors: Console) -> int:
    if args.command == "anomalies":
        return asyncio.run(_anomalies(url, args, console))
    if args.command == "monitors":
        return asyncio.run(_monitors(url, args, console, errors))
    if args.command == "alerts":
        return asyncio.run(_alerts(url, args, console, errors))
    raise AssertionError(args.command)


# sentinel anomalies


async def _anomalies(url: str, args: argparse.Namespace, console: Console) -> int:
    queries = Queries()
    params: DetectionParams | None = args.params
    async with await psycopg.AsyncConnection.connect(url) as conn:
        defaults = {row.detector: row for row in await queries.list_detector_defaults(conn)}
        if params is None:
            pages = queries.find_anomalies(conn, threshold=args.threshold)
            rows = [Anomaly(**row) async for page in pages for row in page]
            threshold = defaults["zscore"].threshold if args.threshold is None else args.threshold
            title = f"{len(rows)} anomalies, |z| > {threshold:g}"
            show(console, title=title, **_original_listing(rows), output=args.format)
            return 0
        # As the REST endpoints do: stale stored baselines are brought up to date first, in a
        # transaction of their own (the answers are the same without it, only slower).
        await queries.refresh_baselines(conn)
        await conn.commit()
        if args.events:
            events = await queries.find_anomaly_events(conn, params=params)
            title = f"{len(events)} anomaly events, {_detector(params, defaults)}"
            show(console, title=title, **_event_listing(events), output=args.format)
        else:
            pages = queries.find_detected_anomalies(conn, params=params)
            points = [DetectedAnomaly(**row) async for page in pages for row in page]
            title = f"{len(points)} anomalies, {_detector(params, defaults)}"
            show(console, title=title, **_detected_listing(points), output=args.format)
    return 0


def _detector(params: DetectionParams, defaults: dict[str, DetectorDefaults]) -> str:
    """What the detector ran with, defaults filled in from sentinel.detector_defaults."""
    method = params.method or next(row.detector for row in defaults.values() if row.recommended)
    window = _window(params.window) if params.window else defaults[method].window
    threshold = defaults[method].threshold if params.threshold is None else params.threshold
    parts = [method, params.granularity, "by " + ", ".join(params.group_by), f"window {window}"]
    row = defaults[method]
    parts.append(f"{params.direction or row.direction}, score beyond {threshold:g}")
    min_impact = row.min_impact if params.min_impact is None else params.min_impact
    min_daily_pct = row.min_daily_pct if params.min_daily_pct is None else params.min_daily_pct
    if min_impact:
        parts.append(f"impact >= ${min_impact:g}")
    if params.min_pct:
        parts.append(f"impact >= {params.min_pct:g}%")
    if min_daily_pct:
        parts.append(f"impact >= {min_daily_pct:g}% of daily spend")
    return ", ".join(parts)


def _window(value: timedelta) -> str:
    hours = int(value.total_seconds()) // 3600
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def _original_listing(rows: list[Anomaly]) -> dict[str, Any]:
    columns = [
        Column("id", numeric=True),
        Column("service", wrap=True),
        Column("cost", numeric=True),
        Column("timestamp"),
        Column("region", wrap=True),
        Column("account", wrap=True),
        Column("z", numeric=True),
    ]
    cells = [
        [
            str(row.id),
            row.service,
            number(row.cost, 4),
            when(row.timestamp),
            row.region,
            row.account_id,
            f"{row.z_score:.3f}",
        ]
        for row in rows
    ]
    return {"columns": columns, "rows": cells, "models": rows}


def _series_columns() -> list[Column]:
    return [
        Column("service", optional=True, wrap=True),
        Column("account", optional=True, wrap=True),
        Column("region", optional=True, wrap=True),
    ]


def _detected_listing(rows: list[DetectedAnomaly]) -> dict[str, Any]:
    columns = [
        Column("id", numeric=True, optional=True),
        *_series_columns(),
        Column("bucket"),
        Column("cost", numeric=True),
        Column("expected", numeric=True, drop=3),
        Column("lower", numeric=True, drop=5),
        Column("upper", numeric=True, drop=4),
        Column("impact", numeric=True),
        Column("impact %", numeric=True, drop=2),
        Column("score", numeric=True),
    ]
    cells = [
        [
            "" if row.id is None else str(row.id),
            row.service or "",
            row.account_id or "",
            row.region or "",
            when(row.bucket),
            number(row.cost, 4),
            number(row.expected, 4),
            number(row.lower_bound, 4),
            number(row.upper_bound, 4),
            number(row.impact),
            number(row.impact_pct, 1),
            f"{row.z_score:.3f}",
        ]
        for row in rows
    ]
    return {"columns": columns, "rows": cells, "models": rows}


def _event_listing(rows: list[AnomalyEvent]) -> dict[str, Any]:
    columns = [
        *_series_columns(),
        Column("started"),
        Column("ended"),
        Column("ongoing"),
        Column("points", numeric=True, drop=2),
        Column("peak score", numeric=True, drop=1),
        Column("peak cost", numeric=True, drop=3),
        Column("impact", numeric=True),
    ]
    cells = [
        [
            row.service or "",
            row.account_id or "",
            row.region or "",
            when(row.started_at),
            when(row.ended_at),
            "yes" if row.ongoing else "no",
            str(row.point_count),
            f"{row.peak_score:.3f}",
            number(row.peak_cost, 4),
            number(row.total_impact),
        ]
        for row in rows
    ]
    return {"columns": columns, "rows": cells, "models": rows}


# sentinel monitors


async def _monitors(url: str, args: argparse.Namespace, console: Console, errors: Console) -> int:
    queries = Queries()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        if args.monitors_command == "list":
            monitors = await queries.list_monitors(conn)
            show(
                console,
                title=f"{len(monitors)} monitor(s)",
                **_monitor_listing(monitors),
                output=args.format,
            )
            return 0
        if args.monitors_command == "create":
            monitor: MonitorIn = args.monitor
            created = await queries.insert_monitor(conn, monitor=monitor)
            if created is None:
                say(errors, f"a monitor named {monitor.name!r} exists")
                return 1
            [stored] = await queries.list_monitors(conn, monitor_id=created)
            await conn.commit()
            say(console, f"created monitor {stored.id} ({_describe_monitor(stored)})")
            return 0
        found = await queries.list_monitors(conn, monitor_id=args.id)
        if not found:
            say(errors, f"no monitor {args.id}")
            return 1
        await queries.delete_monitor(conn, monitor_id=args.id)
        await conn.commit()
        say(console, f"deleted monitor {args.id} {found[0].name!r} with its alerts")
        return 0


def _scope(monitor: Monitor) -> str:
    parts = []
    for column, values in monitor.filter.items():
        if isinstance(values, dict):
            parts += [f"tag:{key}={','.join(listed)}" for key, listed in values.items()]
        else:
            parts.append(f"{column}={','.join(values)}")
    return " ".join(parts)


def _describe_monitor(monitor: Monitor) -> str:
    parts = [
        repr(monitor.name),
        monitor.method,
        monitor.granularity,
        "by " + ", ".join(monitor.group_by),
        f"window {monitor.window}",
        f"threshold {monitor.threshold:g}",
        monitor.direction,
    ]
    if monitor.min_impact is not None:
        parts.append(f"min impact ${monitor.min_impact:g}")
    if monitor.min_pct is not None:
        parts.append(f"min {monitor.min_pct:g}%")
    if monitor.min_daily_pct:
        parts.append(f"min {monitor.min_daily_pct:g}% of daily spend")
    if monitor.filter:
        parts.append(_scope(monitor))
    if not monitor.enabled:
        parts.append("disabled")
    return ", ".join(parts)


def _monitor_listing(monitors: list[Monitor]) -> dict[str, Any]:
    columns = [
        Column("id", numeric=True),
        Column("name", wrap=True),
        Column("method"),
        Column("granularity", drop=3),
        Column("group by"),
        Column("window", drop=2),
        Column("threshold", numeric=True),
        Column("min impact", numeric=True, drop=5),
        Column("min %", numeric=True, drop=4),
        Column("direction"),
        Column("filter", wrap=True),
        Column("enabled", drop=1),
    ]
    cells = [
        [
            str(monitor.id),
            monitor.name,
            monitor.method,
            monitor.granularity,
            ",".join(monitor.group_by),
            monitor.window,
            f"{monitor.threshold:g}",
            "" if monitor.min_impact is None else f"{monitor.min_impact:g}",
            "" if monitor.min_pct is None else f"{monitor.min_pct:g}",
            monitor.direction,
            _scope(monitor),
            "yes" if monitor.enabled else "no",
        ]
        for monitor in monitors
    ]
    return {"columns": columns, "rows": cells, "models": monitors}


# sentinel alerts


async def _alerts(url: str, args: argparse.Namespace, console: Console, errors: Console) -> int:
    queries = Queries()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        if args.alerts_command is None:
            alerts = await queries.list_alerts(
                conn,
                monitor_id=args.monitor,
                status=args.status,
                service=args.service,
                min_impact=args.min_impact,
                limit=args.limit,
            )
            title = f"{len(alerts)} alert(s), newest first" + (
                f" (the first {args.limit}; --limit for more)" if len(alerts) == args.limit else ""
            )
            show(console, title=title, **_alert_listing(alerts), output=args.format)
            return 0
        if args.alerts_command == "show":
            return await _show_alert(conn, queries, args, console, errors)
        if args.alerts_command == "feedback":
            return await _feedback(conn, queries, args, console, errors)
        return await _evaluate(conn, queries, console, errors)


async def _one_alert(
    conn: psycopg.AsyncConnection, queries: Queries, alert_id: int
) -> Alert | None:
    found = await queries.list_alerts(conn, alert_id=alert_id)
    return found[0] if found else None


async def _show_alert(conn, queries: Queries, args, console: Console, errors: Console) -> int:
    alert = await _one_alert(conn, queries, args.id)
    if alert is None:
        say(errors, f"no alert {args.id}")
        return 1
    if args.format == "json":
        print(alert.model_dump_json(indent=2), file=console.file, flush=True)
        return 0
    columns = [
        Column("dimension", wrap=True),
        Column("value", wrap=True),
        Column("actual", numeric=True),
        Column("expected", numeric=True),
        Column("contribution", numeric=True),
    ]
    cells = [
        [
            cause.dimension,
            cause.value,
            number(cause.actual),
            number(cause.expected),
            number(cause.contribution),
        ]
        for cause in alert.root_causes
    ]
    if args.format == "tsv" or (args.format == "auto" and not console.is_terminal):
        # The root causes only, as rows; the alert's own fields are one `sentinel alerts` row.
        show(console, title="", columns=columns, rows=cells, models=alert.root_causes, output="tsv")
        return 0
    say(console, _alert_summary(alert))
    show(
        console,
        title="root causes, largest contribution first",
        columns=columns,
        rows=cells,
        models=alert.root_causes,
        output="table",
    )
    return 0


def _alert_summary(alert: Alert) -> str:
    """The alert's fields, a few lines a person reads above its root causes."""
    monitor = f"monitor {alert.monitor_id} {alert.monitor_name!r}"
    span = f"{when(alert.started_at)} to {when(alert.last_flagged_at)} UTC"
    flagged = f"{alert.bucket_count} {alert.granularity}(s) flagged"
    if alert.ended_at is not None:
        flagged += f", normal again at {when(alert.ended_at)}"
    impact = f"impact ${number(alert.total_impact)}"
    if alert.impact_pct is not None:
        impact += f" ({alert.impact_pct:+.1f}%)"
    score = number(alert.peak_score, 3) or "-"
    lines = [
        f"alert {alert.id} ({alert.status}) of {monitor}: {_series(alert)}",
        f"  {span}, {flagged}",
        f"  actual ${number(alert.actual)} against ${number(alert.expected)} expected: {impact}",
        f"  peak score {score} ({alert.method}, max impact ${number(alert.max_impact)})",
    ]
    if alert.feedback:
        quiet = f", quiet until {when(alert.quiet_until)} UTC" if alert.quiet_until else ""
        lines.append(f"  rated {alert.feedback}{quiet}")
    return "\n".join(lines)


def _series(alert: Alert) -> str:
    values = [
        f"{name}={value}"
        for name, value in (
            ("service", alert.service),
            ("account", alert.account_id),
            ("region", alert.region),
        )
        if value is not None
    ]
    return " ".join(values) or "all"


def _top_cause(alert: Alert) -> str:
    if not alert.root_causes:
        return ""
    top = alert.root_causes[0]
    return f"{top.dimension}={top.value} {top.contribution:+,.2f}"


def _alert_listing(alerts: list[Alert], change: dict[int, str] | None = None) -> dict[str, Any]:
    columns = [
        *([Column("change")] if change is not None else []),
        Column("id", numeric=True),
        Column("status"),
        Column("monitor", wrap=True, drop=2),
        *_series_columns(),
        Column("started"),
        Column("last flagged", drop=6),
        Column("buckets", numeric=True, drop=4),
        Column("actual", numeric=True, drop=5),
        Column("expected", numeric=True, drop=7),
        Column("impact", numeric=True),
        Column("impact %", numeric=True, drop=1),
        Column("score", numeric=True, drop=3),
        Column("top root cause", wrap=True),
        Column("feedback", optional=True),
    ]
    cells = [
        [
            *([change[alert.id]] if change is not None else []),
            str(alert.id),
            alert.status,
            alert.monitor_name,
            alert.service or "",
            alert.account_id or "",
            alert.region or "",
            when(alert.started_at),
            when(alert.last_flagged_at),
            str(alert.bucket_count),
            number(alert.actual),
            number(alert.expected),
            number(alert.total_impact),
            number(alert.impact_pct, 1),
            number(alert.peak_score, 3),
            _top_cause(alert),
            alert.feedback or "",
        ]
        for alert in alerts
    ]
    return {"columns": columns, "rows": cells, "models": alerts}


async def _feedback(conn, queries: Queries, args, console: Console, errors: Console) -> int:
    feedback: FeedbackIn = args.feedback
    stored = await queries.insert_alert_feedback(
        conn,
        alert_id=args.id,
        verdict=feedback.verdict,
        note=feedback.note,
        key_name=feedback_author(),
    )
    if stored is None:
        say(errors, f"no alert {args.id}")
        return 1
    alert = await _one_alert(conn, queries, args.id)
    await conn.commit()
    assert alert is not None  # rated in this transaction
    outcome = f"it is {alert.status}"
    if alert.quiet_until is not None:
        outcome += f", its series quiet until {when(alert.quiet_until)} UTC unless the impact grows"
    say(console, f"alert {args.id} rated {stored.verdict} by {stored.key_name}; {outcome}")
    return 0


async def _evaluate(conn, queries: Queries, console: Console, errors: Console) -> int:
    # The refresh commits on its own, as the server's evaluator does (sentinel.alerts).
    await queries.refresh_baselines(conn)
    await conn.commit()
    changed = await queries.evaluate_alerts(conn)
    if changed is None:
        await conn.rollback()
        say(
            console,
            "another evaluation is running (a server or command holds its lock); "
            "it evaluates the changed hours",
        )
        return 0
    # Read in the evaluation's transaction: what it changed carries its time.
    changes = {row.alert_id: row.change for row in await queries.list_alert_changes(conn)}
    alerts = [alert for alert_id in changes if (alert := await _one_alert(conn, queries, alert_id))]
    await conn.commit()
    say(console, f"evaluated the monitors: {changed} alert(s) changed")
    if alerts:
        show(console, title="what changed", **_alert_listing(alerts, changes), output="auto")
    return 0
