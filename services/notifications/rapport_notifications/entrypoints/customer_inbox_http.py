"""HTTP API of the in-app inbox for the customer's own client (``Authorization: Bearer`` with the
contact's inbox token), and the operator route that issues such a token."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_notifications.service_layer.customer_inbox import (
    CustomerInbox,
    ExpiredLink,
    InvalidLink,
    UnknownMessage,
)

router = APIRouter(tags=["customer inbox"])
_inbox_token = HTTPBearer(
    scheme_name="InboxToken",
    auto_error=False,
    description="The contact's inbox token (POST /contacts/{contact_id}/inbox-token).",
)


class CustomerMessage(BaseModel):
    notification_id: str
    template: str
    locale: str
    direction: Literal["ltr", "rtl"]
    subject: str
    body: str
    created_at: datetime
    read: bool
    archived: bool = False
    read_at: datetime | None = None
    archived_at: datetime | None = None

    @classmethod
    def of(cls, document: dict[str, Any]) -> CustomerMessage:
        return cls(notification_id=document["_id"], **document)


class InboxPage(BaseModel):
    unread: int = Field(description="Messages neither read nor archived.")
    messages: list[CustomerMessage] = Field(description="Newest first, at most 50.")


class UnreadCount(BaseModel):
    unread: int


class MessageMarks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read: bool | None = None
    archived: bool | None = None

    @model_validator(mode="after")
    def _something_to_mark(self) -> Self:
        if self.read is None and self.archived is None:
            raise ValueError("give read, archived or both")
        return self


class InboxToken(BaseModel):
    contact_id: str
    token: str = Field(description="Send as `Authorization: Bearer <token>` to /inbox.")
    expires_at: datetime


def _inbox(request: Request) -> CustomerInbox:
    inbox: CustomerInbox = request.app.state.customer_inbox
    return inbox


Inbox = Annotated[CustomerInbox, Depends(_inbox)]


async def _contact(
    inbox: Inbox,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_inbox_token)],
) -> str:
    """The contact whose inbox the bearer token opens; 401 otherwise (an API key included)."""
    if credentials is None:
        raise _unauthorized("missing inbox token")
    try:
        return inbox.contact_of(credentials.credentials)
    except ExpiredLink:
        raise _unauthorized("the inbox token has expired") from None
    except InvalidLink:
        raise _unauthorized("not an inbox token") from None


Contact = Annotated[str, Depends(_contact)]


@router.get("/inbox")
async def customer_inbox(
    contact_id: Contact,
    inbox: Inbox,
    archived: Annotated[bool, Query(description="Include archived messages.")] = False,
) -> InboxPage:
    """The customer's in-app messages and how many are unread."""
    messages = await inbox.messages(contact_id, archived=archived)
    unread = await inbox.unread(contact_id)
    return InboxPage(unread=unread, messages=[CustomerMessage.of(m) for m in messages])


@router.get("/inbox/unread-count")
async def unread_count(contact_id: Contact, inbox: Inbox) -> UnreadCount:
    """For a badge: messages neither read nor archived."""
    return UnreadCount(unread=await inbox.unread(contact_id))


@router.patch("/inbox/messages/{notification_id}")
async def mark_message(
    notification_id: PathId, body: MessageMarks, contact_id: Contact, inbox: Inbox
) -> CustomerMessage:
    """Mark one message read or unread, archived or not; 404 if it is not the customer's."""
    try:
        marked = await inbox.mark(
            contact_id, notification_id, read=body.read, archived=body.archived
        )
    except UnknownMessage:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such message in this inbox") from None
    return CustomerMessage.of(marked)


@router.post(
    "/contacts/{contact_id}/inbox-token",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_scope("notifications:inbox-tokens"))],
)
async def issue_inbox_token(contact_id: PathId, inbox: Inbox) -> InboxToken:
    """A token for the contact's own client (after the operator's app signed the customer in)."""
    issued = inbox.issue(contact_id)
    return InboxToken(contact_id=contact_id, token=issued.token, expires_at=issued.expires_at)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )
