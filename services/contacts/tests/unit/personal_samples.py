"""A v2 contact's events and personal records, as the personal topics' readers fold them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from rapport_kit.projection import ProjectedEvent, Tombstone
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactErased,
    ContactFacts,
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionSummary,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyComment, SurveyKind

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
offsets = count()
PROFILE = ContactProfile(
    name="Kovács Eszter",
    email="eszter@example.hu",
    phone="+36301234567",
    language="hu-HU",
    time_zone="Europe/Budapest",
    country="HU",
    currency="HUF",
)
EMAIL_CONSENT = Consent(channel=Channel.EMAIL, granted=True, source="web", changed_at=T0)
SUMMARY = "Wants the invoice in Hungarian"
COMMENT = "Friendly, but the parcel was late"


def received(data: EventData, topic: str = topics.CONTACTS) -> ProjectedEvent:
    return ProjectedEvent(wrap(data, source="/test"), topic, 0, next(offsets))


def tombstone(key: str, topic: str = topics.CONTACTS_PERSONAL) -> ProjectedEvent:
    """A personal topic's record with a null value, as the kit hands it to projections."""
    data = Tombstone(personal_topic=topic, key=key, contact_id=key.partition(":")[0])
    return ProjectedEvent(wrap(data, source="/test"), topic, 0, next(offsets))


def registered(contact_id: str = "a") -> ProjectedEvent:
    data = ContactRegistered(
        contact_id=contact_id,
        profile=ContactFacts.model_validate(PROFILE.facts().model_dump()),
        consents=(EMAIL_CONSENT,),
        registered_at=T0,
    )
    return received(data)


def registered_v1(contact_id: str = "a") -> ProjectedEvent:
    data = ContactRegisteredV1(
        contact_id=contact_id, profile=PROFILE, consents=(EMAIL_CONSENT,), registered_at=T0
    )
    return received(data)


def personal_data(
    contact_id: str = "a", *, name: str = "Kovács Eszter", hours: int = 0
) -> ProjectedEvent:
    profile = PROFILE.model_copy(update={"name": name})
    data = ContactPersonalData.of(contact_id, profile, recorded_at=T0 + timedelta(hours=hours))
    return received(data, topics.CONTACTS_PERSONAL)


def interaction(contact_id: str = "a", interaction_id: str = "i1") -> ProjectedEvent:
    data = InteractionLogged(
        interaction_id=interaction_id,
        contact_id=contact_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        kind=InteractionKind.INQUIRY,
        occurred_at=T0 + timedelta(hours=1),
        has_summary=True,
    )
    return received(data)


def summary(contact_id: str = "a", interaction_id: str = "i1") -> ProjectedEvent:
    data = InteractionSummary(
        contact_id=contact_id,
        interaction_id=interaction_id,
        summary=SUMMARY,
        occurred_at=T0 + timedelta(hours=1),
    )
    return received(data, topics.CONTACTS_PERSONAL)


def answered(contact_id: str = "a", survey_id: str = "s1") -> ProjectedEvent:
    data = SurveyAnswered(
        survey_id=survey_id,
        contact_id=contact_id,
        kind=SurveyKind.NPS,
        score=7,
        answered_at=T0 + timedelta(hours=2),
        has_comment=True,
    )
    return received(data, topics.FEEDBACK)


def comment(contact_id: str = "a", survey_id: str = "s1") -> ProjectedEvent:
    data = SurveyComment(
        contact_id=contact_id,
        survey_id=survey_id,
        comment=COMMENT,
        answered_at=T0 + timedelta(hours=2),
    )
    return received(data, topics.FEEDBACK_PERSONAL)


def erased(contact_id: str = "a") -> ProjectedEvent:
    return received(ContactErased(contact_id=contact_id, erased_at=T0 + timedelta(days=1)))


def v2_contact(contact_id: str = "a") -> tuple[list[ProjectedEvent], list[ProjectedEvent]]:
    """The contact's events, and its personal records (another topic: any order between them)."""
    events = [registered(contact_id), interaction(contact_id), answered(contact_id)]
    records = [personal_data(contact_id), summary(contact_id), comment(contact_id)]
    return events, records
