"""The Datadog source: monitors read page by page from API v1, each alerting group one alert.

Fetch and parse are apart (STYLE.md 4): `DatadogSource.fetch` reads every page of
`GET /api/v1/monitor` and `parse_monitors` turns the monitors into alerts without I/O, so
payloads shaped like Datadog's test it. A monitor whose fields make no sense is skipped
instead of failing the poll; the snapshot then says it is incomplete, so no alert is
resolved on the strength of a read that left monitors out (RELIABILITY.md, pollers 1).
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from app.config.errors import ConfigError
from app.config.settings import SourceConfig
from app.config.source_options import DATADOG_SITES
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog
from app.domain.timestamps import ensure_utc, parse_iso
from app.http import HttpClient, HttpSettings
from app.secrets import SecretUnavailable, environment_name
from app.sources.base import AuthFailed, BadPayload, Snapshot, SourceError
from app.sources.factory import SecretLookup, http_settings

MONITORS_PATH = "/api/v1/monitor"
DEFAULT_SITE = "US1"
DEFAULT_APP_URL = "https://app.datadoghq.com"
APP_KEY_FIELD = "app_key"
PAGE_SIZE = 100
MAX_PAGES = 1000
SKEW_WARNING = timedelta(minutes=2)
FIRING_STATES = frozenset({"Alert", "Warn", "No Data"})
STATES = FIRING_STATES | {"OK", "Ignored", "Skipped", "Unknown"}

_STATE_SEVERITY = {"Alert": "critical", "Warn": "warning", "No Data": "warning"}
# set by the source itself; a tag of the same name must not overwrite the alert's identity
_RESERVED = frozenset({"alertname", "monitor_id", "monitor_type", "datadog_state", "group"})
_WHOLE_MONITOR = "*"  # Datadog's own scope for "every group", used for ungrouped monitors
# a timestamp further ahead than this is corrupt, not clock skew (skew is clamped to now)
_FUTURE_LIMIT = timedelta(days=366)
_MAX_DESCRIPTION = 4000
_HTTPS_URL = re.compile(r"https://[^\s<>\"'()\[\]|\\^`]+")
_TEMPLATE_NAME = re.compile(r"\{\{\s*([\w./-]+)\.name\s*\}\}")
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_QUERY = {"group_states": "all", "with_downtimes": "true"}


class _Skip(Exception):
    """A monitor whose fields make no sense; the message says which field and why."""


@dataclass(frozen=True, slots=True)
class ParsedMonitors:
    """What one read of the monitor list fires.

    Attributes:
        alerts: one firing alert per alerting group, or per alerting ungrouped monitor.
        monitors: how many distinct monitors were read and understood.
        skipped: how many monitors were left out because their fields made no sense.
        skip_reason: why the first of those was left out.
    """

    alerts: tuple[Alert, ...]
    monitors: int
    skipped: int = 0
    skip_reason: str | None = None

    @property
    def warning(self) -> str | None:
        if not self.skipped:
            return None
        plural = "s" if self.skipped > 1 else ""
        return f"{self.skipped} Datadog monitor{plural} skipped (first: {self.skip_reason})"


@dataclass(frozen=True, slots=True)
class _Monitor:
    """The fields of one firing monitor that its alerts are built from, already checked.

    `mutes` are the mutes and downtimes in force at `now`: (scopes that must all cover a
    group, wording).
    """

    id: int
    name: str
    type: str | None
    tags: tuple[str, ...]
    priority: int | None
    message: str
    query: str | None
    modified: datetime | None
    mutes: tuple[tuple[tuple[str, ...], str], ...]


def parse_monitors(
    monitors: Sequence[object], source: str, now: datetime, *, app_url: str = DEFAULT_APP_URL
) -> ParsedMonitors:
    """The firing alerts in Datadog's monitor list (pure: no I/O, `now` is given).

    A monitor listed twice (the list shifted while it was paged) counts once.
    """
    now = ensure_utc(now)
    alerts: list[Alert] = []
    seen: set[int] = set()
    skipped = 0
    reason: str | None = None
    for position, item in enumerate(monitors):
        try:
            monitor_id, fired = _monitor_alerts(item, source, now, app_url)
        except _Skip as skip:
            skipped += 1
            named = item.get("id") if isinstance(item, dict) else None
            where = named if type(named) is int else f"#{position + 1} in the list"
            reason = reason or f"monitor {where}: {skip}"
            continue
        if monitor_id not in seen:
            seen.add(monitor_id)
            alerts.extend(fired)
    return ParsedMonitors(tuple(alerts), len(seen), skipped, reason)


def _monitor_alerts(
    item: object, source: str, now: datetime, app_url: str
) -> tuple[int, list[Alert]]:
    """The alerts one monitor fires; fields only alerts use are checked only when it fires,
    so odd texts on a healthy monitor never make a snapshot incomplete."""
    if not isinstance(item, dict):
        raise _Skip("not a JSON object")
    monitor_id = item.get("id")
    if isinstance(monitor_id, bool) or not isinstance(monitor_id, int) or monitor_id <= 0:
        raise _Skip(f"id {monitor_id!r} is not a positive integer")
    state = item.get("state")
    if state is not None and not isinstance(state, dict):
        raise _Skip("state is not an object")
    groups = (state or {}).get("groups")
    if not isinstance(groups, dict | None):
        raise _Skip("state.groups is not an object")
    for key, group in (groups or {}).items():
        if not isinstance(group, dict):
            raise _Skip(f"group {key!r} is not an object")
        status = group.get("status")
        if not isinstance(status, str) or status not in STATES:
            raise _Skip(f"group {key!r} has unknown status {status!r}")
    if not groups:  # ungrouped: the monitor is its own "*" group
        overall = item.get("overall_state")
        if not isinstance(overall, str) or overall not in STATES:
            raise _Skip(f"unknown overall_state {overall!r}")
        groups = {_WHOLE_MONITOR: {"status": overall}}
    firing = {key: group for key, group in groups.items() if group["status"] in FIRING_STATES}
    if not firing:
        return monitor_id, []
    monitor = _checked(item, monitor_id, now)
    return monitor_id, [
        _alert(monitor, key, group, source, now, app_url) for key, group in firing.items()
    ]


def _checked(item: dict[str, Any], monitor_id: int, now: datetime) -> _Monitor:
    """Fields that feed labels and times must be sound; free texts of the wrong type are dropped."""
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Skip("no name")
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise _Skip("tags is not a list of strings")
    priority = item.get("priority")
    if priority is not None and (
        isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 5
    ):
        raise _Skip(f"priority {priority!r} is not 1..5")
    message, query, kind = item.get("message"), item.get("query"), item.get("type")
    return _Monitor(
        id=monitor_id,
        name=name.strip(),
        type=kind if isinstance(kind, str) and kind else None,
        tags=tuple(tags),
        priority=priority,
        message=message.strip() if isinstance(message, str) else "",
        query=query if isinstance(query, str) and query else None,
        modified=_timestamp(item.get("overall_state_modified"), "overall_state_modified", now),
        mutes=_mutes(item, now),
    )


def _mutes(item: dict[str, Any], now: datetime) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Mutes in force: `options.silenced` (scope -> end or null) and `matching_downtimes`.

    An end we cannot read counts as "muted, no end known": showing a mute that may be over
    costs a look, hiding one that holds would page someone for a silenced monitor.
    """
    options = item.get("options")
    silenced = options.get("silenced") if isinstance(options, dict) else None
    mutes = [
        ((scope,), "muted in Datadog", None, end)
        for scope, end in (silenced.items() if isinstance(silenced, dict) else ())
    ]
    downtimes = item.get("matching_downtimes")
    for downtime in downtimes if isinstance(downtimes, list) else ():
        if not isinstance(downtime, dict) or downtime.get("active") is False:
            continue
        scopes = downtime.get("scope") or [_WHOLE_MONITOR]
        scopes = [scopes] if isinstance(scopes, str) else scopes
        if isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes):
            wording = f"muted in Datadog by downtime {downtime.get('id', '?')}"
            mutes.append((tuple(scopes), wording, downtime.get("start"), downtime.get("end")))
    in_force = []
    for scopes, wording, start, end in mutes:
        until = ""
        if isinstance(start, int | float) and start > now.timestamp():
            continue
        if isinstance(end, int | float) and not isinstance(end, bool):
            if end <= now.timestamp():
                continue
            if end <= (now + _FUTURE_LIMIT).timestamp():
                when = datetime.fromtimestamp(end, UTC)
                shape = "%H:%M UTC" if when - now < timedelta(hours=24) else "%Y-%m-%d %H:%M UTC"
                until = f" until {when.strftime(shape)}"
        in_force.append((scopes, wording + until))
    return tuple(in_force)


