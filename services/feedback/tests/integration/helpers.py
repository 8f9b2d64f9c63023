"""Inject contact events as the contacts service would, and read what feedback published."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from aiokafka import ConsumerRecord

from rapport_kit.settings import DEVELOPMENT_LINK_KEY
from rapport_kit.signed_links import SURVEY_ANSWER, LinkClaims, sign_link
from rapport_schemas import CloudEvent, EventData, decode, topics, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    CaseResolved,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionLoggedV1,
)
from rapport_schemas.feedback import SurveyRequested
from tests.support.kafka import produce, read_until

DataT = TypeVar("DataT", bound=EventData)
T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)

PROFILE = ContactProfile(
    name="Ayşe Yılmaz",
    email="ayse@example.com.tr",
    language="tr-TR",
    time_zone="Europe/Istanbul",
    country="TR",
    currency="TRY",
    account_owner="agent-7",
)


def registered(contact: str) -> ContactRegistered:
    consent = Consent(channel=Channel.EMAIL, granted=True, source="web form", changed_at=T0)
    return ContactRegisteredV1(
        contact_id=contact, profile=PROFILE, consents=(consent,), registered_at=T0
    )


def case_resolved(contact: str, case: str) -> CaseResolved:
    return CaseResolved(
        case_id=case,
        contact_id=contact,
        channel=Channel.PHONE,
        opened_at=T0,
        resolved_at=T0,
        first_contact=True,
        interaction_count=1,
    )


def interaction(
    contact: str, interaction_id: str, kind: InteractionKind = InteractionKind.INQUIRY
) -> InteractionLogged:
    return InteractionLoggedV1(
        interaction_id=interaction_id,
        contact_id=contact,
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        kind=kind,
        occurred_at=T0,
        has_summary=kind is InteractionKind.COMPLAINT,  # the text itself: on contacts' topic
    )


async def publish(bootstrap: str, namespace: str, *events: CloudEvent[EventData]) -> None:
    for event in events:
        await produce(
            bootstrap,
            f"{namespace}.{topics.CONTACTS}",
            event.model_dump_json().encode(),
            key=event.partitionkey.encode(),
        )


def envelope(data: EventData) -> CloudEvent[EventData]:
    event: CloudEvent[EventData] = wrap(data, source="/test/contacts")
    return event


async def feedback_events(
    bootstrap: str, namespace: str, done: Callable[[list[CloudEvent[EventData]]], bool]
) -> list[CloudEvent[EventData]]:
    """Everything on the feedback topic, read until ``done`` holds (or the read times out)."""

    def decoded_done(records: list[object]) -> bool:
        return done([decode(r.value) for r in records])  # type: ignore[attr-defined]

    records = await read_until(bootstrap, f"{namespace}.{topics.FEEDBACK}", decoded_done)
    return [decode(record.value) for record in records]


async def personal_records(
    bootstrap: str, namespace: str, done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool]
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on feedback's personal topic (comments and tombstones), read until ``done``."""
    return await read_until(bootstrap, f"{namespace}.{topics.FEEDBACK_PERSONAL}", done)


def of_type(events: list[CloudEvent[EventData]], model: type[DataT]) -> list[DataT]:
    return [event.data for event in events if isinstance(event.data, model)]


def answer_link_token(request: SurveyRequested, key: str = DEVELOPMENT_LINK_KEY) -> str:
    """The token notifications puts in the invitation's link (signed with the default key)."""
    claims = LinkClaims(SURVEY_ANSWER, request.survey_id, request.expires_at)
    return sign_link(claims, key.encode())
