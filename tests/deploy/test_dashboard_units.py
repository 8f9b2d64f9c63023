"""Every KPI panel of the dashboard shows its KPI in the unit the KPI is computed in."""

from __future__ import annotations

import json
import re

from rapport_metrics.domain.kpis import METRICS, WindowCounters
from rapport_metrics.domain.rates import RateTable
from tests.support.infra import REPO

DASHBOARD = REPO / "deploy" / "grafana" / "rapport.json"
KPI_QUERY = re.compile(r'rapport_kpi_value\{metric="(\w+)"')
# A KPI's unit → the Grafana unit that displays it (https://grafana.com/docs/grafana/latest/panels-visualizations/configure-standard-options/#unit)
GRAFANA_UNIT = {"%": "percent", "s": "s", "points": "none", "score": "none"}


def kpi_unit(metric: str) -> str:
    """The unit the metric's formula gives its values (the same for every window)."""
    empty = WindowCounters({}, {}, {}, 30, RateTable("EUR", {}))
    return METRICS[metric].compute(empty).unit


def kpi_panels() -> list[tuple[str, str, str]]:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    found = []
    for panel in panels:
        for target in panel.get("targets", []):
            match = KPI_QUERY.search(target["expr"])
            if match:
                found.append(
                    (panel["title"], match.group(1), panel["fieldConfig"]["defaults"]["unit"])
                )
    return found


def mismatches(panels: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    def grafana(metric: str) -> str:
        unit = kpi_unit(metric)
        return GRAFANA_UNIT.get(unit, f"currency{unit}")  # money: Grafana's currencyEUR…

    return [(t, m, unit, kpi_unit(m)) for t, m, unit in panels if grafana(m) != unit]


def test_every_kpi_panel_uses_its_kpis_unit() -> None:
    panels = kpi_panels()
    assert {metric for _, metric, _ in panels} >= {"nps", "csat", "ces", "resolution_time"}
    assert mismatches(panels) == []


def test_the_check_catches_resolution_time_shown_in_hours() -> None:
    """The panel that once said ``h`` for a KPI in seconds (Grafana showed ~20 years)."""
    wrong = [("Average resolution time", "resolution_time", "h")]
    assert mismatches(wrong) == [("Average resolution time", "resolution_time", "h", "s")]
