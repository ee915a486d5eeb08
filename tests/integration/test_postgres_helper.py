"""The PostgreSQL harness itself: absent binaries skip, unless NOC_REQUIRE_PEERS=1 demands them."""

from __future__ import annotations

import pytest

import tests.helpers.postgres as harness


@pytest.fixture
def no_binaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "find_binaries", lambda: None)


@pytest.mark.usefixtures("no_binaries")
def test_missing_binaries_skip_the_peer_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOC_REQUIRE_PEERS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no initdb/pg_ctl"):
        harness.start_cluster()


@pytest.mark.usefixtures("no_binaries")
def test_missing_binaries_fail_when_peers_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOC_REQUIRE_PEERS", "1")
    with pytest.raises(pytest.fail.Exception, match="NOC_REQUIRE_PEERS=1"):
        harness.start_cluster()


@pytest.mark.integration
def test_the_cluster_listens_on_loopback_with_the_advertised_url(
    postgres_cluster: harness.PostgresCluster,
) -> None:
    import psycopg

    dsn = f"host=127.0.0.1 port={postgres_cluster.port} user=postgres dbname=postgres"
    with psycopg.connect(dsn) as connection:
        row = connection.execute("SHOW listen_addresses").fetchone()
    assert row == ("127.0.0.1",)
    assert postgres_cluster.url == (
        f"postgresql+psycopg://postgres@127.0.0.1:{postgres_cluster.port}/postgres"
    )
