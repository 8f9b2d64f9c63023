"""Settings of the outbound event webhooks, mixed into ``NotificationsSettings``."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings

from rapport_kit.settings import Environment
from rapport_notifications.domain.webhook_delivery import Backoff
from rapport_notifications.domain.webhook_subscription import DisablePolicy
from rapport_notifications.service_layer.webhook_relay import RelayPolicy


class EventWebhookSettings(BaseSettings):
    """Environment variables ``RAPPORT_NOTIFICATIONS_EVENT_WEBHOOKS_…``."""

    event_webhooks_max_attempts: int = Field(
        default=8, ge=1, description="Event webhook: tries of one delivery before it has failed."
    )
    event_webhooks_first_retry_seconds: float = Field(
        default=5.0, gt=0, description="Event webhook: wait before the first retry."
    )
    event_webhooks_retry_multiplier: float = Field(
        default=4.0, ge=1, description="Event webhook: each next wait is this many times longer."
    )
    event_webhooks_longest_retry_seconds: float = Field(
        default=6 * 3600.0, gt=0, description="Event webhook: the longest wait between tries."
    )
    event_webhooks_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Event webhook: per POST, connection included."
    )
    event_webhooks_interval_seconds: float = Field(
        default=1.0, gt=0, description="Event webhook: how often due deliveries are looked for."
    )
    event_webhooks_page: int = Field(
        default=500, ge=1, description="Event webhook: due deliveries taken per round."
    )
    event_webhooks_concurrency: int = Field(
        default=8, ge=1, description="Event webhook: (subscription, contact) queues sent at once."
    )
    event_webhooks_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="Event webhook: a delivery claimed longer ago is sent again (same id).",
    )
    event_webhooks_disable_after_failures: int = Field(
        default=50, ge=1, description="Event webhook: consecutive failed attempts that disable…"
    )
    event_webhooks_disable_after_seconds: float = Field(
        default=24 * 3600.0, ge=0, description="…when the failures span at least this long."
    )

    event_webhooks_retention_hours: float = Field(
        default=30 * 24.0,
        gt=0,
        description="Event webhook: finished deliveries (and their events) kept this long after"
        " they were enqueued: the horizon of a replay.",
    )
    event_webhooks_prune_interval_seconds: float = Field(
        default=3600.0, gt=0, description="Event webhook: how often old deliveries are pruned."
    )

    event_webhooks_secret_overlap_hours: float = Field(
        default=24.0,
        ge=0,
        description="Event webhook: after a secret rotation the old secret signs too this long.",
    )

    def event_webhook_secret_overlap(self) -> timedelta:
        return timedelta(hours=self.event_webhooks_secret_overlap_hours)

    def event_webhook_policy(self) -> RelayPolicy:
        return RelayPolicy(
            backoff=Backoff(
                max_attempts=self.event_webhooks_max_attempts,
                first=timedelta(seconds=self.event_webhooks_first_retry_seconds),
                multiplier=self.event_webhooks_retry_multiplier,
                longest=timedelta(seconds=self.event_webhooks_longest_retry_seconds),
            ),
            disable=DisablePolicy(
                failures=self.event_webhooks_disable_after_failures,
                span=timedelta(seconds=self.event_webhooks_disable_after_seconds),
            ),
            lease=timedelta(seconds=self.event_webhooks_lease_seconds),
            page=self.event_webhooks_page,
            concurrency=self.event_webhooks_concurrency,
        )

    def event_webhook_retention(self) -> timedelta:
        return timedelta(hours=self.event_webhooks_retention_hours)

    def event_webhooks_allow_plain_http(self) -> bool:
        """Plain http targets only outside production (local receivers, tests)."""
        return getattr(self, "environment", None) is not Environment.PRODUCTION
