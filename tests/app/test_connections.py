"""Where a ticketing entry's secret is, and its connection test, as the CLI and the dialog share them."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.errors import KeyringLocked
from pytest_httpserver import HTTPServer

from app.console.connections import (
    MISSING_SECRET,
    SECRET_UNAVAILABLE,
    ConnectionCheck,
    check_ticketing,
    secret_state,
)
from app.secrets import SERVICE, SecretUnavailable
from tests.helpers.jira_fake import TOKEN, JiraFake
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.peers import free_port
from tests.helpers.ticketing import jira_entry


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A keyring of this test's own (the session's is shared): what it stores goes with it."""
    before = keyring.get_keyring()
    fresh = MemoryKeyring()
    keyring.set_keyring(fresh)
    try:
        yield fresh
    finally:
        keyring.set_keyring(before)


@pytest.mark.usefixtures("memory_keyring")
def test_the_secret_is_found_in_the_environment_first_then_the_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NOC_SECRET_JIRA_OPS", raising=False)
    missing = secret_state("jira-ops")
    assert (missing.found, missing.place, missing.variable) == (False, None, "NOC_SECRET_JIRA_OPS")
    keyring.set_password(SERVICE, "jira-ops", TOKEN)
    assert secret_state("jira-ops").place == "keyring"
    monkeypatch.setenv("NOC_SECRET_JIRA_OPS", "from-the-environment")
    state = secret_state("jira-ops")
    assert state.place == "NOC_SECRET_JIRA_OPS"
    assert TOKEN not in repr(state)
    assert "from-the-environment" not in repr(state)


def test_a_locked_keyring_is_a_reason_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    monkeypatch.delenv("NOC_SECRET_JIRA_OPS", raising=False)
    monkeypatch.setattr(keyring, "get_password", locked)
    state = secret_state("jira-ops")
    assert not state.found
    assert state.error is not None
    assert "unlock the keyring or set NOC_SECRET_JIRA_OPS" in state.error


@pytest.fixture
def fake(httpserver: HTTPServer) -> JiraFake:
    return JiraFake(httpserver)


def test_ok_says_who_and_where(fake: JiraFake) -> None:
    check = check_ticketing(jira_entry(fake), lambda name: TOKEN)
    assert check.ok
    assert check.kind is None
    assert check.message.startswith("ok: Jira Cloud (v3) as noc-bot@example.com, project OPS")


def test_a_401_carries_its_kind_status_and_the_server_words(fake: JiraFake) -> None:
    check = check_ticketing(jira_entry(fake), lambda name: "revoked-token")
    assert check == ConnectionCheck(
        "jira-ops",
        False,
        "HTTP 401 auth: Client must be authenticated to access this resource.",
        "auth",
        401,
    )


def test_without_a_secret_nothing_is_sent(fake: JiraFake) -> None:
    check = check_ticketing(jira_entry(fake), lambda name: None)
    assert (check.ok, check.kind) == (False, MISSING_SECRET)
    assert "NOC_SECRET_JIRA_OPS" in check.message
    assert not fake.requests


def test_an_unreadable_keyring_sends_nothing(fake: JiraFake) -> None:
    def unreadable(name: str) -> str | None:
        raise SecretUnavailable("the OS keyring is not usable here")

    check = check_ticketing(jira_entry(fake), unreadable)
    assert (check.ok, check.kind) == (False, SECRET_UNAVAILABLE)
    assert not fake.requests


def test_a_server_that_is_not_there_is_a_network_error(fake: JiraFake) -> None:
    entry = jira_entry(fake)
    gone = type(entry)(
        entry.name, entry.kind, f"http://127.0.0.1:{free_port()}", settings=entry.settings
    )
    check = check_ticketing(gone, lambda name: TOKEN)
    assert (check.ok, check.kind, check.status) == (False, "network", None)
