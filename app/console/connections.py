"""Testing the configured ticketing systems: where each secret is, and each client's `check()`.

Shared by `noc-console ticketing check` and the window's Connections dialog. Both calls
may block (a keyring behind D-Bus, a server that does not answer within the entry's
timeout): the dialog runs them on its task runner, never on the GUI thread. Neither ever
returns or logs a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.config.settings import TicketingConfig
from app.secrets import SecretUnavailable, environment_name, get_secret, secret_place
from app.ticketing.base import TicketingError
from app.ticketing.factory import MissingSecret, build_client

SecretLookup = Callable[[str], str | None]

# a ConnectionCheck's kinds when nothing was sent (names of kinds, not secrets: S105)
MISSING_SECRET = "missing_secret"  # noqa: S105 - in neither the environment nor the keyring
SECRET_UNAVAILABLE = "secret_unavailable"  # noqa: S105 - the keyring could not be read
BAD_CONFIG = "config"  # the entry cannot make a client (a URL the client refuses)


@dataclass(frozen=True, slots=True)
class SecretState:
    """Where a `[[ticketing]]` entry's secret is (never the secret itself).

    Attributes:
        name: the entry's name, which is also its keyring entry.
        variable: its environment variable, `NOC_SECRET_<NAME>`.
        place: the variable's name when it is set there, "keyring", or None when it is
            in neither.
        error: why the keyring could not be read (`place` is None then).
    """

    name: str
    variable: str
    place: str | None = None
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.place is not None


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    """How one ticketing system's test went.

    Attributes:
        name: the entry's name.
        ok: the system answered, knew the credential and has the project (Jira) or the
            incident table (ServiceNow).
        message: the client's one line when ok ("ok: Jira Cloud (v3) as noc@example.com,
            project OPS (Operations)"); else the failure in words: for a server's answer
            its status, the error kind and the server's own words.
        kind: None when ok; else the ErrorKind's value ("auth", "network", ...), or
            MISSING_SECRET, SECRET_UNAVAILABLE or BAD_CONFIG when nothing was sent.
        status: the HTTP status of a failed call, when there was one.
    """

    name: str
    ok: bool
    message: str
    kind: str | None = None
    status: int | None = None


def secret_state(name: str) -> SecretState:
    """Where the entry's secret is: its environment variable first, then the OS keyring."""
    variable = environment_name(name)
    try:
        return SecretState(name, variable, secret_place(name))
    except SecretUnavailable as error:
        return SecretState(name, variable, error=str(error))


def check_ticketing(
    entry: TicketingConfig, secret_lookup: SecretLookup = get_secret
) -> ConnectionCheck:
    """Build the entry's client with its secret and ask it `check()`; every failure comes
    back as a ConnectionCheck, none is raised. Without a secret nothing is sent."""
    try:
        client = build_client(entry, secret_lookup)
    except MissingSecret as error:
        return ConnectionCheck(entry.name, False, str(error), MISSING_SECRET)
    except SecretUnavailable as error:
        return ConnectionCheck(entry.name, False, str(error), SECRET_UNAVAILABLE)
    except ValueError as error:
        return ConnectionCheck(entry.name, False, str(error), BAD_CONFIG)
    try:
        return ConnectionCheck(entry.name, True, client.check())
    except TicketingError as error:
        return ConnectionCheck(entry.name, False, str(error), error.kind.value, error.status)
    except ValueError as error:
        return ConnectionCheck(entry.name, False, str(error), BAD_CONFIG)
    finally:
        client.disconnect()
