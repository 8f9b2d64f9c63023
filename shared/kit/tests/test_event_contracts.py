"""A service's settings reach its contracts: the ``dataschema`` of what it publishes and the
AsyncAPI document it serves (brokers, prefix, partitions, its own groups)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rapport_kit.runtime import ServiceRuntime
from rapport_kit.settings import ServiceSettings
from rapport_schemas import topics, wrap
from rapport_schemas.envelope import DEFAULT_SCHEMA_BASE_URL, use_schema_base_url
from tests.support.events import interaction


@pytest.fixture(autouse=True)
def default_base_url_afterwards() -> Iterator[None]:
    yield
    use_schema_base_url(DEFAULT_SCHEMA_BASE_URL)


def test_events_name_the_data_schema_under_the_configured_base_url() -> None:
    ServiceRuntime.build(
        ServiceSettings(schema_base_url="https://rapport.example.org/schemas"), service="contacts"
    )
    event = wrap(interaction(), source="/rapport/contacts")
    assert event.dataschema == (
        "https://rapport.example.org/schemas/rapport.contacts.interaction_logged.v1.data.json"
    )


def test_by_default_they_point_at_the_local_contacts_service() -> None:
    ServiceRuntime.build(ServiceSettings(), service="contacts")
    event = wrap(interaction(), source="/rapport/contacts")
    assert event.dataschema.startswith("http://127.0.0.1:8001/schemas/")


async def test_the_served_document_follows_the_settings_and_the_registered_groups() -> None:
    settings = ServiceSettings(
        kafka_bootstrap="k1:9092, k2:9092", topic_prefix="acme.", topic_partitions=12
    )
    runtime = ServiceRuntime.build(settings, service="metrics")

    async def apply(_: object) -> None:
        return None

    runtime.consume("kpis", apply, base_topics=[topics.CONTACTS, topics.FEEDBACK])
    document = runtime.asyncapi_document()
    assert [s["host"] for s in document["servers"].values()] == ["k1:9092", "k2:9092"]
    assert document["channels"]["metricsKpis"]["address"] == "acme.rapport.metrics.kpis"
    assert document["channels"]["contactsEvents"]["bindings"]["kafka"]["partitions"] == 12
    receives = {k for k, op in document["operations"].items() if op["action"] == "receive"}
    assert receives == {
        "acmeRapportMetricsKpisReceivesContactsEvents",
        "acmeRapportMetricsKpisReceivesFeedbackEvents",
    }
