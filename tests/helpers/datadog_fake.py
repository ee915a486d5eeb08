"""A contract fake of Datadog's monitors API v1 on pytest-httpserver, shaped after PEERS.md 4.1.

It does what the documentation says the real API does and no more: 403
`{"errors":["Forbidden"]}` without both keys, 400 for a bad `group_states`, `state.groups`
only when `group_states` is given, `matching_downtimes` only with `with_downtimes=true`,
paging by `page`/`page_size` (everything at once without `page`), and the
`X-RateLimit-*` headers. One guess of ours: a `page_size` over the documented maximum of
1000 gets a 400 in the same `{"errors": [...]}` shape. Tests then tell it to misbehave: a 429, a failing page, a page
that is not JSON, a server clock that is off (`set_server_clock`).
"""

from __future__ import annotations

import copy
import email.utils
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_KEY = "ddapi0canary0000000000000000000a"
APP_KEY = "ddapp0canary000000000000000000000000000b"
MONITORS_PATH = "/api/v1/monitor"
GROUP_STATES = frozenset({"all", "alert", "warn", "no data"})
MAX_PAGE_SIZE = 1000


@dataclass
class RateLimit:
    """The `X-RateLimit-*` values sent with every answer (Period and Reset in seconds)."""

    limit: int = 1000
    period: int = 10
    remaining: int = 999
    reset: int = 7
    name: str = "monitors"

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Period": str(self.period),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
            "X-RateLimit-Name": self.name,
        }


@dataclass
class DatadogFake:
    """The monitors endpoint over one `httpserver`; tests edit the fields to script it.

    Attributes:
        monitors: the account's monitors, as the API documents them (with `state.groups`).
        api_key, app_key: the keys a request must carry.
        rate_limit: the rate-limit headers; `rate_limited` answers every request with 429.
        failing_pages: pages answered with 500.
        raw_pages: pages answered with a given (status, content type, body) instead.
        ignore_paging: answer every page with the first one (a broken pager).
        requests: the query arguments of every request, in order.
    """

    server: HTTPServer
    monitors: list[Any] = field(default_factory=list)
    api_key: str = API_KEY
    app_key: str = APP_KEY
    rate_limit: RateLimit = field(default_factory=RateLimit)
    rate_limited: bool = False
    failing_pages: set[int] = field(default_factory=set)
    raw_pages: dict[int, tuple[int, str, bytes]] = field(default_factory=dict)
    ignore_paging: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server.expect_request(MONITORS_PATH, method="GET").respond_with_handler(self._handle)

    @property
    def url(self) -> str:
        """The base URL to configure as the source's `url`."""
        return self.server.url_for("/").rstrip("/")

    @property
    def pages_served(self) -> list[int]:
        return [int(args["page"]) for args in self.requests if "page" in args]

    def _handle(self, request: Request) -> Response:
        args = {key: request.args[key] for key in request.args}
        self.requests.append(args)
        if (
            request.headers.get("DD-API-KEY") != self.api_key
            or request.headers.get("DD-APPLICATION-KEY") != self.app_key
        ):
            return self._answer(403, {"errors": ["Forbidden"]})
        if self.rate_limited:
            limit = RateLimit(**{**self.rate_limit.__dict__, "remaining": 0})
            return self._answer(429, {"errors": ["Rate limit exceeded"]}, limit)
        states = [s.strip() for s in args.get("group_states", "").split(",") if s.strip()]
        if any(state not in GROUP_STATES for state in states):
            return self._answer(400, {"errors": ["Invalid group_state filters."]})
        try:
            page = int(args["page"]) if "page" in args else None
            size = int(args.get("page_size", "100"))
        except ValueError:
            return self._answer(400, {"errors": ["Invalid page or page_size."]})
        if page is not None and (page < 0 or not 1 <= size <= MAX_PAGE_SIZE):
            return self._answer(400, {"errors": ["Invalid page or page_size."]})
        if page in self.failing_pages:
            return self._answer(500, {"errors": ["Internal Server Error"]})
        if page in self.raw_pages:
            status, content_type, body = self.raw_pages[page]
            return Response(body, status=status, content_type=content_type)
        selected = self._select(args, states)
        if page is not None:
            first = 0 if self.ignore_paging else page * size
            selected = selected[first : first + size]
        return self._answer(200, selected)

    def _select(self, args: dict[str, str], states: list[str]) -> list[Any]:
        """The monitors the query asks for, shaped the way those parameters shape them."""
        wanted = {tag.strip() for tag in args.get("monitor_tags", "").split(",") if tag.strip()}
        selected = []
        for original in self.monitors:
            if not isinstance(original, dict):  # a broken entry, served as it is
                selected.append(original)
                continue
            tags = original.get("tags")
            if wanted and not (isinstance(tags, list) and wanted <= set(tags)):
                continue
            monitor = copy.deepcopy(original)
            state = monitor.get("state")
            if isinstance(state, dict) and "groups" in state:
                if not states:
                    del state["groups"]
                elif "all" not in states and isinstance(state["groups"], dict):
                    state["groups"] = {
                        key: group
                        for key, group in state["groups"].items()
                        if not isinstance(group, dict)
                        or str(group.get("status", "")).lower() in states
                    }
            if args.get("with_downtimes") != "true":
                monitor.pop("matching_downtimes", None)
            selected.append(monitor)
        return selected

    def _answer(self, status: int, document: object, limit: RateLimit | None = None) -> Response:
        return Response(
            json.dumps(document),
            status=status,
            headers=(limit or self.rate_limit).headers(),
            content_type="application/json",
        )

    def set_server_clock(self, monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
        """Send `when` as the Date header until the test ends.

        The server writes its own Date before the handler's headers (a second Date would be
        joined to the first), so the request handler class is swapped for the test's length.
        """
        assert self.server.server is not None
        base = self.server.server.RequestHandlerClass
        stamp = email.utils.format_datetime(when, usegmt=True)

        class SkewedClock(base):  # type: ignore[valid-type,misc]
            def date_time_string(self, timestamp: float | None = None) -> str:
                return stamp

        monkeypatch.setattr(self.server.server, "RequestHandlerClass", SkewedClock)


def monitor(
    monitor_id: int,
    *,
    name: str | None = None,
    state: str = "Alert",
    groups: dict[str, str] | None = None,
    tags: list[str] | None = None,
    priority: int | None = None,
    triggered: int = 1795960304,
) -> dict[str, Any]:
    """One monitor in the documented shape; `groups` maps each group key to its status."""
    return {
        "id": monitor_id,
        "type": "metric alert",
        "name": name or f"Monitor {monitor_id}",
        "query": f"avg(last_5m):avg:system.load.1{{monitor:{monitor_id}}} by {{host}} > 4",
        "message": f"Load high. Runbook: https://runbooks.example.com/Load{monitor_id}",
        "tags": tags if tags is not None else ["customer:acme", "service:web"],
        "priority": priority,
        "multi": bool(groups),
        "options": {"silenced": {}},
        "overall_state": state,
        "overall_state_modified": "2026-11-29T13:51:44+00:00",
        "matching_downtimes": [],
        "state": {
            "groups": {
                key: {"name": key, "status": status, "last_triggered_ts": triggered}
                for key, status in (groups or {}).items()
            }
        },
    }
