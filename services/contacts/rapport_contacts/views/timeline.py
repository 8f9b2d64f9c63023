"""The 360° timeline kept whole, in month pages beside the view document, read newest first.

A contact's timeline has no cap: each UTC month of events is one page document (``<contact
id>~<YYYY-MM>``, in the view's collection) and the view lists its pages (``timeline_pages``), so a
read fetches pages by ``_id`` (FerretDB's index) newest month first until a page of the timeline is
full. A merge gives the survivor the absorbed contact's pages; erasure empties the list, and the
pages it listed (``erased_pages``) are deleted by a sweep (``ContactViews.delete_erased_pages``):
a projection writes only the documents an event routes to, and the month pages of a contact are not
known from its erasure event.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from rapport_kit.projection import Document

PAGE = "~"


def month_of(at: datetime) -> str:
    """The UTC month: local dates of different offsets would not sort with the times. A month,
    not a day: a contact's events of a few weeks are one document to load and write per batch."""
    return at.astimezone(UTC).strftime("%Y-%m")


def page_key(contact_id: str, at: datetime) -> str:
    return f"{contact_id}{PAGE}{month_of(at)}"


def is_page(key: str) -> bool:
    return PAGE in key


def page_contact(key: str) -> str:
    return key.split(PAGE, 1)[0]


def page_month(key: str) -> str:
    return key.split(PAGE, 1)[1]


@dataclass(frozen=True, order=True)
class Position:
    """Where an item stands in the timeline: its time, then its event id (ties)."""

    at: datetime
    event_id: str

    @classmethod
    def of(cls, item: Document) -> Position:
        return cls(item["at"], item["event_id"])

    def cursor(self) -> str:
        raw = json.dumps({"at": self.at.isoformat(), "id": self.event_id}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str) -> Position:
        """Raises ``ValueError`` for anything that is not a cursor this service gave out."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            fields = json.loads(raw)
            at = datetime.fromisoformat(fields["at"])
            event_id = fields["id"]
        except (binascii.Error, ValueError, KeyError, TypeError):
            raise ValueError("not a timeline cursor (pass next_cursor as given)") from None
        if at.tzinfo is None or not isinstance(event_id, str):
            raise ValueError("not a timeline cursor (pass next_cursor as given)")
        return cls(at, event_id)


def with_item(page: Document | None, key: str, item: Document, *, limit: int) -> Document:
    """The month page with ``item`` (once, by event id), oldest first, the newest ``limit`` kept."""
    items = {i["event_id"]: i for i in (page or {}).get("items", [])}
    items[item["event_id"]] = item
    ordered = sorted(items.values(), key=Position.of)[-limit:]
    return {"contact_id": page_contact(key), "month": page_month(key), "items": ordered}


def empty_page(key: str) -> Document:
    return {"contact_id": page_contact(key), "month": page_month(key), "items": []}


def newest_first(pages: list[Document], *, before: Position | None) -> list[Document]:
    """The items of ``pages`` (one month, any contacts), newest first, those before ``before``."""
    items = [i for page in pages for i in page.get("items", [])]
    if before is not None:
        items = [i for i in items if Position.of(i) < before]
    return sorted(items, key=Position.of, reverse=True)
