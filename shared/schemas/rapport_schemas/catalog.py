"""Every event type, its payload model and topic, and decoding from raw Kafka values."""

from __future__ import annotations

import json

from pydantic import ValidationError

from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
    InteractionLogged,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.envelope import AnyCloudEvent, CloudEvent, EventData
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered, SurveyRequested
from rapport_schemas.metrics import MetricComputed
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)

EVENT_MODELS: tuple[type[EventData], ...] = (
    ContactRegistered,
    ContactUpdated,
    ContactConsentChanged,
    ContactsMerged,
    ContactErased,
    InteractionLogged,
    PurchaseRecorded,
    CaseResolved,
    SlaBreached,
    SurveyRequested,
    SurveyAnswered,
    DetractorDetected,
    NotificationScheduled,
    NotificationSent,
    NotificationFailed,
    MetricComputed,
)
BY_TYPE: dict[str, type[EventData]] = {model.event_type: model for model in EVENT_MODELS}

MAX_EVENT_BYTES = 256 * 1024


class UndecodableEvent(ValueError):
    """A message that can never be processed; ``reason`` is a short machine-readable cause."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def decode(raw: bytes) -> CloudEvent[EventData]:
    """Parse and validate a structured-mode CloudEvent, or raise ``UndecodableEvent``."""
    if len(raw) > MAX_EVENT_BYTES:
        raise UndecodableEvent("too_large", f"{len(raw)} bytes > {MAX_EVENT_BYTES}")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UndecodableEvent("invalid_json", str(error)[:200]) from None
    try:
        envelope = AnyCloudEvent.model_validate(document)
    except ValidationError as error:
        raise UndecodableEvent("invalid_envelope", _fields(error)) from None
    model = BY_TYPE.get(envelope.type)
    if model is None:
        raise UndecodableEvent("unknown_type", envelope.type[:128])
    try:
        return CloudEvent[model].model_validate(document)  # type: ignore[valid-type]
    except ValidationError as error:
        raise UndecodableEvent("schema_violation", _fields(error)) from None


def _fields(error: ValidationError) -> str:
    """Name the bad fields without echoing their values (they may be personal data)."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc'])}: {item['type']}"
        for item in error.errors()[:10]
    )
