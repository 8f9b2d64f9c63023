"""The directory of a v2 contact: facts from its events, name, e-mail and phone from its personal
record, whichever is read first; a tombstone empties them; a message waits for both halves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport_kit.projection import Document, ProjectedEvent, Tombstone, fold
from rapport_notifications.domain.decision import UNKNOWN_CONTACT, Fail, Send, Wait, decide
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.templates import Template
from rapport_notifications.views.directory import DirectoryProjection
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactErased,
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
)
from services.notifications.tests.unit.samples import plan
from services.notifications.tests.unit.test_decisions import POLICY

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ayşe Yılmaz",
    email="ayse@example.com.tr",
    phone="+905321234567",
    language="tr-TR",
    time_zone="Europe/Istanbul",
    country="TR",
    currency="TRY",
)
CONSENT = Consent(channel=Channel.EMAIL, granted=True, source="form", changed_at=T0)
PERSONAL = ("Ayşe Yılmaz", "ayse@example.com.tr", "+905321234567")
offsets = iter(range(10_000))


def received(data: EventData, topic: str = topics.CONTACTS) -> ProjectedEvent:
    return ProjectedEvent(wrap(data, source="/test"), topic, 0, next(offsets))


def tombstone(key: str, topic: str = topics.CONTACTS_PERSONAL) -> ProjectedEvent:
    """A personal topic's record with a null value, as the kit hands it to projections."""
    data = Tombstone(personal_topic=topic, key=key, contact_id=key.partition(":")[0])
    return ProjectedEvent(wrap(data, source="/test"), topic, 0, next(offsets))


def registered() -> ProjectedEvent:
    data = ContactRegistered(
        contact_id="c1", profile=PROFILE.facts(), consents=(CONSENT,), registered_at=T0
    )
    return received(data)


def personal(*, email: str = "ayse@example.com.tr", hours: int = 0) -> ProjectedEvent:
    profile = PROFILE.model_copy(update={"email": email})
    data = ContactPersonalData.of("c1", profile, recorded_at=T0 + timedelta(hours=hours))
    return received(data, topics.CONTACTS_PERSONAL)


def card_after(*batches: list[ProjectedEvent]) -> ContactCard:
    stored: dict[str, Document] = {}
    for batch in batches:
        stored = {**stored, **fold(DirectoryProjection(), stored, batch).changed}
    return ContactCard.model_validate(stored["c1"])


@pytest.mark.parametrize("personal_first", [False, True])
def test_a_v2_card_has_its_facts_and_its_personal_record_in_either_order(
    personal_first: bool,
) -> None:
    batches = ([personal()], [registered()]) if personal_first else ([registered()], [personal()])
    card = card_after(*batches)
    got = (card.name, card.email, card.phone, card.country, card.time_zone)
    print(f"\ndirectory, personal record {'first' if personal_first else 'last'}: {got}")
    assert got == (*PERSONAL, "TR", "Europe/Istanbul")
    assert card.is_complete()


def test_a_v2_update_of_facts_keeps_name_email_and_phone() -> None:
    facts = PROFILE.facts().model_copy(update={"time_zone": "Europe/Berlin"})
    update = ContactUpdated(
        contact_id="c1", profile=facts, changed_fields=("time_zone",), updated_at=T0 + timedelta(1)
    )
    card = card_after([registered(), personal()], [received(update)])
    assert (card.name, card.email, card.phone, card.time_zone) == (*PERSONAL, "Europe/Berlin")


def test_the_newest_personal_record_wins_whichever_is_read_last() -> None:
    newer, older = personal(email="new@example.com.tr", hours=5), personal(hours=1)
    assert card_after([registered(), newer], [older]).email == "new@example.com.tr"
    v1 = ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=T0)
    assert card_after([newer], [received(v1)]).email == "new@example.com.tr"  # v1 is older


def test_a_profile_tombstone_empties_name_email_and_phone_for_good() -> None:
    card = card_after([registered(), personal()], [tombstone("c1")])
    assert (card.name, card.email, card.phone, card.country) == (None, None, None, "TR")
    v1 = ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=T0)
    again = card_after([registered(), personal()], [tombstone("c1")], [received(v1), personal()])
    assert (again.name, again.email) == (None, None)


def test_other_tombstones_name_no_card() -> None:
    batch = [tombstone("c1:interaction:i1"), tombstone("c1:survey:s1"), tombstone("_roll:0")]
    assert fold(DirectoryProjection(), {}, batch).changed == {}


def test_an_erased_card_takes_no_late_personal_record() -> None:
    first = registered()
    erased = received(ContactErased(contact_id="c1", erased_at=T0 + timedelta(days=1)))
    card = card_after([first, erased], [personal(hours=30)])
    assert card.erased and (card.name, card.email) == (None, None)


def test_a_message_waits_for_the_personal_record_then_is_sent_to_its_address() -> None:
    without = card_after([registered()])
    early = decide(plan(Template.WELCOME, received_at=T0), without, now=T0, policy=POLICY)
    print(f"\nwelcome before the personal record: {early}")
    assert isinstance(early, Wait) and early.until == T0 + timedelta(seconds=15)
    late = decide(
        plan(Template.WELCOME, received_at=T0), without, now=T0 + timedelta(hours=1), policy=POLICY
    )
    assert late == Fail(UNKNOWN_CONTACT)  # given up after the grace, as for an unknown contact
    sent = decide(
        plan(Template.WELCOME, received_at=T0),
        card_after([registered(), personal()]),
        now=T0,
        policy=POLICY,
    )
    assert isinstance(sent, Send) and sent.route.address == "ayse@example.com.tr"


def test_a_personal_record_alone_is_not_a_contact_to_write_to() -> None:
    alone = card_after([personal()])
    assert isinstance(
        decide(plan(Template.WELCOME, received_at=T0), alone, now=T0, policy=POLICY), Wait
    )
