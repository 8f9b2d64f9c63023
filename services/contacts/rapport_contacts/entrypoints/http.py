"""HTTP routes: parse, call the domain, store with the outbox. No business rules here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import AwareDatetime, BaseModel, Field

from rapport_contacts.adapters.repository import ContactRepository
from rapport_contacts.domain import model
from rapport_kit.http import require_scope
from rapport_schemas import wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import ContactProfile, Direction, InteractionKind

SOURCE = "/rapport/contacts"
router = APIRouter(prefix="/contacts", tags=["contacts"])


def repository(request: Request) -> ContactRepository:
    repo: ContactRepository = request.app.state.contacts
    return repo


Repository = Annotated[ContactRepository, Depends(repository)]
CanWrite = Depends(require_scope("contacts:write"))
CanRead = Depends(require_scope("contacts:read"))


class RegisterContactRequest(BaseModel):
    profile: ContactProfile
    consents: list[Consent] = Field(default_factory=list, max_length=20)
    referred_by: str | None = Field(default=None, max_length=64)


class ContactResponse(BaseModel):
    contact_id: str
    profile: ContactProfile
    consents: list[Consent]
    registered_at: datetime


class LogInteractionRequest(BaseModel):
    channel: Channel
    direction: Direction
    kind: InteractionKind
    occurred_at: AwareDatetime | None = None
    agent_id: str | None = Field(default=None, max_length=64)
    case_id: str | None = Field(default=None, max_length=64)
    in_reply_to: str | None = Field(default=None, max_length=64)
    summary: str | None = Field(default=None, max_length=2000)


class InteractionResponse(BaseModel):
    interaction_id: str
    contact_id: str


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[CanWrite])
async def register_contact(body: RegisterContactRequest, contacts: Repository) -> ContactResponse:
    command = model.RegisterContact(body.profile, tuple(body.consents), body.referred_by)
    contact, event = model.register_contact(command, now=datetime.now(UTC))
    await contacts.add(contact, [wrap(event, source=SOURCE)])
    return _response(contact)


@router.get("/{contact_id}", dependencies=[CanRead])
async def read_contact(contact_id: str, contacts: Repository) -> ContactResponse:
    contact = await contacts.get(contact_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"contact {contact_id} not found")
    return _response(contact)


@router.post(
    "/{contact_id}/interactions", status_code=status.HTTP_201_CREATED, dependencies=[CanWrite]
)
async def log_interaction(
    contact_id: str, body: LogInteractionRequest, contacts: Repository
) -> InteractionResponse:
    contact = await contacts.get(contact_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"contact {contact_id} not found")
    command = model.LogInteraction(
        contact_id=contact_id,
        occurred_at=body.occurred_at or datetime.now(UTC),
        **body.model_dump(exclude={"occurred_at"}),
    )
    event = model.log_interaction(contact, command)
    await contacts.record(contact_id, [wrap(event, source=SOURCE)])
    return InteractionResponse(interaction_id=event.interaction_id, contact_id=contact_id)


def _response(contact: model.Contact) -> ContactResponse:
    return ContactResponse(
        contact_id=contact.contact_id,
        profile=contact.profile,
        consents=list(contact.consents),
        registered_at=contact.registered_at,
    )
