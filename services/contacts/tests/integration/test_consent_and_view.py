"""Consent changes are recorded with source and time; the 360° view folds every service's events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rapport_contacts.bootstrap import create_app
from rapport_schemas import EventData, decode, topics, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import ContactConsentChanged
from rapport_schemas.feedback import DetractorDetected, DetractorReason, SurveyAnswered, SurveyKind
from rapport_schemas.notifications import NotificationSent
from tests.support.kafka import eventually, produce, read_until
from tests.support.services import serving

pytestmark = pytest.mark.integration

WITHDRAWN_AT = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)


async def test_a_consent_change_is_stored_and_published_with_its_source_and_time(
    settings, infra, contacts_topic, profile
) -> None:
    async with serving(create_app(settings)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        changed = await client.put(
            f"/contacts/{contact_id}/consents/sms",
            json={
                "granted": False,
                "source": "sms-stop-keyword",
                "changed_at": WITHDRAWN_AT.isoformat(),
            },
        )
        assert changed.status_code == 200, changed.text
        bad = await client.put(
            f"/contacts/{contact_id}/consents/pigeon", json={"granted": True, "source": "x"}
        )
        assert bad.status_code == 422
        stored = (await client.get(f"/contacts/{contact_id}")).json()

    expected = Consent(
        channel=Channel.SMS, granted=False, source="sms-stop-keyword", changed_at=WITHDRAWN_AT
    )
    assert [Consent.model_validate(c) for c in stored["consents"]] == [expected]
    records = await read_until(infra.kafka_bootstrap, contacts_topic, lambda rs: len(rs) >= 2)
    event = decode(records[1].value)
    assert isinstance(event.data, ContactConsentChanged) and event.data.consent == expected
    assert records[1].key == contact_id.encode()


async def publish(infra, topic: str, data: EventData) -> None:  # type: ignore[no-untyped-def]
    raw = wrap(data, source="/test/other-service").model_dump_json().encode()
    await produce(infra.kafka_bootstrap, topic, raw, key=data.partition_key().encode())


async def test_the_360_view_reflects_events_from_the_other_services(
    settings, infra, namespace, profile
) -> None:
    now = datetime.now(UTC)
    async with serving(create_app(settings)) as client:
        contact_id = (await client.post("/contacts", json={"profile": profile()})).json()[
            "contact_id"
        ]
        await client.post(
            f"/contacts/{contact_id}/interactions",
            json={
                "channel": "live_chat",
                "direction": "inbound",
                "kind": "complaint",
                "case_id": "c-9",
            },
        )
        await client.post(
            f"/contacts/{contact_id}/purchases", json={"amount": "49.90", "currency": "EUR"}
        )
        feedback, notifications = (
            f"{namespace}.{topics.FEEDBACK}",
            f"{namespace}.{topics.NOTIFICATIONS}",
        )
        for kind, score in ((SurveyKind.NPS, 4), (SurveyKind.CES, 6)):
            answer = SurveyAnswered(
                survey_id=f"s-{kind}",
                contact_id=contact_id,
                kind=kind,
                score=score,
                answered_at=now,
            )
            await publish(infra, feedback, answer)
        await publish(
            infra,
            feedback,
            DetractorDetected(
                contact_id=contact_id,
                reason=DetractorReason.NPS_DETRACTOR,
                detected_at=now,
                score=4,
            ),
        )
        sent = NotificationSent(
            notification_id="n-1",
            contact_id=contact_id,
            template="complaint_acknowledgement",
            channel=Channel.EMAIL,
            locale="tr",
            transactional=True,
            trigger_event_id="e-1",
            sent_at=now + timedelta(seconds=1),
        )
        await publish(infra, notifications, sent)

        async def complete_view() -> dict:
            view = (await client.get(f"/contacts/{contact_id}/view")).json()
            return (
                view
                if view.get("notifications_sent") and len(view.get("latest_scores", {})) == 2
                else {}
            )

        view = await eventually(complete_view)

    assert view["profile"]["name"] == "Ayşe Yılmaz"
    assert {k: v["score"] for k, v in view["latest_scores"].items()} == {"nps": 4, "ces": 6}
    assert view["lifetime_value"] == {"EUR": "49.90"}
    assert [c["case_id"] for c in view["open_cases"]] == ["c-9"]
    assert len(view["open_complaints"]) == 1
    assert view["recent_notifications"][0]["template"] == "complaint_acknowledgement"
    types = [item["type"].split(".")[1] for item in view["timeline"]]
    assert {"contacts", "feedback", "notifications"} <= set(types)
    times = [item["at"] for item in view["timeline"]]
    assert times == sorted(times, reverse=True)  # newest first
