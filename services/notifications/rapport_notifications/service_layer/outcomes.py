"""Outcome events (ids derived from the delivery key, so a repeated write emits the same id) and
their recording: each one lands in the delivery's outbox in the same write as its new state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rapport_notifications.domain.decision import Postpone, Route
from rapport_notifications.domain.delivery import Claimed, State
from rapport_notifications.domain.templates import SPECS
from rapport_notifications.domain.triggers import NOTIFICATION_NAMESPACE, PlannedDelivery
from rapport_notifications.service_layer.ports import DeliveryCounters, Fields, OutcomeOutbox
from rapport_schemas import CloudEvent, wrap
from rapport_schemas.common import Channel
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)

SOURCE = "/rapport/notifications"


def _event_id(plan: PlannedDelivery, purpose: str) -> str:
    return str(uuid.uuid5(NOTIFICATION_NAMESPACE, f"{plan.key}|{purpose}"))


def sent(
    plan: PlannedDelivery, *, recipient_id: str, route: Route, locale: str, now: datetime
) -> CloudEvent[NotificationSent]:
    spec = SPECS[plan.template]
    data = NotificationSent(
        notification_id=plan.notification_id,
        contact_id=recipient_id,
        template=plan.template.value,
        channel=route.channel,
        locale=locale.replace("_", "-"),
        consent=route.consent,
        transactional=spec.transactional,
        internal=spec.internal,
        trigger_event_id=plan.trigger_event_id,
        sent_at=now,
    )
    return wrap(data, source=SOURCE, event_id=_event_id(plan, "sent"), time=now)


def failed(
    plan: PlannedDelivery,
    *,
    reason: str,
    permanent: bool,
    attempts: int,
    channel: Channel | None,
    now: datetime,
) -> CloudEvent[NotificationFailed]:
    data = NotificationFailed(
        notification_id=plan.notification_id,
        contact_id=plan.contact_id,
        template=plan.template.value,
        channel=channel,
        reason=reason,
        permanent=permanent,
        attempts=attempts,
        trigger_event_id=plan.trigger_event_id,
        failed_at=now,
    )
    return wrap(data, source=SOURCE, event_id=_event_id(plan, "failed"), time=now)


def scheduled(
    plan: PlannedDelivery, *, deliver_at: datetime, reason: str, channel: Channel, now: datetime
) -> CloudEvent[NotificationScheduled]:
    data = NotificationScheduled(
        notification_id=plan.notification_id,
        contact_id=plan.contact_id,
        template=plan.template.value,
        channel=channel,
        deliver_at=deliver_at,
        reason=reason,
        trigger_event_id=plan.trigger_event_id,
    )
    purpose = f"scheduled|{deliver_at.isoformat()}"
    return wrap(data, source=SOURCE, event_id=_event_id(plan, purpose), time=now)


@dataclass
class OutcomeRecorder:
    outbox: OutcomeOutbox
    counters: DeliveryCounters

    async def scheduled(self, claimed: Claimed, postpone: Postpone, now: datetime) -> None:
        event = scheduled(
            claimed.plan,
            deliver_at=postpone.until,
            reason=postpone.reason,
            channel=postpone.channel,
            now=now,
        )
        fields: Fields = {
            "state": State.SCHEDULED.value,
            "due_at": postpone.until,
            "postponed": postpone.reason,
        }
        await self.outbox.record(claimed, fields, [event])
        self.counters.count_scheduled(claimed.plan.template.value, postpone.reason)

    async def sent(
        self, claimed: Claimed, *, recipient_id: str, route: Route, locale: str, at: datetime
    ) -> None:
        event = sent(claimed.plan, recipient_id=recipient_id, route=route, locale=locale, now=at)
        fields: Fields = {
            "state": State.SENT.value,
            "sent_at": at,
            "recipient_id": recipient_id,
            "attempts": claimed.attempts + 1,
        }
        await self.outbox.record(claimed, fields, [event])
        self.counters.count_sent(claimed.plan.template.value, route.channel.value, locale)

    async def failed(
        self,
        claimed: Claimed,
        reason: str,
        *,
        permanent: bool,
        channel: Channel | None,
        attempts: int,
        now: datetime,
    ) -> None:
        event = failed(
            claimed.plan,
            reason=reason,
            permanent=permanent,
            attempts=attempts,
            channel=channel,
            now=now,
        )
        fields: Fields = {"state": State.FAILED.value, "failure": reason, "attempts": attempts}
        await self.outbox.record(claimed, fields, [event])
        self.counters.count_failure(claimed.plan.template.value, reason, permanent)
