"""The `noc-console` command: the GUI by default, and the scriptable commands of FORMATS.md."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from app import __version__, runbook_commands, ticketing_commands
from app.config import Config, ConfigError, load_config
from app.domain.errors import DomainError
from app.domain.timestamps import iso_z, parse_duration
from app.history import HistoryError
from app.json_shapes import incident_json, poll_json, source_json
from app.logs import configure as configure_logging
from app.paths import default_config_file
from app.secrets import SecretUnavailable, delete_secret, set_secret
from app.secrets import entry as secret_entry
from app.store import StoreError

EXIT_USAGE = 2
TICKET_SYNC_EVERY = timedelta(minutes=1)  # how often `poll` brings ticket changes back


class WindowUnavailable(Exception):
    """A window command run by the core alone (`python -m app`), without the Qt console."""


# errors a user can fix: one line naming what is wrong, exit 2, no traceback
USER_ERRORS = (
    ConfigError,
    StoreError,
    DomainError,
    HistoryError,
    SecretUnavailable,
    WindowUnavailable,
)


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=default,
        help="config file (default: noc-console.toml in the user config folder; none: demo)",
    )
    parser.add_argument("--db", metavar="URL", default=default, help="SQLAlchemy database URL")
    parser.add_argument("-v", "--verbose", action="count", default=0 if top else argparse.SUPPRESS)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="noc-console", description="NOC Console: incident wall, triage and SLA console."
    )
    _common(parser, top=True)
    parser.add_argument("--wall", action="store_true", help="open wall mode, full screen")
    parser.add_argument("--version", action="version", version=f"noc-console {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _common(sub, top=False)
        return sub

    poll = command("poll", "poll every source, apply the engine, store")
    poll.add_argument(
        "--once", action="store_true", help="poll once and exit (default: keep polling)"
    )
    poll.add_argument("--json", action="store_true", help="one JSON document (per poll)")

    incidents = command("incidents", "open incidents (or all), most urgent first")
    incidents.add_argument("--json", action="store_true")
    incidents.add_argument(
        "--all", action="store_true", help="include closed and false-positive incidents"
    )

    sources = command("sources", "each source's health: ok, error, last success")
    sources.add_argument("--json", action="store_true")

    shot = command("screenshot", "poll once and render a view offscreen to PNG")
    shot.add_argument("out", type=Path, metavar="OUT.png")
    shot.add_argument(
        "--view", choices=("operator", "wall", "wall-metrics", "charts"), default="operator"
    )
    shot.add_argument("--size", default="1600x900", metavar="WxH")

    database = command("db", "database maintenance")
    database.add_argument(
        "action",
        choices=("upgrade", "backup"),
        help="upgrade: apply migrations; backup: SQLite copy",
    )

    metrics = command("metrics", "MTTD, MTTA, MTTR, SLA compliance, recurrence")
    metrics.add_argument("--json", action="store_true")
    metrics.add_argument(
        "--since", default="30d", help="period up to now, e.g. 30d, 12w (default 30d)"
    )
    metrics.add_argument(
        "--from", dest="start", metavar="DATE", help="period start (YYYY-MM-DD, UTC)"
    )
    metrics.add_argument(
        "--to", dest="end", metavar="DATE", help="period end, exclusive (YYYY-MM-DD, UTC)"
    )
    metrics.add_argument("--customer")
    metrics.add_argument("--severity", choices=("P1", "P2", "P3", "P4"))

    _report_arguments(command("report", "the monthly SLA report of one customer, PDF or HTML"))

    noise = command("noise-report", "alert rules ranked by volume, false positives and flapping")
    noise.add_argument("--json", action="store_true")
    noise.add_argument(
        "--since", default="30d", help="period up to now, e.g. 30d, 12w (default 30d)"
    )
    noise.set_defaults(start=None, end=None)  # what `_period` reads besides --since

    export = command("export", "write incidents with their timelines as JSON Lines")
    export.add_argument("file", type=Path)
    load = command("import", "load incidents with their timelines from JSON Lines")
    load.add_argument("file", type=Path)

    secrets = command("secrets", "store or delete a source's secret in the OS keyring")
    secrets.add_argument("action", choices=("set", "delete"))
    secrets.add_argument("name", help="the source or ticketing entry's name")
    secrets.add_argument(
        "--field",
        help="a second secret of the same source, e.g. app_key for Datadog's application key",
    )

    policies = command("policies", "dry-run the catalog and policies: errors, warnings, why")
    policies.add_argument("action", choices=("check",), help="check: validate and warn")
    policies.add_argument("--json", action="store_true")
    policies.add_argument(
        "--explain",
        metavar="INCIDENT",
        help="say which rules put each alert of an incident where (INC-000017 or 17)",
    )
    runbook_commands.add_parser(command, _common)
    ticketing_commands.add_parser(command, _common)
    return parser


class Windows(Protocol):
    """What the commands that open a window need from the Qt console (ui/launch.py).

    The core never imports the UI: the `noc-console` entry point (ui.launch) hands these
    in, and a core-only install (`python -m app`) runs every command but these.
    """

    def show_error(self, message: str) -> None: ...

    def run(self, console: Any, *, wall: bool) -> int: ...

    def screenshot(
        self, console: Any, out: Path, *, view: str, size: tuple[int, int], now: datetime
    ) -> None: ...

    def report_pdf(self, html: str, out: Path, *, title: str) -> int: ...


def main(argv: Sequence[str] | None = None, *, windows: Windows | None = None) -> int:
    args = build_parser().parse_args(argv)
    gui = args.command is None
    configure_logging(args.verbose, to_file=gui or (args.command == "poll" and not args.once))
    try:
        return _dispatch(args, windows)
    except USER_ERRORS as error:
        message = str(error)
        if gui and windows is not None:
            windows.show_error(message)
        print(f"noc-console: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `noc-console incidents | head`: the reader left; say nothing more, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _config(args: argparse.Namespace) -> Config:
    path = args.config
    if path is None and default_config_file().exists():
        path = default_config_file()
    return load_config(path)


def _open(args: argparse.Namespace) -> Any:
    from app.console import Console

    return Console.open(_config(args), database_url=args.db)


def _now() -> datetime:
    return datetime.now(UTC)


def _dispatch(args: argparse.Namespace, windows: Windows | None) -> int:
    if args.command in (None, "screenshot"):
        return _window_command(args, windows)
    if args.command == "secrets":
        return _secrets(args)
    if args.command == "report":
        return _report(args, windows)
    if args.command == "policies" and args.explain is None:
        return _policies_check(args)  # reads the files only: no database needed
    if args.command == "ticketing":
        return ticketing_commands.check(_config(args), as_json=args.json)
    if args.command == "runbooks" and args.runbooks_action == "check":
        return runbook_commands.check(_config(args), args.folder, as_json=args.json)
    console = _open(args)
    try:
        handler = _HANDLERS[args.command]
        return int(handler(console, args))
    finally:
        console.shutdown()


def _window_command(args: argparse.Namespace, windows: Windows | None) -> int:
    """The console window, or a screenshot of it: only through the Qt console's entry point."""
    if windows is None:
        raise WindowUnavailable(
            "this command opens a window, which the core alone cannot: run `noc-console` "
            "(or `python -m ui`) from an install with the Qt console"
        )
    if args.command is None:
        return windows.run(_open(args), wall=args.wall)
    size = _size(args.size)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # works on a machine with no display
    console = _open(args)
    try:
        now = _now()
        console.poll_once(now)
        windows.screenshot(console, args.out, view=args.view, size=size, now=now)
    finally:
        console.shutdown()
    print(args.out)
    return 0


