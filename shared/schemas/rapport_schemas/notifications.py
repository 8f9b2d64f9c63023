"""Events published by the notifications service on ``rapport.notifications.events``."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from rapport_schemas import topics
from rapport_schemas.common import Channel, Consent, ContactId, EntityId
from rapport_schemas.envelope import EventData


class NotificationEvent(EventData):
    topic: ClassVar[str] = topics.NOTIFICATIONS


class NotificationScheduled(NotificationEvent):
    event_type: ClassVar[str] = "rapport.notifications.notification_scheduled.v1"

    notification_id: EntityId
    contact_id: ContactId
    template: str = Field(max_length=64)
    channel: Channel
    deliver_at: AwareDatetime
    reason: str = Field(max_length=64, description="quiet_hours, weekend, public_holiday…")
    trigger_event_id: str = Field(max_length=128)


class NotificationSent(NotificationEvent):
    event_type: ClassVar[str] = "rapport.notifications.notification_sent.v1"

    notification_id: EntityId
    contact_id: ContactId = Field(description="Recipient contact (or the one concerned, internal).")
    template: str = Field(max_length=64)
    channel: Channel
    locale: str = Field(max_length=35, description="The locale actually rendered, after fallback.")
    consent: Consent | None = Field(default=None, description="None only for internal alerts.")
    transactional: bool
    internal: bool = False
    trigger_event_id: str = Field(max_length=128)
    sent_at: AwareDatetime


class NotificationFailed(NotificationEvent):
    event_type: ClassVar[str] = "rapport.notifications.notification_failed.v1"

    notification_id: EntityId
    contact_id: ContactId
    template: str = Field(max_length=64)
    channel: Channel | None = None
    reason: str = Field(max_length=200)
    permanent: bool
    attempts: int = Field(ge=0)
    trigger_event_id: str = Field(max_length=128)
    failed_at: AwareDatetime
