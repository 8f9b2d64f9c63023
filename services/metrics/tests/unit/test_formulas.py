"""Each KPI formula against hand-computed examples."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from rapport_metrics.domain import formulas
from rapport_metrics.domain.kpis import METRICS, window_values
from rapport_metrics.domain.rates import RateTable, Valuation
from rapport_metrics.domain.windows import window_start
from rapport_schemas.metrics import WindowSize

ISTANBUL = ZoneInfo("Europe/Istanbul")


def test_nps_with_its_margin_of_error():
    # 50 answers: 25 promoters, 15 passives, 10 detractors → 50 % − 20 % = 30 points.
    # Margin: 1.96·sqrt((0.5 + 0.2 − 0.3²)/50) = 1.96·sqrt(0.0122) = 0.21649 → 21.649 points.
    kpi = formulas.nps(25, 10, 50, minimum=30)
    assert kpi.value == 30.0
    assert kpi.n == 50 and not kpi.too_few and kpi.unit == "points"
    assert kpi.ci_low == pytest.approx(30 - 21.6490, abs=1e-3)
    assert kpi.ci_high == pytest.approx(30 + 21.6490, abs=1e-3)


def test_nps_without_answers_has_no_value():
    assert formulas.nps(0, 0, 0, minimum=30) == formulas.KpiValue(
        None, 0, None, None, True, "points"
    )


def test_nps_all_passives_is_zero_with_no_spread_and_too_few():
    kpi = formulas.nps(0, 0, 12, minimum=30)
    assert (kpi.value, kpi.ci_low, kpi.ci_high, kpi.too_few) == (0.0, 0.0, 0.0, True)


def test_nps_all_promoters_stays_within_bounds():
    kpi = formulas.nps(40, 0, 40, minimum=30)
    assert (kpi.value, kpi.ci_low, kpi.ci_high) == (100.0, 100.0, 100.0)


def test_csat_share_with_wilson_interval():
    # 8 of 10 answers are 4–5: 80 %; Wilson 95 %: centre 0.7291, half-width 0.2250.
    kpi = formulas.percentage(8, 10, minimum=30)
    assert kpi.value == 80.0 and kpi.too_few
    assert kpi.ci_low == pytest.approx(49.02, abs=0.01)
    assert kpi.ci_high == pytest.approx(94.33, abs=0.01)


def test_ces_mean_with_normal_interval():
    # Scores 2, 4, 6: mean 4, sample variance 4, half-width 1.96·sqrt(4/3) = 2.2632.
    kpi = formulas.mean(3, 12, 4 + 16 + 36, minimum=2, unit="score")
    assert kpi.value == 4.0
    assert kpi.ci_low == pytest.approx(4 - 2.2632, abs=1e-4)
    assert kpi.ci_high == pytest.approx(4 + 2.2632, abs=1e-4)


def test_mean_of_one_answer_has_no_interval():
    assert formulas.mean(1, 5, 25, minimum=1, unit="score") == formulas.KpiValue(
        5.0, 1, None, None, True, "score"
    )


def test_retention_and_churn_of_the_previous_windows_cohort():
    # 200 active last month (the cohort), 150 of them active again: 75 % kept, 25 % churned.
    # Returning dormant and new contacts active this month are not in the cohort at all.
    assert formulas.retention(150, 200, minimum=30).value == 75.0
    assert formulas.churn(150, 200, minimum=30).value == 25.0
    assert formulas.retention(5, 0, minimum=30).value is None


RATES = RateTable(
    "EUR",
    {"TRY": {date(2025, 1, 1): Decimal("0.027"), date(2025, 11, 28): Decimal("0.02")}},
)


def test_purchases_convert_at_the_rate_valid_on_their_day():
    counters = {
        "amount|TRY|2025-11-27": "1000.00",  # 0.027 → 27.00
        "amount|TRY|2025-11-28": "1000.00",  # 0.02 from this day on → 20.00
        "amount|EUR|2025-11-28": "33.10",
    }
    valuation = RATES.value(counters)
    assert (valuation.base, valuation.unconverted) == (Decimal("80.10"), {})
    kpi = formulas.lifetime_value(valuation, 2, minimum=30, currency="EUR")
    assert (kpi.value, kpi.n, kpi.unit, kpi.too_few) == (40.05, 2, "EUR", True)


def test_a_purchase_without_a_rate_is_kept_and_reported_unconverted():
    counters = {"amount|BRL|2025-11-27": "50", "amount|TRY|2024-12-31": "10"}  # no TRY rate yet
    valuation = RATES.value(counters)
    assert valuation == Valuation(Decimal(0), {"BRL": Decimal(50), "TRY": Decimal(10)})
    later = RATES.with_rate("BRL", date(2025, 1, 1), Decimal("0.16"))
    assert later.value(counters) == Valuation(Decimal("8.00"), {"TRY": Decimal(10)})


def test_a_window_boundary_at_midnight_in_istanbul():
    # 20:59 UTC on Sunday 30 Nov is 23:59 Sunday in Istanbul (UTC+3); 21:00 UTC is Monday 1 Dec.
    before = datetime(2025, 11, 30, 20, 59, tzinfo=UTC)
    after = datetime(2025, 11, 30, 21, 0, tzinfo=UTC)
    assert window_start(before, WindowSize.DAY, ISTANBUL) == date(2025, 11, 30)
    assert window_start(after, WindowSize.DAY, ISTANBUL) == date(2025, 12, 1)
    assert window_start(before, WindowSize.WEEK, ISTANBUL) == date(2025, 11, 24)
    assert window_start(after, WindowSize.WEEK, ISTANBUL) == date(2025, 12, 1)
    assert window_start(before, WindowSize.MONTH, ISTANBUL) == date(2025, 11, 1)
    assert window_start(after, WindowSize.MONTH, ISTANBUL) == date(2025, 12, 1)
    # The same instant is still November everywhere in UTC.
    assert window_start(after, WindowSize.MONTH, ZoneInfo("UTC")) == date(2025, 11, 1)


def test_retention_reads_the_previous_window_and_clv_the_running_totals():
    series = {
        date(2025, 10, 1): {"active": 10, "amount|EUR|2025-10-02": "100", "first_buyers": 4},
        date(2025, 11, 1): {"active": 9, "retained": 6, "amount|EUR|2025-11-05": "50.5"},
        date(2025, 12, 1): {"active": 2, "first_buyers": 1},
    }
    retention = window_values(
        METRICS["retention_rate"], series, WindowSize.MONTH, minimum=1, rates=RATES
    )
    assert retention[date(2025, 10, 1)].value is None  # nobody was active before October
    assert retention[date(2025, 11, 1)].value == 60.0  # 6 of October's 10
    assert retention[date(2025, 12, 1)].value == 0.0  # none of November's 9
    clv = window_values(METRICS["clv"], series, WindowSize.MONTH, minimum=1, rates=RATES)
    assert clv[date(2025, 10, 1)].value == 25.0  # 100 / 4
    assert clv[date(2025, 11, 1)].value == 37.625  # 150.5 / 4
    assert clv[date(2025, 12, 1)].value == 30.1  # 150.5 / 5


def test_a_window_without_counters_carries_lifetime_value_and_retention_is_defined():
    series = {
        date(2025, 11, 3): {"active": 4, "amount|EUR|2025-11-03": "90", "first_buyers": 3},
        date(2025, 11, 6): {"active": 1},
    }
    days = [date(2025, 11, d) for d in range(2, 7)]
    clv = window_values(METRICS["clv"], series, WindowSize.DAY, minimum=1, rates=RATES, starts=days)
    assert [clv[d].value for d in days] == [None, 30.0, 30.0, 30.0, 30.0]
    churn = window_values(
        METRICS["churn_rate"], series, WindowSize.DAY, minimum=1, rates=RATES, starts=days
    )
    assert [churn[d].value for d in days] == [None, None, 100.0, None, None]
