"""Prometheus Alertmanager (API v2): every alert it holds, with why any is silenced or inhibited.

Alertmanager never reports a resolution: a resolved alert simply disappears from
`GET /api/v2/alerts`. So only a complete, successful snapshot may resolve anything, and
an alert skipped as malformed makes the snapshot incomplete. Members of one HA cluster
gossip the same alerts, so one healthy member gives the whole truth; the others are
polled too (concurrently) and a down member only degrades the source.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import repeat
from typing import Any

from app.config.settings import SourceConfig
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog
from app.domain.timestamps import ensure_utc, parse_iso
from app.gc_pause import release_gradually
from app.http import HttpClient, JsonResponse
from app.sources.base import AuthFailed, BadPayload, Snapshot, SourceError
from app.sources.credentials import HttpCredentials, SecretLookup

log = logging.getLogger(__name__)

SKEW_WARNING = timedelta(minutes=2)
_STATES = frozenset({"active", "suppressed", "unprocessed"})


@dataclass(slots=True)
class Parsed:
    """Alerts read from a payload, and why any were left out."""

    alerts: list[Alert] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def silence_reasons(silences: Any) -> dict[str, str]:
    """Silence id -> "silenced by 'comment' (who) until 14:00Z", for active silences."""
    reasons: dict[str, str] = {}
    if not isinstance(silences, list):
        return reasons
    for silence in silences:
        if not isinstance(silence, dict) or not isinstance(silence.get("id"), str):
            continue
        comment = str(silence.get("comment") or "no comment")[:200]
        who = str(silence.get("createdBy") or "someone")[:80]
        until = ""
        with contextlib.suppress(KeyError, ValueError):
            until = f" until {parse_iso(str(silence['endsAt'])):%Y-%m-%d %H:%MZ}"
        reasons[silence["id"]] = f"silenced by {comment!r} ({who}){until}"
    return reasons


def parse_alerts(
    payload: Any, source: str, now: datetime, silences: Mapping[str, str] | None = None
) -> Parsed:
    """Turn `GET /api/v2/alerts` into domain alerts; malformed items are skipped with a reason."""
    if not isinstance(payload, list):
        raise BadPayload(f"expected a JSON array of alerts, got {type(payload).__name__}")
    parsed = Parsed()
    names = _Names(payload)
    for index, item in enumerate(payload):
        try:
            parsed.alerts.append(_alert(item, source, now, silences or {}, names))
        except (KeyError, TypeError, ValueError) as error:
            parsed.skipped.append(f"alert #{index}: {error}")
    return parsed


class _Names:
    """Fingerprint -> alert name, built only if some alert is inhibited (most polls: never)."""

    def __init__(self, payload: list[Any]) -> None:
        self._payload = payload
        self._names: dict[Any, str] | None = None

    def get(self, fingerprint: Any) -> str | None:
        if self._names is None:
            self._names = {
                item.get("fingerprint"): item["labels"].get("alertname", "")
                for item in self._payload
                if isinstance(item, dict) and isinstance(item.get("labels"), dict)
            }
        return self._names.get(fingerprint)


def _alert(
    item: Any, source: str, now: datetime, silences: Mapping[str, str], names: _Names
) -> Alert:
    if not isinstance(item, dict):
        raise TypeError(f"not an object but {type(item).__name__}")
    labels = item.get("labels")
    if not isinstance(labels, dict) or not labels:
        raise ValueError("no labels")
    if not all_text(labels):
        raise TypeError("labels must map text to text")
    annotations = item.get("annotations") or {}
    if not isinstance(annotations, dict):
        raise TypeError("annotations must be an object")
    if not all_text(annotations):
        annotations = {k: str(v) for k, v in annotations.items()}
    identity = item.get("fingerprint")
    if not isinstance(identity, str) or not identity:
        identity = fingerprint(labels)
    starts_at = min(parse_iso(str(item["startsAt"])), now)
    status = item.get("status") or {}
    state = status.get("state", "active") if isinstance(status, dict) else "active"
    if state not in _STATES:
        raise ValueError(f"unknown state {state!r}")
    reasons: list[str] = []
    if state == "suppressed":
        reasons = [silences.get(s, f"silenced by silence {s}") for s in _ids(status, "silencedBy")]
        reasons += [
            f"inhibited by {names.get(fp) or 'alert'} ({fp})" for fp in _ids(status, "inhibitedBy")
        ]
    generator = item.get("generatorURL")
    return Alert(
        source=source,
        fingerprint=identity,
        labels=labels,
        annotations=annotations,
        status=AlertStatus.FIRING,
        starts_at=starts_at,
        ends_at=None,
        received_at=now,
        generator_url=generator if isinstance(generator, str) and generator else None,
        suppressed_by=tuple(reasons),
    )


def all_text(mapping: Mapping[Any, Any]) -> bool:
    """Every value is a string (JSON object keys always are); checked in C, per alert."""
    return all(map(isinstance, mapping.values(), repeat(str)))


def _ids(status: Any, key: str) -> list[str]:
    if not isinstance(status, dict):
        return []
    value = status.get(key) or []
    return [str(v) for v in value] if isinstance(value, list) else []


def merge_members(snapshots: Sequence[Parsed]) -> Parsed:
    """HA members: one alert per fingerprint, the earliest start, every suppression reason."""
    merged: dict[str, Alert] = {}
    skipped: list[str] = []
    for parsed in snapshots:
        skipped.extend(parsed.skipped)
        for alert in parsed.alerts:
            seen = merged.get(alert.fingerprint)
            if seen is None:
                merged[alert.fingerprint] = alert
                continue
            earliest = seen if seen.starts_at <= alert.starts_at else alert
            reasons = tuple(dict.fromkeys((*seen.suppressed_by, *alert.suppressed_by)))
            merged[alert.fingerprint] = _with_reasons(earliest, reasons)
    return Parsed(list(merged.values()), skipped)


def _with_reasons(alert: Alert, reasons: tuple[str, ...]) -> Alert:
    return alert if alert.suppressed_by == reasons else replace(alert, suppressed_by=reasons)


@dataclass(slots=True)
class _Member:
    url: str
    client: HttpClient


class AlertmanagerSource:
    """An Alertmanager (or the members of one HA cluster) polled as one source.

    Attributes:
        name, kind, interval: the Source protocol.
        urls: the members' base URLs.
    """

    kind = "alertmanager"

    def __init__(
        self,
        name: str,
        urls: Sequence[str],
        *,
        interval: timedelta,
        client_factory: Callable[[str], HttpClient],
        credentials: HttpCredentials,
    ) -> None:
        self.name = name
        self.urls = tuple(urls)
        self.interval = interval
        self._members = [_Member(url, client_factory(url)) for url in self.urls]
        self._credentials = credentials
        self._pool = ThreadPoolExecutor(
            max_workers=len(self._members), thread_name_prefix=f"am-{name}"
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for member in self._members:
            member.client.close()

    def fetch(self, now: datetime) -> Snapshot:
        now = ensure_utc(now)
        self._credentials.apply([member.client for member in self._members])
        futures = [self._pool.submit(self._fetch_member, member, now) for member in self._members]
        results: list[tuple[_Member, Parsed | SourceError, dict[str, str]]] = []
        for member, future in zip(self._members, futures, strict=True):
            try:
                parsed, details = future.result()
                results.append((member, parsed, details))
            except SourceError as error:
                results.append((member, error, {}))
        good = [(m, p, d) for m, p, d in results if isinstance(p, Parsed)]
        failed = [(m, p) for m, p, _ in results if isinstance(p, SourceError)]
        if any(isinstance(error, AuthFailed) for _, error in failed):
            self._credentials.invalidate()
        if not good:
            first_member, first_error = failed[0]
            if len(self._members) == 1:
                raise first_error
            everyone_down = copy.copy(first_error)  # same type, so the same status and kind
            everyone_down.args = (f"every member is down; {first_member.url}: {first_error}",)
            raise everyone_down
        merged = merge_members([p for _, p, _ in good if isinstance(p, Parsed)])
        warnings = [f"member {m.url} down: {e}" for m, e in failed]
        warnings += [d["skew"] for _, _, d in good if "skew" in d]
        if merged.skipped:
            warnings.append(f"{len(merged.skipped)} malformed alerts skipped ({merged.skipped[0]})")
        details = dict(good[0][2])
        details.pop("skew", None)
        details["members"] = ", ".join(
            f"{m.url} ({'down' if isinstance(p, SourceError) else 'ok'})" for m, p, _ in results
        )
        return Snapshot(
            source=self.name,
            alerts=tuple(merged.alerts),
            fetched_at=now,
            complete=not merged.skipped,
            warning="; ".join(warnings) or None,
            details=details,
        )

    def _fetch_member(self, member: _Member, now: datetime) -> tuple[Parsed, dict[str, str]]:
        status = member.client.get_json("/api/v2/status")
        silences = member.client.get_json("/api/v2/silences")
        alerts = member.client.get_json(
            "/api/v2/alerts",
            {"active": "true", "silenced": "true", "inhibited": "true", "unprocessed": "true"},
        )
        parsed = parse_alerts(alerts.data, self.name, now, silence_reasons(silences.data))
        if isinstance(alerts.data, list):
            release_gradually(alerts.data)  # the raw documents, now alerts: free them gently
        return parsed, _details(member, status)


def _details(member: _Member, status: JsonResponse) -> dict[str, str]:
    details = {"url": member.url, "ca_bundle": member.client.settings.ca_bundle_in_use}
    data = status.data if isinstance(status.data, dict) else {}
    version = (
        (data.get("versionInfo") or {}).get("version")
        if isinstance(data.get("versionInfo"), dict)
        else None
    )
    if version:
        details["version"] = str(version)
    cluster = data.get("cluster")
    if isinstance(cluster, dict) and cluster.get("status"):
        details["cluster"] = str(cluster["status"])
    skew = status.clock_skew
    if skew is not None and abs(skew) > SKEW_WARNING:
        details["skew"] = f"clock skew {int(skew.total_seconds())} s against {member.url}"
    return details


def build(config: SourceConfig, *, catalog: Catalog, secrets: SecretLookup) -> AlertmanagerSource:
    """The factory's entry point (app/sources/factory.py)."""
    from app.sources.factory import http_settings  # noqa: PLC0415 - the factory imports us lazily

    settings = http_settings(config)
    urls = list(config.options.get("urls") or [config.options["url"]])
    credentials = HttpCredentials(
        config.name,
        str(config.options.get("auth", "none")),
        config.options.get("username"),
        secrets,
    )
    return AlertmanagerSource(
        config.name,
        urls,
        interval=config.interval,
        client_factory=lambda url: HttpClient(url, settings),
        credentials=credentials,
    )
