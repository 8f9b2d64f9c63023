"""The channels this process can send on: e-mail and in-app always, sms when a webhook is set."""

from __future__ import annotations

import httpx
from pymongo.asynchronous.collection import AsyncCollection

from rapport_kit.clock import Clock
from rapport_kit.mongo import Document
from rapport_notifications.adapters.channels.email import SmtpChannel
from rapport_notifications.adapters.channels.in_app import InAppChannel
from rapport_notifications.adapters.channels.webhook import WebhookChannel
from rapport_notifications.service_layer.ports import DeliveryChannel
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas.common import Channel


def configured_channels(
    settings: NotificationsSettings,
    client: httpx.AsyncClient,
    inbox: AsyncCollection[Document],
    clock: Clock,
) -> dict[Channel, DeliveryChannel]:
    channels: dict[Channel, DeliveryChannel] = {
        Channel.EMAIL: SmtpChannel(settings),
        Channel.IN_APP: InAppChannel(inbox, clock),
    }
    if settings.webhook_url:
        secret = settings.webhook_secret.get_secret_value()
        channels[Channel.SMS] = WebhookChannel(client, url=settings.webhook_url, secret=secret)
    return channels
