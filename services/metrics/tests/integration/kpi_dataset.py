"""A deterministic (seeded) dataset of contacts and their events, and an independent computation
of every KPI over it: batch sets and sums over the whole dataset, with the final (merged)
identities, not the service's incremental activator bookkeeping.

Every catalog market takes part with its currency (USD, GBP, TRY, HUF, EUR, JPY, SAR, BRL); the
rates are dated (valid-from per currency, two change in the middle of the history) and BRL has
no rate until ``LATE_RATES`` is posted after the purchases, which re-values lifetime value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from rapport_schemas import CloudEvent, wrap
from rapport_schemas.common import Channel, Consent, Segment
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
    ContactUpdated,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import SurveyAnswered, SurveyKind, SurveyRequested
from rapport_schemas.notifications import (
    NotificationFailed,
    NotificationScheduled,
    NotificationSent,
)

ZONE = ZoneInfo("Europe/Istanbul")
YEAR = date(2025, 1, 1)
# Base (EUR) units per unit of each currency, by the first day each rate is valid.
RATES: dict[str, dict[date, Decimal]] = {
    "EUR": {date(2000, 1, 1): Decimal(1)},
    "USD": {YEAR: Decimal("0.92"), date(2025, 12, 1): Decimal("0.86")},
    "GBP": {YEAR: Decimal("1.17")},
    "TRY": {YEAR: Decimal("0.027"), date(2025, 11, 28): Decimal("0.0205")},
    "HUF": {YEAR: Decimal("0.0025")},
    "JPY": {YEAR: Decimal("0.0061")},
    "SAR": {YEAR: Decimal("0.245")},
}
LATE_RATES = {"BRL": {YEAR: Decimal("0.16")}}  # posted after every purchase was consumed
CURRENCIES = sorted({*RATES, *LATE_RATES})
# country: language, currency, region, time zone (the catalog markets: en tr hu de es fr ja ar pt)
COUNTRIES = {
    "US": ("en-US", "USD", "north_america", "America/New_York"),
    "GB": ("en-GB", "GBP", "western_europe", "Europe/London"),
    "TR": ("tr-TR", "TRY", "marmara", "Europe/Istanbul"),
    "HU": ("hu-HU", "HUF", "pannonia", "Europe/Budapest"),
    "DE": ("de-DE", "EUR", "bavaria", "Europe/Berlin"),
    "ES": ("es-ES", "EUR", "southern_europe", "Europe/Madrid"),
    "FR": ("fr-FR", "EUR", "western_europe", "Europe/Paris"),
    "JP": ("ja-JP", "JPY", "kanto", "Asia/Tokyo"),
    "SA": ("ar-SA", "SAR", "riyadh", "Asia/Riyadh"),
    "BR": ("pt-BR", "BRL", "sao_paulo", "America/Sao_Paulo"),
}
CHANNELS = [Channel.EMAIL, Channel.PHONE, Channel.LIVE_CHAT]
AGENTS = ["agent-1", "agent-2", "agent-3"]
START = datetime(2025, 11, 20, tzinfo=UTC)
SPAN = timedelta(days=20)
Event = CloudEvent[EventData]


@dataclass
class Dataset:
    contacts: list[Event] = field(default_factory=list)
    activity: list[Event] = field(default_factory=list)
    closing: list[Event] = field(default_factory=list)  # merges and an erasure, published last

    @property
    def events(self) -> list[Event]:
        return self.contacts + self.activity + self.closing


LATE_REGISTERED = ("c050", "c051", "c052", "c053", "c054")  # registered after their events
CHANGED = {"c060": {"industry": "finance"}, "c061": {"country": "GB"}, "c062": {"country": "JP"}}


def generate(seed: int = 7, contacts: int = 90, scale: float = 1, late: bool = False) -> Dataset:
    """``scale`` multiplies the activity (about 2,240 events per unit, fractions allowed);
    ``late`` publishes the registrations of ``LATE_REGISTERED`` after every activity and changes
    the segments of ``CHANGED`` (a ``ContactUpdated`` moving industry or country), before the
    merges."""
    rng = random.Random(seed)
    data = Dataset()
    ids = [f"c{n:03d}" for n in range(contacts)]
    for n, contact in enumerate(ids):
        data.contacts.append(wrap(_registration(rng, contact, ids[:n]), source="/test"))
    for _ in range(round(700 * scale)):
        data.activity += [wrap(e, source="/test") for e in _conversation(rng, rng.choice(ids))]
    for n in range(round(120 * scale)):
        data.activity.append(wrap(_case(rng, rng.choice(ids), n), source="/test"))
    for n in range(round(300 * scale)):
        data.activity.append(wrap(_purchase(rng, rng.choice(ids), n), source="/test"))
    for n in range(round(400 * scale)):
        data.activity += [wrap(e, source="/test") for e in _survey(rng, rng.choice(ids), n)]
    for n in range(round(60 * scale)):
        data.activity.append(wrap(_notification(rng, rng.choice(ids), n), source="/test"))
    for _ in range(round(40 * scale)):
        data.activity.append(wrap(_consent(rng, rng.choice(ids)), source="/test"))
    rng.shuffle(data.activity)
    if late:
        _late_facts(data)
    # Merges of contacts that were referred or referred others (c010 … c015 into c020 … c025).
    for absorbed, survivor in zip(ids[10:16], ids[20:26], strict=True):
        merged = ContactsMerged(contact_id=absorbed, survivor_id=survivor, merged_at=START + SPAN)
        data.closing.append(wrap(merged, source="/test"))
    erased = ContactErased(contact_id=ids[40], erased_at=START + SPAN)
    data.closing.append(wrap(erased, source="/test"))
    return data


def _at(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))


def _registration(rng: random.Random, contact: str, earlier: list[str]) -> ContactRegistered:
    country = rng.choice(sorted(COUNTRIES))
    language, currency, region, zone = COUNTRIES[country]
    profile = ContactProfile(
        name="Test Person",
        language=language,
        time_zone=zone,
        country=country,
        currency=currency,
        preferred_channel=rng.choice(CHANNELS),
        account_owner=rng.choice(AGENTS),
        segment=Segment(industry=rng.choice(["retail", "finance"]), region=region),
    )
    referred = rng.choice(earlier) if earlier and rng.random() < 0.3 else None
    if contact in ("c011", "c013", "c021"):  # merged contacts that were referred
        referred = earlier[3]
    registered = START - timedelta(days=5) + timedelta(hours=rng.randrange(24 * 15))
    return ContactRegistered(
        contact_id=contact, profile=profile, referred_by=referred, registered_at=registered
    )


def _conversation(rng: random.Random, contact: str) -> list[EventData]:
    number = rng.randrange(10**9)
    channel, at = rng.choice(CHANNELS), _at(rng)
    awaits = rng.random() < 0.5
    due = at + timedelta(hours=24) if awaits and channel is Channel.EMAIL else None
    kind = InteractionKind.COMPLAINT if rng.random() < 0.12 else InteractionKind.SUPPORT
    inbound = InteractionLogged(
        interaction_id=f"i{number}",
        contact_id=contact,
        channel=channel,
        direction=Direction.INBOUND,
        kind=kind,
        occurred_at=at,
        awaits_response=awaits,
        response_due_at=due,
    )
    events: list[EventData] = [inbound]
    if not awaits:
        return events
    replied_at = at + timedelta(minutes=rng.randrange(30, 60 * 40))
    for reply in range(rng.choice([0, 1, 1, 1, 2])):
        events.append(
            InteractionLogged(
                interaction_id=f"i{number}r{reply}",
                contact_id=contact,
                channel=channel,
                direction=Direction.OUTBOUND,
                kind=InteractionKind.SUPPORT,
                occurred_at=replied_at + timedelta(hours=reply),
                agent_id=rng.choice(AGENTS),
                in_reply_to=inbound.interaction_id,
            )
        )
    answered_in_time = len(events) > 1 and replied_at <= (due or replied_at)
    if due is not None and not answered_in_time:
        events.append(
            SlaBreached(
                interaction_id=inbound.interaction_id,
                contact_id=contact,
                channel=channel,
                received_at=at,
                due_at=due,
            )
        )
    return events


def _case(rng: random.Random, contact: str, n: int) -> CaseResolved:
    opened = _at(rng)
    return CaseResolved(
        case_id=f"case{n}",
        contact_id=contact,
        channel=rng.choice(CHANNELS),
        opened_at=opened,
        resolved_at=opened + timedelta(minutes=rng.randrange(5, 60 * 72)),
        first_contact=rng.random() < 0.4,
        interaction_count=1,
        agent_id=rng.choice(AGENTS),
    )


def _purchase(rng: random.Random, contact: str, n: int) -> PurchaseRecorded:
    amount = Decimal(rng.randrange(100, 500_000)) / 100
    return PurchaseRecorded(
        purchase_id=f"p{n}",
        contact_id=contact,
        amount=amount,
        currency=rng.choice(CURRENCIES),
        occurred_at=_at(rng),
    )


def _survey(rng: random.Random, contact: str, n: int) -> list[EventData]:
    kind = rng.choice(list(SurveyKind))
    asked, channel = _at(rng), rng.choice(CHANNELS)
    request = SurveyRequested(
        survey_id=f"s{n}",
        contact_id=contact,
        kind=kind,
        token="t" * 20,
        expires_at=asked + timedelta(days=7),
        language="en",
        channel=channel,
        requested_at=asked,
    )
    if rng.random() < 0.4:
        return [request]
    top = {SurveyKind.NPS: 10, SurveyKind.CSAT: 5, SurveyKind.CES: 7}[kind]
    answer = SurveyAnswered(
        survey_id=f"s{n}",
        contact_id=contact,
        kind=kind,
        score=rng.randint(0 if kind is SurveyKind.NPS else 1, top),
        answered_at=asked + timedelta(hours=rng.randrange(1, 72)),
        requested_at=asked,
        channel=channel,
    )
    return [request, answer]


def _notification(rng: random.Random, contact: str, n: int) -> EventData:
    """Delivered, failed, or held for the recipient's quiet hours."""
    channel, at = rng.choice(CHANNELS), _at(rng)
    outcome = rng.random()
    if outcome < 0.2:
        return NotificationFailed(
            notification_id=f"n{n}",
            contact_id=contact,
            template="welcome",
            channel=channel,
            reason="smtp 550",
            permanent=outcome < 0.1,
            attempts=3,
            trigger_event_id=f"x{n}",
            failed_at=at,
        )
    if outcome < 0.35:
        return NotificationScheduled(
            notification_id=f"n{n}",
            contact_id=contact,
            template="welcome",
            channel=channel,
            deliver_at=at,  # when the quiet hours end; the service held it since then − 9 h
            reason=rng.choice(["quiet_hours", "quiet_hours", "weekend"]),
            trigger_event_id=f"x{n}",
        )
    return NotificationSent(
        notification_id=f"n{n}",
        contact_id=contact,
        template="welcome",
        channel=channel,
        locale="en",
        transactional=True,
        trigger_event_id=f"x{n}",
        sent_at=at,
    )


