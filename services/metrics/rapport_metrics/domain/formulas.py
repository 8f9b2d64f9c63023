"""KPI formulas: pure functions over counters, each value with its n, 95 % CI and a too-few flag.

Rates are percentages computed as ``100 * numerator / denominator`` on integers, one correctly
rounded division, so an independent computation over the same data gets the same float.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from math import sqrt

from rapport_metrics.domain.rates import Valuation

Z95 = 1.96


@dataclass(frozen=True)
class KpiValue:
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    too_few: bool
    unit: str
    # Lifetime value only: amounts (per original currency) with no rate in force, not in value.
    unconverted: Mapping[str, Decimal] | None = None


def _empty(unit: str) -> KpiValue:
    return KpiValue(None, 0, None, None, True, unit)


def nps(promoters: int, detractors: int, n: int, *, minimum: int) -> KpiValue:
    """% promoters (9–10) − % detractors (0–6), margin of error from both proportions.

    Variance of the promoter/detractor difference: (p + d − (p − d)²) / n, see
    https://en.wikipedia.org/wiki/Net_promoter_score (statistical properties).
    """
    if n == 0:
        return _empty("points")
    value = 100 * (promoters - detractors) / n
    p, d = promoters / n, detractors / n
    margin = 100 * Z95 * sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    return KpiValue(
        value, n, max(-100.0, value - margin), min(100.0, value + margin), n < minimum, "points"
    )


def percentage(successes: int, n: int, *, minimum: int) -> KpiValue:
    """A share in percent with the Wilson score interval (sound near 0 % and 100 %)."""
    if n <= 0:
        return _empty("%")
    value = 100 * successes / n
    low, high = wilson(successes, n)
    return KpiValue(value, n, low, high, n < minimum, "%")


def wilson(successes: int, n: int) -> tuple[float | None, float | None]:
    if not 0 <= successes <= n:
        return None, None
    p, z2 = successes / n, Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def mean(n: int, total: float, total_squares: float, *, minimum: int, unit: str) -> KpiValue:
    """Mean with a normal 95 % interval from the sample variance (needs n ≥ 2)."""
    if n == 0:
        return _empty(unit)
    value = total / n
    if n < 2:
        return KpiValue(value, n, None, None, True, unit)
    variance = max(0.0, (total_squares - total * total / n) / (n - 1))
    half = Z95 * sqrt(variance / n)
    return KpiValue(value, n, value - half, value + half, n < minimum, unit)


def retention(retained: int, cohort: int, *, minimum: int) -> KpiValue:
    """Of the contacts active in the previous window (the cohort), the share active again now.

    The seed's ``(E − N) / S`` equals this only when every non-new contact active now was also
    active before; a returning dormant customer is in E − N but not in S and pushed it past 100 %.
    Counting the cohort's members keeps the rate within 0–100 % by construction.
    """
    if cohort == 0:
        return _empty("%")
    return percentage(retained, cohort, minimum=minimum)


def churn(retained: int, cohort: int, *, minimum: int) -> KpiValue:
    """100 − retention: the cohort's share not active again in the window."""
    if cohort == 0:
        return _empty("%")
    return percentage(cohort - retained, cohort, minimum=minimum)


def lifetime_value(revenue: Valuation, customers: int, *, minimum: int, currency: str) -> KpiValue:
    """Revenue to date per paying customer, in the base currency (Decimal, then a float).

    Customers whose purchases have no rate yet are in n; their amounts are reported as
    ``unconverted`` until a rate arrives (then the value is re-computed from the counters)."""
    if customers == 0:
        return _empty(currency)
    return KpiValue(
        float(revenue.base / customers),
        customers,
        None,
        None,
        customers < minimum,
        currency,
        dict(revenue.unconverted) or None,
    )
