"""The dataset the contacts, feedback and notifications services get (the "crm" prefix).

It is the metrics dataset's own contact-topic events and survey answers, with two changes:
registrations carry consents (most contacts grant e-mail, some only in-app, some nothing) and,
as contacts publishes them (v2: no personal data on the events topic), each is followed by the
contact's ``ContactPersonalData`` with a name and an e-mail address on the personal topic, so
surveys and notifications have somewhere to go; and nothing the real services
would emit themselves (``SurveyRequested``, ``NotificationSent``) is synthesised, so every such
event on this prefix comes from a service under test and can be counted against the expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapport_schemas import wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import (
    ContactConsentChanged,
    ContactEvent,
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
)
from rapport_schemas.feedback import SurveyAnswered
from services.metrics.tests.integration.kpi_dataset import Dataset, Event


@dataclass
class CrmDataset:
    contacts: list[Event] = field(default_factory=list)
    activity: list[Event] = field(default_factory=list)
    closing: list[Event] = field(default_factory=list)

    @property
    def events(self) -> list[Event]:
        return self.contacts + self.activity + self.closing


def consents_of(number: int, registered: ContactRegistered) -> tuple[Consent, ...]:
    """7 in 10 grant e-mail, 2 in 10 refuse e-mail but grant in-app, 1 in 10 give nothing."""
    at, source = registered.registered_at, "signup-form"
    if number % 10 < 7:
        return (Consent(channel=Channel.EMAIL, granted=True, source=source, changed_at=at),)
    if number % 10 < 9:
        return (
            Consent(channel=Channel.EMAIL, granted=False, source=source, changed_at=at),
            Consent(channel=Channel.IN_APP, granted=True, source=source, changed_at=at),
        )
    return ()


def crm_dataset(base: Dataset) -> CrmDataset:
    data = CrmDataset()
    for number, event in enumerate(base.contacts):
        registered = event.data
        assert isinstance(registered, ContactRegistered)
        enriched = registered.model_copy(update={"consents": consents_of(number, registered)})
        data.contacts.append(wrap(enriched, source="/test"))
        profile = ContactProfile(
            **registered.profile.model_dump(),
            name="Test Person",
            email=f"{registered.contact_id}@example.test",
        )
        personal = ContactPersonalData.of(
            registered.contact_id, profile, recorded_at=registered.registered_at
        )
        data.contacts.append(wrap(personal, source="/test"))
    # Consent changes after registration are the metrics dataset's (the opt-out rate); the
    # replay routes every message by the consents given at registration, so they stay out.
    data.activity = [
        e
        for e in base.activity
        if isinstance(e.data, ContactEvent | SurveyAnswered)
        and not isinstance(e.data, ContactConsentChanged)
    ]
    data.closing = list(base.closing)
    return data
