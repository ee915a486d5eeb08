"""The built-in demo estate: a seeded simulator of an MSP's alerts, polled like any other source.

It plays four behaviours from resources/demo/scenarios.yaml over the catalog in
resources/demo/estate.yaml: background noise, a flapping check, a recurring incident
and an alert storm that spreads from a database along the catalog's dependencies. What
fires is a pure function of (seed, anchor, remedies, now), so tests move `now` instead
of sleeping and a screenshot of the wall is reproducible. A remediation run on the demo
(`DemoSource.remediate`) ends what fires on a service, and `DemoQueries` (demo_metrics.py)
draws metrics that agree with the alerts, so a runbook can be worked end to end without
infrastructure.
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from string import Template
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import urlencode

from app.config.catalog import parse_catalog_text
from app.config.errors import ConfigError
from app.config.settings import SourceConfig
from app.config.yaml_lines import Fields, load_yaml
from app.domain.alert import Alert, AlertStatus, fingerprint
from app.domain.catalog import Catalog, Service
from app.domain.timestamps import ensure_utc, parse_duration
from app.resources import read_text, resource_path
from app.sources.base import Snapshot
from app.sources.demo_metrics import DemoQueries

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

SEVERITIES = ("critical", "warning", "info")
RUNBOOK_BASE = "https://runbooks.example.com/"
PROMETHEUS_GRAPH = "http://prometheus.demo.example/graph?"

_Section = TypeVar("_Section", bound="DataclassInstance")

# [shortest, longest]; each occurrence draws its own length in whole seconds.
Span = tuple[timedelta, timedelta]

# Every placeholder a template may use, with a stand-in value to check templates at load.
_PLACEHOLDERS = dict.fromkeys(
    ("service", "service_name", "customer", "customer_name", "instance", "n", "root", "root_name"),
    "x",
)


@dataclass(frozen=True, slots=True)
class AlertTemplate:
    """One kind of alert the simulator raises; texts are `string.Template`s ($service...)."""

    alertname: str
    severity: str
    instance: str
    summary: str
    description: str
    expr: str


@dataclass(frozen=True, slots=True)
class Noise:
    """Low-severity background alerts in staggered lanes (see scenarios.yaml for the bounds)."""

    lanes: int
    slot: timedelta
    quiet: Span
    instances: int
    alerts: tuple[AlertTemplate, ...]


@dataclass(frozen=True, slots=True)
class Cycle:
    """One alert on one service that fires for `firing` at the start of every `cycle`."""

    service: str
    cycle: timedelta
    firing: Span
    lead_in: timedelta
    alert: AlertTemplate


@dataclass(frozen=True, slots=True)
class Storm:
    """A root alert and, after a delay, symptoms on every service that depends on the root."""

    root: str
    cycle: timedelta
    duration: Span
    lead_in: timedelta
    delay: Span
    recovery: Span
    instances: int
    root_alert: AlertTemplate
    symptoms: tuple[AlertTemplate, ...]


@dataclass(frozen=True, slots=True)
class DemoScenario:
    """Everything the demo estate does over time.

    Attributes:
        noise: background warnings and infos on random services.
        flapping: a check that toggles every minute or two.
        recurring: an incident that comes back on a cycle.
        storm: a database saturation and its symptoms downstream.
    """

    noise: Noise
    flapping: Cycle
    recurring: Cycle
    storm: Storm

    @property
    def templates(self) -> tuple[AlertTemplate, ...]:
        storm = self.storm
        return (
            *self.noise.alerts,
            self.flapping.alert,
            self.recurring.alert,
            storm.root_alert,
            *storm.symptoms,
        )

    @property
    def alertnames(self) -> tuple[str, ...]:
        return tuple(t.alertname for t in self.templates)


def load_demo_estate() -> Catalog:
    """The demo MSP's catalog; the console runs on it when there is no config at all."""
    return parse_catalog_text(
        read_text("demo", "estate.yaml"), resource_path("demo", "estate.yaml")
    )


def load_demo_scenario() -> DemoScenario:
    text = read_text("demo", "scenarios.yaml")
    return parse_demo_scenario(text, resource_path("demo", "scenarios.yaml"))


