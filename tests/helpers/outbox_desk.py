"""A desk in a process of its own, for the outbox tests that kill one with SIGKILL.

`python -m tests.helpers.outbox_desk DB_URL SYSTEM URL TIMEOUT NOW` opens the database as
another workstation would, with SYSTEM's `[[ticketing]]` entry (tests.helpers.ticket_systems)
pointing at URL, and runs one delivery pass at NOW (ISO 8601, the test's clock); it prints
the ids delivered, retrying and needing attention as JSON. The secret comes from the
environment (`NOC_SECRET_<NAME>`), as for any console.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from tests.helpers.ticket_systems import desk_console, system_entry


def main(argv: list[str]) -> int:
    db_url, system, url, timeout, now = argv
    console = desk_console(db_url, [system_entry(system, url, float(timeout))], operator="carol")
    try:
        report = console.deliver_tickets(datetime.fromisoformat(now))
    finally:
        console.shutdown()
    print(
        json.dumps(
            {
                "delivered": [i.id for i in report.delivered],
                "retrying": [i.id for i in report.retrying],
                "attention": [i.id for i in report.attention],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
