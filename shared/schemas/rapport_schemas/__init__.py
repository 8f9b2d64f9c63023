"""Rapport's event contracts: the single source for JSON Schema and AsyncAPI documents."""

from rapport_schemas.catalog import BY_TYPE, EVENT_MODELS, UndecodableEvent, decode
from rapport_schemas.envelope import CONTENT_TYPE, AnyCloudEvent, CloudEvent, EventData, wrap

__all__ = [
    "BY_TYPE",
    "CONTENT_TYPE",
    "EVENT_MODELS",
    "AnyCloudEvent",
    "CloudEvent",
    "EventData",
    "UndecodableEvent",
    "decode",
    "wrap",
]
