"""Metrics' contact directory needs no personal field: a v2 registration (facts only) folds to
the same segment document as the v1 one of the history, and neither holds a personal value."""

from __future__ import annotations

from datetime import UTC, datetime

from rapport_kit.projection import ProjectedEvent, fold
from rapport_metrics.views.directory import ContactDirectory
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.contacts import ContactProfile, ContactRegistered, ContactRegisteredV1

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Kovács Eszter",
    email="eszter@example.hu",
    phone="+36301234567",
    company="Kovács Kft.",
    language="hu-HU",
    time_zone="Europe/Budapest",
    country="HU",
    currency="HUF",
)


def directory_of(data: EventData) -> dict[str, object]:
    received = ProjectedEvent(wrap(data, source="/test"), topics.CONTACTS, 0, 0)
    document = fold(ContactDirectory(), {}, [received]).changed["c1"]
    return {k: v for k, v in document.items() if not k.startswith("_")}


def test_v1_and_v2_registrations_fold_to_the_same_segment_facts() -> None:
    v1 = directory_of(ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=T0))
    v2 = directory_of(ContactRegistered(contact_id="c1", profile=PROFILE.facts(), registered_at=T0))
    print(f"\nmetrics directory from v1 and from v2: {v2}")
    assert v1 == v2
    personal = {PROFILE.name, PROFILE.email, PROFILE.phone, PROFILE.company}
    assert not personal & {str(value) for value in v2.values()}
