"""Everything Rapport holds about a contact, item by item: the source of the GDPR export.

The 360° view keeps bounded lists (the newest entries) for reading a customer at a glance; an
export under GDPR art. 15 and 20 must be complete, so this companion projection keeps every
consent given or withdrawn, interaction, purchase, case, survey answer and message sent, each
once (by its id). Like the view it follows merges (the survivor takes the absorbed contact's
items; the absorbed document keeps its own, marked ``merged_into``, so a crash between the two
writes is repaired by redelivery) and erasure (the document shrinks to the proof of erasure and
ignores anything arriving later). Summaries and survey comments of v2 events are personal
records (``personal``): kept by id beside the items, in either arrival order, and joined into
them by ``combined`` when the export is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rapport_contacts.views import personal
from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas import EventData
from rapport_schemas.contacts import (
    CaseResolved,
    ContactConsentChanged,
    ContactErased,
    ContactPersonalData,
    ContactRegistered,
    ContactRegisteredV1,
    ContactsMerged,
    InteractionLogged,
    InteractionLoggedV1,
    InteractionSummary,
    PurchaseRecorded,
)
from rapport_schemas.feedback import SurveyAnswered, SurveyAnsweredV1, SurveyComment
from rapport_schemas.notifications import NotificationSent

# Each list of the record and the field that identifies one of its items.
SECTIONS = {
    "consent_history": "consent_id",
    "interactions": "interaction_id",
    "purchases": "purchase_id",
    "cases": "case_id",
    "survey_answers": "survey_id",
    "messages_sent": "notification_id",
}
Fold = Callable[[Document, Any], Document]


def empty_record(contact_id: str) -> Document:
    """A record can start with another service's event, before the registration arrives."""
    return {
        "contact_id": contact_id,
        "status": "unknown",
        **{section: [] for section in SECTIONS},
        "summaries": {},
        "comments": {},
        "merged_into": None,
        "merged_from": [],
    }


class ContactRecord:
    collection = "contact_records"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if isinstance(data, ContactsMerged):
            return (data.contact_id, data.survivor_id)  # the absorbed one first: it is looked up
        if (erased := personal.tombstoned(received)) is not None:
            return (erased.contact_id,) if erased.kind is not None else ()
        if isinstance(data, ContactPersonalData):
            return ()  # the export's profile is the contact's own (``service_layer.export``)
        contact_id = getattr(data, "contact_id", None)
        return (contact_id,) if isinstance(contact_id, str) else ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        record = state or empty_record(key)
        data = received.data
        if record["status"] == "erased":
            return record
        if isinstance(data, ContactErased):
            return {"contact_id": key, "status": "erased", "erased_at": data.erased_at}
        if isinstance(data, ContactsMerged):
            return _merged(record, data, key, lookup)
        if (erased := personal.tombstoned(received)) is not None:
            return _texts(record, personal.without(_part(record), erased))
        fold = FOLDS.get(type(data))
        return fold(record, data) if fold else record


def _merged(record: Document, data: ContactsMerged, key: str, lookup: Lookup) -> Document:
    if key == data.contact_id:
        return {**record, "status": "merged", "merged_into": data.survivor_id}
    absorbed = lookup(data.contact_id)
    if absorbed is None or absorbed.get("status") == "erased":
        return record
    sections = {
        section: _with(record[section], absorbed[section], identity)
        for section, identity in SECTIONS.items()
    }
    merged_from = sorted({*record["merged_from"], data.contact_id, *absorbed["merged_from"]})
    record = _texts(record, personal.merged([_part(record), _part(absorbed)]))
    return {**record, **sections, "merged_from": merged_from}


def combined(records: Sequence[Document]) -> Document:
    """One record of a survivor and the contacts merged into it: an event about an absorbed
    contact can arrive after the merge (a message sent just before it, say), and it is folded
    into the absorbed contact's own record; each item counts once. The summaries and comments
    of personal records are joined into their interactions and survey answers."""
    first, *others = records
    sections = {
        section: _with(
            first.get(section, []), [i for r in others for i in r.get(section, [])], identity
        )
        for section, identity in SECTIONS.items()
    }
    part = personal.merged(_part(record) for record in records)
    for section in ("interactions", "survey_answers"):
        sections[section] = [personal.with_texts(item, part) for item in sections[section]]
    return {**first, **sections}


