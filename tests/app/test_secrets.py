"""Secrets: environment first, then the keyring; a clear message when no keyring works."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

from app.http import HttpClient, HttpSettings
from app.secrets import SecretUnavailable, entry, environment_name, get_secret, set_secret
from app.sources.base import AuthFailed


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """Headless Linux with no usable backend (keyring's own 'fail' backend), then back to memory."""
    memory = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(memory)


def test_names_and_environment_variables() -> None:
    assert entry("dd-prod") == "dd-prod"
    assert entry("dd-prod", "app_key") == "dd-prod/app_key"
    assert environment_name("prod-am") == "NOC_SECRET_PROD_AM"
    assert environment_name("dd.prod", "app_key") == "NOC_SECRET_DD_PROD_APP_KEY"


def test_environment_wins_over_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    set_secret("prod-am", "from-keyring")
    assert get_secret("prod-am") == "from-keyring"
    monkeypatch.setenv("NOC_SECRET_PROD_AM", "from-env")
    assert get_secret("prod-am") == "from-env"
    set_secret("dd/app_key", "second")
    assert get_secret("dd", "app_key") == "second"


def test_no_keyring_backend_is_explained_and_never_falls_back(no_keyring: None) -> None:
    with pytest.raises(SecretUnavailable, match="NOC_SECRET_PROD_AM") as caught:
        get_secret("prod-am")
    assert "keyring" in str(caught.value)
    with pytest.raises(SecretUnavailable, match="NOC_SECRET_PROD_AM instead"):
        set_secret("prod-am", "x")


def test_a_credential_that_breaks_a_header_is_never_quoted(httpserver) -> None:  # type: ignore[no-untyped-def]
    httpserver.expect_request("/x").respond_with_json({})
    client = HttpClient(httpserver.url_for("/"), HttpSettings(deadline=2))
    client.set_headers({"Authorization": "Bearer canary-5ecret\nInjected: yes"})
    with pytest.raises(AuthFailed) as caught:
        client.get_json("/x")
    assert "canary" not in str(caught.value)
    assert "secrets set" in str(caught.value)
