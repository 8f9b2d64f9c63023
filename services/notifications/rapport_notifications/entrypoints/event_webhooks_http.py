"""HTTP API of the outbound event webhooks: subscriptions, their delivery log, re-enable, replay.

Scopes: ``webhooks:read`` to read, ``webhooks:manage`` to change. The secret is answered once,
by the create call (and to a retry of it with the same ``Idempotency-Key``: the same answer).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, Field

from rapport_kit.http import require_scope
from rapport_kit.http_guards import PathId
from rapport_kit.idempotency import Answer, KeyedRequest
from rapport_kit.idempotency.http import keyed
from rapport_notifications.domain.webhook_delivery import DeliveryState
from rapport_notifications.domain.webhook_subscription import Subscription, SubscriptionState
from rapport_notifications.entrypoints.event_webhooks_models import (
    DeliveryRecord,
    FiltersBody,
    NewSecret,
    NewSubscription,
    ReplayRange,
    SubscriptionChange,
)
from rapport_notifications.service_layer.webhook_subscriptions import (
    InvalidField,
    SubscriptionNotFound,
    WebhookAdmin,
    new_subscription_id,
)

T = TypeVar("T")
router = APIRouter(prefix="/webhooks/subscriptions", tags=["webhooks"])
READ = [Depends(require_scope("webhooks:read"))]
MANAGE = [Depends(require_scope("webhooks:manage"))]


class SubscriptionView(BaseModel):
    subscription_id: str
    url: str
    event_types: list[str]
    personal_data: bool = Field(description="Personal fields are delivered (else left out).")
    filters: FiltersBody
    state: SubscriptionState
    description: str | None
    created_at: datetime | None
    failures: int = Field(description="Consecutive failed attempts (the current streak).")
    failing_since: datetime | None
    disabled_reason: str | None


class CreatedSubscription(SubscriptionView):
    secret: str = Field(description="whsec_…: verifies signatures; shown only this once.")


class RotatedSecret(BaseModel):
    secret: str = Field(description="The new whsec_ secret; shown only this once.")
    previous_secret_until: datetime | None = Field(
        description="Until then deliveries carry a signature with the old secret too."
    )


class Replayed(BaseModel):
    replayed: int = Field(description="Deliveries due again.")


def _admin(request: Request) -> WebhookAdmin:
    admin: WebhookAdmin = request.app.state.webhook_admin
    return admin


Admin = Annotated[WebhookAdmin, Depends(_admin)]
# A keyed creation's subscription id is chosen before anything runs, so the claim names it and a
# retry finds the subscription (and the answer kept in its document).
KeyedCreation = Annotated[KeyedRequest | None, Depends(keyed(lambda _, __: new_subscription_id()))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=MANAGE,
    operation_id="createWebhookSubscription",
)
async def create_subscription(
    body: NewSubscription, admin: Admin, key: KeyedCreation
) -> CreatedSubscription:
    """Subscribe an endpoint; the answer carries its secret, the only time it is shown. With an
    ``Idempotency-Key`` a retry answers the first response (secret included) and subscribes once.
    """
    # The replay carries the secret again, on purpose: the draft's duplicate request gets the
    # first response, and that response is exactly what a client whose connection dropped lost;
    # without its secret the subscription would exist but could not be verified (only rotated).
    # It is no wider exposure: the key belongs to the same caller (the API key's identity, under
    # webhooks:manage, which may rotate the secret anyway), the secret already lives in this
    # document, and the kept answer is dropped when the key's retention ends.
    answer = Answer(key, status.HTTP_201_CREATED, _created)
    subscription_id = key.target if key else None
    created = await _answering(
        admin.create(body.wanted(), subscription_id=subscription_id, keep=answer.kept)
    )
    return _created(created)


@router.get("", dependencies=READ, operation_id="listWebhookSubscriptions")
async def list_subscriptions(admin: Admin) -> list[SubscriptionView]:
    return [_view(s) for s in await admin.subscriptions.all()]


@router.get("/{subscription_id}", dependencies=READ, operation_id="getWebhookSubscription")
async def get_subscription(subscription_id: PathId, admin: Admin) -> SubscriptionView:
    return _view(await _answering(admin.get(subscription_id)))


@router.patch("/{subscription_id}", dependencies=MANAGE, operation_id="changeWebhookSubscription")
async def change_subscription(
    subscription_id: PathId, body: SubscriptionChange, admin: Admin
) -> SubscriptionView:
    """Change the fields given; the others stay."""
    return _view(await _answering(admin.change(subscription_id, body.changes())))


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=MANAGE,
    operation_id="deleteWebhookSubscription",
)
async def delete_subscription(subscription_id: PathId, admin: Admin) -> Response:
    """Remove the subscription and its deliveries (nothing more is sent)."""
    await _answering(admin.remove(subscription_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/enable", dependencies=MANAGE, operation_id="enableWebhookSubscription"
)
async def enable_subscription(subscription_id: PathId, admin: Admin) -> SubscriptionView:
    """Re-enable (after an automatic disable): waiting deliveries go out, in order."""
    return _view(await _answering(admin.enable(subscription_id)))


@router.post(
    "/{subscription_id}/disable", dependencies=MANAGE, operation_id="disableWebhookSubscription"
)
async def disable_subscription(subscription_id: PathId, admin: Admin) -> SubscriptionView:
    """Pause: deliveries are kept and wait for ``enable``."""
    return _view(await _answering(admin.disable(subscription_id)))


@router.post("/{subscription_id}/secret", dependencies=MANAGE, operation_id="rotateWebhookSecret")
async def rotate_secret(subscription_id: PathId, body: NewSecret, admin: Admin) -> RotatedSecret:
    """A new secret; during the overlap each delivery is signed with the new and the old one
    (space-separated signatures, as Standard Webhooks allows), so receivers switch at leisure."""
    rotated = await _answering(admin.rotate_secret(subscription_id, body.secret))
    return RotatedSecret(secret=rotated.secret, previous_secret_until=rotated.previous_secret_until)


@router.post("/{subscription_id}/replay", dependencies=MANAGE, operation_id="replayWebhookEvents")
async def replay(subscription_id: PathId, body: ReplayRange, admin: Admin) -> Replayed:
    """Send again the events whose time is in [from, to), each with its original webhook-id.

    No ``Idempotency-Key`` is needed: a replay appends nothing. It sets the subscription's
    finished deliveries in the range due again; there is one delivery per (subscription, event
    id), so a retried replay cannot enqueue a second one, and a delivery still under way is not
    touched (the retry's count leaves it out). At worst an event is sent once more with the same
    webhook-id, which receivers dedupe on (at-least-once, as every delivery)."""
    count = await _answering(admin.replay(subscription_id, body.start, body.end))
    return Replayed(replayed=count)


@router.get(
    "/{subscription_id}/deliveries", dependencies=READ, operation_id="listWebhookDeliveries"
)
async def delivery_log(
    subscription_id: PathId,
    admin: Admin,
    state: DeliveryState | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRecord]:
    """Deliveries of the subscription, latest events first: attempts, last answer, next try."""
    documents = await _answering(admin.log(subscription_id, state=state, limit=limit))
    return [DeliveryRecord.of(document) for document in documents]


async def _answering(pending: Awaitable[T]) -> T:
    """Run a use case; unknown subscription → 404, refused field → 422 naming it."""
    try:
        result = await pending
    except SubscriptionNotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no subscription {error}") from None
    except InvalidField as error:
        detail = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail) from None
    return result


def _created(subscription: Subscription) -> CreatedSubscription:
    return CreatedSubscription(**_view(subscription).model_dump(), secret=subscription.secret)


def _view(subscription: Subscription) -> SubscriptionView:
    return SubscriptionView(
        subscription_id=subscription.subscription_id,
        url=subscription.url,
        event_types=sorted(subscription.event_types),
        personal_data=subscription.personal_data,
        filters=FiltersBody(
            countries=sorted(subscription.filters.countries),
            changed_fields=sorted(subscription.filters.changed_fields),
        ),
        state=subscription.state,
        description=subscription.description,
        created_at=subscription.created_at,
        failures=subscription.failures,
        failing_since=subscription.failing_since,
        disabled_reason=subscription.disabled_reason,
    )
