"""SLA clocks for the contacts replicas' schedulers, started over the contacts HTTP API.

The crm dataset's interactions are published straight to the topic: they reach every read model
but never the contacts service's own documents, so they start no clock. These contacts are
registered and their interactions logged over HTTP, round-robin over the replicas, with no
consent (no survey and no customer message: only the breach alert to the owner). Per contact,
one inbound interaction of one of three kinds:

- ``overdue``: an e-mail received ten days ago, due before it is even logged;
- ``due in the run``: a live chat received now, due ``SLA_BUSINESS_HOURS`` business hours later
  (the test's business days run 00:00–23:59:59; on a weekend or holiday of the contact's country
  the deadline moves to the next business day, after the run, and no breach may come);
- ``answered``: a live chat received now and answered at once: its clock stops, no breach.

Every replica's scheduler looks every second, so two or three race for each breach, while
instances are killed, join and leave. Exactly once: one distinct ``SlaBreached`` event id per
clock whose deadline (as the service answered it) passed before the run settled, none for any
other, and one alert e-mail each (counted with the rest at the SMTP server).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from bench import processes
from rapport_kit.admin import end_offsets
from rapport_schemas import decode
from rapport_schemas.contacts import SlaBreached
from tests.faults.replay import Person, Replay
from tests.support.kafka import read_until

SLA_BUSINESS_HOURS = 0.02  # 72 s of a live chat's business time
KINDS = ("overdue", "due in the run", "answered")
# Weekends Sat–Sun, Fri–Sat and Fri alone: at least one is a business day, any day of the week.
COUNTRIES = {
    "DE": ("de-DE", "Europe/Berlin", "EUR"),
    "SA": ("ar-SA", "Asia/Riyadh", "SAR"),
    "IR": ("fa-IR", "Asia/Tehran", "IRR"),
}


@dataclass(frozen=True)
class Clock:
    contact_id: str
    country: str
    language: str
    kind: str
    interaction_id: str
    due_at: datetime


@dataclass
class SlaClocks:
    clocks: list[Clock] = field(default_factory=list)

    def breached_by(self, moment: datetime) -> set[str]:
        """The interactions that must have one breach once the run settled at ``moment``."""
        due = [c for c in self.clocks if c.kind != "answered" and c.due_at <= moment]
        return {c.interaction_id for c in due}

    def add_to(self, replay: Replay, moment: datetime) -> None:
        """What these contacts add to the replay: people with no route, one alert per breach."""
        for clock in self.clocks:
            replay.people[clock.contact_id] = Person(
                clock.contact_id, None, clock.country, clock.language
            )
        replay.alerts["sla_breach_warning"] += len(self.breached_by(moment))

    def describe(self, moment: datetime) -> str:
        kinds = Counter(c.kind for c in self.clocks)
        due = len(self.breached_by(moment))
        return (
            f"{len(self.clocks)} SLA clocks over HTTP ("
            + ", ".join(f"{kinds[k]} {k}" for k in KINDS)
            + f"), {due} due by the end of the run"
        )


async def start_clocks(urls: list[str], count: int) -> SlaClocks:
    """``count`` contacts, each with one clock, registered through the replicas in turn."""
    headers = {"Authorization": f"Bearer {processes.API_KEY}"}
    started = SlaClocks()
    replicas = itertools.cycle(urls)
    async with httpx.AsyncClient(headers=headers, timeout=60) as client:
        for number in range(count):
            country = sorted(COUNTRIES)[number // len(KINDS) % len(COUNTRIES)]
            kind = KINDS[number % len(KINDS)]
            clock = await _one(client, next(replicas), number, country, kind)
            started.clocks.append(clock)
    return started


async def _one(client: httpx.AsyncClient, url: str, number: int, country: str, kind: str) -> Clock:
    language, zone, currency = COUNTRIES[country]
    profile = {
        "name": f"SLA Contact {number}",
        "country": country,
        "language": language,
        "time_zone": zone,
        "currency": currency,
        "account_owner": "agent-1",
    }
    registered = await client.post(f"{url}/contacts", json={"profile": profile})
    assert registered.status_code == 201, registered.text
    contact_id = registered.json()["contact_id"]
    now = datetime.now(UTC)
    received = now - timedelta(days=10) if kind == "overdue" else now
    inbound = {
        "channel": "email" if kind == "overdue" else "live_chat",
        "direction": "inbound",
        "kind": "support",
        "occurred_at": received.isoformat(),
    }
    logged = await client.post(f"{url}/contacts/{contact_id}/interactions", json=inbound)
    assert logged.status_code == 201, logged.text
    interaction = logged.json()
    if kind == "answered":
        answer = {**inbound, "direction": "outbound", "occurred_at": None}
        answer["in_reply_to"] = interaction["interaction_id"]
        replied = await client.post(f"{url}/contacts/{contact_id}/interactions", json=answer)
        assert replied.status_code == 201, replied.text
    due_at = datetime.fromisoformat(interaction["response_due_at"])
    return Clock(contact_id, country, language, kind, interaction["interaction_id"], due_at)


async def check_breaches(bootstrap: str, topic: str, clocks: SlaClocks, moment: datetime) -> int:
    """Every record of ``topic`` read; one distinct breach event per due clock, none else."""
    total = sum((await end_offsets(bootstrap, [topic])).values())
    records = await read_until(bootstrap, topic, lambda rs: len(rs) >= total, timeout=120)
    assert len(records) == total
    keys = {c.contact_id.encode() for c in clocks.clocks}
    events = [decode(r.value) for r in records if r.key in keys]
    breaches = [(e.id, e.sequence, e.data) for e in events if isinstance(e.data, SlaBreached)]
    distinct = {event_id: data.interaction_id for event_id, _, data in breaches}
    # Copies of one breach (the outbox publishes at least once) carry its id and sequence.
    assert len({(event_id, sequence) for event_id, sequence, _ in breaches}) == len(distinct)
    assert sorted(distinct.values()) == sorted(clocks.breached_by(moment))
    return len(distinct)