def parse_demo_scenario(text: str, path: Path | str | None = None) -> DemoScenario:
    """Read scenarios.yaml; errors name the file, line and field like the other config files."""
    root = Fields(load_yaml(text, path) or {}, path, "")
    root.check_keys({"schema_version", "noise", "flapping", "recurring", "storm"})
    scenario = DemoScenario(
        noise=_read(root, "noise", Noise),
        flapping=_read(root, "flapping", Cycle),
        recurring=_read(root, "recurring", Cycle),
        storm=_read(root, "storm", Storm),
    )
    for index, template in enumerate(scenario.noise.alerts):
        if template.severity == "critical":  # noise is the background: it never pages anyone
            item = Fields(root.mapping["noise"]["alerts"][index], path, f"noise.alerts[{index}]")
            raise item.error("severity", "noise is warning or info, never critical")
    _check_timing(scenario, root)
    names = scenario.alertnames
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise root.error(None, f"alertnames must be unique, repeated: {', '.join(duplicates)}")
    return scenario


def _read(root: Fields, key: str, shape: type[_Section]) -> _Section:
    """Build a section's dataclass field by field, each read as its declared type says."""
    section = root.child(key)
    if section is None:
        raise root.error(None, f"missing section {key!r}")
    # `instance` is the section's default instance template for its alerts
    section.check_keys({field.name for field in fields(shape)} | {"instance"})
    return shape(**{f.name: _READERS[str(f.type)](section, f.name) for f in fields(shape)})


def _check_timing(scenario: DemoScenario, root: Fields) -> None:
    """Refuse timings that would let one occurrence overlap the next (two alerts, one identity)."""
    noise, storm = scenario.noise, scenario.storm
    if noise.quiet[1] * 2 >= noise.slot:
        raise root.error(None, "noise.quiet: the longest quiet time must be under half a slot")
    for key in ("flapping", "recurring"):
        cycle: Cycle = getattr(scenario, key)
        if cycle.firing[1] >= cycle.cycle:
            raise root.error(None, f"{key}.firing: the longest spell must be under the cycle")
    if storm.delay[1] >= storm.duration[0]:
        raise root.error(None, "storm.delay: symptoms must start before the shortest storm ends")
    if storm.duration[1] + storm.recovery[1] >= storm.cycle:
        raise root.error(None, "storm.cycle: a storm and its recovery must fit in one cycle")


def _templates(section: Fields, key: str) -> tuple[AlertTemplate, ...]:
    items = section.require(key)
    if not isinstance(items, list) or not items:
        raise section.error(key, "expected a list of alert templates")
    return tuple(_template(section, f"{key}[{i}]", item) for i, item in enumerate(items))


def _template(section: Fields, key: str, item: Any) -> AlertTemplate:
    line = section.line_of(key.split("[", maxsplit=1)[0])
    entry = Fields(item, section.path, section.field(key), line)
    entry.check_keys({"alertname", "severity", "instance", "summary", "description", "expr"})
    severity = entry.text("severity", required=True) or ""
    if severity not in SEVERITIES:
        raise entry.error("severity", f"expected one of {', '.join(SEVERITIES)}, got {severity!r}")
    default_instance = section.text("instance")
    texts = {
        name: entry.text(name, required=True) or ""
        for name in ("alertname", "summary", "description", "expr")
    }
    texts["instance"] = (
        entry.text("instance", default_instance, required=not default_instance) or ""
    )
    for name, text in texts.items():
        try:
            Template(text).substitute(_PLACEHOLDERS)
        except (KeyError, ValueError) as error:
            raise entry.error(name, f"unknown or malformed placeholder: {error}") from None
    return AlertTemplate(severity=severity, **texts)


def _duration(section: Fields, key: str) -> timedelta:
    try:
        return parse_duration(section.require(key))
    except ValueError as error:
        raise section.error(key, str(error)) from None


def _span(section: Fields, key: str) -> Span:
    value = section.require(key)
    if not isinstance(value, list) or len(value) != 2:
        raise section.error(key, "expected [shortest, longest], e.g. [1m, 2m]")
    try:
        low, high = parse_duration(value[0]), parse_duration(value[1])
    except ValueError as error:
        raise section.error(key, str(error)) from None
    if low > high:
        raise section.error(key, "the shortest is longer than the longest")
    return low, high


