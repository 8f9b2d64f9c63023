"""Every event type, its payload model and topic, and decoding from raw Kafka values."""

from __future__ import annotations

from pydantic import ValidationError

from rapport_schemas import raw_json
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactPersonalData,
    ContactRegistered,
    ContactRegisteredV1,
    ContactsMerged,
    ContactUpdated,
    ContactUpdatedV1,
    ErasureCompleted,
    InteractionLogged,
    InteractionLoggedV1,
    InteractionSummary,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.envelope import AnyCloudEvent, CloudEvent, EventData
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorDetectedV1,
    SurveyAnswered,
    SurveyAnsweredV1,
    SurveyComment,
    SurveyRequested,
    SurveyRequestedV1,
)
from rapport_schemas.metrics import MetricComputed
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)

# A new model is registered here once: decoding, JSON Schemas, AsyncAPI channels and messages
# follow (a model's ``topic`` says which channel it is on).
EVENT_MODELS: tuple[type[EventData], ...] = (
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
    ContactUpdatedV1,
    ContactConsentChanged,
    ContactsMerged,
    ContactErased,
    ErasureCompleted,
    InteractionLogged,
    InteractionLoggedV1,
    PurchaseRecorded,
    CaseResolved,
    SlaBreached,
    ContactPersonalData,
    InteractionSummary,
    SurveyRequested,
    SurveyRequestedV1,
    SurveyAnswered,
    SurveyAnsweredV1,
    DetractorDetected,
    DetractorDetectedV1,
    SurveyComment,
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
    """Parse and validate a structured-mode CloudEvent, or raise ``UndecodableEvent``.

    Size and nesting depth are checked before parsing; any other failure of parsing or validation
    (whatever the input provokes) is an ``UndecodableEvent`` too, so no input escapes a consumer.
    """
    if len(raw) > MAX_EVENT_BYTES:
        raise UndecodableEvent("too_large", f"{len(raw)} bytes > {MAX_EVENT_BYTES}")
    try:
        return _validated(_parsed(raw))
    except UndecodableEvent:
        raise
    except Exception as error:  # hostile input must never fail the batch
        raise UndecodableEvent("undecodable", type(error).__name__) from None


def _parsed(raw: bytes) -> object:
    try:
        return raw_json.loads(raw)
    except raw_json.HostileJson as error:
        raise UndecodableEvent(error.reason, error.detail) from None


def _validated(document: object) -> CloudEvent[EventData]:
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