def _consent(rng: random.Random, contact: str) -> ContactConsentChanged:
    """Mostly withdrawals (the opt-out rate per channel), some grants."""
    consent = Consent(
        channel=rng.choice(CHANNELS),
        granted=rng.random() < 0.3,
        source="preference-center",
        changed_at=_at(rng),
    )
    return ContactConsentChanged(contact_id=contact, consent=consent)


def _late_facts(data: Dataset) -> None:
    """Late registrations and segment changes, published with the closing events, first."""
    late = [e for e in data.contacts if e.data.contact_id in LATE_REGISTERED]
    data.contacts = [e for e in data.contacts if e not in late]
    updates = []
    for event in data.contacts:
        registered = event.data
        assert isinstance(registered, ContactRegistered)
        change = CHANGED.get(registered.contact_id)
        if change is None:
            continue
        profile = registered.profile
        if "industry" in change:
            segment = profile.segment.model_copy(update={"industry": change["industry"]})
            if segment.industry == profile.segment.industry:
                segment = profile.segment.model_copy(update={"industry": "retail"})
            profile = profile.model_copy(update={"segment": segment})
            fields: tuple[str, ...] = ("segment",)
        else:
            country = change["country"]
            if country == profile.country:
                country = "DE"
            language, currency, region, zone = COUNTRIES[country]
            segment = profile.segment.model_copy(update={"region": region})
            update = {"country": country, "language": language, "currency": currency}
            profile = profile.model_copy(update={**update, "time_zone": zone, "segment": segment})
            fields = ("country", "language", "currency", "time_zone", "segment")
        updated = ContactUpdated(
            contact_id=registered.contact_id,
            profile=profile,
            changed_fields=fields,
            updated_at=START + SPAN,
        )
        updates.append(wrap(updated, source="/test"))
    data.closing = late + updates + data.closing
