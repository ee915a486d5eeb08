"""`noc-console ticketing check`: can the console reach each ticketing system, as whom?

Each `[[ticketing]]` entry is built with its secret and asked who we are and whether its
project (Jira) or incident table (ServiceNow) is there. One line per entry; exit 1 when
any failed, so a deployment script can stop before the first ticket would be lost.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from app.config import Config
from app.secrets import SecretUnavailable, get_secret
from app.ticketing.base import TicketingError
from app.ticketing.factory import MissingSecret, build_client


def add_parser(
    command: Callable[[str, str], argparse.ArgumentParser], common: Callable[..., None]
) -> None:
    ticketing = command("ticketing", "check the ticketing systems of the config")
    actions = ticketing.add_subparsers(dest="ticketing_action", metavar="ACTION", required=True)
    check_parser = actions.add_parser("check", help="test each system's connection and credential")
    check_parser.add_argument("--json", action="store_true")
    common(check_parser, top=False)


def check(config: Config, *, as_json: bool) -> int:
    results = []
    for entry in config.ticketing:
        try:
            client = build_client(entry, get_secret)
            try:
                results.append({"name": entry.name, "ok": True, "message": client.check()})
            finally:
                client.disconnect()
        except (MissingSecret, SecretUnavailable, TicketingError, ValueError) as error:
            results.append({"name": entry.name, "ok": False, "message": str(error)})
    if as_json:
        print(json.dumps(results))
    elif not results:
        print("no [[ticketing]] entries in the config")
    else:
        for result in results:
            words = result["message"] if result["ok"] else f"error: {result['message']}"
            print(f"{result['name']}: {words}")
    return 0 if all(r["ok"] for r in results) else 1
