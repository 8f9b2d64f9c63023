"""The data-subject export route: one JSON document per contact, under its own scope."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status

from rapport_contacts.entrypoints.export_schemas import ContactExport
from rapport_contacts.entrypoints.http import Wired
from rapport_contacts.service_layer import export
from rapport_contacts.service_layer.ports import ContactViewReader
from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId

router = APIRouter(prefix="/contacts", tags=["privacy"])
# Its own scope: an export hands over everything at once, which a read key should not imply.
CanExport = Depends(require_scope("contacts:export"))


@router.get(
    "/{contact_id}/export",
    dependencies=[CanExport],
    responses={
        status.HTTP_404_NOT_FOUND: {"description": "No such contact."},
        status.HTTP_410_GONE: {"description": "The contact was erased: nothing is held."},
    },
)
async def export_contact(contact_id: PathId, wired: Wired, request: Request) -> ContactExport:
    """Everything Rapport holds about the contact (GDPR art. 15 access, art. 20 portability):
    profile, consents with source and time, interactions, purchases, cases, survey answers and
    messages sent. Built from every service's events, so an item appears once it is folded."""
    records: ContactViewReader = request.app.state.records
    found = await export.export(wired, records, contact_id)
    now = wired.clock()
    if found.moved_to is not None:
        return ContactExport.merged(contact_id, found.moved_to, now)
    return ContactExport.of(found.contact, found.record, now)