def _report_arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument("--customer", required=True, help="customer id in the catalog")
    report.add_argument("--month", required=True, metavar="YYYY-MM", help="e.g. 2026-11 (UTC)")
    report.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help="FILE.pdf or FILE.html"
    )


def _report(args: argparse.Namespace, windows: Windows | None) -> int:
    """`report`: the month's SLA report of a customer, as HTML (the core alone) or PDF
    (rendered from that HTML by the Qt console, offscreen)."""
    from app.console.sla_reports import monthly_report
    from app.domain.sla_report import month_start
    from app.sla_report_html import render_html

    try:
        month = month_start(args.month)
    except ValueError as error:
        raise ConfigError(str(error), field="--month") from None
    kind = args.out.suffix.lower()
    if kind not in (".pdf", ".html", ".htm"):
        raise ConfigError(f"expected FILE.pdf or FILE.html, got {args.out}", field="--out")
    if not args.out.parent.is_dir():
        raise ConfigError(f"no folder {args.out.parent} to write {args.out.name} in", field="--out")
    if kind == ".pdf" and windows is None:
        raise WindowUnavailable(
            "a PDF report needs the Qt console: run `noc-console` (or write FILE.html)"
        )
    console = _open(args)
    try:
        report = monthly_report(console, args.customer, month, _now())
    finally:
        console.shutdown()
    if windows is not None and kind == ".pdf":
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed
        title = f"SLA report {report.customer_name} {args.month}"
        pages = windows.report_pdf(render_html(report), args.out, title=title)
        print(f"{args.out} ({pages} page{'s' if pages != 1 else ''})")
        return 0
    _write_atomically(args.out, render_html(report))
    print(args.out)
    return 0


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {path}: {error.strerror}", field="--out") from None


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text)
    if not match:
        raise ConfigError(f"expected WIDTHxHEIGHT like 1600x900, got {text!r}", field="--size")
    return int(match.group(1)), int(match.group(2))


