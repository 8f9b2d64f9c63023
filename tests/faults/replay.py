"""An independent replay of the crm dataset: per contact, in partition order, what the services
must end up with. Plain sets and counters; no service code is imported.

Policy as configured in the test (see ``fleet.py``): at most ``FATIGUE_CAP`` surveys per contact
(every decision falls inside the fatigue window, the test runs for minutes), one NPS per contact
(the 90-day interval), CSAT + CES after each resolved case, NPS after a purchase or a non-complaint
interaction; the pressure budget (3) cannot bind below the fatigue cap of 2 because no counted
non-transactional notification exists. A survey or a customer message goes by e-mail if e-mail is
consented, else in-app if that is, else nowhere (no survey; the message fails for consent).
The one frequency cap configured lets ``THANK_YOU_CAP`` purchase thank-yous through per contact
(its 24-hour window spans the whole run), however many purchases there are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from rapport_schemas.common import Channel
from rapport_schemas.contacts import (
    CaseResolved,
    ContactErased,
    ContactRegistered,
    ContactsMerged,
    Direction,
    InteractionKind,
    InteractionLogged,
    PurchaseRecorded,
    SlaBreached,
)
from rapport_schemas.feedback import SurveyAnswered
from tests.faults.crm_dataset import CrmDataset

FATIGUE_CAP = 2
THANK_YOU_CAP = 1
ROUTABLE = (Channel.EMAIL, Channel.IN_APP)  # no SMS provider is configured in the test


@dataclass
class Person:
    contact_id: str
    route: str | None = None  # "email" | "in_app" | None
    country: str = ""
    language: str = ""
    purchases: Counter[str] = field(default_factory=Counter)  # count per currency
    money: dict[str, Decimal] = field(default_factory=dict)
    answers: list[SurveyAnswered] = field(default_factory=list)
    complaints: list[str] = field(default_factory=list)  # inbound complaint ids
    open_complaints: set[str] = field(default_factory=set)
    surveys: list[str] = field(default_factory=list)  # kinds requested, in order
    messages: Counter[str] = field(default_factory=Counter)  # customer template → count


@dataclass
class Replay:
    people: dict[str, Person] = field(default_factory=dict)
    merges: dict[str, str] = field(default_factory=dict)  # absorbed → survivor
    erased: dict[str, datetime] = field(default_factory=dict)
    alerts: Counter[str] = field(default_factory=Counter)  # internal template → count

    def mail(self) -> Counter[str]:
        """E-mails the SMTP server must receive, per template."""
        mail = Counter(self.alerts)
        for person in self.people.values():
            if person.route == Channel.EMAIL.value:
                mail.update(person.messages)
        return mail

    def in_app(self) -> int:
        return sum(
            p.messages.total() for p in self.people.values() if p.route == Channel.IN_APP.value
        )


def replay(data: CrmDataset) -> Replay:
    result = Replay()
    for event in data.events:
        _event(result, event.data)
    return result


def _event(result: Replay, data: object) -> None:
    if isinstance(data, ContactRegistered):
        granted = {c.channel for c in data.consents if c.granted}
        route = next((c.value for c in ROUTABLE if c in granted), None)
        person = Person(data.contact_id, route, data.profile.country, data.profile.language)
        person.messages["welcome"] += 1
        result.people[data.contact_id] = person
    elif isinstance(data, ContactsMerged):
        result.merges[data.contact_id] = data.survivor_id
    elif isinstance(data, ContactErased):
        result.erased[data.contact_id] = data.erased_at
    elif isinstance(data, SlaBreached):
        result.alerts["sla_breach_warning"] += 1
    elif isinstance(data, SurveyAnswered):
        result.people[data.contact_id].answers.append(data)
    else:
        _activity(result, result.people[getattr(data, "contact_id", "")], data)


def _activity(result: Replay, person: Person, data: object) -> None:
    if isinstance(data, PurchaseRecorded):
        person.purchases[data.currency] += 1
        person.money[data.currency] = person.money.get(data.currency, Decimal(0)) + data.amount
        if person.messages["purchase_thank_you"] < THANK_YOU_CAP:
            person.messages["purchase_thank_you"] += 1
        _surveys(person, ["nps"])
    elif isinstance(data, CaseResolved):
        _surveys(person, ["csat", "ces"])
    elif isinstance(data, InteractionLogged):
        complaint = data.kind is InteractionKind.COMPLAINT
        person.open_complaints.discard(data.in_reply_to or "")
        if complaint and data.direction is Direction.INBOUND:
            person.complaints.append(data.interaction_id)
            person.open_complaints.add(data.interaction_id)
            person.messages["complaint_acknowledgement"] += 1
            result.alerts["detractor_alert"] += 1  # feedback's DetractorDetected, to the owner
        _surveys(person, [] if complaint else ["nps"])


def _surveys(person: Person, wanted: list[str]) -> None:
    if person.route is None:
        return
    if "nps" in person.surveys:
        wanted = [kind for kind in wanted if kind != "nps"]
    granted = wanted[: max(0, FATIGUE_CAP - len(person.surveys))]
    person.surveys += granted
    person.messages["survey_invitation"] += len(granted)
