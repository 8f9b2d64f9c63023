"""Delivers due notifications: claim, decide, render, send, record — exactly once per key.

The edge we cannot close without a transaction spanning SMTP and MongoDB: a crash after the
channel accepted a message but before ``sent`` is recorded. We chose **at-most-once** there: a
delivery whose ``sending`` lease expired is failed as ``outcome_unknown`` (visible in
NotificationFailed, for an operator to check the provider's log) rather than sent again, because a
customer receiving the same apology twice is worse than a rare, reported gap. A crash before the
channel was called (state ``claimed``) is safe to retry and is retried. Messages also carry a
stable id (Message-ID / ``X-Rapport-Delivery-Id``) so a provider could dedupe if an operator
resends one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from opentelemetry.trace import SpanKind, Tracer, get_tracer

from rapport_kit.trace_context import resumed
from rapport_notifications.domain.campaigns import campaign_catalogs
from rapport_notifications.domain.catalog import Catalog
from rapport_notifications.domain.compose import CompositionContext, compose
from rapport_notifications.domain.decision import (
    Decision,
    DeliveryPolicy,
    Fail,
    Postpone,
    Send,
    Wait,
    decide,
)
from rapport_notifications.domain.delivery import Claimed, LostClaim, Retries, State
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.footer import Unsubscribing
from rapport_notifications.domain.pressure import entry_for, refused, reserves
from rapport_notifications.domain.rendering import Rendered, render
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_notifications.service_layer.outcomes import OutcomeRecorder
from rapport_notifications.service_layer.ports import (
    CampaignLookup,
    Clock,
    Deliveries,
    DeliveryChannel,
    DeliveryError,
    Directory,
    Fields,
    OutgoingMessage,
    PressureBudgets,
)
from rapport_schemas.common import Channel

log = logging.getLogger(__name__)
OUTCOME_UNKNOWN = "outcome_unknown"
RENDER_ERROR = "render_error"


@dataclass
class Dispatcher:
    deliveries: Deliveries
    directory: Directory
    channels: Mapping[Channel, DeliveryChannel]
    catalogs: Mapping[str, Catalog]
    policy: DeliveryPolicy
    composition: Callable[[datetime], CompositionContext]
    retries: Retries
    default_locale: str
    clock: Clock
    record: OutcomeRecorder
    pressure: PressureBudgets
    campaigns: CampaignLookup
    # The unsubscribe links and line of non-transactional messages (bootstrap always sets it).
    unsubscribing: Unsubscribing | None = None
    concurrency: int = 8
    # Due deliveries taken per round (earliest first, from the wake-ups the writes noted).
    page: int = 500
    tracer: Tracer = field(default_factory=lambda: get_tracer(__name__))

    async def dispatch_due(self, stop: asyncio.Event | None = None) -> int:
        """The due deliveries, ``concurrency`` contacts at a time: one contact's deliveries go
        one after another (across replicas, the reservation keeps the caps and the budget)."""
        now = self.clock()
        await self._expire_leases(now)
        due = await self.deliveries.due(now, limit=self.page)
        by_contact: dict[str, list[str]] = {}
        for key, contact_id in due:
            by_contact.setdefault(contact_id, []).append(key)
        slots = asyncio.Semaphore(self.concurrency)

        async def one_contact(keys: list[str]) -> None:
            async with slots:
                for key in keys:
                    if stop is not None and stop.is_set():
                        return
                    await self.dispatch(key)

        await asyncio.gather(*(one_contact(keys) for keys in by_contact.values()))
        return len(due)

    async def dispatch(self, key: str) -> None:
        now = self.clock()
        claimed = await self.deliveries.claim(key, now, self.retries.lease)
        if claimed is None:
            return  # another worker has it, or it is no longer due
        try:
            with resumed(claimed.trace):
                await self._handle(claimed, now)
        except LostClaim:
            log.warning("lease lost during delivery; another worker took it over")

    async def _handle(self, claimed: Claimed, now: datetime) -> None:
        plan = claimed.plan
        card = await self.directory.card(plan.contact_id)
        decision = decide(plan, card, now=now, policy=self.policy)
        decision = await self._reserved(claimed, card, decision, now)
        match decision:
            case Send():
                await self._send(claimed, card, decision, now)
            case Postpone():
                await self.record.scheduled(claimed, decision, now)
            case Wait(until=until):
                await self.deliveries.release(claimed, {"due_at": until})
            case Fail(reason=reason, channel=channel):
                await self.record.failed(
                    claimed,
                    reason,
                    permanent=True,
                    channel=channel,
                    attempts=claimed.attempts,
                    now=now,
                )

    async def _reserved(
        self, claimed: Claimed, card: ContactCard | None, decision: Decision, now: datetime
    ) -> Decision:
        """A non-transactional or capped send first takes an entry of the contact's reservation
        (budget and cap checked in one conditional write); any other outcome gives back an entry
        an earlier attempt of this delivery may hold."""
        plan = claimed.plan
        wanted = entry_for(plan, now, self.pressure.budget)
        if card is None or wanted is None:
            return decision
        if not isinstance(decision, Send):
            await self.pressure.release(card.contact_id, plan.key)
            return decision
        refusal = await self.pressure.reserve(card.contact_id, wanted)
        return decision if refusal is None else refused(plan, decision, refusal)

    async def _given_back(self, claimed: Claimed, recipient_id: str) -> None:
        """The message did not reach the customer: its entry is free again."""
        if reserves(claimed.plan, self.pressure.budget):
            await self.pressure.release(recipient_id, claimed.plan.key)

    async def _send(
        self, claimed: Claimed, card: ContactCard | None, send: Send, now: datetime
    ) -> None:
        plan = claimed.plan
        subject = card or ContactCard(contact_id=plan.contact_id)
        rendered = await self._rendered(claimed, subject, send, now)
        if rendered is None:
            await self._given_back(claimed, subject.contact_id)
            return
        links = None
        if self.unsubscribing is not None:
            rendered, links = self.unsubscribing.apply(
                plan.template, subject.contact_id, rendered, now
            )
        channel = send.route.channel
        fields: Fields = {"channel": channel.value, "locale": rendered.locale}
        await self.deliveries.mark_sending(claimed, fields)
        message = OutgoingMessage(
            plan.notification_id, subject.contact_id, send.route.address, rendered, links
        )
        try:
            # A client span per provider call; no address or content in its attributes.
            with self.tracer.start_as_current_span(f"{channel.value} send", kind=SpanKind.CLIENT):
                await self.channels[channel].send(message)
        except DeliveryError as error:
            await self._given_back(claimed, subject.contact_id)
            await self._after_failure(claimed, error, channel, now)
            return
        await self.record.sent(
            claimed,
            recipient_id=subject.contact_id,
            route=send.route,
            locale=rendered.locale,
            at=self.clock(),
        )

    async def _rendered(
        self, claimed: Claimed, subject: ContactCard, send: Send, now: datetime
    ) -> Rendered | None:
        """The message in the recipient's language, or None once recorded as unrenderable."""
        plan = claimed.plan
        try:
            catalogs, template, default_locale = await self._wording(plan)
            return render(
                catalogs,
                template,
                requested_locale=send.locale,
                default_locale=default_locale,
                time_zone=send.time_zone,
                values=compose(plan, subject, self.composition(now)),
            )
        except (LookupError, ValueError) as error:  # e.g. an unknown time zone: never renders
            log.error(
                "message cannot be rendered", extra={"fields": {"error": type(error).__name__}}
            )
            await self.record.failed(
                claimed,
                RENDER_ERROR,
                permanent=True,
                channel=send.route.channel,
                attempts=claimed.attempts,
                now=now,
            )
            return None

    async def _wording(self, plan: PlannedDelivery) -> tuple[Mapping[str, Catalog], Template, str]:
        """The catalogs to negotiate over, the template and the locale of last resort: a
        campaign brings its own wording (or names a catalog template)."""
        if plan.template is not Template.CAMPAIGN:
            return self.catalogs, plan.template, self.default_locale
        campaign = await self.campaigns.get(str(plan.facts.get("campaign_id")))
        if campaign is None:
            raise LookupError("campaign not found")
        return campaign_catalogs(campaign.request, self.catalogs, self.default_locale)

    async def _after_failure(
        self, claimed: Claimed, error: DeliveryError, channel: Channel, now: datetime
    ) -> None:
        attempts = claimed.attempts + 1
        if error.permanent or attempts >= self.retries.max_attempts:
            await self.record.failed(
                claimed,
                error.reason,
                permanent=error.permanent,
                channel=channel,
                attempts=attempts,
                now=now,
            )
            return
        due_at = now + self.retries.backoff(attempts)
        fields: Fields = {"attempts": attempts, "due_at": due_at, "last_error": error.reason}
        await self.deliveries.release(claimed, fields)

    async def _expire_leases(self, now: datetime) -> None:
        for claimed in await self.deliveries.expired(now, State.CLAIMED):
            await self.deliveries.release(claimed, {})  # nothing was sent: safe to retry
        for claimed in await self.deliveries.expired(now, State.SENDING):
            log.warning("delivery outcome unknown after a crash; not resending")
            await self.record.failed(
                claimed,
                OUTCOME_UNKNOWN,
                permanent=True,
                channel=None,
                attempts=claimed.attempts + 1,
                now=now,
            )
