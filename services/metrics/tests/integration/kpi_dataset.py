"""A deterministic (seeded) dataset of contacts and their events, and an independent computation
of every KPI over it: batch sets and sums over the whole dataset, with the final (merged)
identities, not the service's incremental activator bookkeeping."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from rapport_schemas import CloudEvent, wrap
from rapport_schemas.common import Channel, Segment
from rapport_schemas.contacts import (
    CaseResolved,
    ContactErased,
    ContactProfile,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import SurveyAnswered, SurveyKind, SurveyRequested
from rapport_schemas.notifications import NotificationSent

ZONE = ZoneInfo("Europe/Istanbul")
RATES = {
    "EUR": Decimal(1),
    "TRY": Decimal("0.027"),
    "HUF": Decimal("0.0025"),
    "USD": Decimal("0.92"),
}
COUNTRIES = {
    "TR": ("tr-TR", "TRY", "anatolia"),
    "HU": ("hu-HU", "HUF", "pannonia"),
    "DE": ("de-DE", "EUR", "bavaria"),
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


def generate(seed: int = 7, contacts: int = 90, scale: int = 1) -> Dataset:
    """``scale`` multiplies the activity (about 2,240 events per unit)."""
    rng = random.Random(seed)
    data = Dataset()
    ids = [f"c{n:03d}" for n in range(contacts)]
    for n, contact in enumerate(ids):
        data.contacts.append(wrap(_registration(rng, contact, ids[:n]), source="/test"))
    for _ in range(700 * scale):
        data.activity += [wrap(e, source="/test") for e in _conversation(rng, rng.choice(ids))]
    for n in range(120 * scale):
        data.activity.append(wrap(_case(rng, rng.choice(ids), n), source="/test"))
    for n in range(300 * scale):
        data.activity.append(wrap(_purchase(rng, rng.choice(ids), n), source="/test"))
    for n in range(400 * scale):
        data.activity += [wrap(e, source="/test") for e in _survey(rng, rng.choice(ids), n)]
    for n in range(60 * scale):
        data.activity.append(wrap(_notification(rng, rng.choice(ids), n), source="/test"))
    rng.shuffle(data.activity)
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
    language, currency, region = COUNTRIES[country]
    profile = ContactProfile(
        name="Test Person",
        language=language,
        time_zone="Europe/Istanbul",
        country=country,
        currency=currency,
        preferred_channel=rng.choice(CHANNELS),
        account_owner=rng.choice(AGENTS),
        segment=Segment(industry=rng.choice(["retail", "finance"]), region=region),
    )
    referred = rng.choice(earlier) if earlier and rng.random() < 0.3 else None
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
        currency=rng.choice(sorted(RATES)),
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


def _notification(rng: random.Random, contact: str, n: int) -> NotificationSent:
    return NotificationSent(
        notification_id=f"n{n}",
        contact_id=contact,
        template="welcome",
        channel=Channel.EMAIL,
        locale="en",
        transactional=True,
        trigger_event_id=f"x{n}",
        sent_at=_at(rng),
    )
