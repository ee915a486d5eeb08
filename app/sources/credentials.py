"""HTTP credentials of a source (bearer token or basic auth), read from secrets when first needed.

The keyring may block (D-Bus, an unlock prompt), so it is read on the poll thread at the
first fetch, never when the source is built; a 401/403 drops the cached value so that a
token replaced with `noc-console secrets set` is used at the next poll.
"""

from __future__ import annotations

from collections.abc import Callable

from app.http import HttpClient
from app.secrets import SecretUnavailable, environment_name
from app.sources.base import AuthFailed

SecretLookup = Callable[[str, str | None], str | None]


class HttpCredentials:
    """Applies a source's credentials to its HTTP clients.

    Attributes:
        name: the source's name (its keyring entry).
        mode: none, bearer or basic.
        username: for basic auth; the password is the secret.
    """

    def __init__(self, name: str, mode: str, username: str | None, secrets: SecretLookup) -> None:
        self.name = name
        self.mode = mode
        self.username = username
        self._secrets = secrets
        self._applied = mode == "none"

    def apply(self, clients: list[HttpClient]) -> None:
        if self._applied:
            return
        try:
            secret = self._secrets(self.name, None)
        except SecretUnavailable as error:
            raise AuthFailed(str(error)) from None
        if not secret:
            raise AuthFailed(
                f"no secret for {self.name!r} ({self.mode} auth): run `noc-console secrets set "
                f"{self.name}` or set {environment_name(self.name)}"
            )
        for client in clients:
            if self.mode == "bearer":
                client.set_headers({"Authorization": f"Bearer {secret}"})
            else:
                client.set_auth((self.username or "", secret))
        self._applied = True

    def invalidate(self) -> None:
        """Forget the secret after an auth failure: read it again next time."""
        if self.mode != "none":
            self._applied = False
