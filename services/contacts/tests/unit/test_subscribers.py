"""The service's subscriber on FastStream's in-memory broker (``TestKafkaBroker``): events of the
three topics the 360° view reads reach its read model, folded into an in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from faststream.kafka import TestKafkaBroker

from rapport_contacts.read_models import VIEW_CONSUMER, read_models
from rapport_contacts.settings import ContactsSettings
from rapport_contacts.views.contact_view import ContactView
from rapport_kit.runtime import ServiceRuntime
from rapport_schemas import CloudEvent, EventData, topics, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import ContactProfile, ContactRegisteredV1
from rapport_schemas.feedback import SurveyAnswered, SurveyKind
from rapport_schemas.notifications import NotificationSent
from services.contacts.tests.unit.fakes import timeline_of
from tests.support.in_memory import InMemoryReadModel, publish_event

SETTINGS = ContactsSettings(environment="test", topic_prefix="unit.")
NOW = datetime(2026, 5, 18, 9, 0, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Ayşe Yılmaz", language="tr-TR", time_zone="Europe/Istanbul", country="TR", currency="TRY"
)


@pytest.fixture
def view() -> InMemoryReadModel:
    return InMemoryReadModel(read_models(SETTINGS)[VIEW_CONSUMER])


@pytest.fixture
async def broker(view: InMemoryReadModel) -> AsyncIterator[TestKafkaBroker]:
    runtime = ServiceRuntime.build(SETTINGS, service="contacts")
    runtime.consume(view.model.consumer, view, base_topics=view.model.topics)
    async with TestKafkaBroker(runtime.broker) as test_broker:
        yield test_broker


async def publish(broker: TestKafkaBroker, data: EventData, base: str, event_id: str) -> None:
    event: CloudEvent[EventData] = wrap(data, source="/test", event_id=event_id, time=NOW)
    await publish_event(broker, SETTINGS, event, base_topic=base)


async def test_events_of_every_service_reach_the_360_view(
    broker: TestKafkaBroker, view: InMemoryReadModel
) -> None:
    registered = ContactRegisteredV1(
        contact_id="c1", profile=PROFILE, consents=(), registered_at=NOW
    )
    answered = SurveyAnswered(
        survey_id="s1", contact_id="c1", kind=SurveyKind.NPS, score=9, answered_at=NOW
    )
    sent = NotificationSent(
        notification_id="n1",
        contact_id="c1",
        template="promotion",
        channel=Channel.EMAIL,
        locale="tr",
        transactional=False,
        trigger_event_id="t",
        sent_at=NOW,
    )

    await publish(broker, registered, topics.CONTACTS, "e1")
    await publish(broker, answered, topics.FEEDBACK, "e2")
    await publish(broker, sent, topics.NOTIFICATIONS, "e3")

    document = view.documents[ContactView.collection]["c1"]
    assert (document["status"], document["profile"]["name"]) == ("active", "Ayşe Yılmaz")
    assert document["latest_scores"]["nps"]["score"] == 9
    assert document["notifications_sent"] == 1
    timeline = await timeline_of(view.documents[ContactView.collection], "c1")
    assert [item["event_id"] for item in timeline] == ["e3", "e2", "e1"]


async def test_a_redelivered_event_changes_nothing(
    broker: TestKafkaBroker, view: InMemoryReadModel
) -> None:
    registered = ContactRegisteredV1(
        contact_id="c1", profile=PROFILE, consents=(), registered_at=NOW
    )
    await publish(broker, registered, topics.CONTACTS, "e1")
    before = dict(view.documents[ContactView.collection]["c1"])

    await publish(broker, registered, topics.CONTACTS, "e1")

    assert view.documents[ContactView.collection]["c1"] == before
