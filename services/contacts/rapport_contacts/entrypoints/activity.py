"""HTTP routes for what happens with a contact: interactions, purchases, cases, the 360° view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status

from rapport_contacts.domain.interactions import LogInteraction
from rapport_contacts.entrypoints.http import Caller, CanRead, CanWrite, KeyedChange, Wired
from rapport_contacts.entrypoints.schemas import (
    ContactViewResponse,
    InteractionResponse,
    LogInteractionRequest,
    RecordPurchaseRequest,
    ResolveCaseRequest,
    TimelineQuery,
)
from rapport_contacts.service_layer import handlers, reading
from rapport_contacts.service_layer.ports import ContactViewReader
from rapport_kit.http_guards import PathId
from rapport_kit.idempotency import Answer
from rapport_schemas.contacts import CaseResolved, PurchaseRecorded

router = APIRouter(prefix="/contacts", tags=["activity"])


@router.post(
    "/{contact_id}/interactions", status_code=status.HTTP_201_CREATED, dependencies=[CanWrite]
)
async def log_interaction(
    contact_id: PathId,
    body: LogInteractionRequest,
    wired: Wired,
    key: KeyedChange,
    caller: Caller,
) -> InteractionResponse:
    """Log an interaction on any channel; an inbound one starts an SLA clock, and an outbound
    one ``in_reply_to`` it stops that clock."""
    fields = body.model_dump(exclude={"occurred_at"})
    command = LogInteraction(occurred_at=body.occurred_at or wired.clock(), **fields)
    answer = Answer(key, status.HTTP_201_CREATED, InteractionResponse.of)
    return InteractionResponse.of(
        await handlers.record_interaction(
            wired, contact_id, command, actor=caller, keep=answer.kept
        )
    )


@router.post(
    "/{contact_id}/purchases", status_code=status.HTTP_201_CREATED, dependencies=[CanWrite]
)
async def record_purchase(
    contact_id: PathId,
    body: RecordPurchaseRequest,
    wired: Wired,
    key: KeyedChange,
    caller: Caller,
) -> PurchaseRecorded:
    answer: Answer[PurchaseRecorded] = Answer(key, status.HTTP_201_CREATED, lambda p: p)
    return await handlers.record_purchase(
        wired, contact_id, **body.model_dump(), actor=caller, keep=answer.kept
    )


@router.post("/{contact_id}/cases/{case_id}/resolve", dependencies=[CanWrite])
async def resolve_case(
    contact_id: PathId,
    case_id: PathId,
    *,
    wired: Wired,
    key: KeyedChange,
    caller: Caller,
    body: ResolveCaseRequest | None = None,
) -> CaseResolved:
    """Close a case: tells whether it was resolved on first contact and how long it took."""
    agent_id = body.agent_id if body else None
    answer: Answer[CaseResolved] = Answer(key, status.HTTP_200_OK, lambda r: r)
    return await handlers.close_case(
        wired, contact_id, case_id, agent_id=agent_id, actor=caller, keep=answer.kept
    )


@router.get("/{contact_id}/view", dependencies=[CanRead])
async def read_view(
    contact_id: PathId, request: Request, query: Annotated[TimelineQuery, Query()]
) -> ContactViewResponse:
    """The 360° view, built from every service's events (eventually consistent), with the
    newest ``limit`` timeline items; pass ``timeline_next_cursor`` as ``cursor`` for older ones."""
    views: ContactViewReader = request.app.state.views
    try:
        page = await reading.read_view(views, contact_id, limit=query.limit, cursor=query.cursor)
    except ValueError as error:
        detail = [{"loc": ["query", "cursor"], "msg": str(error), "type": "value_error"}]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from None
    if page is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no view of contact {contact_id} yet")
    return ContactViewResponse.model_validate(
        {**page.view, "timeline": page.timeline, "timeline_next_cursor": page.next_cursor}
    )
