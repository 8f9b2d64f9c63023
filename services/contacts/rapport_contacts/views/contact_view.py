"""The 360° view of a contact: profile, timeline across channels and services, purchases and
lifetime value, latest NPS/CSAT/CES, open cases and complaints, notifications sent.

A ``Projection`` for the kit's ``ProjectionStore`` (idempotent under redelivery). It follows
merges (the survivor takes the absorbed contact's history; the absorbed document keeps its data,
marked ``merged_into``, so a crash between the two writes is repaired by redelivery) and erasure
(the document shrinks to the proof of erasure and ignores anything arriving later). The
personal topics' records are folded apart (``personal.PersonalPart``) and joined on reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rapport_contacts.views import folds, personal, timeline
from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas.contacts import Actor, ContactErased, ContactsMerged

# Event times, in order of preference; otherwise the envelope's time.
TIME_FIELDS = (
    "occurred_at",
    "registered_at",
    "updated_at",
    "answered_at",
    "requested_at",
    "detected_at",
    "sent_at",
    "failed_at",
    "resolved_at",
    "merged_at",
)
# Never copied into the timeline: a secret, and data the view already holds elsewhere.
NOT_IN_TIMELINE = {"contact_id", "token", "profile", "consents", "actor"}


class ContactView:
    collection = "contact_views"

    def __init__(self, *, timeline_month_limit: int = 2000, list_limit: int = 50) -> None:
        self.timeline_month_limit = timeline_month_limit
        self.list_limit = list_limit

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        """The views the event is about, then their month pages (a page looks its view up)."""
        data = received.data
        if personal.is_personal(received):  # the view's personal part folds it (``personal``)
            return ()
        if isinstance(data, ContactsMerged):
            views: tuple[str, ...] = (data.contact_id, data.survivor_id)  # absorbed first
        else:
            contact_id = getattr(data, "contact_id", None)
            views = (contact_id,) if isinstance(contact_id, str) else ()
        if isinstance(data, ContactErased):
            return views
        at = event_time(received)
        return (*views, *(timeline.page_key(view, at) for view in views))

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        if timeline.is_page(key):
            return self._page(state, received, key, lookup)
        view = state or folds.empty_view(key)
        data = received.data
        if view["status"] == "erased":
            return view
        if isinstance(data, ContactErased):
            return {
                "contact_id": key,
                "status": "erased",
                "erased_at": data.erased_at,
                "erased_pages": view["timeline_pages"],  # deleted by the sweep
            }
        if isinstance(data, ContactsMerged):
            view = self._merged(view, data, key, lookup)
        elif (fold := folds.FOLDS.get(type(data))) is not None:
            view = fold(view, data, self.list_limit)
        return self._with_timeline_item(view, received)

    def _merged(self, view: Document, data: ContactsMerged, key: str, lookup: Lookup) -> Document:
        if key == data.contact_id:
            return {**view, "status": "merged", "merged_into": data.survivor_id}
        absorbed = lookup(data.contact_id)
        if absorbed is None or absorbed.get("status") == "erased":
            return view
        return self._absorb(view, absorbed, data.contact_id)

    def _absorb(self, view: Document, absorbed: Document, absorbed_id: str) -> Document:
        limit = self.list_limit
        return {
            **view,
            "timeline_pages": sorted({*view["timeline_pages"], *absorbed["timeline_pages"]}),
            "purchases": folds.newest(
                [*view["purchases"], *absorbed["purchases"]],
                at="occurred_at",
                identity="purchase_id",
                limit=limit,
            ),
            "purchase_count": view["purchase_count"] + absorbed["purchase_count"],
            "lifetime_value": folds.add_money(view["lifetime_value"], absorbed["lifetime_value"]),
            "latest_scores": folds.latest_scores(view["latest_scores"], absorbed["latest_scores"]),
            "open_cases": _union(view["open_cases"], absorbed["open_cases"], "case_id"),
            "open_complaints": _union(
                view["open_complaints"], absorbed["open_complaints"], "interaction_id"
            ),
            "notifications_sent": view["notifications_sent"] + absorbed["notifications_sent"],
            "recent_notifications": folds.newest(
                [*view["recent_notifications"], *absorbed["recent_notifications"]],
                at="sent_at",
                identity="notification_id",
                limit=limit,
            ),
            "merged_from": sorted({*view["merged_from"], absorbed_id, *absorbed["merged_from"]}),
        }

    def _with_timeline_item(self, view: Document, received: ProjectedEvent) -> Document:
        """The item itself goes to its month page (``_page``); the view lists the page."""
        page = timeline.page_key(view["contact_id"], event_time(received))
        return {**view, "timeline_pages": sorted({*view["timeline_pages"], page})}

    def _page(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        view = lookup(timeline.page_contact(key))  # already evolved by this event
        if view is None or view["status"] == "erased":
            return timeline.empty_page(key)
        return timeline.with_item(state, key, item(received), limit=self.timeline_month_limit)


def item(received: ProjectedEvent) -> Document:
    """One timeline entry: when, what, who, and the event's non-personal-duplicate details."""
    return {
        "at": event_time(received),
        "event_id": received.event.id,
        "type": received.event.type,
        "actor": _actor(received),
        "details": received.data.model_dump(mode="json", exclude=NOT_IN_TIMELINE),
    }


def event_time(received: ProjectedEvent) -> datetime:
    for name in TIME_FIELDS:
        value = getattr(received.data, name, None)
        if isinstance(value, datetime):
            return value
    return received.event.time


def _actor(received: ProjectedEvent) -> Document | None:
    """Who made the change (contacts events name it; other services' events do not)."""
    actor = getattr(received.data, "actor", None)
    return actor.model_dump(mode="json") if isinstance(actor, Actor) else None


def _union(mine: list[Document], theirs: list[Document], identity: str) -> list[Document]:
    known = {item[identity] for item in mine}
    return [*mine, *(item for item in theirs if item[identity] not in known)]
