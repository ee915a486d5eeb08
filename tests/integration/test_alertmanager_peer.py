"""The Alertmanager source against real Alertmanager 0.25 servers (Debian), alerts posted via its API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from app.config.settings import SourceConfig
from app.sources.alertmanager import build
from app.sources.base import AuthFailed, ConnectionRefused
from tests.helpers.monitoring import alertmanager, am_alert, post_alerts, start_alertmanager
from tests.helpers.peers import Daemon, free_port

pytestmark = pytest.mark.integration
__all__ = ["alertmanager"]


def source(*urls: str, **options: object):  # type: ignore[no-untyped-def]
    config = SourceConfig(
        name="prod-am",
        kind="alertmanager",
        timeout=timedelta(seconds=5),
        options={"urls": list(urls), **options},
    )
    return build(config, catalog=None, secrets=lambda name, field: None)  # type: ignore[arg-type]


def now() -> datetime:
    return datetime.now(UTC)


def test_firing_silenced_and_reworded_alerts(alertmanager: Daemon) -> None:
    post_alerts(
        alertmanager.url,
        [
            am_alert(
                "HighCPU", customer="acme", service="web", instance="web-01", severity="warning"
            ),
            am_alert(
                "DiskFull", customer="acme", service="db", instance="db-01", severity="critical"
            ),
        ],
    )
    silence = {
        "matchers": [{"name": "alertname", "value": "DiskFull", "isRegex": False, "isEqual": True}],
        "startsAt": now().isoformat(),
        "endsAt": (now() + timedelta(hours=2)).isoformat(),
        "createdBy": "alice",
        "comment": "db maintenance",
    }
    requests.post(
        f"{alertmanager.url}/api/v2/silences", json=silence, timeout=10
    ).raise_for_status()
    am = source(alertmanager.url)
    snapshot = am.fetch(now())
    assert snapshot.complete
    assert snapshot.warning is None
    by_name = {a.alertname: a for a in snapshot.alerts}
    assert set(by_name) == {"HighCPU", "DiskFull"}
    assert by_name["HighCPU"].suppressed_by == ()
    assert (
        by_name["DiskFull"]
        .suppressed_by[0]
        .startswith("silenced by 'db maintenance' (alice) until")
    )
    assert snapshot.details["version"] == "0.25.0"
    assert snapshot.details["cluster"] == "disabled"
    assert snapshot.details["ca_bundle"]

    # annotations update in place: the fingerprint stays, the summary changes
    reworded = am_alert(
        "HighCPU", customer="acme", service="web", instance="web-01", severity="warning"
    )
    reworded["annotations"]["summary"] = "CPU now 99%"
    post_alerts(alertmanager.url, [reworded])
    again = {a.alertname: a for a in am.fetch(now()).alerts}
    assert again["HighCPU"].fingerprint == by_name["HighCPU"].fingerprint
    assert again["HighCPU"].annotations["summary"] == "CPU now 99%"
    am.close()


def test_a_resolved_alert_disappears_from_the_snapshot(alertmanager: Daemon) -> None:
    post_alerts(alertmanager.url, [am_alert("Gone", instance="a"), am_alert("Stays", instance="b")])
    am = source(alertmanager.url)
    assert {a.alertname for a in am.fetch(now()).alerts} == {"Gone", "Stays"}
    resolved = am_alert("Gone", instance="a")
    resolved["endsAt"] = (now() - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    post_alerts(alertmanager.url, [resolved])
    assert {a.alertname for a in am.fetch(now()).alerts} == {"Stays"}
    am.close()


def test_ha_members_merge_and_a_down_member_degrades(alertmanager: Daemon, tmp_path: Path) -> None:
    second = start_alertmanager(tmp_path / "second")
    try:
        post_alerts(
            alertmanager.url, [am_alert("OnlyFirst", instance="1"), am_alert("Both", instance="x")]
        )
        post_alerts(
            second.url, [am_alert("Both", instance="x"), am_alert("OnlySecond", instance="2")]
        )
        dead = f"http://127.0.0.1:{free_port()}"
        am = source(alertmanager.url, second.url, dead)
        snapshot = am.fetch(now())
        assert sorted(a.alertname for a in snapshot.alerts) == ["Both", "OnlyFirst", "OnlySecond"]
        assert snapshot.complete  # members of one cluster each know every alert
        assert snapshot.warning is not None
        assert f"member {dead} down" in snapshot.warning
        assert "refused" in snapshot.warning
        am.close()
    finally:
        second.stop()


def test_every_member_down_is_an_error_of_its_kind() -> None:
    am = source(f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionRefused, match="every member is down"):
        am.fetch(now())
    am.close()


def test_bearer_auth_needs_a_secret(alertmanager: Daemon) -> None:
    am = source(alertmanager.url, auth="bearer")
    with pytest.raises(AuthFailed, match="noc-console secrets set prod-am"):
        am.fetch(now())
    am.close()
