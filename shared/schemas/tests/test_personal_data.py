"""v2 contacts events carry nothing personal; the personal records, their keys, the v1 history and
the ``rapportcopyof`` extension of v1 copies (issue 20)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rapport_schemas import BY_TYPE, decode, topics, wrap
from rapport_schemas.asyncapi import document
from rapport_schemas.contacts import (
    PERSONAL_PROFILE_FIELDS,
    ContactFacts,
    ContactPersonalData,
    ContactPersonalEvent,
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
    ContactUpdatedV1,
    ErasureCompleted,
    InteractionLogged,
    InteractionLoggedV1,
    InteractionSummary,
    interaction_summary_key,
)

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ada Example",
    email="ada@example.org",
    phone="+491701234567",
    company="Example GmbH",
    language="de-DE",
    time_zone="Europe/Berlin",
    country="DE",
    currency="EUR",
)
PERSONAL_VALUES = ("Ada Example", "ada@example.org", "+491701234567", "Example GmbH")


def _interaction(model: type[InteractionLogged], **extra: object) -> InteractionLogged:
    fields = {"channel": "email", "direction": "inbound", "kind": "complaint", "occurred_at": AT}
    return model.model_validate({"interaction_id": "in_1", "contact_id": "ct_1", **fields, **extra})


def test_the_facts_are_the_profile_without_its_personal_fields() -> None:
    assert {"name", "email", "phone", "company", "external_ids"} == PERSONAL_PROFILE_FIELDS
    assert set(ContactFacts.model_fields) | PERSONAL_PROFILE_FIELDS == set(
        ContactProfile.model_fields
    )
    assert PROFILE.facts() == ContactFacts.model_validate(
        PROFILE.model_dump(exclude=set(PERSONAL_PROFILE_FIELDS))
    )
    assert type(PROFILE.facts()) is ContactFacts


def test_a_v2_event_given_a_whole_profile_keeps_only_its_facts() -> None:
    registered = ContactRegistered(contact_id="ct_1", profile=PROFILE, registered_at=AT)
    updated = ContactUpdated(
        contact_id="ct_1", profile=PROFILE, changed_fields=("email",), updated_at=AT
    )
    logged = _interaction(InteractionLogged, summary="Ada's parcel never came", has_summary=True)
    for event in (registered, updated, logged):
        raw = wrap(event, source="/t").model_dump_json()
        assert not [value for value in PERSONAL_VALUES if value in raw]
        assert "parcel" not in raw
    assert type(registered.profile) is ContactFacts and type(updated.profile) is ContactFacts
    assert registered.event_type == "rapport.contacts.contact_registered.v2"
    assert logged.has_summary and "summary" not in InteractionLogged.model_fields


def test_v1_history_decodes_as_its_v1_class_a_subclass_of_v2_with_the_personal_fields() -> None:
    registered = ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT)
    updated = ContactUpdatedV1(
        contact_id="ct_1", profile=PROFILE, changed_fields=("name",), updated_at=AT
    )
    logged = _interaction(InteractionLoggedV1, summary="parcel lost")
    for event in (registered, updated, logged):
        decoded = decode(wrap(event, source="/t").model_dump_json().encode()).data
        assert type(decoded) is type(event) and decoded == event
        assert BY_TYPE[event.superseded_by] is type(event).__mro__[1]
    assert isinstance(registered, ContactRegistered) and registered.profile.name == "Ada Example"
    assert isinstance(logged, InteractionLogged) and logged.has_summary
    assert not _interaction(InteractionLoggedV1).has_summary
    assert "has_summary" not in json.loads(logged.model_dump_json())  # the v1 record as it was


def test_personal_records_are_on_the_personal_topic_keyed_by_contact_and_item() -> None:
    personal = ContactPersonalData.of("ct_1", PROFILE, recorded_at=AT)
    summary = InteractionSummary(
        contact_id="ct_1", interaction_id="in_1", summary="parcel lost", occurred_at=AT
    )
    assert (personal.name, personal.email, personal.phone) == PERSONAL_VALUES[:3]
    assert {type(personal).topic, type(summary).topic} == {topics.CONTACTS_PERSONAL}
    assert issubclass(InteractionSummary, ContactPersonalEvent)
    assert wrap(personal, source="/t").partitionkey == "ct_1"
    event = wrap(summary, source="/t")
    assert event.partitionkey == "ct_1:interaction:in_1" == interaction_summary_key("ct_1", "in_1")
    assert event.subject == "ct_1"
    assert ErasureCompleted.topic == topics.CONTACTS
    assert topics.PERSONAL == ("rapport.contacts.personal", "rapport.feedback.personal")
    assert not set(topics.PERSONAL) & set(topics.ALL)
    assert topics.is_personal("acme.rapport.feedback.personal", prefix="acme.")
    assert not topics.is_personal("rapport.contacts.personal", prefix="acme.")
    assert not topics.is_personal(topics.CONTACTS)


def test_a_v1_copy_names_the_v2_event_it_copies_and_an_event_without_it_has_none() -> None:
    original = wrap(
        ContactRegistered(contact_id="ct_1", profile=PROFILE, registered_at=AT), source="/t"
    )
    copy = wrap(
        ContactRegisteredV1(contact_id="ct_1", profile=PROFILE, registered_at=AT),
        source="/t",
        copy_of=original.id,
    )
    assert decode(copy.model_dump_json().encode()).rapportcopyof == original.id
    assert "rapportcopyof" not in json.loads(original.model_dump_json())
    assert decode(original.model_dump_json().encode()).rapportcopyof is None


def test_the_personal_channels_carry_the_personal_records() -> None:
    channels = document()["channels"]
    assert set(channels["contactsPersonal"]["messages"]) == {
        "ContactPersonalData",
        "InteractionSummary",
        "PersonalTombstone",
    }
    assert "PersonalTombstone" in channels["feedbackPersonal"]["messages"]
    assert "PersonalTombstone" not in channels["contactsEvents"]["messages"]
    assert "tombstone" in channels["contactsPersonal"]["description"]
    events = set(channels["contactsEvents"]["messages"])
    assert {"ContactRegistered", "ContactRegisteredV1", "ErasureCompleted"} <= events
    assert {"InteractionLogged", "InteractionLoggedV1", "ContactUpdatedV1"} <= events
