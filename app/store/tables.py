"""The tables, as SQLAlchemy 2 typed ORM classes. Schema changes go through Alembic revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.store.metric_columns import CUSTOMER_TOTAL_COUNTS, DAY_TOTAL_COUNTS, metric_indexes
from app.store.types import UtcMillis

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcMillis(), dict[str, Any]: JSON(), list[str]: JSON()}  # noqa: RUF012


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text)
    customer: Mapped[str | None] = mapped_column(String(128), index=True)
    services: Mapped[list[str]]
    root_service: Mapped[str | None] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(16), index=True)
    tier: Mapped[str] = mapped_column(String(4))
    owner: Mapped[str | None] = mapped_column(String(128))
    flags: Mapped[list[str]]
    started_at: Mapped[datetime]
    detected_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    response_due: Mapped[datetime | None]
    resolve_due: Mapped[datetime | None]
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    sources: Mapped[list[str]]
    ticket: Mapped[str | None] = mapped_column(String(64))
    rca: Mapped[str | None] = mapped_column(Text)
    group_key: Mapped[str] = mapped_column(String(512), index=True)
    recurrence_of: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    team: Mapped[str | None] = mapped_column(String(128))
    known_issue: Mapped[str | None] = mapped_column(String(64))
    paused_since: Mapped[datetime | None]
    update_due: Mapped[datetime | None]
    # derived for the service metrics, written with every save (app/store/metric_columns.py)
    detected_day: Mapped[int] = mapped_column(Integer, server_default="0")
    time_to_detect_ms: Mapped[int | None] = mapped_column(BigInteger)
    time_to_acknowledge_ms: Mapped[int | None] = mapped_column(BigInteger)
    time_to_resolve_ms: Mapped[int | None] = mapped_column(BigInteger)
    response_met: Mapped[bool | None] = mapped_column(Boolean)
    resolve_met: Mapped[bool | None] = mapped_column(Boolean)
    reopened: Mapped[bool] = mapped_column(Boolean, server_default=false())
    recurred: Mapped[bool] = mapped_column(Boolean, server_default=false())

    __table_args__ = metric_indexes()
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative hook


class EventRow(Base):
    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]]


class AlertRow(Base):
    """One alert occurrence; a fingerprint firing again after resolution is a new row."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(8))
    alertname: Mapped[str] = mapped_column(String(256))
    customer: Mapped[str | None] = mapped_column(String(128))
    service: Mapped[str | None] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(2))
    labels: Mapped[dict[str, Any]]
    annotations: Mapped[dict[str, Any]]
    suppressed_by: Mapped[list[str]] = mapped_column(JSON, server_default="[]")
    digest: Mapped[str] = mapped_column(String(24), server_default="")
    reason: Mapped[str] = mapped_column(Text, server_default="")
    flapping: Mapped[bool] = mapped_column(Boolean, server_default=false())
    urgent: Mapped[bool] = mapped_column(Boolean, server_default=false())
    generator_url: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]

    __table_args__ = (
        # identity of an open alert: one firing row per source and fingerprint
        Index(
            "uq_alerts_firing",
            "source",
            "fingerprint",
            unique=True,
            sqlite_where=text("status = 'firing'"),
            postgresql_where=text("status = 'firing'"),
        ),
        # earlier occurrences of an alert (flapping, recurrence); a source's firing alerts
        # are read through the partial unique index above, so a storm's insert maintains
        # no more indexes than before triage needed this one
        Index("ix_alerts_source_fingerprint", "source", "fingerprint"),
    )


class SourceHealthRow(Base):
    __tablename__ = "source_health"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    error_class: Mapped[str | None] = mapped_column(String(32))
    last_attempt: Mapped[datetime | None]
    last_success: Mapped[datetime | None]
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    stale_since: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, server_default="{}")
    failures: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt: Mapped[datetime | None]
    retry_after_until: Mapped[datetime | None]
    circuit: Mapped[str] = mapped_column(String(8), server_default="closed")


class ActionRunRow(Base):
    """The audit of runbook actions: one row per attempt, committed before the call is made.

    `key` is the idempotency key (unique): a double click, a retried worker or a second
    desk submitting the same confirmation finds the row and runs nothing.
    """

    __tablename__ = "action_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    runbook: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    backend: Mapped[str] = mapped_column(String(16))
    service: Mapped[str | None] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(Text)  # the one-line description the operator confirmed
    call: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # the planned call, raw parameter values included
    actor: Mapped[str] = mapped_column(String(128))
    automatic: Mapped[bool] = mapped_column(Boolean, server_default=false())
    policy: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(Text, server_default="")
    output: Mapped[str] = mapped_column(Text, server_default="")

    __table_args__ = (
        # rate limits and the circuit breaker count recent automatic runs per service
        Index("ix_action_runs_service_requested", "service", "requested_at"),
    )


class TicketRow(Base):
    """An incident's ticket in one ticketing system; the idempotency key is stored before
    the first remote call, the remote id and key once the system confirmed the create."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(128))
    priority: Mapped[str | None] = mapped_column(String(64))
    remote_updated_at: Mapped[datetime | None]

    __table_args__ = (Index("uq_tickets_incident_id_system", "incident_id", "system", unique=True),)


class OutboxRow(Base):
    """A ticket write waiting for delivery (app/domain/outbox.py), in id order per incident."""

    __tablename__ = "ticket_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    system: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime | None]
    attempt_mark: Mapped[str | None] = mapped_column(String(255))
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    error_kind: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        # the worker reads what is still to deliver, oldest first
        Index("ix_ticket_outbox_status_id", "status", "id"),
        Index("ix_ticket_outbox_incident_id", "incident_id"),
    )


# The settled metric counts per day, kept by the store with every incident write
# (app/store/metric_totals.py): a period's figures read a few rows a day from here
# instead of every incident. `customer_key` is the customer, '' for none (a key column
# cannot be NULL and still match itself).
DAY_TOTALS = Table(
    "incident_day_totals",
    Base.metadata,
    Column("detected_day", Integer, primary_key=True),
    Column("severity", String(2), primary_key=True),
    Column("state", String(16), primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in DAY_TOTAL_COUNTS),
)
CUSTOMER_TOTALS = Table(
    "incident_customer_totals",
    Base.metadata,
    Column("customer_key", String(128), primary_key=True),
    Column("state", String(16), primary_key=True),
    Column("detected_day", Integer, primary_key=True),
    Column("severity", String(2), primary_key=True),
    *(Column(name, BigInteger, nullable=False) for name in CUSTOMER_TOTAL_COUNTS),
)


# Typed handles on the Core tables, for the bulk paths that bypass the ORM unit of work.
INCIDENTS = cast("Table", IncidentRow.__table__)
EVENTS = cast("Table", EventRow.__table__)
ALERTS = cast("Table", AlertRow.__table__)
SOURCE_HEALTH = cast("Table", SourceHealthRow.__table__)
ACTION_RUNS = cast("Table", ActionRunRow.__table__)
