"""Counters of the notification KPIs: delivery outcomes, deferrals, and consent decisions.

Each rate's numerator is a subset of its denominator, counted by the same event, so every value
is within 0–100 % by construction:

- delivery success: customer notifications sent ÷ those sent or failed for good (a failure that
  will be retried is not an outcome yet); internal alerts are not customer messages;
- quiet-hours share: of the notifications held for later delivery, those held for the recipient's
  quiet hours (the others wait for a weekend or public holiday to end), in the window they are
  due to go out;
- opt-out rate: of the consent decisions recorded on a channel, the withdrawals.
"""

from __future__ import annotations

from rapport_metrics.domain.context import Context, Contribution, Increment
from rapport_schemas.contacts import ContactConsentChanged
from rapport_schemas.envelope import EventData
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)

QUIET_HOURS = "quiet_hours"


def notification_contributions(data: EventData, ctx: Context) -> list[Contribution]:
    if isinstance(data, NotificationSent) and not data.internal:
        segments = ctx.segments(data.contact_id, data.channel.value)
        counters: dict[str, Increment] = {"outcomes": 1, "delivered": 1}
        return [Contribution("notifications", ctx.at(data.sent_at), segments, counters)]
    if isinstance(data, NotificationFailed) and data.permanent:
        channel = data.channel.value if data.channel else None
        segments = ctx.segments(data.contact_id, channel)
        return [Contribution("notifications", ctx.at(data.failed_at), segments, {"outcomes": 1})]
    if isinstance(data, NotificationScheduled):
        segments = ctx.segments(data.contact_id, data.channel.value)
        counters = {"held": 1, "quiet_hours": int(data.reason == QUIET_HOURS)}
        return [Contribution("notifications", ctx.at(data.deliver_at), segments, counters)]
    if isinstance(data, ContactConsentChanged):
        consent = data.consent
        segments = ctx.segments(data.contact_id, consent.channel.value)
        counters = {"decisions": 1, "withdrawn": int(not consent.granted)}
        return [Contribution("consents", ctx.at(consent.changed_at), segments, counters)]
    return []
