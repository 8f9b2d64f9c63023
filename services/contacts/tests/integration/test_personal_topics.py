"""The 360° view and the export read a v2 contact's personal data from the personal topics (real
Kafka and FerretDB): profile, interaction summary and survey comment are joined in, a tombstone
takes its item out, and an erased contact gets nothing back from a late personal record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from rapport_contacts.bootstrap import create_app
from rapport_schemas import EventData, topics, wrap
from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    ContactPersonalData,
    ContactProfile,
    ContactRegistered,
    Direction,
    InteractionKind,
    InteractionLogged,
    InteractionSummary,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyComment, SurveyKind
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
SUMMARY = "Asked for the invoice in Turkish, twice"
COMMENT = "Quick answer, thank you"
PROFILE = ContactProfile(
    name="Ayşe Yılmaz",
    email="ayse.yilmaz@example.com.tr",
    phone="+905321234567",
    language="tr-TR",
    time_zone="Europe/Istanbul",
    country="TR",
    currency="TRY",
)


class Topics:
    """Publishes as the other services (and contacts' own v2 producer) do, tombstones too."""

    def __init__(self, producer: AIOKafkaProducer, namespace: str) -> None:
        self.producer = producer
        self.prefix = f"{namespace}."

    async def publish(self, data: EventData) -> None:
        raw = wrap(data, source="/test/v2").model_dump_json().encode()
        key = data.partition_key().encode()
        await self.producer.send_and_wait(self.prefix + data.topic, raw, key=key)

    async def tombstone(self, topic: str, key: str) -> None:
        await self.producer.send_and_wait(self.prefix + topic, None, key=key.encode())


def interaction(contact_id: str) -> InteractionLogged:
    return InteractionLogged(
        interaction_id=f"in-{contact_id}",
        contact_id=contact_id,
        channel=Channel.PHONE,
        direction=Direction.INBOUND,
        kind=InteractionKind.INQUIRY,
        occurred_at=T0 + timedelta(hours=1),
        has_summary=True,
    )


def answer(contact_id: str) -> SurveyAnswered:
    return SurveyAnswered(
        survey_id=f"sv-{contact_id}",
        contact_id=contact_id,
        kind=SurveyKind.CSAT,
        score=5,
        answered_at=T0 + timedelta(hours=2),
        has_comment=True,
    )


def texts(contact_id: str) -> list[EventData]:
    return [
        InteractionSummary(
            contact_id=contact_id,
            interaction_id=f"in-{contact_id}",
            summary=SUMMARY,
            occurred_at=T0 + timedelta(hours=1),
        ),
        SurveyComment(
            contact_id=contact_id,
            survey_id=f"sv-{contact_id}",
            comment=COMMENT,
            answered_at=T0 + timedelta(hours=2),
        ),
    ]


def shown(view: dict[str, Any]) -> tuple[object, ...]:
    """The view's personal fields: the profile's, the interaction's summary, the CSAT comment."""
    summaries = [
        i["details"].get("summary")
        for i in view.get("timeline", [])
        if "has_summary" in i["details"]
    ]
    profile = view.get("profile") or {}
    csat = view.get("latest_scores", {}).get("csat", {})
    return (profile.get("name"), profile.get("email"), summaries, csat.get("comment"))


async def view_of(client: httpx.AsyncClient, contact_id: str) -> tuple[object, ...]:
    answered = await client.get(f"/contacts/{contact_id}/view")
    return shown(answered.json()) if answered.status_code == 200 else ()


async def test_the_view_joins_a_v2_contacts_personal_records_and_tombstones_take_them_out(
    settings, infra, namespace
) -> None:
    contact_id = f"v2{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    async with serving(create_app(settings)) as client:
        await producer.start()
        try:
            kafka = Topics(producer, namespace)
            # the personal records first: the view must not depend on which topic is read first
            await kafka.publish(ContactPersonalData.of(contact_id, PROFILE, recorded_at=T0))
            for text in texts(contact_id):
                await kafka.publish(text)
            registered = ContactRegistered(
                contact_id=contact_id, profile=PROFILE.facts(), registered_at=T0
            )
            for event in (registered, interaction(contact_id), answer(contact_id)):
                await kafka.publish(event)
            whole = (PROFILE.name, PROFILE.email, [SUMMARY], COMMENT)
            await eventually(lambda: view_of(client, contact_id), expected=whole, timeout=60)
            print(f"\nview of a v2 contact with its personal records: {whole}")

            await kafka.tombstone(topics.CONTACTS_PERSONAL, contact_id)
            await kafka.tombstone(
                topics.CONTACTS_PERSONAL, f"{contact_id}:interaction:in-{contact_id}"
            )
            await kafka.tombstone(topics.FEEDBACK_PERSONAL, f"{contact_id}:survey:sv-{contact_id}")
            gone = (None, None, [None], None)
            await eventually(lambda: view_of(client, contact_id), expected=gone, timeout=60)
            print(f"view after the three tombstones: {gone}")
        finally:
            await producer.stop()


async def export_texts(client: httpx.AsyncClient, contact_id: str) -> object:
    exported = await client.get(f"/contacts/{contact_id}/export")
    if exported.status_code != 200:
        return exported.status_code
    body = exported.json()
    return (
        [i.get("summary") for i in body["interactions"]],
        [a.get("comment") for a in body["survey_answers"]],
    )


async def test_the_export_joins_summaries_and_comments_and_an_erasure_is_final(
    settings, infra, namespace, mongo_db, profile
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap, acks="all")
    app = create_app(settings)
    registry = app.state.runtime.registry
    async with serving(app) as client:
        created = await client.post("/contacts", json={"profile": profile()})
        contact_id = created.json()["contact_id"]
        await producer.start()
        try:
            kafka = Topics(producer, namespace)
            await kafka.publish(interaction(contact_id))
            await kafka.publish(answer(contact_id))
            for text in texts(contact_id):
                await kafka.publish(text)
            whole = ([SUMMARY], [COMMENT])
            await eventually(lambda: export_texts(client, contact_id), expected=whole, timeout=60)
            print(f"\nexport of the v2 interaction and answer: {whole}")

            await kafka.tombstone(
                topics.CONTACTS_PERSONAL, f"{contact_id}:interaction:in-{contact_id}"
            )
            without_summary = ([None], [COMMENT])
            await eventually(
                lambda: export_texts(client, contact_id), expected=without_summary, timeout=60
            )
            print(f"export after the summary's tombstone: {without_summary}")

            assert (await client.delete(f"/contacts/{contact_id}")).status_code == 200

            async def folded_erasure() -> tuple[object, object]:
                record = await mongo_db["contact_records"].find_one({"_id": contact_id})
                part = await mongo_db["contact_view_personal"].find_one({"_id": contact_id})
                return (record or {}).get("status"), (part or {}).get("status")

            await eventually(folded_erasure, expected=("erased", "erased"), timeout=60)
            for text in texts(contact_id):  # read after the erasure, as a rebuild may read them
                await kafka.publish(text)

            def consumed(consumer: str, data: EventData) -> float:
                labels = {"consumer": consumer, "event_type": data.event_type}
                return registry.get_sample_value("rapport_events_consumed_total", labels) or 0.0

            async def late_ones_read() -> bool:
                return all(
                    consumed(consumer, text) == 2
                    for consumer in ("view", "records")
                    for text in texts(contact_id)
                )

            await eventually(late_ones_read, expected=True, timeout=60)
            for collection in ("contact_records", "contact_view_personal"):
                document = await mongo_db[collection].find_one({"_id": contact_id}) or {}
                kept = sorted(k for k in document if not k.startswith("_"))
                print(f"{collection} after late personal records: {kept}")
                assert kept == ["contact_id", "erased_at", "status"]
            assert (await client.get(f"/contacts/{contact_id}/export")).status_code == 410
        finally:
            await producer.stop()
