"""Queries: a segment's contacts page by page, a look-up by a unique value, the 360° view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapport_contacts.domain.duplicates import UniqueKey, unique_keys
from rapport_contacts.domain.model import Contact
from rapport_contacts.service_layer.ports import ContactViewReader, SegmentFilter
from rapport_contacts.service_layer.unit import Ports, survivor_of
from rapport_contacts.views import personal
from rapport_contacts.views.timeline import Position, month_of, newest_first, page_month

MONTHS_PER_READ = 3


@dataclass(frozen=True)
class ContactsPage:
    contacts: list[Contact]
    next_cursor: str | None


async def list_segment(
    ports: Ports, segment: SegmentFilter, *, limit: int, after: str | None
) -> ContactsPage:
    """Active contacts in a stable order; countries are stored upper case and tags lower case."""
    normalized = SegmentFilter(
        country=segment.country.upper() if segment.country else None,
        industry=segment.industry,
        region=segment.region,
        tag=segment.tag.lower() if segment.tag else None,
    )
    found = await ports.contacts.in_segment(normalized, limit=limit, after=after)
    next_cursor = found[-1].contact_id if len(found) == limit else None
    return ContactsPage(found, next_cursor)


async def find_by(ports: Ports, unique: UniqueKey) -> Contact | None:
    """The contact holding an e-mail, phone or external id, through the uniqueness index (one
    ``_id`` read, which FerretDB serves from its index); a merged contact answers with its
    survivor; an erased one holds no key any more. A claim whose contact does not (or no longer)
    carry the value is a registration in flight or a leftover: not found."""
    claim = await ports.keys.holder(unique.key)
    if claim is None:
        return None
    holder = await ports.contacts.get(claim.contact_id)
    if not isinstance(holder, Contact) or unique not in unique_keys(holder.profile):
        return None
    return await survivor_of(ports, holder)


@dataclass(frozen=True)
class ViewPage:
    """The 360° view with one page of its timeline, newest first."""

    view: dict[str, Any]
    timeline: list[dict[str, Any]]
    next_cursor: str | None


async def read_view(
    views: ContactViewReader, contact_id: str, *, limit: int = 50, cursor: str | None = None
) -> ViewPage | None:
    """``None`` while no event about the contact has been folded; ``cursor`` (a
    ``next_cursor``) continues after the last item shown; a bad cursor raises ``ValueError``."""
    before = Position.from_cursor(cursor) if cursor is not None else None
    view = await views.get(contact_id)
    if view is None:
        return None
    items = await _timeline(views, list(view.get("timeline_pages", [])), before, limit + 1)
    shown = items[:limit]
    more = len(items) > limit
    held = [contact_id, *view.get("merged_from", [])]  # the survivor's own part first
    found = await views.personal(held)
    part = personal.merged(found[held_id] for held_id in held if held_id in found)
    joined = [{**item, "details": personal.with_texts(item["details"], part)} for item in shown]
    return ViewPage(
        _with_personal(view, part), joined, Position.of(shown[-1]).cursor() if more else None
    )


def _with_personal(view: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """The view with the personal records' fields: its profile's, its latest answers' comments."""
    scores = {
        kind: {**answer, "comment": personal.comment_of(part, answer["survey_id"])}
        if answer.get("has_comment")
        else answer
        for kind, answer in view.get("latest_scores", {}).items()
    }
    profile = personal.profile_with(view.get("profile"), part)
    return {**view, "profile": profile, "latest_scores": scores}


async def _timeline(
    views: ContactViewReader, pages: list[str], before: Position | None, wanted: int
) -> list[dict[str, Any]]:
    """Month pages newest first, a few months per read, until ``wanted`` items are found."""
    months = sorted({page_month(page) for page in pages}, reverse=True)
    if before is not None:
        months = [month for month in months if month <= month_of(before.at)]
    found: list[dict[str, Any]] = []
    for start in range(0, len(months), MONTHS_PER_READ):
        chunk = months[start : start + MONTHS_PER_READ]
        documents = await views.pages([page for page in pages if page_month(page) in chunk])
        for month in chunk:
            same_month = [document for document in documents if document.get("month") == month]
            found.extend(newest_first(same_month, before=before))
        if len(found) >= wanted:
            break
    return found[:wanted]