def _timestamp(value: object, what: str, now: datetime) -> datetime | None:
    """Epoch seconds or ISO 8601, clamped to `now`; None when absent (Datadog sends 0 for never)."""
    if value is None or (isinstance(value, int | float) and value == 0):
        return None
    if isinstance(value, str):
        try:
            value = parse_iso(value).timestamp()
        except ValueError:
            raise _Skip(f"{what} {value!r} is not a timestamp") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Skip(f"{what} {value!r} is not a timestamp")
    if not 0 < value <= (now + _FUTURE_LIMIT).timestamp():
        raise _Skip(f"{what} {value!r} is out of range")
    return min(datetime.fromtimestamp(value, UTC), now)


def _tag_pairs(tags: Sequence[str]) -> dict[str, str]:
    """`key:value` tags as labels; several values of one key are joined with commas.

    Tags without a value are skipped: a bare `customer` tag must not become `customer=true`.
    """
    values: dict[str, list[str]] = {}
    for tag in tags:
        key, separator, value = tag.strip().partition(":")
        if separator and key and value and key not in _RESERVED:
            found = values.setdefault(key, [])
            found += [] if value in found else [value]
    return {key: ",".join(found) for key, found in values.items()}


def _alert(
    monitor: _Monitor,
    group_key: str,
    group: Mapping[str, Any],
    source: str,
    now: datetime,
    app_url: str,
) -> Alert:
    status: str = group["status"]
    grouped = group_key not in ("", _WHOLE_MONITOR)
    group_tags = {part.strip() for part in group_key.split(",")} if grouped else set()
    # the group is the concrete thing that fires: its tags win over the monitor's
    group_values = _tag_pairs(sorted(group_tags))
    labels = {**_tag_pairs(monitor.tags), **group_values}
    if "severity" not in labels:
        labels["severity"] = (
            f"P{min(monitor.priority, 4)}" if monitor.priority else _STATE_SEVERITY[status]
        )
    labels |= {"alertname": monitor.name, "monitor_id": str(monitor.id), "datadog_state": status}
    if monitor.type:
        labels["monitor_type"] = monitor.type
    if grouped:
        labels["group"] = group_key
    # {{host.name}}-style variables of the name, filled from the group's tags
    summary = _TEMPLATE_NAME.sub(lambda match: group_values.get(match[1], match[0]), monitor.name)
    annotations = {"summary": f"{summary} ({group_key})" if grouped else summary}
    if monitor.message:
        annotations["description"] = monitor.message[:_MAX_DESCRIPTION]
        # a templated link is rendered only in notifications; take the first plain one
        urls = (url for url in _HTTPS_URL.findall(monitor.message) if "{{" not in url)
        if runbook := next(urls, None):
            annotations["runbook_url"] = runbook.rstrip(".,;:!?")
    if monitor.query:
        annotations["query"] = monitor.query
    muted = ["muted in Datadog"] if group.get("muted") is True else []
    for scopes, wording in monitor.mutes:
        if all(_covers(scope, group_tags) for scope in scopes):
            muted.append(wording)
    triggered = _timestamp(group.get("last_triggered_ts"), "last_triggered_ts", now)
    return Alert(
        source=source,
        fingerprint=fingerprint({"monitor_id": str(monitor.id), "group": group_key or "*"}),
        labels=labels,
        annotations=annotations,
        status=AlertStatus.FIRING,
        starts_at=triggered or monitor.modified or now,
        ends_at=None,
        received_at=now,
        generator_url=f"{app_url}/monitors/{monitor.id}",
        suppressed_by=tuple(dict.fromkeys(muted)),
    )


