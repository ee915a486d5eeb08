"""The monthly SLA report of one customer, read for the console (`noc-console report`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from app.domain.errors import DomainError
from app.domain.sla_report import SlaReport
from app.store.sla_report import sla_report

if TYPE_CHECKING:
    from app.console import Console


def monthly_report(console: Console, customer: str, month: datetime, now: datetime) -> SlaReport:
    """The report of a catalog customer for the month starting at `month`, in one read
    transaction; an unknown customer is refused with the ones the catalog knows."""
    known = console.catalog.customers.get(customer)
    if known is None:
        names = ", ".join(sorted(console.catalog.customers)) or "none"
        raise DomainError(f"unknown customer {customer!r} (the catalog has: {names})")
    with console.database.read() as session:
        return sla_report(session, customer, known.name, month, now)
