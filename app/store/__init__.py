"""Storage: SQLAlchemy 2 tables, repositories and Alembic migrations (SQLite or PostgreSQL)."""

from app.store.database import Database
from app.store.errors import (
    DatabaseBusy,
    DatabaseCorrupt,
    DatabaseOnNetworkShare,
    DatabaseTooNew,
    DatabaseUnwritable,
    IncidentConflict,
    IncidentNotFound,
    NotANocDatabase,
    StoreError,
)

__all__ = [
    "Database",
    "DatabaseBusy",
    "DatabaseCorrupt",
    "DatabaseOnNetworkShare",
    "DatabaseTooNew",
    "DatabaseUnwritable",
    "IncidentConflict",
    "IncidentNotFound",
    "NotANocDatabase",
    "StoreError",
]
