"""One ``POST /contacts/{id}/interactions`` is one trace across all four services, in Zipkin's UI.

Zipkin comes from ``deploy/local/zipkin.sh`` (Maven Central, like Kafka; its own port and state
here), the services export through the standard variables (``OTEL_TRACES_EXPORTER=zipkin``,
``OTEL_EXPORTER_ZIPKIN_ENDPOINT``) as ``make run`` configures them, and the trace is found in the
UI by a browser that cannot leave loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller

from tests.support.browser import offline_browser
from tests.support.infra import REPO
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

SERVICES = {"contacts", "feedback", "notifications", "metrics"}
ROUTE = "post /contacts/{contact_id}/interactions"


@pytest.fixture(scope="module")
def zipkin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = os.environ | {
        "RAPPORT_ZIPKIN_PORT": str(port),
        "RAPPORT_STATE_DIR": str(tmp_path_factory.mktemp("zipkin")),
    }
    script = str(REPO / "deploy/local/zipkin.sh")
    started = subprocess.run(
        ["bash", script, "start"], env=env, capture_output=True, text=True, check=False
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, check=False)


def zipkin_get(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


async def trace_across_services(zipkin: str, timeout: float = 90) -> list[dict[str, object]]:
    """The interaction call's trace, once it holds spans of every service."""
    query = f"{zipkin}/api/v2/traces?serviceName=contacts&spanName={ROUTE}&limit=5"
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        traces = await asyncio.to_thread(zipkin_get, query.replace(" ", "%20"))
        for spans in traces:  # type: ignore[attr-defined]
            if {s["localEndpoint"]["serviceName"] for s in spans} >= SERVICES:
                return list(spans)
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no trace across {sorted(SERVICES)}: {traces}")
        await asyncio.sleep(1)


async def test_one_interaction_is_one_trace_across_the_services_in_zipkin(
    zipkin, service_env, monkeypatch
):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    monkeypatch.setenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", f"{zipkin}/api/v2/spans")
    inbox, smtp_port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        async with running_suite(service_env, (), smtp_port) as clients:
            contacts = clients["contacts"]
            registered = await contacts.post("/contacts", json=contact())
            assert registered.status_code == 201, registered.text
            contact_id = registered.json()["contact_id"]
            logged = await contacts.post(
                f"/contacts/{contact_id}/interactions",
                json={"channel": "email", "direction": "inbound", "kind": "complaint"},
            )
            assert logged.status_code == 201, logged.text
            spans = await trace_across_services(zipkin)
    finally:
        smtp.stop()

    trace_id = str(spans[0]["traceId"])
    # Tall enough that the timeline renders every span row (it draws only the rows in view).
    viewport = {"width": 1400, "height": 6000}
    async with offline_browser() as browser, browser.context(viewport=viewport) as context:
        page = await context.new_page()
        await page.goto(f"{zipkin}/zipkin/traces/{trace_id}", wait_until="load")
        await page.get_by_text(ROUTE, exact=False).first.wait_for(timeout=30_000)
        text = await page.inner_text("body")
    assert browser.blocked == [], browser.blocked
    shown = sorted(s for s in SERVICES if re.search(rf"^{s}: ", text, re.MULTILINE))
    assert shown == sorted(SERVICES)  # span rows read "<service>: <span name>"
    summary = re.search(r"Services\s+(\d+)\s+Total Spans\s+(\d+)", text)
    assert summary is not None, text[:2000]
    assert (int(summary[1]), int(summary[2])) == (len(SERVICES), len(spans))
    by_service: dict[str, int] = {}
    for span in spans:
        name = str(span["localEndpoint"]["serviceName"])  # type: ignore[index]
        by_service[name] = by_service.get(name, 0) + 1
    print(
        f"Zipkin UI, trace {trace_id}: services {', '.join(shown)} "
        f"(UI: Services {summary[1]}, Total Spans {summary[2]})"
    )
    print("  spans per service: " + ", ".join(f"{k} {v}" for k, v in sorted(by_service.items())))


def contact() -> dict[str, object]:
    return {
        "profile": {
            "name": "Yılmaz Ayşe",
            "email": "ayse.yilmaz@example.com.tr",
            "language": "tr-TR",
            "time_zone": "Europe/Istanbul",
            "country": "TR",
            "currency": "TRY",
        },
        "consents": [
            {
                "channel": "email",
                "granted": True,
                "source": "web-form",
                "changed_at": datetime.now(UTC).isoformat(),
            }
        ],
    }
