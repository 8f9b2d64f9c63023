"""The AsyncAPI document is self-contained and says what a subscriber needs; ``dataschema`` is the
schema of ``data``, read back through the official CloudEvents SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_structured
from cloudevents.core.formats.json import JSONFormat

from rapport_schemas import CONTENT_TYPE, EVENT_MODELS, topics, wrap
from rapport_schemas.asyncapi import Application, ConsumerGroup, Deployment, document
from rapport_schemas.components import envelope_name
from rapport_schemas.envelope import (
    DEFAULT_SCHEMA_BASE_URL,
    data_schema_url,
    schema_base_url,
    use_schema_base_url,
)
from rapport_schemas.generate import schema_files
from tests.support.contract_examples import example_of


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _pointer(root: dict[str, Any], ref: str) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_reference_resolves_inside_the_document() -> None:
    catalogue = document()
    refs = list(_refs(catalogue))
    assert refs and all(ref.startswith("#/") for ref in refs)
    for ref in refs:
        _pointer(catalogue, ref)  # a KeyError names the dangling reference


def test_envelope_and_data_have_distinct_titles_and_the_envelope_holds_the_attributes() -> None:
    schemas = document()["components"]["schemas"]
    for model in EVENT_MODELS:
        envelope = schemas[envelope_name(model)]
        assert envelope["title"] == f"{model.__name__}CloudEvent"
        assert schemas[model.__name__]["title"] == model.__name__
        assert {"specversion", "id", "source", "type", "dataschema", "data"} <= set(
            envelope["properties"]
        )
        assert envelope["properties"]["data"] == {"$ref": f"#/components/schemas/{model.__name__}"}
        assert envelope["properties"]["type"]["const"] == model.event_type


def test_channels_carry_kafka_bindings_and_the_metric_stream_is_compacted() -> None:
    catalogue = document(deployment=Deployment(topic_prefix="acme.", partitions=12, replicas=3))
    channels = catalogue["channels"]
    policies = {
        c["address"]: c["bindings"]["kafka"]["topicConfiguration"] for c in channels.values()
    }
    assert policies["acme." + topics.METRICS] == {"cleanup.policy": ["compact"]}
    for personal in topics.PERSONAL:
        assert policies["acme." + personal] == {"cleanup.policy": ["compact"]}
    assert policies["acme." + topics.CONTACTS] == {"cleanup.policy": ["delete"]}
    assert {c["bindings"]["kafka"]["partitions"] for c in channels.values()} == {12}
    assert {c["bindings"]["kafka"]["replicas"] for c in channels.values()} == {3}
    dead_letters = {c["address"] for c in channels.values() if c["address"].endswith(".dlq")}
    assert dead_letters == {f"acme.rapport.{s}.dlq" for s in topics.PRODUCERS}
    for name, message in catalogue["components"]["messages"].items():
        key = "null" if name == "WithheldDeadLetter" else "string"  # nothing of it is copied
        assert message["bindings"]["kafka"]["key"]["type"] == key


def test_the_dead_letter_message_documents_every_header_the_kit_writes() -> None:
    schemas = document()["components"]["schemas"]
    headers = schemas["DeadLetterHeaders"]["properties"]
    assert {"content-type", "x-rapport-dlq-reason", "x-rapport-original-offset"} <= set(headers)
    truncated = schemas["TruncatedDeadLetterHeaders"]["properties"]
    assert truncated["ce_type"]["const"] == "rapport.dlq.truncated.v1"


def test_an_application_sends_to_its_topics_and_receives_per_consumer_group() -> None:
    application = Application(
        service="feedback",
        sends=(topics.FEEDBACK,),
        dead_letters_of=("feedback",),
        groups=(ConsumerGroup("t.rapport-feedback-views", (topics.FEEDBACK, topics.CONTACTS)),),
    )
    catalogue = document(
        application, Deployment(brokers=("k1:9093", "k2:9093"), security_protocol="SASL_SSL")
    )
    operations = catalogue["operations"]
    assert {name: op["action"] for name, op in operations.items()} == {
        "sendFeedbackEvents": "send",
        "sendFeedbackDeadLetters": "send",
        "tRapportFeedbackViewsReceivesFeedbackEvents": "receive",
        "tRapportFeedbackViewsReceivesContactsEvents": "receive",
    }
    receive = operations["tRapportFeedbackViewsReceivesContactsEvents"]
    assert receive["bindings"]["kafka"]["groupId"] == {
        "type": "string",
        "enum": ["t.rapport-feedback-views"],
    }
    assert receive["channel"] == {"$ref": "#/channels/contactsEvents"}
    servers = catalogue["servers"]
    assert [s["host"] for s in servers.values()] == ["k1:9093", "k2:9093"]
    assert {s["protocol"] for s in servers.values()} == {"kafka-secure"}
    assert catalogue["components"]["securitySchemes"] == {
        "sasl": {"type": "scramSha512", "description": "SASL/SCRAM-SHA-512."}
    }


def test_the_committed_catalogue_sends_every_topic_from_its_producer() -> None:
    operations = document()["operations"]
    assert {op["channel"]["$ref"].rsplit("/", 1)[1] for op in operations.values()} == {
        *("contactsEvents", "feedbackEvents", "notificationsEvents", "metricsKpis"),
        *("contactsPersonal", "feedbackPersonal"),
        *(f"{service}DeadLetters" for service in topics.PRODUCERS),
    }


@pytest.mark.parametrize("model", EVENT_MODELS, ids=lambda m: m.__name__)
def test_dataschema_names_the_schema_data_validates_against(model: Any) -> None:
    """CloudEvents 1.0: ``dataschema`` identifies the schema that ``data`` adheres to."""
    event = wrap(example_of(model), source="/test")
    message = KafkaMessage(
        headers={"content-type": CONTENT_TYPE.encode()},
        key=event.partitionkey.encode(),
        value=event.model_dump_json().encode(),
    )
    read = from_structured(message, JSONFormat())  # what a subscriber's SDK sees
    files = {schema["$id"]: schema for schema in schema_files().values()}
    data_schema = files[read.get_dataschema()]
    assert data_schema["title"] == model.__name__
    data = json.loads(event.model_dump_json())["data"]
    jsonschema_rs.validate(data_schema, data)
    assert not jsonschema_rs.is_valid(data_schema, {"unrelated": True})
    envelope = files[read.get_dataschema().replace(".data.json", ".json")]
    assert envelope["title"] == envelope_name(model)
    assert not jsonschema_rs.is_valid(envelope, data)  # the data alone is no envelope


def test_dataschema_follows_the_configured_base_url() -> None:
    model = EVENT_MODELS[0]
    try:
        use_schema_base_url("https://contracts.example.org/rapport")
        event = wrap(example_of(model), source="/test")
        assert event.dataschema == (
            f"https://contracts.example.org/rapport/{model.event_type}.data.json"
        )
    finally:
        use_schema_base_url(DEFAULT_SCHEMA_BASE_URL)
    assert schema_base_url() == DEFAULT_SCHEMA_BASE_URL
    assert wrap(example_of(model), source="/t").dataschema == data_schema_url(model.event_type)
    assert data_schema_url(model.event_type).startswith(DEFAULT_SCHEMA_BASE_URL)
