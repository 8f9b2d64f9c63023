"""What every service serves passes the official tools a subscribing team uses.

The four services run (lifespans, real Kafka and MongoDB-wire server, real loopback ports); their
/asyncapi.json goes through ``@asyncapi/parser`` and Modelina, their /openapi.json through
``redocly lint`` with the repository's redocly.yaml (deploy/contracts/tools.sh installs the
pinned tools on first use). The JSON Schemas resolve at the ``$id`` every ``dataschema`` uses.
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rapport_contacts.bootstrap import create_app as contacts_app
from rapport_contacts.settings import ContactsSettings
from rapport_feedback.bootstrap import create_app as feedback_app
from rapport_feedback.settings import FeedbackSettings
from rapport_metrics.bootstrap import create_app as metrics_app
from rapport_metrics.settings import MetricsSettings
from rapport_notifications.bootstrap import create_app as notifications_app
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import EVENT_MODELS, wrap
from rapport_schemas.contacts import ContactRegistered
from rapport_schemas.envelope import DEFAULT_SCHEMA_BASE_URL, use_schema_base_url
from tests.support.contract_examples import example_of
from tests.support.http_server import free_port, listening
from tests.support.infra import REPO

pytestmark = pytest.mark.deploy

TOOLS = str(REPO / "deploy" / "contracts" / "tools.sh")
SUMMARY = re.compile(r"asyncapi (\S+): (\d+) errors, (\d+) warnings")


def apps(service_env: dict[str, object], schema_base_url: str) -> dict[str, FastAPI]:
    def env(service: str) -> dict[str, Any]:
        database = f"{service_env['mongo_database']}_{service}"
        return {**service_env, "mongo_database": database, "schema_base_url": schema_base_url}

    return {
        "contacts": contacts_app(ContactsSettings(**env("contacts"))),
        "feedback": feedback_app(FeedbackSettings(**env("feedback"))),
        "notifications": notifications_app(NotificationsSettings(**env("notifications"))),
        "metrics": metrics_app(MetricsSettings(**env("metrics"))),
    }


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", TOOLS, *args], capture_output=True, text=True, check=False)


async def serve_and_download(
    service_env: dict[str, object], into: Path
) -> tuple[dict[str, list[str]], str]:
    """Each service's served documents saved under ``into``; its consumer groups; the base URL."""
    contacts_port = free_port()
    base_url = f"http://127.0.0.1:{contacts_port}/schemas/"
    served = apps(service_env, base_url)
    groups = {}
    try:
        async with AsyncExitStack() as stack:
            urls = {
                name: await stack.enter_async_context(
                    listening(app, port=contacts_port if name == "contacts" else None)
                )
                for name, app in served.items()
            }
            async with httpx.AsyncClient(timeout=30) as client:
                for name, url in urls.items():
                    for document in ("asyncapi.json", "openapi.json"):
                        answer = await client.get(f"{url}/{document}")
                        assert answer.status_code == 200, (name, document)
                        (into / f"{name}.{document}").write_bytes(answer.content)
                    await assert_schemas_resolve(client, url, base_url)
                    runtime = served[name].state.runtime
                    groups[name] = [group.group_id for group in runtime.consumer_groups]
    finally:
        use_schema_base_url(DEFAULT_SCHEMA_BASE_URL)  # the apps set it for this process
    return groups, base_url


async def assert_schemas_resolve(client: httpx.AsyncClient, url: str, base_url: str) -> None:
    """Every service serves every schema; each ``$id`` (a dataschema) answers where it points."""
    for model in EVENT_MODELS:
        served = (await client.get(f"{url}/schemas/{model.event_type}.data.json")).json()
        assert served["$id"] == f"{base_url}{model.event_type}.data.json"
        assert (await client.get(served["$id"])).json() == served
    assert (await client.get(f"{url}/schemas/nothing.json")).status_code == 404