def _covers(scope: str, group_tags: set[str]) -> bool:
    """A scope (comma-separated tags, all required) covers a group, or `*` covers every group."""
    parts = {part.strip() for part in scope.split(",") if part.strip()}
    return parts == {_WHOLE_MONITOR} or (bool(parts) and parts <= group_tags)


def app_url_for(base_url: str, site: str = DEFAULT_SITE) -> str:
    """The web app beside an API host: api.datadoghq.eu -> app.datadoghq.eu, api.us3.datadoghq.com
    -> us3.datadoghq.com; a URL that is no API host (a proxy, a test fake) links to the site's app."""
    host = urlsplit(base_url).hostname or ""
    if not host.startswith("api."):
        site_url = DATADOG_SITES.get(site.upper(), DATADOG_SITES[DEFAULT_SITE])
        host = urlsplit(site_url).hostname or ""
    rest = host.removeprefix("api.")
    return "https://" + (rest if rest.count(".") >= 2 else "app." + rest)


class DatadogSource:
    """Datadog's monitors as a source; kind "datadog".

    Thread: one poller worker calls `fetch`; the keys are read there, on the first poll and
    again after an `AuthFailed` (a keyring may block, so never in the constructor), and
    live only in the HTTP client's headers, never in a message or the details.

    Attributes:
        name: the configured source name; also the keyring entry of its keys.
        kind: always "datadog".
        interval: time between polls.
        client: the HTTP client; its `base_url` is the site's API host (or the `url` override).
        site: the Datadog site (US1, EU1, ...), for the details.
        app_url: the web app that `generator_url` links into.
        monitor_tags: only monitors with all of these tags are read.
    """

    kind = "datadog"

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        secrets: SecretLookup,
        settings: HttpSettings | None = None,
        site: str = DEFAULT_SITE,
        monitor_tags: Sequence[str] = (),
        interval: timedelta = timedelta(seconds=30),
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.interval = interval
        self._secrets = secrets
        self._page_size = page_size
        self._max_pages = max_pages
        self._has_keys = False
        self.client = HttpClient(base_url, settings, clock=clock)
        self.site = site
        self.app_url = app_url_for(self.client.base_url, site)
        self.monitor_tags = tuple(monitor_tags)

    def close(self) -> None:
        self.client.close()

    def fetch(self, now: datetime) -> Snapshot:
        """Every firing monitor group, from every page; any failing page fails the poll."""
        now = ensure_utc(now)
        self._load_keys()
        try:
            monitors, pages, skew = self._read_pages()
        except AuthFailed:
            self._has_keys = False  # a key replaced in the keyring is read on the next poll
            raise
        parsed = parse_monitors(monitors, self.name, now, app_url=self.app_url)
        warnings = [text for text in (parsed.warning, _skew_warning(skew)) if text]
        settings = self.client.settings
        return Snapshot(
            source=self.name,
            alerts=parsed.alerts,
            fetched_at=now,
            complete=not parsed.skipped,
            warning="; ".join(warnings) or None,
            details={
                "url": self.client.base_url,
                "site": self.site,
                "ca_bundle": settings.ca_bundle_in_use,
                "monitors": str(parsed.monitors),
                "pages": str(pages),
            },
        )

    def _load_keys(self) -> None:
        if self._has_keys:
            return
        try:
            api_key = self._secrets(self.name, None)
            app_key = self._secrets(self.name, APP_KEY_FIELD)
        except SecretUnavailable as error:
            raise AuthFailed(f"Datadog source {self.name!r}: {error}") from None
        keys = {
            "DD-API-KEY": (api_key or "").strip(),
            "DD-APPLICATION-KEY": (app_key or "").strip(),
        }
        missing = [header for header, key in keys.items() if not key]
        if missing:
            what = " and ".join(_KEY_NAMES[header] for header in missing)
            raise AuthFailed(
                f"no Datadog {what} for source {self.name!r}; store them with {_commands(self.name)}"
            )
        for header, key in keys.items():
            # requests would quote a bad header value in its error message: check it here
            if not _HEADER_SAFE.fullmatch(key):
                raise AuthFailed(
                    f"the {_KEY_NAMES[header]} stored for Datadog source {self.name!r} holds "
                    f"spaces or control characters; store it again ({_commands(self.name)})"
                )
        self.client.set_headers(keys)
        self._has_keys = True

    def _read_pages(self) -> tuple[list[object], int, timedelta | None]:
        """Every monitor, page after page, until a short page; a loop or a failure is an error."""
        # group_states=all: without it Datadog leaves out state.groups
        params: dict[str, str | int] = {**_QUERY, "page_size": self._page_size}
        if self.monitor_tags:
            params["monitor_tags"] = ",".join(self.monitor_tags)
        started = self.client.now()  # one deadline for every page of the poll
        monitors: list[object] = []
        previous: object = None
        skew: timedelta | None = None
        for page in range(self._max_pages):
            try:
                response = self.client.get_json(
                    MONITORS_PATH, {**params, "page": page}, started=started
                )
            except SourceError as error:
                error.args = (f"Datadog monitors page {page}: {error}",)
                raise
            data = response.data
            if not isinstance(data, list):
                raise BadPayload(
                    f"Datadog monitors page {page}: expected a JSON array of monitors, "
                    f"got {_shape(data)}"
                )
            if page and data == previous:
                raise BadPayload(
                    f"Datadog monitors page {page} repeats page {page - 1}; "
                    "the server ignores paging, stopped"
                )
            skew = response.clock_skew if skew is None else skew
            monitors.extend(data)
            if len(data) < self._page_size:
                return monitors, page + 1, skew
            previous = data
        raise BadPayload(
            f"Datadog monitors: more than {self._max_pages} pages of {self._page_size}; "
            "stopped (the server keeps sending full pages)"
        )


