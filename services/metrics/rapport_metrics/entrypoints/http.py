"""KPI queries over HTTP."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from rapport_kit.http import require_scope
from rapport_kit.mongo import Document
from rapport_metrics.domain.volume import InteractionVolume

router = APIRouter(
    prefix="/kpis", tags=["kpis"], dependencies=[Depends(require_scope("metrics:read"))]
)


def database(request: Request) -> AsyncDatabase[Document]:
    db: AsyncDatabase[Document] = request.app.state.runtime.db
    return db


class ChannelVolume(BaseModel):
    day: date
    channel: str
    inbound: int
    outbound: int


@router.get("/interaction-volume")
async def interaction_volume(
    db: Annotated[AsyncDatabase[Document], Depends(database)],
    day: Annotated[date, Query(description="UTC day")],
) -> list[ChannelVolume]:
    cursor = db[InteractionVolume.collection].find({"day": day.isoformat()}).sort("channel", 1)
    return [ChannelVolume.model_validate(document) async for document in cursor]
