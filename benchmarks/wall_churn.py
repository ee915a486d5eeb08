"""A day of polls as the wall sees them: change sets of realistic churn on an accelerated clock.

One change set per poll (every 30 s of simulated time). Incidents open, gain alerts, get
acknowledged, escalated (with the escalation notice the console sends), re-rated, paused
and resumed, and are resolved when their lifetime (20 min to 4 h) ends; resolved ones
leave the wall after the watch window, and now and then one is marked a false positive
before that. Arrivals follow a day: about 200 active incidents at night, rising to about
1,450 in the early afternoon (a wall of about 2,000 with the resolved ones), and back to
200 by hour 19. Every incident lives at most 4 h and stays 1 h resolved, so the wall of
hour 24 holds only incidents of the night, as the wall of hour 1 does (the day starts with
4 h of night already played): the two are alike, and memory can be compared between them.
The source goes down for a few minutes now and then (rows turn stale). Pure domain
values, seeded: every run replays the same day.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import replace
from datetime import datetime, timedelta

from app.domain.changes import ChangeSet
from app.domain.health import SourceHealth, SourceStatus
from app.domain.incident import SYSTEM, EscalationTier, Incident, IncidentState
from app.domain.notifications import Notification, NotificationKind
from app.domain.severity import Severity
from benchmarks.wall import OPERATORS, Estate

POLL = timedelta(seconds=30)
NIGHT = 200
PEAK = 1_450  # active: with the resolved ones in their watch window, a wall of about 2,000
LIFETIME = (timedelta(minutes=20), timedelta(hours=4))
MEAN_LIFE_POLLS = (LIFETIME[0] + LIFETIME[1]) / 2 / POLL
WATCH_WINDOW = timedelta(hours=1)
PRE_ROLL = timedelta(hours=4)  # of night before the window opens: a wall in steady state
DAY_STARTS, DAY_ENDS = 2.0, 19.0  # hours with more than the night's arrivals
SOURCE = "alertmanager"


def active_target(hour: float) -> float:
    """Active incidents the arrivals aim at, at `hour` of the day: NIGHT, PEAK mid-day."""
    if hour <= DAY_STARTS or hour >= DAY_ENDS:
        return NIGHT
    phase = (hour - DAY_STARTS) / (DAY_ENDS - DAY_STARTS)
    return NIGHT + (PEAK - NIGHT) * math.sin(math.pi * phase) ** 2


class WallChurn:
    """Produces the day's change sets, poll by poll, from its own model of the wall.

    Attributes:
        now: the simulated time of the latest poll.
        wall: id -> the newest snapshot of every incident on the wall.
    """

    def __init__(self, estate: Estate, start: datetime, *, seed: int = 24) -> None:
        self.estate = estate
        self.start = start
        self.now = start
        self.rng = random.Random(seed)
        self.wall: dict[int, Incident] = {}
        self._active: set[int] = set()  # ids of the active ones
        self._ends: list[tuple[datetime, int]] = []  # heap: when each active one is resolved
        self._leaves: list[tuple[datetime, int]] = []  # heap: when resolved ones leave the wall
        self._next_id = 1
        self._down_until: datetime | None = None
        self._stale_since: datetime | None = None

    # ------------------------------------------------------------------ the day

    def initial(self) -> list[Incident]:
        """The wall when the window opens: PRE_ROLL of night played, its changes dropped."""
        self.now = self.start - PRE_ROLL
        while self.now < self.start:
            self.poll()
        return list(self.wall.values())

    def poll(self) -> ChangeSet:
        """The next poll's change set, POLL after the previous one."""
        self.now += POLL
        now, rng, wall = self.now, self.rng, self.wall
        hour = (now - self.start).total_seconds() / 3600
        changed: dict[int, Incident] = {}
        notices: list[Notification] = []
        resolving: list[int] = []
        while self._ends and self._ends[0][0] <= now:
            ending = heapq.heappop(self._ends)[1]
            if ending in self._active:  # not gone as a false positive meanwhile
                resolving.append(ending)
        for incident_id in resolving:
            incident = self._store(wall[incident_id].resolve(rng.choice(OPERATORS), now, "fixed"))
            changed[incident_id] = incident
            self._active.discard(incident_id)
            heapq.heappush(self._leaves, (now + WATCH_WINDOW, incident_id))
        busy = sorted(self._active)  # sorted: the same day on every run
        for incident_id in rng.sample(busy, min(len(busy), max(1, len(busy) // 40))):
            newer, notice = self._work(wall[incident_id], now)
            changed[incident_id] = self._store(newer)
            if notice is not None:
                notices.append(notice)
        removed: list[int] = []
        while self._leaves and self._leaves[0][0] <= now:
            removed.append(heapq.heappop(self._leaves)[1])
        if busy and rng.random() < 0.02:
            removed.append(rng.choice(busy))  # a false positive
        for incident_id in removed:
            wall.pop(incident_id, None)
            changed.pop(incident_id, None)
            self._active.discard(incident_id)
        rate = active_target(hour) / MEAN_LIFE_POLLS  # arrivals per poll
        for _ in range(int(rate) + (rng.random() < rate % 1)):
            opened = self._open(now)
            changed[opened.id or 0] = opened
        return ChangeSet(
            upserted=tuple(changed.values()),
            removed=tuple(removed),
            sources=(self._health(now),),
            alerts=len(self._active),
            opened=sum(1 for i in changed.values() if i.version == 1),
            updated=len(changed),
            resolved=len(resolving),
            at=now,
            notifications=tuple(notices),
        )

    # ------------------------------------------------------------------ internals

    def _store(self, incident: Incident) -> Incident:
        stored = replace(incident, version=incident.version + 1)
        self.wall[stored.id or 0] = stored
        return stored

    def _open(self, at: datetime) -> Incident:
        incident = replace(self.estate.detect(self.rng, at), id=self._next_id, version=1)
        self._next_id += 1
        self.wall[incident.id or 0] = incident
        low, high = (span.total_seconds() for span in LIFETIME)
        ends = at + timedelta(seconds=self.rng.uniform(low, high))
        heapq.heappush(self._ends, (ends, incident.id or 0))
        self._active.add(incident.id or 0)
        return incident

    def _work(self, incident: Incident, now: datetime) -> tuple[Incident, Notification | None]:
        """One step of an operator or the engine on an active incident."""
        rng = self.rng
        actor = rng.choice(OPERATORS)
        roll = rng.random()
        if incident.paused_since is not None:
            contract = self.estate.policies.contract_for(incident.customer, self.estate.catalog)
            return incident.resume(actor, now, contract.calendar_for(incident.severity)), None
        if incident.acknowledged_at is None and roll < 0.4:
            return incident.acknowledge(actor, now), None
        if roll < 0.5 and incident.tier is not EscalationTier.ENG:
            target = incident.tier.above()
            newer = incident.escalate(SYSTEM, now, "not acknowledged in time", target)
            text = f"{incident.key} escalated to {target.value if target else ''}: not acknowledged"
            return newer, Notification(
                NotificationKind.ESCALATED,
                incident.id or 0,
                incident.key,
                incident.severity,
                incident.title,
                text,
                now,
                incident.team,
            )
        if roll < 0.55 and incident.severity is not Severity.P1:
            higher = Severity.P1 if incident.severity is Severity.P2 else Severity.P2
            contract = self.estate.policies.contract_for(incident.customer, self.estate.catalog)
            return incident.change_severity(higher, contract, actor, now, "customer impact"), None
        if roll < 0.58 and incident.state is not IncidentState.NEW:
            return incident.pause(actor, now, "waiting on the customer"), None
        alerts = incident.alert_count + rng.randrange(1, 5)
        return incident.count_alerts(alerts), None

    def _health(self, now: datetime) -> SourceHealth:
        """Healthy, except a few minutes down now and then (its rows show as stale)."""
        if self._down_until is None and self.rng.random() < 0.004:
            self._down_until = now + timedelta(minutes=self.rng.randrange(2, 10))
            self._stale_since = now
        if self._down_until is not None and now < self._down_until:
            return SourceHealth(
                SOURCE,
                "alertmanager",
                SourceStatus.DOWN,
                error="connection refused",
                error_class="connection",
                last_attempt=now,
                last_success=self._stale_since,
                stale_since=self._stale_since,
                failures=1,
            )
        self._down_until = self._stale_since = None
        return SourceHealth(
            SOURCE,
            "alertmanager",
            SourceStatus.OK,
            last_attempt=now,
            last_success=now,
            alert_count=len(self.wall),
        )
