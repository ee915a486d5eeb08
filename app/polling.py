"""When to poll each source next: interval with jitter, Retry-After, and a circuit breaker.

Pure bookkeeping (no threads, no I/O, `now` passed in), so the GUI's per-source workers
and the CLI's poll loop schedule the same way and tests move the clock instead of waiting.

- Healthy: every `interval`, jittered by ±10 % so that sources configured alike do not
  poll in lockstep.
- Failing: the next poll is still one interval away (a blind source must be retried
  soon), but never before what the peer asked for with Retry-After (capped).
- After `threshold` failures in a row the breaker opens: polls back off exponentially
  with full jitter up to `cap` (the console uses four intervals, at least a minute), so a
  dead peer is not hammered yet is found again soon after it returns; the first success
  closes the breaker. The GUI also polls at once when the OS reports the network back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Circuit(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


@dataclass(slots=True)
class PollSchedule:
    """One source's polling state.

    Attributes:
        interval: the configured time between polls.
        failures: consecutive failed polls.
        next_at: when the next poll is due (None: right away).
        retry_after_until: a peer's Retry-After, if one is in force.
    """

    interval: timedelta
    threshold: int = 3
    cap: timedelta = timedelta(minutes=10)
    retry_after_cap: timedelta = timedelta(minutes=30)
    jitter: float = 0.1
    failures: int = 0
    next_at: datetime | None = None
    retry_after_until: datetime | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @property
    def circuit(self) -> Circuit:
        return Circuit.OPEN if self.failures >= self.threshold else Circuit.CLOSED

    def due(self, now: datetime) -> bool:
        return self.next_at is None or now >= self.next_at

    def succeeded(self, now: datetime) -> datetime:
        self.failures = 0
        self.retry_after_until = None
        self.next_at = now + self._jittered(self.interval)
        return self.next_at

    def failed(self, now: datetime, retry_after: timedelta | None = None) -> datetime:
        self.failures += 1
        if self.circuit is Circuit.OPEN:
            # full jitter over an exponentially growing window, never below one interval
            steps = self.failures - self.threshold + 1
            ceiling = min(self.cap, self.interval * 2**steps)
            seconds = self.rng.uniform(
                self.interval.total_seconds(), max(ceiling, self.interval).total_seconds()
            )
            delay = timedelta(seconds=seconds)
        else:
            delay = self._jittered(self.interval)
        if retry_after is not None:
            wait = min(retry_after, self.retry_after_cap)
            self.retry_after_until = now + wait
            delay = max(delay, wait)
        else:
            self.retry_after_until = None
        self.next_at = now + delay
        return self.next_at

    def _jittered(self, base: timedelta) -> timedelta:
        return base * self.rng.uniform(1 - self.jitter, 1 + self.jitter)
