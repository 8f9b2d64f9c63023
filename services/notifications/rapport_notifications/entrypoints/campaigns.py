"""HTTP API: create a campaign to a segment, and follow its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from pydantic import BaseModel

from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_notifications.domain.campaign_progress import Progress
from rapport_notifications.domain.campaigns import Campaign, CampaignRequest, CampaignState
from rapport_notifications.service_layer.campaigns import CampaignConflict, CampaignDesk

router = APIRouter(tags=["campaigns"])


class CampaignView(BaseModel):
    campaign_id: str
    name: str
    state: CampaignState
    created_at: datetime
    send_at: datetime | None
    launched_at: datetime | None
    progress: Progress


def _view(campaign: Campaign, progress: Progress) -> CampaignView:
    return CampaignView(
        campaign_id=campaign.campaign_id,
        name=campaign.request.name,
        state=campaign.state,
        created_at=campaign.created_at,
        send_at=campaign.request.send_at,
        launched_at=campaign.launched_at,
        progress=progress,
    )


def _desk(request: Request) -> CampaignDesk:
    desk: CampaignDesk = request.app.state.campaigns
    return desk


@router.post(
    "/campaigns",
    status_code=status.HTTP_201_CREATED,
    operation_id="createCampaign",
    dependencies=[Depends(require_scope("notifications:campaigns"))],
)
async def create_campaign(
    body: CampaignRequest,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CampaignView:
    """Send ``messages`` (or a catalog ``template``) to the ``audience`` from ``send_at`` on;
    a repeated Idempotency-Key returns the campaign it created."""
    try:
        campaign = await _desk(request).create(body, idempotency_key)
    except CampaignConflict:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "Idempotency-Key: used before for another campaign"
        ) from None
    response.headers["Location"] = f"/campaigns/{campaign.campaign_id}"
    return _view(campaign, Progress())


@router.get(
    "/campaigns/{campaign_id}",
    operation_id="getCampaign",
    dependencies=[Depends(require_scope("notifications:read"))],
)
async def campaign_progress(campaign_id: PathId, request: Request) -> CampaignView:
    """The campaign and where its deliveries stand: targeted, sent, waiting, deferred and
    skipped by reason."""
    report = await _desk(request).report(campaign_id)
    if report is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "campaign_id: no such campaign")
    return _view(*report)