def _count(section: Fields, key: str) -> int:
    value = section.require(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise section.error(key, f"expected a whole number of at least 1, got {value!r}")
    return value


# How `_read` reads each field type of the section dataclasses (annotations are strings).
_READERS: dict[str, Callable[[Fields, str], Any]] = {
    "str": lambda section, key: section.text(key, required=True),
    "int": _count,
    "timedelta": _duration,
    "Span": _span,
    "AlertTemplate": lambda section, key: _template(section, key, section.require(key)),
    "tuple[AlertTemplate, ...]": _templates,
}


def _cycle_of(origin: datetime, now: datetime, length: timedelta) -> tuple[int, datetime]:
    """Which cycle `now` falls in, counting from `origin` (negative before it), and its start."""
    index = (now - origin) // length
    return index, origin + index * length


def _draw(rng: random.Random, span: Span) -> timedelta:
    low, high = (int(bound.total_seconds()) for bound in span)
    return timedelta(seconds=rng.randint(low, high))


class _Spell(NamedTuple):
    """One alert firing at the moment asked: what, where, and when it started and ends."""

    template: AlertTemplate
    service: Service
    number: int
    starts_at: datetime
    ends_at: datetime  # as drawn, or earlier if a remediation cut it short


# Service id -> the moments remediations acted on it, sorted. Never mutated once
# published: `remediate` swaps in a new mapping, so a poll reads one consistent version.
Remedies = Mapping[str, tuple[datetime, ...]]

# What a behaviour plays: (anchor, now, remedies) -> the spells firing at now.
_Behaviour = Callable[[datetime, datetime, Remedies], Iterator[_Spell]]


def _cut(remedies: Remedies, service: str, starts_at: datetime, ends_at: datetime) -> datetime:
    """A spell's end once remediations apply: the first one while it fires ends it there."""
    moments = remedies.get(service)
    if moments:
        index = bisect_left(moments, starts_at)
        if index < len(moments) and moments[index] < ends_at:
            return moments[index]
    return ends_at


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class DemoSource:
    """A simulated monitoring system over the demo estate; kind "demo".

    The state is the anchor, fixed at the first fetch when none is given, and the
    remedies; `fetch(now)` depends on (seed, anchor, remedies, now) alone: each random
    choice comes from a `random.Random` seeded by the seed and the cycle it belongs to,
    never from the call order, the wall clock or the global generator. `fetch` may run on
    a worker thread while `remediate` runs on another.

    Attributes:
        name: the configured source name (the alerts' `source`).
        kind: always "demo".
        interval: time between polls.
        catalog: the services alerts are raised on; every label names one of them.
        scenario: the behaviours played.
        seed: picks the noise and the spell lengths.
        anchor: the timeline's reference moment (None until the first fetch if not given);
            at it the storm is minutes in and every behaviour is firing.
        remedies: service id -> the moments `remediate` acted on it (read-only).
        queries: metrics for charts and runbook query steps, like `PrometheusQueries`.
    """

    def __init__(
        self,
        name: str = "demo",
        *,
        catalog: Catalog | None = None,
        seed: int = 1,
        anchor: datetime | None = None,
        interval: timedelta = timedelta(seconds=5),
        scenario: DemoScenario | None = None,
    ) -> None:
        self._name = name
        self._interval = interval
        self.catalog = catalog if catalog is not None else load_demo_estate()
        self.scenario = scenario if scenario is not None else load_demo_scenario()
        self.seed = seed
        self.anchor = ensure_utc(anchor) if anchor is not None else None
        self._check_catalog()
        services = sorted(self.catalog.services.values(), key=lambda s: s.id)
        lanes = self.scenario.noise.lanes
        # Each lane owns every lanes-th service, so two lanes never raise the same alert.
        self._lanes = tuple(tuple(services[lane::lanes]) for lane in range(lanes))
        self._root = self.catalog.services[self.scenario.storm.root]
        self._dependants = self._transitive_dependants(self._root.id)
        self._lock = threading.Lock()  # latches the anchor, serialises remediations
        self._remedies: Remedies = {}
        flapping, recurring = self.scenario.flapping, self.scenario.recurring
        self._behaviours: dict[str, _Behaviour] = {
            "noise": self._noise,
            "flapping": lambda anchor, now, rem: self._cycle(
                "flapping", flapping, anchor, now, rem
            ),
            "recurring": lambda anchor, now, rem: self._cycle(
                "recurring", recurring, anchor, now, rem
            ),
            "storm": self._storm,
        }
        storm = self.scenario.storm
        self._behaviour_of: dict[str, _Behaviour] = {
            **{t.alertname: self._noise for t in self.scenario.noise.alerts},
            flapping.alert.alertname: self._behaviours["flapping"],
            recurring.alert.alertname: self._behaviours["recurring"],
            **{t.alertname: self._storm for t in (storm.root_alert, *storm.symptoms)},
        }
        self.queries = DemoQueries(
            seed=seed,
            services=self.catalog.services.keys(),
            rules={t.alertname: t.expr for t in self.scenario.templates},
            firing_since=self.firing_since,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> str:
        return "demo"

    @property
    def interval(self) -> timedelta:
        return self._interval

    @property
    def remedies(self) -> Remedies:
        return MappingProxyType(self._remedies)

    def fetch(self, now: datetime) -> Snapshot:
        """Every alert firing at `now`; never fails, and is always the whole truth."""
        now = ensure_utc(now)
        alerts = tuple(self._alert(spell, now) for spell in self._firing(self._anchored(now), now))
        return Snapshot(source=self._name, alerts=alerts, fetched_at=now, complete=True)

    def firing_at(
        self, service: str, alertname: str, at: datetime, instance: str | None = None
    ) -> bool:
        """Whether `alertname` fires on `service` (on `instance`, if given) at `at`.

        Remediations count. Only the behaviour that raises `alertname` is played, so a
        chart can ask point by point. False for an alertname the demo never raises, and
        before the anchor is fixed (the timeline has not started).
        """
        return self.firing_since(service, alertname, at, instance) is not None

    def firing_since(
        self, service: str, alertname: str, at: datetime, instance: str | None = None
    ) -> datetime | None:
        """When the spell of `alertname` firing at `at` began (the earliest, if several
        instances fire), or None when `firing_at` is False; a chart's ramp climbs from it."""
        at = ensure_utc(at)
        behaviour = self._behaviour_of.get(alertname)
        if behaviour is None or self.anchor is None:
            return None
        return min(
            (
                spell.starts_at
                for spell in behaviour(self.anchor, at, self._remedies)
                if spell.template.alertname == alertname
                and spell.service.id == service
                and (instance is None or self._instance(spell) == instance)
            ),
            default=None,
        )

    def remediate(self, service: str, at: datetime) -> str:
        """Act on the simulated estate as a remediation would; one line says what changed.

        Every alert of `service` firing at `at` ends there; a spell that begins later
        fires as drawn (the next storm still comes). Ending the storm's root ends the
        storm: its symptoms recover `recovery` later, as after a natural end, and those
        not yet begun never begin. Nothing before `at` changes.

        Raises:
            ValueError: `service` is not in the demo catalog, or `at` is naive.
        """
        at = ensure_utc(at)
        if service not in self.catalog.services:
            known = ", ".join(sorted(self.catalog.services))
            raise ValueError(f"unknown demo service {service!r}; the estate has: {known}")
        anchor = self._anchored(at)
        with self._lock:
            ended = [s for s in self._firing(anchor, at) if s.service.id == service]
            if not ended:
                return f"nothing firing on {service}"
            remedies = dict(self._remedies)
            remedies[service] = tuple(sorted((*remedies.get(service, ()), at)))
            self._remedies = remedies
            still = list(self._firing(anchor, at))
        return f"{service}: {self._describe(ended, still, at)}"

    def _anchored(self, now: datetime) -> datetime:
        if self.anchor is None:
            with self._lock:  # two workers polling first must agree on one anchor
                if self.anchor is None:
                    self.anchor = now.replace(microsecond=0)
        return self.anchor

    def _firing(self, anchor: datetime, now: datetime) -> Iterator[_Spell]:
        remedies = self._remedies  # one version for the whole poll
        for behaviour in self._behaviours.values():
            yield from behaviour(anchor, now, remedies)

    def _describe(self, ended: list[_Spell], still: list[_Spell], at: datetime) -> str:
        storm = self.scenario.storm
        parts = []
        others = [spell for spell in ended if spell.template != storm.root_alert]
        if len(others) < len(ended):
            symptoms = [spell for spell in still if spell.template in storm.symptoms]
            parts.append("storm ended early")
            if symptoms:
                within = int((max(s.ends_at for s in symptoms) - at).total_seconds())
                services = len({s.service.id for s in symptoms})
                parts.append(
                    f"{_plural(len(symptoms), 'symptom')} on {_plural(services, 'service')}"
                    f" recover within {within}s"
                )
        if others:
            names = ", ".join(sorted({spell.template.alertname for spell in others}))
            parts.append(f"{_plural(len(others), 'alert')} cleared ({names})")
        return "; ".join(parts)

    def _rng(self, *parts: object) -> random.Random:
        # A string seed is hashed with SHA-512, so this is stable across runs and platforms.
        return random.Random(":".join(str(part) for part in (self.seed, *parts)))  # noqa: S311 - a simulation, not security

    def _noise(self, anchor: datetime, now: datetime, remedies: Remedies) -> Iterator[_Spell]:
        noise = self.scenario.noise
        stagger = noise.slot / noise.lanes
        for lane, services in enumerate(self._lanes):
            index, begin = _cycle_of(anchor + lane * stagger, now, noise.slot)
            rng = self._rng("noise", lane, index)
            lead, tail = _draw(rng, noise.quiet), _draw(rng, noise.quiet)
            service = rng.choice(services)
            template = rng.choice(noise.alerts)
            number = rng.randint(1, noise.instances)
            starts = begin + lead
            ends = _cut(remedies, service.id, starts, begin + noise.slot - tail)
            if starts <= now < ends:
                yield _Spell(template, service, number, starts, ends)

    def _cycle(
        self, key: str, cycle: Cycle, anchor: datetime, now: datetime, remedies: Remedies
    ) -> Iterator[_Spell]:
        index, begin = _cycle_of(anchor - cycle.lead_in, now, cycle.cycle)
        drawn = begin + _draw(self._rng(key, index), cycle.firing)
        ends = _cut(remedies, cycle.service, begin, drawn)
        if now < ends:
            yield _Spell(cycle.alert, self.catalog.services[cycle.service], 1, begin, ends)

    def _storm(self, anchor: datetime, now: datetime, remedies: Remedies) -> Iterator[_Spell]:
        storm = self.scenario.storm
        index, begin = _cycle_of(anchor - storm.lead_in, now, storm.cycle)
        rng = self._rng("storm", index)
        root = self._root
        end = _cut(remedies, root.id, begin, begin + _draw(rng, storm.duration))
        if now < end:
            yield _Spell(storm.root_alert, root, 1, begin, end)
        for service in self._dependants:
            for template in storm.symptoms:
                for number in range(1, storm.instances + 1):
                    # drawn whatever the remedies, so each symptom keeps its own draws
                    delay, recovery = _draw(rng, storm.delay), _draw(rng, storm.recovery)
                    starts = begin + delay
                    # A symptom not begun when a remedy ended the storm never begins
                    # (`starts < end` always holds without one: see _check_timing).
                    if starts <= now and starts < end:
                        ends = _cut(remedies, service.id, starts, end + recovery)
                        if now < ends:
                            yield _Spell(template, service, number, starts, ends)

    def _values(self, template: AlertTemplate, service: Service, number: int) -> dict[str, str]:
        """What a template's placeholders stand for on this service and instance number."""
        customer = self.catalog.customer(service.customer)
        values = {
            "service": service.id,
            "service_name": service.name,
            "customer": service.customer,
            "customer_name": customer.name if customer else service.customer,
            "n": str(number),
            "root": self._root.id,
            "root_name": self._root.name,
            "instance": "",
        }
        values["instance"] = Template(template.instance).substitute(values)
        return values

    def _instance(self, spell: _Spell) -> str:
        return self._values(spell.template, spell.service, spell.number)["instance"]

    def _alert(self, spell: _Spell, now: datetime) -> Alert:
        template, service = spell.template, spell.service
        values = self._values(template, service, spell.number)
        labels = {
            "alertname": template.alertname,
            "customer": service.customer,
            "service": service.id,
            "severity": template.severity,
            "instance": values["instance"],
        }
        expr = Template(template.expr).substitute(values)
        return Alert(
            source=self._name,
            fingerprint=fingerprint(labels),
            labels=labels,
            annotations={
                "summary": Template(template.summary).substitute(values),
                "description": Template(template.description).substitute(values),
                "runbook_url": RUNBOOK_BASE + template.alertname,
            },
            status=AlertStatus.FIRING,
            starts_at=spell.starts_at,
            ends_at=None,
            received_at=now,
            generator_url=PROMETHEUS_GRAPH + urlencode({"g0.expr": expr, "g0.tab": "1"}),
        )

    def _check_catalog(self) -> None:
        """A scenario naming a service the catalog lacks would emit labels nobody can resolve."""
        scenario = self.scenario
        for key, service_id in (
            ("flapping.service", scenario.flapping.service),
            ("recurring.service", scenario.recurring.service),
            ("storm.root", scenario.storm.root),
        ):
            if service_id not in self.catalog.services:
                raise ConfigError(f"service {service_id!r} is not in the catalog", field=key)
        if len(self.catalog.services) < scenario.noise.lanes:
            raise ConfigError("fewer catalog services than noise lanes", field="noise.lanes")

    def _transitive_dependants(self, root: str) -> tuple[Service, ...]:
        """Everything that needs `root`, directly or through other services, in id order."""
        found: set[str] = set()
        pending = [root]
        while pending:
            for dependant in self.catalog.dependants(pending.pop()):
                if dependant not in found:
                    found.add(dependant)
                    pending.append(dependant)
        return tuple(self.catalog.services[sid] for sid in sorted(found))


def build(config: SourceConfig, *, catalog: Catalog, secrets: object = None) -> DemoSource:
    """The factory's entry point (app/sources/factory.py); the demo needs no secret."""
    seed = config.options.get("seed", 1)
    return DemoSource(name=config.name, catalog=catalog, seed=int(seed), interval=config.interval)