def _poll(console: Any, args: argparse.Namespace) -> int:
    """`--once`: every source now. Otherwise each source on its own schedule (interval with
    jitter, Retry-After, backoff of a dead peer), one line (or JSON document) per poll."""
    if args.once:
        _print_poll(console.poll_once(_now()), args.json)
        return 0
    synced: datetime | None = None
    while True:
        changes = console.poll_due(_now())
        if changes is not None:
            _print_poll(changes, args.json)
        if console.config.ticketing:
            console.deliver_tickets(_now())  # the outbox goes out from the poll loop too
            if synced is None or _now() - synced >= TICKET_SYNC_EVERY:
                synced = _now()
                console.sync_tickets(synced)
        due = console.next_poll_at()
        wait = (due - _now()).total_seconds() if due is not None else 0.0
        time.sleep(min(max(wait, 0.2), 5.0))


def _print_poll(changes: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(poll_json(changes)), flush=True)
        return
    states = ", ".join(
        f"{h.name} {h.status.value}" + (f" ({h.error})" if h.error else "") for h in changes.sources
    )
    print(
        f"{iso_z(changes.at)} alerts {changes.alerts}, opened {changes.opened}, "
        f"updated {changes.updated}, resolved {changes.resolved}; {states}",
        flush=True,
    )


def _incidents(console: Any, args: argparse.Namespace) -> int:
    from app.engine.sla_clock import SlaState

    found = console.incidents(include_closed=args.all)
    now = _now()
    if args.json:
        print(json.dumps([incident_json(i, console.clock(i, now)) for i in found]))
        return 0
    for incident in found:
        reading = console.clock(incident, now)
        clock = ""
        if reading.state is SlaState.PAUSED:
            clock = f"{reading.clock} paused"
        elif reading.due is not None and incident.state.active:
            left = reading.due - now
            overdue = "overdue " if left < timedelta(0) else ""
            clock = f"{reading.clock} {overdue}{abs(left)}".split(".")[0]
        state = reading.state.value.replace("_", " ")
        print(
            f"{incident.key}  {incident.severity.value}  {incident.state.value:<14} {incident.tier.value:<3} "
            f"{incident.customer or '-':<10} {', '.join(incident.services) or '-':<24} {incident.title}  "
            f"{clock}  [{state}]"
        )
    if not found:
        print("no open incidents")
    return 0


def _sources(console: Any, args: argparse.Namespace) -> int:
    health = console.stored_source_health()
    if args.json:
        print(json.dumps([source_json(h) for h in health]))
        return 0
    for item in health:
        line = (
            f"{item.name:<16} {item.kind:<12} {item.status.value:<12} alerts {item.alert_count:<5}"
        )
        line += f" last success {iso_z(item.last_success) or 'never'}"
        if item.error:
            line += f"  error: {item.error}"
        print(line)
    return 0


def _db(console: Any, args: argparse.Namespace) -> int:
    database = console.database
    if args.action == "upgrade":
        database.migrate()  # Console.open already migrated; this reports where it stands
        print(f"{database.display_url}: schema {database.check_version()}")
        if database.backup_path:
            print(f"backup before the upgrade: {database.backup_path}")
        return 0
    print(database.backup())
    return 0


def _period(args: argparse.Namespace, now: datetime) -> tuple[datetime, datetime]:
    def day(text: str, name: str) -> datetime:
        try:
            return (
                datetime.fromisoformat(text).replace(tzinfo=UTC)
                if "T" not in text
                else datetime.fromisoformat(text)
            )
        except ValueError:
            raise ConfigError(
                f"expected a date like 2026-11-01, got {text!r}", field=name
            ) from None

    if args.start or args.end:
        start = day(args.start, "--from") if args.start else datetime(1970, 1, 1, tzinfo=UTC)
        end = day(args.end, "--to") if args.end else now
        return start, end
    try:
        return now - parse_duration(args.since), now
    except ValueError as error:
        raise ConfigError(str(error), field="--since") from None


def _metrics(console: Any, args: argparse.Namespace) -> int:
    now = _now()
    start, end = _period(args, now)
    result = console.metrics(start, end, now, customer=args.customer, severity=args.severity)

    def summary(s: Any) -> dict[str, Any]:
        return {
            "median": _round(s.median),
            "p90": _round(s.p90),
            "mean": _round(s.mean),
            "count": s.count,
        }

    document = {
        "from": iso_z(start),
        "to": iso_z(end),
        "incidents": result.incidents,
        "mttd": summary(result.mttd),
        "mtta": summary(result.mtta),
        "mttr": summary(result.mttr),
        "sla": {
            "response_met_pct": _round(result.response.pct),
            "resolve_met_pct": _round(result.resolve.pct),
            "response_counted": result.response.counted,
            "resolve_counted": result.resolve.counted,
        },
        "recurrence_pct": _round(result.recurrence_pct),
        "false_positive_pct": _round(result.false_positive_pct),
        "false_positives": result.false_positives,
        "alerts_per_incident": _round(result.alerts_per_incident, 2),
    }
    if args.json:
        print(json.dumps(document))
        return 0
    print(f"{document['from']} .. {document['to']}: {result.incidents} incidents")
    for name in ("mttd", "mtta", "mttr"):
        s = getattr(result, name)
        print(
            f"  {name.upper():<5} median {_seconds(s.median)}  p90 {_seconds(s.p90)}"
            f"  mean {_seconds(s.mean)}  (n={s.count})"
        )
    print(
        f"  SLA response met {_pct(result.response.pct)}, resolution met {_pct(result.resolve.pct)}"
    )
    print(
        f"  recurrence {_pct(result.recurrence_pct)}, false positives {_pct(result.false_positive_pct)}"
    )
    return 0


def _round(value: float | None, digits: int = 1) -> float | None:
    """A figure as `metrics` prints it: the core keeps full precision, JSON gets one decimal."""
    return None if value is None else round(value, digits)


