"""The contact directory projection: newest facts win, merges point on, erasure forgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rapport_kit.projection import ProjectedEvent, fold
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.views.directory import DirectoryProjection
from rapport_schemas import EventData, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactConsentChanged,
    ContactErased,
    ContactProfile,
    ContactRegisteredV1,
    ContactsMerged,
    ContactUpdatedV1,
    FormOfAddress,
)

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ayşe",
    email="a@example.com.tr",
    language="tr-TR",
    time_zone="Europe/Istanbul",
    country="TR",
    currency="TRY",
)


def received(data: EventData, offset: int) -> ProjectedEvent:
    event = wrap(data, source="/test")
    return ProjectedEvent(event, "t", 0, offset)


def consent(granted: bool, at: datetime) -> Consent:
    return Consent(channel=Channel.EMAIL, granted=granted, source="form", changed_at=at)


def folded(*events: EventData) -> ContactCard:
    batch = [received(data, offset) for offset, data in enumerate(events)]
    result = fold(DirectoryProjection(), {}, batch)
    return ContactCard.model_validate(result.changed["c1"])


def test_registration_and_consent_changes_build_the_card() -> None:
    card = folded(
        ContactRegisteredV1(
            contact_id="c1", profile=PROFILE, consents=(consent(True, T0),), registered_at=T0
        ),
        ContactConsentChanged(contact_id="c1", consent=consent(False, T0 + timedelta(days=1))),
        ContactConsentChanged(contact_id="c1", consent=consent(True, T0 - timedelta(days=1))),
    )
    assert (card.name, card.time_zone, card.country) == ("Ayşe", "Europe/Istanbul", "TR")
    assert card.consent(Channel.EMAIL) is None  # the late, older grant does not win


def test_a_merged_card_points_to_its_survivor_and_an_erased_one_forgets() -> None:
    registered = ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=T0)
    merged = folded(registered, ContactsMerged(contact_id="c1", survivor_id="c2", merged_at=T0))
    assert merged.merged_into == "c2" and merged.name == "Ayşe"
    erased = folded(registered, ContactErased(contact_id="c1", erased_at=T0))
    assert erased.erased and erased.name is None and erased.email is None and not erased.consents


def test_the_form_of_address_is_kept_changed_and_cleared_with_the_profile() -> None:
    chosen = PROFILE.model_copy(update={"form_of_address": FormOfAddress.FEMININE})
    registered = ContactRegisteredV1(contact_id="c1", profile=chosen, registered_at=T0)
    assert folded(registered).form_of_address == FormOfAddress.FEMININE
    cleared = ContactUpdatedV1(
        contact_id="c1",
        profile=PROFILE,
        changed_fields=("form_of_address",),
        updated_at=T0 + timedelta(hours=1),
    )
    assert folded(registered, cleared).form_of_address is None
    assert (
        folded(
            ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=T0)
        ).form_of_address
        is None
    )
