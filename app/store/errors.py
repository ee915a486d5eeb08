"""Storage errors an operator can act on; each message says what happened and what was kept."""

from __future__ import annotations


class StoreError(Exception):
    """Base of storage errors; the message is shown as is (CLI line, GUI dialog)."""


class DatabaseUnwritable(StoreError):
    """The database file or its folder cannot be created or written."""


class DatabaseCorrupt(StoreError):
    """The file is not a SQLite database or is damaged; it is left untouched."""


class DatabaseTooNew(StoreError):
    """The schema was written by a newer NOC Console; nothing is changed."""


class NotANocDatabase(StoreError):
    """The database holds someone else's tables; we do not write into it."""


class DatabaseOnNetworkShare(StoreError):
    """SQLite's locking is unreliable on NFS and SMB: refuse rather than corrupt."""


class DatabaseBusy(StoreError):
    """Another writer held the database past the busy timeout; retry, nothing was lost."""


class IncidentNotFound(StoreError):
    """No incident with that id."""


class IncidentConflict(StoreError):
    """Someone else changed the incident since it was read; the caller reloads and asks again.

    Attributes:
        current: the incident as it is stored now, for the UI to show.
    """

    def __init__(self, message: str, current: object = None) -> None:
        super().__init__(message)
        self.current = current
