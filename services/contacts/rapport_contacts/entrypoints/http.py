"""HTTP routes for the contact record: parse, call the service layer, answer. No rules here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from rapport_contacts.domain.duplicates import LOOKUPS, UniqueKey, lookup_key
from rapport_contacts.domain.model import Contact, new_contact_id
from rapport_contacts.entrypoints.errors import field_errors
from rapport_contacts.entrypoints.schemas import (
    ConsentRequest,
    ContactPage,
    ContactQuery,
    ContactResponse,
    ErasureResponse,
    MergeRequest,
    MergeResponse,
    ProfilePatch,
    RegisterContactRequest,
    RegisteredResponse,
)
from rapport_contacts.service_layer import handlers, lifecycle, reading, registration
from rapport_contacts.service_layer.ports import SegmentFilter
from rapport_contacts.service_layer.unit import Ports, load
from rapport_kit.callers import caller_id
from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_kit.idempotency import Answer, KeyedRequest
from rapport_kit.idempotency.http import keyed
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import Actor, ActorKind

router = APIRouter(prefix="/contacts", tags=["contacts"])


def ports(request: Request) -> Ports:
    wired: Ports = request.app.state.ports
    return wired


Wired = Annotated[Ports, Depends(ports)]
CanWrite = Depends(require_scope("contacts:write"))
CanRead = Depends(require_scope("contacts:read"))


def calling(request: Request) -> Actor:
    """The actor of a change made over HTTP: the API key's identity (``rapport_kit.callers``)."""
    return Actor(kind=ActorKind.API_KEY, id=caller_id(request))


Caller = Annotated[Actor, Depends(calling)]
# A keyed registration's contact id is chosen before anything runs, so a retry finds the contact.
KeyedCreation = Annotated[KeyedRequest | None, Depends(keyed(lambda _, __: new_contact_id()))]
KeyedChange = Annotated[
    KeyedRequest | None, Depends(keyed(lambda request, _: request.path_params["contact_id"]))
]


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[CanWrite])
async def register_contact(
    body: RegisterContactRequest, wired: Wired, key: KeyedCreation, caller: Caller
) -> RegisteredResponse:
    """Register a contact; 409 names the contact that already has the e-mail or phone."""
    answer = Answer(key, status.HTTP_201_CREATED, RegisteredResponse.of_registration)
    registered = await registration.register(
        wired,
        body.profile.to_profile(),
        tuple(body.consents),
        referred_by=body.referred_by,
        contact_id=key.target if key else None,
        actor=caller,
        keep=answer.kept,
    )
    return RegisteredResponse.of_registration(registered)


@router.get("", dependencies=[CanRead])
async def find_contacts(wired: Wired, query: Annotated[ContactQuery, Query()]) -> ContactPage:
    """Active contacts of a segment, in a stable order (follow ``next_cursor`` for more); or the
    one contact with an e-mail, phone or external id (normalized as at registration; none found
    is an empty page). One look-up at a time, without segment filters."""
    looked_up = lookup(query)
    if looked_up is not None:
        found = await reading.find_by(wired, looked_up)
        return ContactPage(items=[ContactResponse.of(found)] if found else [], next_cursor=None)
    segment = SegmentFilter(query.country, query.industry, query.region, query.tag)
    page = await reading.list_segment(wired, segment, limit=query.limit, after=query.cursor)
    items = [ContactResponse.of(c) for c in page.contacts]
    return ContactPage(items=items, next_cursor=page.next_cursor)


def lookup(query: ContactQuery) -> UniqueKey | None:
    """The key a look-up reads, or ``None`` for a segment listing; 422 names every parameter
    that cannot go together, or the value that is not valid."""
    given = {
        name for name, value in query.model_dump(exclude={"limit"}).items() if value is not None
    }
    asked = [name for name in LOOKUPS if name in given]
    if not asked:
        return None
    # A national phone number is read in ``country``, as at registration.
    together = given - {"country"} if asked == ["phone"] else given
    if len(together) > 1:
        message = "look up by one of email, phone, external_id, without filters or cursor"
        raise query_errors(sorted(together), message, "lookup_conflict")
    field = asked[0]
    try:
        return lookup_key(field, str(getattr(query, field)), country=query.country)
    except ValueError as error:
        raise query_errors([field], str(error), "value_error") from None


def query_errors(names: list[str], message: str, kind: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", name), "msg": message, "type": kind} for name in names]
    )


@router.get("/{contact_id}", dependencies=[CanRead])
async def read_contact(contact_id: PathId, wired: Wired) -> ContactResponse:
    return ContactResponse.of(await load(wired, contact_id))


@router.patch("/{contact_id}", dependencies=[CanWrite])
async def update_contact(
    contact_id: PathId, body: ProfilePatch, wired: Wired, caller: Caller
) -> ContactResponse:
    """Change some profile fields; the resulting profile is validated whole."""
    try:
        patch = body.model_dump(exclude_unset=True)
        updated = await registration.update(wired, contact_id, patch, actor=caller)
    except ValidationError as error:
        raise field_errors(error, prefix=("body",)) from None
    return ContactResponse.of(updated)


@router.put("/{contact_id}/consents/{channel}", dependencies=[CanWrite])
async def change_consent(
    contact_id: PathId, channel: Channel, body: ConsentRequest, wired: Wired, caller: Caller
) -> Consent:
    """Grant or withdraw consent for one channel, with where it was given and when."""
    consent = Consent(
        channel=channel,
        granted=body.granted,
        source=body.source,
        changed_at=body.changed_at or wired.clock(),
        purpose=body.purpose,
    )
    return await handlers.change_consent(wired, contact_id, consent, actor=caller)


@router.post("/{contact_id}/merge", dependencies=[CanWrite])
async def merge_contacts(
    contact_id: PathId, body: MergeRequest, wired: Wired, key: KeyedChange, caller: Caller
) -> MergeResponse:
    """Absorb ``duplicate_id`` into this contact; repeating the call completes a partial merge."""

    def render(survivor: Contact) -> MergeResponse:
        return MergeResponse(
            survivor_id=survivor.contact_id,
            merged_contact_id=body.duplicate_id,
            absorbed=list(survivor.absorbed),
        )

    answer = Answer(key, status.HTTP_200_OK, render)
    merged = await lifecycle.merge(
        wired, contact_id, body.duplicate_id, actor=caller, keep=answer.kept
    )
    return render(merged)


@router.delete("/{contact_id}", dependencies=[CanWrite])
async def erase_contact(contact_id: PathId, wired: Wired, caller: Caller) -> ErasureResponse:
    """Erase the contact's personal data everywhere (GDPR art. 17); only the proof remains."""
    erased = await lifecycle.erase(wired, contact_id, actor=caller)
    return ErasureResponse(contact_id=erased.contact_id, erased_at=erased.erased_at)
