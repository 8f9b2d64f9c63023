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
        counters: dict[str, Increment] = {"outcomes": 1, "delivered": 1}
        channel: str | None = data.channel.value
        return [
            ctx.counted("notifications", data.sent_at, data.contact_id, counters, channel=channel)
        ]
    if isinstance(data, NotificationFailed) and data.permanent:
        channel = data.channel.value if data.channel else None
        counters = {"outcomes": 1}
        return [
            ctx.counted("notifications", data.failed_at, data.contact_id, counters, channel=channel)
        ]
    if isinstance(data, NotificationScheduled):
        counters = {"held": 1, "quiet_hours": int(data.reason == QUIET_HOURS)}
        channel = data.channel.value
        return [
            ctx.counted(
                "notifications", data.deliver_at, data.contact_id, counters, channel=channel
            )
        ]
    if isinstance(data, ContactConsentChanged):
        consent = data.consent
        counters = {"decisions": 1, "withdrawn": int(not consent.granted)}
        channel = consent.channel.value
        return [
            ctx.counted("consents", consent.changed_at, data.contact_id, counters, channel=channel)
        ]
    return []
