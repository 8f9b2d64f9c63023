"""Every metric the dashboard and the alert rules query is one the services really export."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.infra import REPO
from tests.support.suite import free_port, running_suite

pytestmark = pytest.mark.suite

METRIC = re.compile(r"\b(rapport_[a-z_]+)")


def queried_metrics() -> set[str]:
    sources = ("deploy/grafana/rapport.json", "deploy/prometheus/alerts.yml")
    texts = [(REPO / source).read_text() for source in sources]
    return {re.sub(r"_(bucket|sum|count)$", "", n) for text in texts for n in METRIC.findall(text)}


def test_the_committed_dashboard_is_what_the_generator_writes() -> None:
    generator = str(REPO / "deploy/grafana/generate.py")
    check = subprocess.run([sys.executable, generator, "--check"], check=False)
    assert check.returncode == 0, "run `python deploy/grafana/generate.py` and commit rapport.json"


async def test_dashboard_and_alert_queries_use_exported_metrics(service_env) -> None:
    exported: set[str] = set()
    async with running_suite(service_env, (), free_port()) as clients:
        for client in clients.values():
            response = await client.get("/metrics")
            assert response.status_code == 200
            for family in text_string_to_metric_families(response.text):
                exported.add(family.name)
                exported.add(f"{family.name}_total")  # counters are exposed as NAME_total
    assert queried_metrics() - exported == set()
    assert len(queried_metrics()) >= 15


async def test_every_service_serves_its_openapi_and_the_asyncapi_catalogue(service_env) -> None:
    async with running_suite(service_env, (), free_port()) as clients:
        for name, client in clients.items():
            openapi = await client.get("/openapi.json")
            assert openapi.status_code == 200 and openapi.json()["paths"], name
            assert (await client.get("/docs")).status_code == 200
            asyncapi = (await client.get("/asyncapi.json")).json()
            prefix = str(service_env["topic_prefix"])
            addresses = {c["address"].removeprefix(prefix) for c in asyncapi["channels"].values()}
            assert addresses >= {"rapport.contacts.events", "rapport.metrics.kpis"}
            page = await client.get("/asyncapi")
            assert "rapport.feedback.survey_answered.v1" in page.text
