"""The webhook sender's round: due deliveries, a contact's in order, signed and POSTed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import Any

from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind, Tracer, get_tracer

from rapport_kit.clock import Clock
from rapport_kit.trace_context import resumed
from rapport_notifications.domain.webhook_delivery import (
    Answer,
    Attempt,
    Backoff,
    ClaimedDelivery,
    DeliveryState,
    DueDelivery,
    Verdict,
    judge,
)
from rapport_notifications.domain.webhook_redaction import without_personal_data
from rapport_notifications.domain.webhook_signing import signed_headers
from rapport_notifications.domain.webhook_subscription import (
    DisablePolicy,
    Subscription,
    SubscriptionState,
)
from rapport_notifications.service_layer.ports import (
    Fields,
    WebhookCounters,
    WebhookDeliveries,
    WebhookEvents,
    WebhookSender,
    WebhookSubscriptions,
)

LOG_LINES = 20  # attempts kept per delivery in its log


@dataclass(frozen=True)
class RelayPolicy:
    backoff: Backoff
    disable: DisablePolicy
    lease: timedelta
    page: int
    concurrency: int


@dataclass
class WebhookRelay:
    subscriptions: WebhookSubscriptions
    events: WebhookEvents
    deliveries: WebhookDeliveries
    sender: WebhookSender
    counters: WebhookCounters
    policy: RelayPolicy
    clock: Clock
    tracer: Tracer = field(default_factory=lambda: get_tracer(__name__))

    async def deliver_due(self) -> None:
        """One round: each (subscription, contact) queue in turn, queues side by side."""
        await self.deliveries.expire_leases(self.clock())
        active = {
            s.subscription_id: s
            for s in await self.subscriptions.all()
            if s.state is SubscriptionState.ACTIVE
        }
        if not active:
            return
        due = await self.deliveries.due(list(active), self.clock(), limit=self.policy.page)
        ordered = sorted(due, key=lambda d: (*_queue(d), d.order))
        queues = [list(queue) for _, queue in groupby(ordered, key=_queue)]
        gate = asyncio.Semaphore(self.policy.concurrency)

        async def run(queue: list[DueDelivery]) -> None:
            async with gate:
                await self._drain(active[queue[0].subscription_id], queue)

        async with asyncio.TaskGroup() as group:
            for queue in queues:
                group.create_task(run(queue))

    async def _drain(self, subscription: Subscription, queue: Sequence[DueDelivery]) -> None:
        """Send a contact's due deliveries in order; stop at the first one left open (to be
        retried, or taken by another worker): the later ones wait for it."""
        for due in queue:
            if await self.deliveries.waits_for_earlier(due):
                return
            if not await self._attempt(subscription, due):
                return

    async def _attempt(self, subscription: Subscription, due: DueDelivery) -> bool:
        """Try once; True when the delivery is finished (delivered or failed)."""
        claimed = await self.deliveries.claim(due.key, self.clock(), self.policy.lease)
        if claimed is None:
            return False  # another worker has it
        stored = await self.events.body(claimed.event_id)
        if stored is None:
            await self._settle(claimed, _failed("event_missing", self.clock()))
            return True
        body = _body(stored.event, personal_data=subscription.personal_data)
        sent_at = self.clock()
        secrets = subscription.signing_secrets(sent_at)
        headers = signed_headers(secrets, claimed.event_id, _unix(sent_at), body)
        with resumed(stored.trace), self._span(claimed) as span:
            propagate.inject(headers)  # the receiver can continue the event's trace
            answer = await self.sender.post(subscription.url, body, headers)
            span.set_attribute("rapport.webhook.outcome", answer.reason)
        return await self._record(subscription, claimed, answer)

    def _span(self, claimed: ClaimedDelivery) -> AbstractContextManager[Span]:
        """A client span per POST; its attributes name the event type and outcome, never the
        URL (it may carry a token) or anything from the event's data."""
        attributes = {
            "rapport.event_type": claimed.event_type,
            "messaging.message.id": claimed.event_id,
        }
        return self.tracer.start_as_current_span(
            "webhook send", kind=SpanKind.CLIENT, attributes=attributes
        )

    async def _record(
        self, subscription: Subscription, claimed: ClaimedDelivery, answer: Answer
    ) -> bool:
        verdict = judge(answer)
        now = self.clock()
        attempts = claimed.attempts + 1
        log = _logged(claimed, Attempt(now, answer.reason, verdict, answer.error))
        fields: Fields = {"attempts": attempts, "last_status": answer.status, "log": log}
        fields["last_reason"], fields["last_attempt_at"] = answer.reason, now
        if verdict is Verdict.DELIVERED:
            fields.update(state=DeliveryState.DELIVERED.value, delivered_at=now)
            self.counters.count_delivered(claimed.event_type)
            if subscription.failures:
                await self.subscriptions.succeeded(subscription.subscription_id)
            await self._settle(claimed, fields)
            return True
        retry_at = None
        if verdict is Verdict.RETRY:
            retry_at = self.policy.backoff.next_attempt(attempts, answer, now)
        if retry_at is not None:
            fields.update(state=DeliveryState.PENDING.value, next_attempt_at=retry_at)
            self.counters.count_retried(claimed.event_type, _reason_label(answer))
        else:
            reason = "rejected" if verdict is Verdict.REJECTED else "attempts_exhausted"
            fields.update(state=DeliveryState.FAILED.value, failure=reason, failed_at=now)
            self.counters.count_failed(claimed.event_type, reason)
        await self._settle(claimed, fields)
        await self._count_failure(subscription, now)
        return retry_at is None

    async def _count_failure(self, subscription: Subscription, now: datetime) -> None:
        after = await self.subscriptions.failed_attempt(subscription.subscription_id, now)
        if after is None or after.state is not SubscriptionState.ACTIVE:
            return
        if self.policy.disable.should_disable(after.failures, after.failing_since, now):
            reason = f"{after.failures} consecutive failed attempts since {after.failing_since}"
            fields = {"state": SubscriptionState.DISABLED.value, "disabled_reason": reason}
            await self.subscriptions.change(subscription.subscription_id, fields)
            self.counters.count_disabled()

    async def _settle(self, claimed: ClaimedDelivery, fields: Fields) -> None:
        # False: our lease ran out and another worker owns it now; its outcome stands.
        await self.deliveries.settle(claimed, fields)


def _queue(due: DueDelivery) -> tuple[str, str]:
    """One queue per (subscription, contact): the unit whose order is kept."""
    return (due.subscription_id, due.contact_id)


def _body(event: dict[str, Any], *, personal_data: bool) -> bytes:
    """Deterministic JSON, so a replay of an event sends the very same bytes."""
    shown = event if personal_data else without_personal_data(event)
    return json.dumps(shown, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _logged(claimed: ClaimedDelivery, attempt: Attempt) -> list[dict[str, Any]]:
    lines = [*claimed.log, attempt][-LOG_LINES:]
    return [
        {"at": a.at, "reason": a.reason, "verdict": a.verdict.value, "detail": a.detail}
        for a in lines
    ]


def _failed(reason: str, now: datetime) -> Fields:
    return {"state": DeliveryState.FAILED.value, "failure": reason, "failed_at": now}


def _reason_label(answer: Answer) -> str:
    """Bounded: ``http_5xx``, ``http_429``, ``timeout`` or ``connection``."""
    if answer.status is None:
        return answer.reason
    return "http_429" if answer.status == 429 else "http_5xx"


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())