def _part(record: Document) -> Document:
    """The record's personal part (a record folded before summaries were kept has none)."""
    texts = {"summaries": record.get("summaries", {}), "comments": record.get("comments", {})}
    return {**personal.empty(), **texts}


def _texts(record: Document, part: Document) -> Document:
    return {**record, "summaries": part["summaries"], "comments": part["comments"]}


def _with(items: list[Document], more: list[Document], identity: str) -> list[Document]:
    """``items`` with ``more`` added; an item already present (same id) is replaced in place."""
    by_id = {item[identity]: item for item in items}
    by_id.update((item[identity], item) for item in more)
    return list(by_id.values())


def _consents(record: Document, consents: Sequence[Any], event_id: str) -> Document:
    given = [
        {"consent_id": f"{event_id}/{index}", **consent.model_dump(mode="json")}
        for index, consent in enumerate(consents)
    ]
    return {**record, "consent_history": _with(record["consent_history"], given, "consent_id")}


def registered(record: Document, data: ContactRegistered) -> Document:
    # The consent's own time and channel identify it: a registration republished under a new
    # event id must not count its consents twice.
    record = _consents(record, data.consents, f"registration:{data.registered_at.isoformat()}")
    return {**record, "status": "active" if record["status"] == "unknown" else record["status"]}


def consent_changed(record: Document, data: ContactConsentChanged) -> Document:
    consent = data.consent
    identity = f"{consent.channel.value}:{consent.purpose}:{consent.changed_at.isoformat()}"
    return _consents(record, (consent,), identity)


def interaction_logged(record: Document, data: InteractionLogged) -> Document:
    item = data.model_dump(mode="json", exclude={"contact_id"})
    record = {**record, "interactions": _with(record["interactions"], [item], "interaction_id")}
    if data.case_id is None:
        return record
    case = next((c for c in record["cases"] if c["case_id"] == data.case_id), None)
    opened = data.model_dump(mode="json", include={"occurred_at"})["occurred_at"]
    if case is None:
        case = {
            "case_id": data.case_id,
            "channel": data.channel.value,
            "kind": data.kind.value,
            "opened_at": opened,
            "resolved_at": None,
            "first_contact": None,
            "interaction_ids": [],
        }
    interaction_ids = sorted({*case["interaction_ids"], data.interaction_id})
    case = {**case, "opened_at": min(case["opened_at"], opened), "interaction_ids": interaction_ids}
    return {**record, "cases": _with(record["cases"], [case], "case_id")}


def case_resolved(record: Document, data: CaseResolved) -> Document:
    resolved = data.model_dump(mode="json", exclude={"contact_id", "interaction_count"})
    case = next((c for c in record["cases"] if c["case_id"] == data.case_id), None)
    case = {"interaction_ids": [], **(case or {}), **resolved}
    return {**record, "cases": _with(record["cases"], [case], "case_id")}


def purchase_recorded(record: Document, data: PurchaseRecorded) -> Document:
    item = data.model_dump(mode="json", exclude={"contact_id"})
    return {**record, "purchases": _with(record["purchases"], [item], "purchase_id")}


def survey_answered(record: Document, data: SurveyAnswered) -> Document:
    item = data.model_dump(mode="json", exclude={"contact_id"})
    return {**record, "survey_answers": _with(record["survey_answers"], [item], "survey_id")}


def text_recorded(record: Document, data: InteractionSummary | SurveyComment) -> Document:
    return _texts(record, personal.with_record(_part(record), data))


def notification_sent(record: Document, data: NotificationSent) -> Document:
    item = data.model_dump(mode="json", exclude={"contact_id", "trigger_event_id"})
    return {**record, "messages_sent": _with(record["messages_sent"], [item], "notification_id")}


# Looked up by the exact type: a v1 (history) folds as its v2 does.
FOLDS: dict[type[EventData], Fold] = {
    ContactRegistered: registered,
    ContactRegisteredV1: registered,
    ContactConsentChanged: consent_changed,
    InteractionLogged: interaction_logged,
    InteractionLoggedV1: interaction_logged,
    CaseResolved: case_resolved,
    PurchaseRecorded: purchase_recorded,
    SurveyAnswered: survey_answered,
    SurveyAnsweredV1: survey_answered,
    InteractionSummary: text_recorded,
    SurveyComment: text_recorded,
    NotificationSent: notification_sent,
}
