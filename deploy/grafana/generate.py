"""Generate the Grafana dashboard (``rapport.json``) from a short description of its panels.

    python deploy/grafana/generate.py          # rewrite rapport.json
    python deploy/grafana/generate.py --check  # fail if rapport.json drifted

Every query uses only metrics the services export (a test checks them against live /metrics).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).with_name("rapport.json")
KPI = 'rapport_kpi_value{{metric="{metric}", window="week", segment_kind="all"}}'
KPI_BY_COUNTRY = 'rapport_kpi_value{{metric="{metric}", window="month", segment_kind="country"}}'

# (title, unit, [(query, legend)]) per row.
ROWS: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "Customer KPIs (this week)": [
        ("NPS", "none", [(KPI.format(metric="nps"), "NPS")]),
        ("CSAT %", "percent", [(KPI.format(metric="csat"), "CSAT")]),
        ("CES (mean, 1–7)", "none", [(KPI.format(metric="ces"), "CES")]),
        ("First-contact resolution %", "percent", [(KPI.format(metric="fcr_rate"), "FCR")]),
        (
            "Average resolution time by country (this month)",
            "s",  # the KPI's unit: seconds (Grafana shows them as minutes, hours, days)
            [(KPI_BY_COUNTRY.format(metric="resolution_time"), "{{segment_value}}")],
        ),
        (
            "Answers behind NPS",
            "none",
            [('rapport_kpi_sample_size{metric="nps", window="week", segment_kind="all"}', "n")],
        ),
    ],
    "Customer operations": [
        (
            "SLA breaches / h",
            "none",
            [("sum(increase(rapport_contacts_sla_breaches_total[1h]))", "breaches")],
        ),
        (
            "Surveys requested and answered / h",
            "none",
            [
                (
                    "sum by (kind) (increase(rapport_feedback_surveys_requested_total[1h]))",
                    "requested {{kind}}",
                ),
                (
                    "sum by (kind) (increase(rapport_feedback_surveys_answered_total[1h]))",
                    "answered {{kind}}",
                ),
            ],
        ),
        (
            "Notifications / h",
            "none",
            [
                ("sum(increase(rapport_notifications_sent_total[1h]))", "sent"),
                ("sum(increase(rapport_notifications_failed_total[1h]))", "failed"),
                ("sum(increase(rapport_notifications_scheduled_total[1h]))", "scheduled"),
            ],
        ),
        (
            "Detractors / h",
            "none",
            [("sum(increase(rapport_feedback_detractors_total[1h]))", "detractors")],
        ),
        (
            "Event webhooks / h",
            "none",
            [
                ("sum(increase(rapport_notifications_webhook_delivered_total[1h]))", "delivered"),
                ("sum(increase(rapport_notifications_webhook_retried_total[1h]))", "retried"),
                (
                    "sum by (reason) (increase(rapport_notifications_webhook_failed_total[1h]))",
                    "failed {{reason}}",
                ),
            ],
        ),
    ],
    "Suite health": [
        (
            "Events consumed / s",
            "ops",
            [("sum by (consumer) (rate(rapport_events_consumed_total[5m]))", "{{consumer}}")],
        ),
        (
            "Consumer lag (messages)",
            "none",
            [("max by (consumer) (rapport_consumer_lag_messages)", "{{consumer}}")],
        ),
        (
            "Dead letters / h",
            "none",
            [
                (
                    "sum by (consumer, reason) (increase(rapport_dead_letters_total[1h]))",
                    "{{consumer}} {{reason}}",
                )
            ],
        ),
        (
            "Batch processing p95",
            "s",
            [
                (
                    "histogram_quantile(0.95, sum by (le, consumer) "
                    "(rate(rapport_batch_processing_seconds_bucket[5m])))",
                    "{{consumer}}",
                )
            ],
        ),
        (
            "HTTP requests / s by status",
            "reqps",
            [
                (
                    "sum by (status) (rate(rapport_http_requests_total[5m]))",
                    "{{status}}",
                )
            ],
        ),
        (
            "HTTP p99 latency",
            "s",
            [
                (
                    "histogram_quantile(0.99, sum by (le, route) "
                    "(rate(rapport_http_request_duration_seconds_bucket[5m])))",
                    "{{route}}",
                )
            ],
        ),
        (
            "Outbox: events not yet on Kafka",
            "none",
            [
                (
                    "max by (service, collection) (rapport_outbox_pending_entries)",
                    "{{service}} {{collection}}",
                )
            ],
        ),
        (
            "Outbox: oldest unpublished event",
            "s",
            [
                (
                    "max by (service, collection) (rapport_outbox_oldest_entry_age_seconds)",
                    "{{service}} {{collection}}",
                )
            ],
        ),
        (
            "Retries and duplicates / h",
            "none",
            [
                ("sum(increase(rapport_consumer_retries_total[1h]))", "retries"),
                ("sum(increase(rapport_duplicate_events_total[1h]))", "duplicates skipped"),
            ],
        ),
    ],
}


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for row_title, row_panels in ROWS.items():
        panels.append(
            {
                "type": "row",
                "title": row_title,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "id": len(panels) + 1,
                "collapsed": False,
            }
        )
        y += 1
        for index, (title, unit, queries) in enumerate(row_panels):
            panels.append(
                _panel(
                    len(panels) + 1, title, unit, queries, x=(index % 3) * 8, y=y + (index // 3) * 8
                )
            )
        y += 8 * ((len(row_panels) + 2) // 3)
    return {
        "title": "Rapport — suite health and customer KPIs",
        "uid": "rapport-overview",
        "schemaVersion": 39,
        "time": {"from": "now-24h", "to": "now"},
        "refresh": "30s",
        "tags": ["rapport"],
        "templating": {
            "list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]
        },
        "panels": panels,
    }


def _panel(
    panel_id: int, title: str, unit: str, queries: list[tuple[str, str]], *, x: int, y: int
) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 8, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(queries)
        ],
    }


def rendered() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    if parser.parse_args().check:
        return 0 if OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == rendered() else 1
    OUTPUT.write_text(rendered(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
