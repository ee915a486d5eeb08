"""Secrets (API tokens, passwords) by source or ticketing name: environment first, then keyring.

Nothing here logs a secret or falls back to plain text. Call it off the GUI thread: a
keyring backend may block on D-Bus or an unlock prompt.
"""

from __future__ import annotations

import os
import re

SERVICE = "noc-console"


class SecretUnavailable(Exception):
    """No secret could be read, and why (no keyring backend, locked collection, ...)."""


def entry(name: str, field: str | None = None) -> str:
    """The keyring entry: the source's name, or `name/field` for a second secret
    (Datadog's application key is `NAME/app_key`)."""
    return f"{name}/{field}" if field else name


def environment_name(name: str, field: str | None = None) -> str:
    """NOC_SECRET_<NAME>[_<FIELD>]: upper-cased, every character other than A-Z and 0-9 becomes _."""
    return "NOC_SECRET_" + re.sub(r"[^A-Z0-9]", "_", entry(name, field).upper())


def get_secret(name: str, field: str | None = None) -> str | None:
    """The secret of a source (or one of its fields): environment first, then the keyring."""
    variable = environment_name(name, field)
    value = os.environ.get(variable)
    if value:
        return value
    import keyring  # noqa: PLC0415 - imported late: keyring probes backends at import
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        return keyring.get_password(SERVICE, entry(name, field))
    except KeyringError as error:
        raise SecretUnavailable(
            f"cannot read the secret {entry(name, field)!r} from the OS keyring "
            f"({type(error).__name__}: {error}); unlock the keyring or set {variable}"
        ) from None
    except RuntimeError as error:  # e.g. a D-Bus failure surfacing from a backend
        raise SecretUnavailable(
            f"the OS keyring is not usable here ({error}); set {variable} instead"
        ) from None


def secret_place(name: str, field: str | None = None) -> str | None:
    """Where `get_secret` would find the secret, never the secret itself: the name of its
    environment variable (`NOC_SECRET_<NAME>`), "keyring", or None when it is in neither.
    Raises SecretUnavailable as `get_secret` does."""
    variable = environment_name(name, field)
    if os.environ.get(variable):
        return variable
    return "keyring" if get_secret(name, field) else None


def set_secret(name: str, value: str) -> None:
    import keyring  # noqa: PLC0415
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        keyring.set_password(SERVICE, name, value)
    except (KeyringError, RuntimeError) as error:
        raise SecretUnavailable(
            f"cannot store the secret for {name!r} in the OS keyring ({type(error).__name__}: {error}); "
            f"on a kiosk or in CI, set {environment_name(name)} instead"
        ) from None


def delete_secret(name: str) -> bool:
    import keyring  # noqa: PLC0415
    from keyring.errors import KeyringError, PasswordDeleteError  # noqa: PLC0415

    try:
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        return False
    except (KeyringError, RuntimeError) as error:
        raise SecretUnavailable(f"cannot delete the secret for {name!r}: {error}") from None
    return True
