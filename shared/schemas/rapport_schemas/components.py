"""Every event's envelope and data as AsyncAPI components: one namespace, no ``$ref`` outside.

The envelope and its data carry distinct titles (``ContactRegisteredCloudEvent`` holds
``specversion``, ``id``, … and ``data``; ``ContactRegistered`` is the data), so a model generator
makes one type for each instead of merging them.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from rapport_schemas.catalog import EVENT_MODELS
from rapport_schemas.envelope import CONTENT_TYPE, CloudEvent, EventData

COMPONENT_REF = "#/components/schemas/{model}"
HEADERS = "CloudEventKafkaHeaders"


def envelope_name(model: type[EventData]) -> str:
    return f"{model.__name__}CloudEvent"


def schema_components() -> dict[str, Any]:
    """Envelopes, data models and what they nest, named once for all event types."""
    envelopes = [CloudEvent[model] for model in EVENT_MODELS]  # type: ignore[valid-type]
    keys, generated = models_json_schema(
        [(envelope, "serialization") for envelope in envelopes], ref_template=COMPONENT_REF
    )
    schemas: dict[str, Any] = generated["$defs"]
    for model, envelope in zip(EVENT_MODELS, envelopes, strict=True):
        generated_name = keys[(envelope, "serialization")]["$ref"].rsplit("/", 1)[1]
        schemas[envelope_name(model)] = describe_envelope(schemas.pop(generated_name), model)
    return dict(sorted(schemas.items())) | {HEADERS: _headers_schema()}


def describe_envelope(schema: dict[str, Any], model: type[EventData]) -> dict[str, Any]:
    """Title, description, the fixed ``type``, and where a superseded version points."""
    schema["title"] = envelope_name(model)
    schema["description"] = f"The CloudEvents envelope of {model.__name__}: {_summary(model)}"
    schema["properties"]["type"]["const"] = model.event_type
    successor = getattr(model, "superseded_by", None)
    if successor:
        schema["deprecated"] = True
        schema["x-superseded-by"] = successor
    return schema


def message_components() -> dict[str, Any]:
    return {model.__name__: _message(model) for model in EVENT_MODELS}


def _message(model: type[EventData]) -> dict[str, Any]:
    key_description = getattr(model, "key_description", None) or (
        "The series point (metric|window|start|segment): the compacted stream keeps its latest."
        if model.__name__ == "MetricComputed"
        else "The contact id (the event's `subject`): a contact's events stay in order."
    )
    return {
        "name": model.event_type,
        "title": model.__name__,
        "summary": _summary(model),
        # A superseded version's docstring is its migration note for subscribers.
        "description": " ".join((model.__doc__ or model.__name__).split()),
        "contentType": CONTENT_TYPE.split(";")[0],
        "headers": {"$ref": f"#/components/schemas/{HEADERS}"},
        "payload": {"$ref": COMPONENT_REF.format(model=envelope_name(model))},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "minLength": 1, "description": key_description},
                "bindingVersion": "0.5.0",
            }
        },
    }


def _summary(model: type[EventData]) -> str:
    return (model.__doc__ or model.__name__).strip().splitlines()[0]


def _headers_schema() -> dict[str, Any]:
    """Kafka headers of a structured-mode event (the protocol binding; W3C trace context)."""
    return {
        "title": HEADERS,
        "type": "object",
        "properties": {
            "content-type": {"type": "string", "const": CONTENT_TYPE},
            "traceparent": {
                "type": "string",
                "description": "W3C trace context of the producing span.",
            },
            "tracestate": {"type": "string", "description": "W3C trace context, vendor part."},
        },
        "required": ["content-type"],
    }
