"""Noise report: percentages, the score's ranking, each tuning hint and its thresholds."""

from __future__ import annotations

import pytest

from app.domain.noise import RuleFigures
from app.engine.noise import (
    FALSE_POSITIVE_PCT,
    FLAPPING_PCT,
    MIN_CLEARED,
    NO_CHANGE,
    SHORT_MEDIAN,
    SUPPRESSED_PCT,
    RuleNoise,
    rank,
)

SHORT = SHORT_MEDIAN.total_seconds()


def figures(name: str = "HighLatency", occurrences: int = 10, **counts: object) -> RuleFigures:
    """A rule whose alerts each went into an incident of their own, nothing noisy."""
    base: dict[str, object] = {
        "sources": ("prod-am",),
        "fingerprints": occurrences,
        "customers": 1,
        "services": 1,
        "incidents": occurrences,
    }
    return RuleFigures(name, occurrences=occurrences, **(base | counts))


def only(*rules: RuleFigures) -> RuleNoise:
    (line,) = rank(rules).rules
    return line


def test_empty_period_gives_an_empty_report() -> None:
    report = rank([])
    assert report.alerts == 0
    assert report.rules == ()
    assert rank([figures(occurrences=0)]).rules == ()


def test_percentages_shares_and_median() -> None:
    report = rank(
        [
            figures(
                "VpnDown",
                occurrences=40,
                flapping=10,
                suppressed=4,
                incidents=8,
                false_positive_incidents=2,
                false_positive_alerts=9,
                durations=(600.0, 60.0, 300.0, 1200.0),
                sources=("prod-am", "prod-prom"),
                services=2,
                customers=1,
            ),
            figures("DiskFull", occurrences=10),
        ]
    )
    assert report.alerts == 50
    vpn = next(r for r in report.rules if r.alertname == "VpnDown")
    assert vpn.volume == 40
    assert vpn.share_pct == 80.0
    assert vpn.flapping_pct == 25.0
    assert vpn.suppressed_pct == 10.0
    assert vpn.false_positive_pct == 25.0  # of its incidents, not of its alerts (9 of 40)
    assert vpn.median_duration == 450.0  # between 300 and 600, like percentile_cont
    assert vpn.sources == ("prod-am", "prod-prom")
    assert (vpn.services, vpn.customers, vpn.incidents) == (2, 1, 8)
    # 80 % of the traffic weighted by fp 0.25 + flapping 0.25 + suppressed 0.1
    assert vpn.score == pytest.approx(80.0 * 1.6)
    disk = next(r for r in report.rules if r.alertname == "DiskFull")
    assert disk.share_pct == 20.0
    assert disk.false_positive_pct == 0.0
    assert disk.median_duration is None
    assert disk.score == 20.0


def test_percentages_round_to_one_decimal_and_none_without_a_base() -> None:
    line = only(figures(occurrences=3, flapping=1, suppressed=3, incidents=0))
    assert line.flapping_pct == 33.3
    assert line.suppressed_pct == 100.0
    assert line.false_positive_pct is None  # no incident: nothing an operator could reject


def test_ranked_by_score_then_volume_then_name() -> None:
    report = rank(
        [
            figures("Quiet", occurrences=30),
            # less volume, but every incident rejected: it outranks the quiet rule
            figures("Noisy", occurrences=20, incidents=4, false_positive_incidents=4),
            figures("Bravo", occurrences=5),
            figures("Alpha", occurrences=5),
            figures("Tiny", occurrences=1, durations=(10.0,)),
        ]
    )
    assert [r.alertname for r in report.rules] == ["Noisy", "Quiet", "Alpha", "Bravo", "Tiny"]
    scores = [r.score for r in report.rules]
    assert scores == sorted(scores, reverse=True)


def test_equal_scores_rank_the_louder_rule_first() -> None:
    # 10 % share x (1 + 1.0 suppressed) equals 20 % share x 1: louder first, whatever the name
    report = rank(
        [
            figures("Alpha", occurrences=10, suppressed=10, incidents=0),
            figures("Zulu", occurrences=20),
            figures("Rest", occurrences=70),
        ]
    )
    second, third = report.rules[1:]
    assert second.score == third.score == 20.0
    assert [second.alertname, third.alertname] == ["Zulu", "Alpha"]


def test_a_clean_rule_gets_no_suggestion() -> None:
    line = only(figures(durations=(3600.0,) * MIN_CLEARED))
    assert line.suggestion == NO_CHANGE


def test_high_false_positive_rate_suggests_raising_the_threshold() -> None:
    line = only(figures(incidents=3, false_positive_incidents=2))
    assert line.suggestion == (
        "raise the threshold or tighten the expression: 67% of its incidents were false positives"
    )


def test_flapping_suggests_hysteresis_not_the_short_for() -> None:
    line = only(figures(flapping=5, durations=(60.0,) * 5))
    assert line.suggestion == (
        "add hysteresis or a longer `for:` (e.g. for: 10m): 50% of occurrences flapped"
    )


def test_short_median_suggests_a_for_clause() -> None:
    line = only(figures(durations=(30.0, 90.0, SHORT, 4000.0, 5000.0)))
    assert line.median_duration == SHORT
    assert line.suggestion == "add `for: 5m`: half its alerts clear within 2 min"
    assert line.score == pytest.approx(100.0 * 2)


def test_a_short_median_needs_enough_cleared_alerts() -> None:
    line = only(figures(durations=(30.0,) * (MIN_CLEARED - 1)))
    assert line.median_duration == 30.0
    assert line.suggestion == NO_CHANGE
    assert line.score == 100.0


def test_mostly_suppressed_suggests_fixing_or_retiring() -> None:
    line = only(figures(occurrences=4, suppressed=3, incidents=1))
    assert line.suggestion == (
        "it is silenced or in maintenance 75% of the time: fix or retire the rule"
    )


def test_several_problems_give_every_hint_suppression_first() -> None:
    line = only(
        figures(occurrences=10, suppressed=6, flapping=3, incidents=2, false_positive_incidents=1)
    )
    hints = line.suggestion.split("; ")
    assert len(hints) == 3
    assert hints[0].startswith("it is silenced or in maintenance 60%")
    assert hints[1].startswith("raise the threshold")
    assert hints[2].startswith("add hysteresis")


@pytest.mark.parametrize(
    ("counts", "hinted"),
    [
        ({"flapping": int(FLAPPING_PCT)}, True),
        ({"flapping": int(FLAPPING_PCT) - 1}, False),
        ({"suppressed": int(SUPPRESSED_PCT)}, True),
        ({"suppressed": int(SUPPRESSED_PCT) - 1}, False),
        ({"false_positive_incidents": int(FALSE_POSITIVE_PCT)}, True),
        ({"false_positive_incidents": int(FALSE_POSITIVE_PCT) - 1}, False),
        ({"durations": (SHORT,) * MIN_CLEARED}, True),
        ({"durations": (SHORT + 1,) * MIN_CLEARED}, False),
    ],
)
def test_thresholds_are_inclusive(counts: dict[str, object], hinted: bool) -> None:
    line = only(figures(occurrences=100, **counts))
    assert (line.suggestion != NO_CHANGE) is hinted
