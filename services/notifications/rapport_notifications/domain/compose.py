"""The placeholder values of each template, from the trigger's facts and the contact's card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from rapport_notifications.domain.calendar import add_business_days, business_days_between
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.triggers import Facts, PlannedDelivery
from rapport_notifications.domain.values import (
    Choice,
    LocalDate,
    LocalDateTime,
    Money,
    Number,
    Quantity,
    ScoreLinks,
    Text,
    Values,
)
from rapport_schemas.contacts import FormOfAddress

# Signs the survey link for (survey id, expiry); only this service and feedback hold the key.
SurveyLinkSigner = Callable[[str, datetime], str]
SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


@dataclass(frozen=True)
class CompositionContext:
    now: datetime
    brand: str
    answer_base_url: str
    sign_survey_link: SurveyLinkSigner
    business_day_end: time
    complaint_reply_business_days: int
    detractor_follow_up_business_days: int


def compose(delivery: PlannedDelivery, card: ContactCard, context: CompositionContext) -> Values:
    return _COMPOSERS[delivery.template](delivery.facts, card, context)


def _customer(card: ContactCard, context: CompositionContext) -> Values:
    """The salutation follows the form of address the contact chose; none chosen: neutral."""
    form = card.form_of_address or FormOfAddress.NEUTRAL
    return {
        "salutation": Choice(option=form.value),
        "name": Text(text=card.name or ""),
        "brand": Text(text=context.brand),
    }


def _welcome(facts: Facts, card: ContactCard, context: CompositionContext) -> Values:
    return _customer(card, context)


def _survey_invitation(facts: Facts, card: ContactCard, context: CompositionContext) -> Values:
    """The link is signed here, at sending time: no token is stored or published anywhere."""
    expires_at = _at(facts["expires_at"])
    token = context.sign_survey_link(str(facts["survey_id"]), expires_at)
    link = f"{context.answer_base_url}?{urlencode({'token': token})}"
    kind = str(facts["kind"])
    lowest, highest = SCORE_RANGES[kind]
    return {
        **_customer(card, context),
        "survey_subject": Choice(option=kind),
        "survey_question": Choice(option=kind),
        "survey_link": ScoreLinks(url=link, lowest=lowest, highest=highest, option=kind),
        "expires_on": LocalDate(at=expires_at),
    }


def complaint_reply_by(facts: Facts, card: ContactCard, context: CompositionContext) -> datetime:
    """The SLA deadline contacts computed, else N business days in the customer's calendar."""
    if facts.get("response_due_at"):
        return _at(facts["response_due_at"])
    zone = ZoneInfo(card.time_zone)
    received = _at(facts["occurred_at"]).astimezone(zone).date()
    day = add_business_days(received, context.complaint_reply_business_days, card.country)
    return datetime.combine(day, context.business_day_end, tzinfo=zone)


def _complaint_acknowledgement(
    facts: Facts, card: ContactCard, context: CompositionContext
) -> Values:
    reply_by = complaint_reply_by(facts, card, context)
    zone = ZoneInfo(card.time_zone)
    received = _at(facts["occurred_at"]).astimezone(zone).date()
    days = business_days_between(received, reply_by.astimezone(zone).date(), card.country)
    return {
        **_customer(card, context),
        "reference": Text(text=str(facts["reference"])),
        "reply_by": LocalDateTime(at=reply_by),
        "reply_window": Quantity(count=max(1, days)),
    }


def _purchase_thank_you(facts: Facts, card: ContactCard, context: CompositionContext) -> Values:
    return {
        **_customer(card, context),
        "amount": Money(amount=Decimal(str(facts["amount"])), currency=str(facts["currency"])),
        "order_ref": Text(text=str(facts["order_ref"])),
        "purchased_on": LocalDate(at=_at(facts["occurred_at"])),
    }


def _detractor_follow_up(facts: Facts, card: ContactCard, context: CompositionContext) -> Values:
    return {
        **_customer(card, context),
        "reply_window": Quantity(count=context.detractor_follow_up_business_days),
    }


def _detractor_alert(facts: Facts, card: ContactCard, context: CompositionContext) -> Values:
    score = facts.get("score")
    return {
        "contact_ref": Text(text=card.contact_id),
        "reason": Text(text=str(facts["reason"])),
        "score": Number(value=Decimal(score)) if isinstance(score, int) else Text(text="–"),
        "detected_at": LocalDateTime(at=_at(facts["detected_at"])),
    }


def _sla_breach_warning(facts: Facts, card: ContactCard, context: CompositionContext) -> Values:
    due = _at(facts["due_at"])
    overdue_hours = max(context.now - due, timedelta(0)) // timedelta(hours=1)  # whole hours
    return {
        "contact_ref": Text(text=card.contact_id),
        "interaction_ref": Text(text=str(facts["interaction_id"])),
        "channel": Text(text=str(facts["channel"])),
        "due_at": LocalDateTime(at=due),
        "overdue": Quantity(count=max(1, overdue_hours)),
    }


def _at(value: str | int | None) -> datetime:
    return datetime.fromisoformat(str(value))


_COMPOSERS: dict[Template, Callable[[Facts, ContactCard, CompositionContext], Values]] = {
    Template.WELCOME: _welcome,
    Template.SURVEY_INVITATION: _survey_invitation,
    Template.COMPLAINT_ACKNOWLEDGEMENT: _complaint_acknowledgement,
    Template.PURCHASE_THANK_YOU: _purchase_thank_you,
    Template.DETRACTOR_FOLLOW_UP: _detractor_follow_up,
    Template.DETRACTOR_ALERT: _detractor_alert,
    Template.SLA_BREACH_WARNING: _sla_breach_warning,
    Template.CAMPAIGN: _welcome,  # the card's name and the brand, as in a welcome
}
