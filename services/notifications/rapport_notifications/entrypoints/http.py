"""HTTP API: a contact's in-app inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_notifications.service_layer.ports import Inbox

router = APIRouter(tags=["inbox"])


class InboxMessage(BaseModel):
    notification_id: str
    template: str
    locale: str
    direction: Literal["ltr", "rtl"]
    subject: str
    body: str
    created_at: datetime
    read: bool
    archived: bool = False


@router.get(
    "/contacts/{contact_id}/inbox",
    dependencies=[Depends(require_scope("notifications:read"))],
)
async def inbox(contact_id: PathId, request: Request) -> list[InboxMessage]:
    """The contact's in-app messages, newest first (at most 50)."""
    store: Inbox = request.app.state.inbox
    documents = await store.messages(contact_id)
    return [InboxMessage(notification_id=d["_id"], **d) for d in documents]