def _noise_report(console: Any, args: argparse.Namespace) -> int:
    now = _now()
    start, end = _period(args, now)
    report = console.noise_report(start, end)
    rules = [
        {
            "alertname": r.alertname,
            "sources": list(r.sources),
            "volume": r.volume,
            "share_pct": r.share_pct,
            "false_positive_pct": r.false_positive_pct,
            "flapping_pct": r.flapping_pct,
            "suppressed_pct": r.suppressed_pct,
            "median_duration": r.median_duration,
            "services": r.services,
            "customers": r.customers,
            "fingerprints": r.fingerprints,
            "incidents": r.incidents,
            "score": r.score,
            "suggestion": r.suggestion,
        }
        for r in report.rules
    ]
    if args.json:
        print(
            json.dumps(
                {"from": iso_z(start), "to": iso_z(end), "alerts": report.alerts, "rules": rules}
            )
        )
        return 0
    print(f"{iso_z(start)} .. {iso_z(end)}: {report.alerts} alerts, {len(rules)} rules")
    if not rules:
        return 0
    table = [
        (
            "rule",
            "sources",
            "volume",
            "share",
            "false pos",
            "flapping",
            "suppressed",
            "median",
            "score",
            "suggestion",
        )
    ]
    table += [
        (
            r.alertname,
            ", ".join(r.sources),
            str(r.volume),
            _pct(r.share_pct),
            _pct(r.false_positive_pct),
            _pct(r.flapping_pct),
            _pct(r.suppressed_pct),
            _seconds(r.median_duration),
            f"{r.score:.1f}",
            r.suggestion,
        )
        for r in report.rules
    ]
    # names left, figures right; the suggestion last and unpadded
    widths = [max(len(row[c]) for row in table) for c in range(len(table[0]) - 1)]
    for *cells, hint in table:
        aligned = [
            cell.ljust(width) if c < 2 else cell.rjust(width)
            for c, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        print("  ".join([*aligned, hint]))
    return 0


def _seconds(value: float | None) -> str:
    return "-" if value is None else str(timedelta(seconds=round(value)))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _export(console: Any, args: argparse.Namespace) -> int:
    count = console.export_history(args.file)
    print(f"exported {count} incidents to {args.file}")
    return 0


def _import(console: Any, args: argparse.Namespace) -> int:
    result = console.import_history(args.file, _now())
    print(
        f"imported {result.imported} incidents from {args.file} ({result.skipped} already present)"
    )
    return 0


def _policies_check(args: argparse.Namespace) -> int:
    """Load the catalog and policies as the console would; errors exit 2, warnings do not."""
    from app.console.estate import load_estate
    from app.engine.policy_lint import counts, lint

    try:
        config = _config(args)
        catalog, policies = load_estate(config)  # as Console.open loads them
    except ConfigError as error:
        if not args.json:
            raise
        failure = {
            "file": str(error.path) if error.path else None,
            "line": error.line,
            "field": error.field,
            "message": error.message,
        }
        print(json.dumps({"ok": False, "errors": [failure], "warnings": []}))
        return EXIT_USAGE
    warnings = lint(catalog, policies, _now())
    numbers = counts(catalog, policies)
    policies_from = str(config.policies_path) if config.policies_path else "built-in"
    catalog_from = (
        str(config.catalog_path)
        if config.catalog_path
        else ("demo estate" if catalog.services else "none")
    )
    if args.json:
        document = {
            "ok": True,
            "errors": [],
            "warnings": [{"field": w.field, "message": w.message} for w in warnings],
            "policies": policies_from,
            "catalog": catalog_from,
            "counts": numbers,
        }
        print(json.dumps(document))
        return 0
    summary = []
    for name, number in [*numbers.items(), ("warnings", len(warnings))]:
        words = name.replace("_", " ")
        summary.append(f"{number} {words.removesuffix('s') if number == 1 else words}")
    print(f"ok: {', '.join(summary)} (policies {policies_from}, catalog {catalog_from})")
    for warning in warnings:
        print(f"warning: {warning}")
    return 0


def _policies(console: Any, args: argparse.Namespace) -> int:
    """`policies check --explain INCIDENT`: which rules put each alert of it where."""
    from app.engine.explain import explanation_json, explanation_lines

    explanation = console.explain(_incident_id(args.explain, "--explain"), _now())
    if args.json:
        print(json.dumps(explanation_json(explanation)))
        return 0
    print("\n".join(explanation_lines(explanation)))
    return 0


def _incident_id(text: str, field: str) -> int:
    match = re.fullmatch(r"(?:INC-?)?0*(\d{1,12})", text.strip(), re.IGNORECASE)
    if match is None:
        raise ConfigError(f"expected an incident like INC-000017 or 17, got {text!r}", field=field)
    return int(match.group(1))


def _runbooks(console: Any, args: argparse.Namespace) -> int:
    """`runbooks match INCIDENT`: the chosen runbook, the rule and the runbooks it beat."""
    incident_id = _incident_id(args.incident, "INCIDENT")
    key = f"INC-{incident_id:06d}"
    found = console.match_runbook(incident_id)
    if args.json:
        print(json.dumps(runbook_commands.match_json(key, found)))
    else:
        print("\n".join(runbook_commands.match_lines(key, found)))
    return 0


def _ticket(console: Any, args: argparse.Namespace) -> int:
    return ticketing_commands.create(console, _incident_id(args.incident, "INCIDENT_KEY"), _now)


def _outbox(console: Any, args: argparse.Namespace) -> int:
    return ticketing_commands.outbox(
        console, as_json=args.json, retry=args.retry, drop=args.drop, reason=args.reason
    )


def _secrets(args: argparse.Namespace) -> int:
    """Prompt (never an argument: shell history keeps arguments), store under the entry name."""
    name = secret_entry(args.name, args.field)
    if args.action == "set":
        value = (
            getpass.getpass(f"secret for {name}: ")
            if sys.stdin.isatty()
            else sys.stdin.readline().rstrip("\n")
        )
        if not value:
            raise ConfigError("empty secret; nothing stored", field="secrets")
        set_secret(name, value)
        print(f"stored the secret for {name} in the OS keyring")
        return 0
    removed = delete_secret(name)
    print(f"deleted the secret for {name}" if removed else f"no secret stored for {name}")
    return 0


_HANDLERS = {
    "poll": _poll,
    "incidents": _incidents,
    "sources": _sources,
    "db": _db,
    "metrics": _metrics,
    "noise-report": _noise_report,
    "export": _export,
    "import": _import,
    "policies": _policies,
    "runbooks": _runbooks,
    "ticket": _ticket,
    "outbox": _outbox,
}


if __name__ == "__main__":
    sys.exit(main())
