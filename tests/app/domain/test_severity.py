"""Severity from the impact x urgency matrix and from alert labels."""

from __future__ import annotations

import pytest

from app.domain.severity import (
    PRIORITY_MATRIX,
    Impact,
    Severity,
    Urgency,
    priority,
    severity_from_labels,
)


def test_matrix_covers_every_pair_and_is_monotonic() -> None:
    assert len(PRIORITY_MATRIX) == 9
    order = [Impact.LOW, Impact.MEDIUM, Impact.HIGH]
    for i, impact in enumerate(order):
        for j, urgency in enumerate([Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH]):
            here = priority(impact, urgency).rank
            if i:
                assert priority(order[i - 1], urgency).rank >= here
            if j:
                assert (
                    priority(impact, [Urgency.LOW, Urgency.MEDIUM, Urgency.HIGH][j - 1]).rank
                    >= here
                )


@pytest.mark.parametrize(
    ("labels", "impact", "expected"),
    [
        ({"severity": "critical"}, Impact.HIGH, Severity.P1),
        ({"severity": "critical"}, Impact.MEDIUM, Severity.P2),
        ({"severity": "warning"}, Impact.MEDIUM, Severity.P3),
        ({"severity": "info"}, Impact.HIGH, Severity.P3),
        ({"severity": "info"}, Impact.LOW, Severity.P4),
        ({}, Impact.HIGH, Severity.P3),
        ({"severity": "p2"}, Impact.LOW, Severity.P2),
        ({"severity": "P1"}, Impact.LOW, Severity.P1),
        ({"severity": "warning", "impact": "high"}, Impact.LOW, Severity.P2),
        ({"severity": "bogus", "impact": "nonsense"}, Impact.MEDIUM, Severity.P4),
    ],
)
def test_severity_from_labels(labels: dict[str, str], impact: Impact, expected: Severity) -> None:
    assert severity_from_labels(labels, impact) is expected


def test_parse_names_the_bad_value() -> None:
    assert Severity.parse(" p3 ") is Severity.P3
    with pytest.raises(ValueError, match="P5"):
        Severity.parse("P5")
