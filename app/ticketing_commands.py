"""Ticket commands: `ticketing check`, `ticket create INCIDENT` and `outbox`.

`ticketing check` builds each `[[ticketing]]` entry with its secret and asks who we are
and whether its project (Jira) or incident table (ServiceNow) is there; exit 1 when any
failed, so a deployment script can stop before the first ticket would be lost.
`ticket create` queues the incident's create and tries it at once (waiting out a short
Retry-After), then prints the ticket key, or `queued: <reason>`; it exits 0 either way,
since the outbox keeps the create. Run again, it prints the existing key.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.config import Config
from app.domain.outbox import OutboxItem, OutboxStatus
from app.domain.timestamps import iso_z
from app.secrets import get_secret


def add_parser(
    command: Callable[[str, str], argparse.ArgumentParser], common: Callable[..., None]
) -> None:
    ticketing = command("ticketing", "check the ticketing systems of the config")
    actions = ticketing.add_subparsers(dest="ticketing_action", metavar="ACTION", required=True)
    check_parser = actions.add_parser("check", help="test each system's connection and credential")
    check_parser.add_argument("--json", action="store_true")
    common(check_parser, top=False)
    ticket = command("ticket", "log an incident's ticket in its customer's ticketing system")
    ticket_actions = ticket.add_subparsers(dest="ticket_action", metavar="ACTION", required=True)
    create = ticket_actions.add_parser("create", help="queue and try the create; print the key")
    create.add_argument("incident", metavar="INCIDENT_KEY", help="INC-000017 or 17")
    common(create, top=False)
    outbox = command(
        "outbox", "ticket writes not yet delivered: pending, retrying, needs attention"
    )
    outbox.add_argument("--json", action="store_true")
    decide = outbox.add_mutually_exclusive_group()
    decide.add_argument(
        "--retry", type=int, metavar="ID", help="send a write that needs attention again"
    )
    decide.add_argument(
        "--drop",
        type=int,
        metavar="ID",
        help="do not send a write that needs attention (kept, marked dropped, in the timeline)",
    )
    outbox.add_argument(
        "--reason", metavar="TEXT", help="why it is dropped, for the incident's timeline"
    )


SHORT_RETRY = 10.0  # seconds `ticket create` waits for a Retry-After before leaving it queued


def create(console: Any, incident_id: int, now: Callable[[], datetime]) -> int:
    link, _ = console.request_ticket(incident_id, now())
    if link.key is None:
        console.deliver_tickets(now(), incident_id=incident_id)
        link = console.ticket_link(incident_id)
        waiting = _waiting_for(console, incident_id)
        if link is not None and link.key is None and waiting is not None:
            due = waiting.next_attempt_at
            wait = (due - now()).total_seconds() if due is not None else None
            if (
                waiting.status is OutboxStatus.PENDING
                and wait is not None
                and 0 < wait <= SHORT_RETRY
            ):
                time.sleep(wait)
                console.deliver_tickets(now(), incident_id=incident_id)
                link = console.ticket_link(incident_id)
    if link is not None and link.key is not None:
        print(link.key)
        return 0
    waiting = _waiting_for(console, incident_id)
    reason = "pending"
    if waiting is not None and waiting.last_error:
        prefix = "needs attention: " if waiting.status is OutboxStatus.ATTENTION else ""
        reason = prefix + waiting.last_error
    print(f"queued: {reason}")
    return 0


def _waiting_for(console: Any, incident_id: int) -> OutboxItem | None:
    return next((i for i in console.outbox() if i.incident_id == incident_id), None)


def outbox_json(item: OutboxItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "incident": f"INC-{item.incident_id:06d}",
        "system": item.system,
        "op": item.op.value,
        "status": "failed"
        if item.status is OutboxStatus.PENDING and item.attempts
        else item.status.value,
        "attempts": item.attempts,
        "next_attempt_at": iso_z(item.next_attempt_at) if item.next_attempt_at else None,
        "last_error": item.last_error,
        "error_kind": item.error_kind,
        "created_at": iso_z(item.created_at),
    }


def outbox(
    console: Any,
    *,
    as_json: bool,
    retry: int | None = None,
    drop: int | None = None,
    reason: str | None = None,
) -> int:
    if retry is not None:
        if not console.retry_ticket_write(retry):
            print(f"no ticket write {retry} waits for attention")
            return 1
        print(f"ticket write {retry} will be sent again")
        return 0
    if drop is not None:
        if reason is None and sys.stdin.isatty():
            reason = input("why drop it (for the incident's timeline)? ")
        # a blank reason is refused by the console (DomainError: exit 2, one line)
        incident = console.drop_ticket_write(drop, console.operator, reason or "")
        if incident is None:
            print(f"no ticket write {drop} waits for attention")
            return 1
        print(f"ticket write {drop} dropped; {incident.key}'s timeline says who dropped it and why")
        return 0
    items = [outbox_json(item) for item in console.outbox()]
    if as_json:
        print(json.dumps(items))
        return 0
    if not items:
        print("outbox empty: every ticket write was delivered")
    for row in items:
        status = row["status"].replace("attention", "needs attention")
        error = f" — {row['last_error']}" if row["last_error"] else ""
        print(
            f"{row['id']:>5}  {row['incident']}  {row['system']}  {row['op']:<8} {status}"
            f" (attempts {row['attempts']}){error}"
        )
    if any(row["status"] == OutboxStatus.ATTENTION.value for row in items):
        print("decide one: noc-console outbox --retry ID, or --drop ID --reason TEXT")
    return 0


def check(config: Config, *, as_json: bool) -> int:
    # imported here: the console package is slow to import, and the other commands need none of it
    from app.console.connections import check_ticketing  # noqa: PLC0415

    checks = [check_ticketing(entry, get_secret) for entry in config.ticketing]
    results = [{"name": c.name, "ok": c.ok, "message": c.message} for c in checks]
    if as_json:
        print(json.dumps(results))
    elif not results:
        print("no [[ticketing]] entries in the config")
    else:
        for result in results:
            words = result["message"] if result["ok"] else f"error: {result['message']}"
            print(f"{result['name']}: {words}")
    return 0 if all(r["ok"] for r in results) else 1
