"""CloudEvents 1.0 envelope, structured JSON mode over the Kafka protocol binding.

Why structured mode: subscribers such as data warehouses and sink connectors often drop Kafka
headers; a self-contained JSON value keeps every attribute with the data. The Kafka message key is
the CloudEvents ``partitionkey`` (the contact id) and W3C trace context travels in the
``traceparent``/``tracestate`` Kafka headers (OpenTelemetry messaging conventions).
See https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
# Where every service serves the JSON Schemas (``GET /schemas/<file>``): the local contacts
# service by default; a deployment points it at its own (``RAPPORT_<SERVICE>_SCHEMA_BASE_URL``).
DEFAULT_SCHEMA_BASE_URL = "http://127.0.0.1:8001/schemas/"
# One value per process (like the logging configuration), set once when a service starts.
_in_force = {"schema_base_url": DEFAULT_SCHEMA_BASE_URL}
SEQUENCE_DIGITS = 16
SEQUENCE_DESCRIPTION = (
    "CloudEvents `sequence` extension: the event's place in its stream (`sequencestream`), a "
    "zero-padded decimal of 16 digits that a plain string comparison orders. Published again, "
    "an event carries the same `id` and the same `sequence`. A subscriber drops an event whose "
    "`id` it has seen (a repeat) and, if it keeps the latest state, one whose `sequence` is not "
    "above the last it applied from the same `source` and `sequencestream` (stale). Gaps are "
    "normal (events an erasure dropped before they were sent). See the README, 'Duplicates and "
    "order'."
)
STREAM_DESCRIPTION = (
    "Names the stream `sequence` counts in, opaque: the producer's record the event was written "
    "with (`contacts/<contact id>` for every contacts event, i.e. one stream per contact; "
    "feedback's per-contact decisions, a survey's answer, a notification's delivery; a metric's "
    "series point). Compare sequences only within one `source` and `sequencestream`."
)
COPY_OF_DESCRIPTION = (
    "Rapport's CloudEvents extension on a v1 copy of a v2 event, published during a migration "
    "(`PRODUCE_V1_EVENTS`) for subscribers not yet on v2: the `id` of the v2 event it copies "
    "(same `subject` and `sequence`). A subscriber reading v2 drops every event that carries it; "
    "one reading v1 reads only those (and the v1 history, which has none)."
)


class EventData(BaseModel):
    """Payload of one event type: a frozen fact; consumers ignore fields they do not know."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]

    def partition_key(self) -> str:
        """The Kafka key; per-contact ordering is the default."""
        return str(vars(self)["contact_id"])


DataT = TypeVar("DataT", bound=EventData)


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 structured-mode event carrying one Rapport payload."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=128, description="Unique; the idempotency key.")
    source: str = Field(min_length=1, max_length=256, description="URI-reference of the producer.")
    type: str = Field(min_length=1, max_length=128)
    time: AwareDatetime
    subject: str = Field(min_length=1, max_length=128, description="The contact id.")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str = Field(description="URI of the JSON Schema of `data` (not of the envelope).")
    partitionkey: str = Field(min_length=1, max_length=256)
    # Set when the event is sent (the outbox numbers it from its document's count); left out of
    # the JSON until then, as CloudEvents has no null attributes.
    sequence: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description=SEQUENCE_DESCRIPTION,
        exclude_if=lambda value: value is None,
    )
    sequencestream: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description=STREAM_DESCRIPTION,
        exclude_if=lambda value: value is None,
    )
    rapportcopyof: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description=COPY_OF_DESCRIPTION,
        exclude_if=lambda value: value is None,
    )
    data: DataT


class AnyCloudEvent(BaseModel):
    """The envelope with its payload still undecoded: what a consumer reads first."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=128)
    source: str = Field(min_length=1, max_length=256)
    type: str = Field(min_length=1, max_length=128)
    time: AwareDatetime
    subject: str = Field(min_length=1, max_length=128)
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    partitionkey: str | None = None
    sequence: str | None = Field(default=None, description=SEQUENCE_DESCRIPTION)
    sequencestream: str | None = Field(default=None, description=STREAM_DESCRIPTION)
    rapportcopyof: str | None = Field(default=None, description=COPY_OF_DESCRIPTION)
    data: dict[str, Any]


def sequence_text(number: int) -> str:
    """The ``sequence`` of a stream's ``number``-th event (or of a time in microseconds): zero
    padded, so a plain string comparison orders it."""
    return f"{number:0{SEQUENCE_DIGITS}d}"


def use_schema_base_url(base_url: str) -> None:
    """Where this process's events say their schemas are; the kit sets it from the settings."""
    _in_force["schema_base_url"] = base_url if base_url.endswith("/") else f"{base_url}/"


def schema_base_url() -> str:
    return _in_force["schema_base_url"]


def envelope_schema_file(event_type: str) -> str:
    """The envelope's JSON Schema (``specversion``, ``id``, … and ``data``)."""
    return f"{event_type}.json"


def data_schema_file(event_type: str) -> str:
    """The JSON Schema of ``data``: what ``dataschema`` names (CloudEvents 1.0, section 3.1.1)."""
    return f"{event_type}.data.json"


def data_schema_url(event_type: str, *, base_url: str | None = None) -> str:
    return f"{base_url or schema_base_url()}{data_schema_file(event_type)}"


def wrap(
    data: DataT,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
    sequence: str | None = None,
    stream: str | None = None,
    copy_of: str | None = None,
) -> CloudEvent[DataT]:
    """Put a payload in its envelope; ids are UUIDv4 unless the caller derives a stable one.

    ``copy_of``: the id of the v2 event this v1 payload copies (the ``rapportcopyof`` extension).
    """
    key = data.partition_key()
    envelope: CloudEvent[DataT] = CloudEvent[type(data)](  # type: ignore[misc, operator]
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=data.event_type,
        time=time or datetime.now(UTC),
        subject=str(getattr(data, "contact_id", key)),
        dataschema=data_schema_url(data.event_type),
        partitionkey=key,
        sequence=sequence,
        sequencestream=stream,
        rapportcopyof=copy_of,
        data=data,
    )
    return envelope