_KEY_NAMES = {"DD-API-KEY": "API key", "DD-APPLICATION-KEY": "application key"}


def _commands(name: str) -> str:
    quoted = shlex.quote(name)
    return (
        f"`noc-console secrets set {quoted}` and "
        f"`noc-console secrets set {quoted} --field {APP_KEY_FIELD}`, or set "
        f"{environment_name(name)} and {environment_name(name, APP_KEY_FIELD)}"
    )


def _shape(data: object) -> str:
    if isinstance(data, dict):
        return f"an object ({data.get('errors') or 'no errors field'})"
    return "null" if data is None else type(data).__name__


def _skew_warning(skew: timedelta | None) -> str | None:
    if skew is None or abs(skew) <= SKEW_WARNING:
        return None
    minutes = round(abs(skew).total_seconds() / 60)
    side = "ahead of" if skew > timedelta(0) else "behind"
    return f"Datadog's clock is {minutes} min {side} this workstation's; alert ages may look off"


def build(config: SourceConfig, *, catalog: Catalog, secrets: SecretLookup) -> DatadogSource:
    """The factory's entry point (app/sources/factory.py); no keyring access happens here."""
    site = str(config.options.get("site", DEFAULT_SITE)).upper()
    if site not in DATADOG_SITES:
        raise ConfigError(f"unknown Datadog site {site!r}", field=f"sources.{config.name}.site")
    return DatadogSource(
        config.name,
        base_url=config.url or DATADOG_SITES[site],
        secrets=secrets,
        settings=http_settings(config),
        site=site,
        monitor_tags=tuple(config.options.get("monitor_tags", ())),
        interval=config.interval,
    )
