"""The KPI catalogue: which counters family each metric reads and its formula."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rapport_metrics.domain import formulas
from rapport_metrics.domain.formulas import KpiValue
from rapport_metrics.domain.rates import AMOUNT, RateTable
from rapport_metrics.domain.windows import previous_start
from rapport_schemas.metrics import WindowSize

Counters = Mapping[str, object]


def with_data(windows: Mapping[date, Counters]) -> dict[date, Counters]:
    """The windows holding some count. A window whose counts all moved elsewhere (a late
    registration or a changed segment re-segments them) keeps a document of zeros; whether it
    exists depends on the order the facts arrived in, so it reads as a window without counters."""
    return {start: counters for start, counters in windows.items() if _holds_data(counters)}


def _holds_data(counters: Counters) -> bool:
    return any(Decimal(str(value)) != 0 for value in counters.values() if value is not None)


@dataclass(frozen=True)
class WindowCounters:
    """A window's counters, the previous window's, and the running totals through this window."""

    current: Counters
    previous: Counters
    through: Counters
    minimum: int
    rates: RateTable

    def count(self, name: str, source: str = "current") -> int:
        return int(getattr(self, source).get(name, 0))

    def total(self, name: str) -> float:
        return float(self.current.get(name, 0))  # type: ignore[arg-type]


def _rate(numerator: str, denominator: str) -> Callable[[WindowCounters], KpiValue]:
    return lambda w: formulas.percentage(
        w.count(numerator), w.count(denominator), minimum=w.minimum
    )


def _mean(total: str, squares: str, unit: str) -> Callable[[WindowCounters], KpiValue]:
    return lambda w: formulas.mean(
        w.count("n"), w.total(total), w.total(squares), minimum=w.minimum, unit=unit
    )


def _sla(w: WindowCounters) -> KpiValue:
    in_time = w.count("in_time")
    return formulas.percentage(in_time, in_time + w.count("breached"), minimum=w.minimum)


def _retention(w: WindowCounters) -> KpiValue:
    """``retained``: contacts active here that were active in the previous window too."""
    return formulas.retention(w.count("retained"), w.count("active", "previous"), minimum=w.minimum)


def _churn(w: WindowCounters) -> KpiValue:
    return formulas.churn(w.count("retained"), w.count("active", "previous"), minimum=w.minimum)


def _clv(w: WindowCounters) -> KpiValue:
    return formulas.lifetime_value(
        w.rates.value(w.through),
        w.count("first_buyers", "through"),
        minimum=w.minimum,
        currency=w.rates.base_currency,
    )


@dataclass(frozen=True)
class Metric:
    family: str
    compute: Callable[[WindowCounters], KpiValue]
    history: str = ""  # "previous" (reads the window before) or "through" (running totals)


METRICS: dict[str, Metric] = {
    "nps": Metric(
        "nps",
        lambda w: formulas.nps(
            w.count("promoters"), w.count("detractors"), w.count("n"), minimum=w.minimum
        ),
    ),
    "csat": Metric("csat", _rate("satisfied", "n")),
    "ces": Metric("ces", _mean("sum", "sum_sq", "score")),
    "survey_response_rate": Metric("surveys", _rate("answered", "requested")),
    "fcr_rate": Metric("cases", _rate("first_contact", "n")),
    "resolution_time": Metric("cases", _mean("duration_sum", "duration_sq", "s")),
    "first_response_time": Metric("responses", _mean("time_sum", "time_sq", "s")),
    "sla_compliance": Metric("responses", _sla),
    "complaint_rate": Metric("interactions", _rate("complaints", "inbound")),
    "referral_rate": Metric("registrations", _rate("referred", "n")),
    "retention_rate": Metric("activity", _retention, history="previous"),
    "churn_rate": Metric("activity", _churn, history="previous"),
    "repeat_purchase_rate": Metric("purchases", _rate("repeat_buyers", "buyers")),
    "clv": Metric("purchases", _clv, history="through"),
    "delivery_success_rate": Metric("notifications", _rate("delivered", "outcomes")),
    "quiet_hours_share": Metric("notifications", _rate("quiet_hours", "held")),
    "opt_out_rate": Metric("consents", _rate("withdrawn", "decisions")),
}


FAMILIES = sorted({metric.family for metric in METRICS.values()})


def metrics_of(family: str) -> list[str]:
    return [name for name, metric in METRICS.items() if metric.family == family]


def window_values(
    metric: Metric,
    series: Mapping[date, Counters],
    size: WindowSize,
    *,
    minimum: int,
    rates: RateTable,
    starts: Iterable[date] | None = None,
) -> dict[date, KpiValue]:
    """The metric for every window of one series (counters by window start), or for ``starts``:
    a window without counters still has a value where the metric is defined there (lifetime
    value carries its running total, retention compares with the previous window)."""
    wanted = set(series) if starts is None else set(starts)
    values: dict[date, KpiValue] = {}
    running: dict[str, object] = {}
    for start in sorted(wanted | set(series)):
        current = series.get(start, {})
        if metric.history == "through":
            running = _summed(running, current)
        if start in wanted:
            previous = series.get(previous_start(start, size), {})
            window = WindowCounters(current, previous, running, minimum, rates)
            values[start] = metric.compute(window)
    return values


def _summed(running: dict[str, object], counters: Counters) -> dict[str, object]:
    """Running totals of first-time buyers and of every amount per currency and day."""
    total = dict(running)
    for name, amount in counters.items():
        if name == "first_buyers":
            total[name] = int(total.get(name, 0)) + int(amount)  # type: ignore[call-overload]
        elif name.startswith(AMOUNT):
            total[name] = str(Decimal(str(total.get(name, "0"))) + Decimal(str(amount)))
    return total


def affected_starts(
    metric: Metric, changed: set[date], known: set[date], size: WindowSize
) -> set[date]:
    """Windows whose value a change in ``changed`` windows alters."""
    if metric.history == "through":
        return {start for start in known if start >= min(changed)}
    if metric.history == "previous":
        following = {start for start in known if previous_start(start, size) in changed}
        return (changed & known) | following
    return changed & known