async def test_served_documents_pass_the_official_tools(service_env, tmp_path: Path) -> None:
    groups, base_url = await serve_and_download(service_env, tmp_path)
    services = sorted(groups)

    asyncapi_files = [str(tmp_path / f"{name}.asyncapi.json") for name in services]
    parsed = tool("asyncapi", *asyncapi_files)
    print(parsed.stdout)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    summaries = {m[1]: int(m[2]) for m in SUMMARY.finditer(parsed.stdout)}
    assert summaries == {f"{name}.asyncapi.json": 0 for name in services}
    for name in services:
        assert_operations(
            name, json.loads((tmp_path / f"{name}.asyncapi.json").read_text()), groups[name]
        )

    linted = tool("redocly", *(str(tmp_path / f"{name}.openapi.json") for name in services))
    print(linted.stdout + linted.stderr)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    problems = re.findall(r"^\s+\d+:\d+\s+(error|warning)\s+(\S+)", linted.stdout, re.MULTILINE)
    assert problems == []

    pairs = [str(tmp_path / part) for name in services for part in (f"{name}.asyncapi.json", name)]
    generated = tool("models", *pairs)
    assert generated.returncode == 0, generated.stderr
    counts = dict(
        re.findall(r"^modelina (\S+)\.asyncapi\.json: (\d+) models", generated.stdout, re.M)
    )
    print("\n".join(f"modelina {name}: {count} models" for name, count in counts.items()))
    assert counts.keys() == set(services)
    for name in services:
        assert int(counts[name]) == import_generated_models(tmp_path / name) > 0
    print(f"dataschema base: {base_url} (resolved on every service)")


# The channels each service sends to: its events, its dead letters and, for the two services
# that hold personal data, its compacted personal topic.
SENDS = {
    "contacts": {"contactsEvents", "contactsDeadLetters", "contactsPersonal"},
    "feedback": {"feedbackEvents", "feedbackDeadLetters", "feedbackPersonal"},
    "metrics": {"metricsKpis", "metricsDeadLetters"},
    "notifications": {"notificationsEvents", "notificationsDeadLetters"},
}


def assert_operations(service: str, document: dict[str, Any], group_ids: list[str]) -> None:
    """A send per produced topic and dead-letter topic, a receive per group and topic read."""
    operations = document["operations"].values()
    receiving = {
        op["bindings"]["kafka"]["groupId"]["enum"][0]
        for op in operations
        if op["action"] == "receive"
    }
    assert group_ids and receiving == set(group_ids)
    sends = {op["channel"]["$ref"] for op in operations if op["action"] == "send"}
    assert sends == {f"#/channels/{channel}" for channel in SENDS[service]}
    assert all(server["protocol"] == "kafka" for server in document["servers"].values())


def import_generated_models(directory: Path) -> int:
    """Import every generated module; read a real event through the envelope model."""
    package = directory / "asyncapimodels"
    sys.path.insert(0, str(directory))
    try:
        modules = [
            importlib.import_module(f"asyncapimodels.{p.stem}") for p in package.glob("*.py")
        ]
        envelope_class = importlib.import_module(
            "asyncapimodels.contact_registered_cloud_event"
        ).ContactRegisteredCloudEvent
        event = json.loads(wrap(example_of(ContactRegistered), source="/test").model_dump_json())
        envelope = envelope_class(event)
        assert (envelope.specversion, envelope.id) == ("1.0", event["id"])
        assert type(envelope.data).__name__ == "ContactRegistered"
        assert envelope.data.contact_id == event["data"]["contact_id"]
        classes = [v for m in modules for v in vars(m).values() if _defined_in(v, m)]
        envelopes = [c for c in classes if c.__name__.endswith("CloudEvent")]
        assert envelopes and all(
            {"specversion", "id", "type", "dataschema", "data"} <= set(vars(c)) for c in envelopes
        )
        return len(classes)
    finally:
        sys.path.remove(str(directory))
        for name in [m for m in sys.modules if m.startswith("asyncapimodels")]:
            del sys.modules[name]


def _defined_in(value: object, module: object) -> bool:
    return isinstance(value, type) and value.__module__ == getattr(module, "__name__", None)
