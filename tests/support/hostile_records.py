"""Hostile Kafka records (hypothesis strategies), each with the dead-letter reason it must get.

Classes: nesting depth, size from just over the consumers' limit (256 KiB) up to and beyond the
broker's ``max.message.bytes`` (Kafka's default, 1,048,588: ``deploy/local/kafka`` does not change
it), invalid UTF-8, NaN/Infinity/1e400/lone surrogates, every JSON type in every field of the
envelope and of the payload, unknown types, a missing or foreign key, a tombstone; headers that are
not UTF-8 or have no value ride along on any of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from rapport_schemas import wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import Direction, InteractionKind, InteractionLogged

CONSUMER_LIMIT = 256 * 1024
BROKER_LIMIT = 1_048_588  # message.max.bytes, the broker default
RECORD_OVERHEAD = 200  # batch and record headers around a value

# Fields whose type is a JSON string: any other JSON type is refused (not the times: a number is a
# valid Unix time there).
ENVELOPE_STRINGS = ("specversion", "id", "source", "type", "subject")
DATA_STRINGS = ("interaction_id", "contact_id", "channel", "direction", "kind")
NOT_STRINGS: tuple[Any, ...] = (None, True, False, 0, -7, 3.5, [], ["x"], {}, {"$where": "1"})
NOT_OBJECTS: tuple[Any, ...] = (None, True, 1, 2.5, "data", [], [{"contact_id": "c"}])
RAW_LITERALS = ("NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"')


@dataclass(frozen=True)
class HostileRecord:
    reason: str  # the dead-letter reason, or "refused_by_broker"
    value: bytes | None
    key: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


def good_event(contact: str, n: int) -> tuple[bytes, dict[str, Any]]:
    """A valid InteractionLogged as a JSON document, and its key."""
    logged = InteractionLogged(
        interaction_id=f"hostile-{n}",
        contact_id=contact,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        kind=InteractionKind.INQUIRY,
        occurred_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
    )
    return contact.encode(), json.loads(wrap(logged, source="/hostile").model_dump_json())


def _deep(depth: int, opener: str) -> bytes:
    if opener == "[":
        return b"[" * depth + b"]" * depth
    return b'{"a": ' * depth + b"1" + b"}" * depth


deep = st.builds(
    lambda depth, opener: HostileRecord("too_deep", _deep(depth, opener), b"c"),
    st.integers(33, 35_000),  # `{"a": ` and `}` are 7 bytes a level: 35,000 stay under 256 KiB
    st.sampled_from(["[", "{"]),
)
too_large = st.builds(
    lambda size: HostileRecord("too_large", b'{"pad": "' + b"x" * size + b'"}', b"c"),
    st.integers(CONSUMER_LIMIT, BROKER_LIMIT - RECORD_OVERHEAD - 20),
)
beyond_broker = st.builds(
    lambda size: HostileRecord("refused_by_broker", b"x" * size, b"c"),
    st.integers(BROKER_LIMIT + 1, 2 * BROKER_LIMIT),
)
invalid_utf8 = st.builds(
    lambda prefix, junk: HostileRecord("invalid_json", prefix + b"\xff" + junk, b"c"),
    st.sampled_from([b"", b'{"id": "', b'{"specversion": "1.0", "data": {"name": "']),
    st.binary(max_size=64),
)


@st.composite
def mutated_events(draw: st.DrawFn, contact: str) -> HostileRecord:
    """A valid event with one field of the envelope or the payload given another JSON type,
    a non-finite number or lone surrogate, an unknown type, or a missing or foreign key."""
    key, document = good_event(contact, draw(st.integers(0, 10**9)))
    how = draw(st.sampled_from(["envelope", "data", "data_object", "literal", "type", "key"]))
    if how == "envelope":
        document[draw(st.sampled_from(ENVELOPE_STRINGS))] = draw(st.sampled_from(NOT_STRINGS))
        return HostileRecord("invalid_envelope", json.dumps(document).encode(), key)
    if how == "data":
        document["data"][draw(st.sampled_from(DATA_STRINGS))] = draw(st.sampled_from(NOT_STRINGS))
        return HostileRecord("schema_violation", json.dumps(document).encode(), key)
    if how == "data_object":
        document["data"] = draw(st.sampled_from(NOT_OBJECTS))
        return HostileRecord("invalid_envelope", json.dumps(document).encode(), key)
    if how == "literal":
        field = draw(st.sampled_from(["interaction_id", "contact_id", "channel"]))
        document["data"][field] = "\x02RAW\x02"
        text = json.dumps(document).replace(
            '"\\u0002RAW\\u0002"', draw(st.sampled_from(RAW_LITERALS))
        )
        return HostileRecord("invalid_json", text.encode(), key)
    if how == "type":
        document["type"] = draw(st.sampled_from(["rapport.nope.v1", "", "x" * 129]))
        reason = "unknown_type" if document["type"] == "rapport.nope.v1" else "invalid_envelope"
        return HostileRecord(reason, json.dumps(document).encode(), key)
    foreign = draw(st.sampled_from([None, b"someone-else", b"", b"\xff\xfe"]))
    return HostileRecord("key_mismatch", json.dumps(document).encode(), foreign)


JUNK_HEADERS = st.sampled_from(
    [(), (("junk", b"\xff\xfe"),), (("empty", None),), (("traceparent", b"00-zz-yy-01"),)]
)


def hostile_records(contact: str) -> st.SearchStrategy[HostileRecord]:
    records = st.one_of(
        deep,
        too_large,
        beyond_broker,
        invalid_utf8,
        st.just(HostileRecord("invalid_json", None, b"c")),  # a tombstone
        mutated_events(contact),
        mutated_events(contact),
        mutated_events(contact),
    )
    return st.builds(
        lambda record, headers: HostileRecord(record.reason, record.value, record.key, headers),
        records,
        JUNK_HEADERS,
    )
