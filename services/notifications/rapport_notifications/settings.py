"""Settings of the notifications service (environment variables ``RAPPORT_NOTIFICATIONS_…``)."""

from __future__ import annotations

from datetime import time
from ipaddress import ip_address
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import Environment, LinkSigningSettings, ServiceSettings
from rapport_schemas.common import Channel

DEVELOPMENT_WEBHOOK_SECRET = "dev-webhook-secret-change-me"  # noqa: S105 — refused in production


class FrequencyCap(BaseModel):
    """At most ``limit`` messages of one template per contact within ``hours``."""

    limit: int = Field(ge=1)
    hours: int = Field(ge=1)


class NotificationsSettings(ServiceSettings, LinkSigningSettings):
    """Environment variables prefixed ``RAPPORT_NOTIFICATIONS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_NOTIFICATIONS_", extra="ignore")

    http_port: int = 8003
    mongo_database: str = "rapport_notifications"

    brand_name: str = "Rapport"
    default_locale: str = "en"
    internal_locale: str = Field(default="en", description="Locale of alerts to agents.")
    internal_time_zone: str = Field(default="UTC", description="Time zone of alerts to agents.")
    answer_base_url: str = Field(
        default="http://127.0.0.1:8002/answers",
        description="The survey page as customers reach it (https in production).",
    )

    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    quiet_on_weekends: bool = False
    quiet_on_public_holidays: bool = False
    business_day_end: time = Field(default=time(18, 0), description="When a business day ends.")
    complaint_reply_business_days: int = Field(default=1, ge=0)
    detractor_follow_up_business_days: int = Field(default=2, ge=1)
    frequency_caps: dict[str, FrequencyCap] = Field(
        default={
            "purchase_thank_you": FrequencyCap(limit=1, hours=24),
            "detractor_follow_up": FrequencyCap(limit=1, hours=7 * 24),
        },
        description="Template → cap per contact, JSON-encoded in the environment.",
    )
    channel_fallback_order: list[Channel] = Field(
        default_factory=lambda: [Channel.EMAIL, Channel.SMS, Channel.IN_APP],
        description="Channels tried after the preferred one, in order.",
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Rapport <notifications@rapport.local>"
    agent_emails: dict[str, str] = Field(default={}, description="Agent id → e-mail address.")
    team_email: str = Field(
        default="support-team@rapport.local", description="Alerts for agents without an address."
    )

    webhook_url: str | None = Field(default=None, description="SMS/chat provider; None = off.")
    webhook_secret: SecretStr = SecretStr(DEVELOPMENT_WEBHOOK_SECRET)
    webhook_timeout_seconds: float = 5.0

    delivery_max_attempts: int = Field(default=5, ge=1)
    retry_first_delay_seconds: float = Field(default=30.0, gt=0)
    retry_max_delay_seconds: float = Field(default=3600.0, gt=0)
    dispatch_interval_seconds: float = Field(default=1.0, gt=0)
    dispatch_page: int = Field(default=500, ge=1, description="Due deliveries taken per round.")
    dispatch_concurrency: int = Field(
        default=8, ge=1, description="Contacts whose due deliveries are sent at the same time."
    )
    lease_seconds: float = Field(default=120.0, gt=0)
    shutdown_grace_seconds: float = Field(
        default=10.0, gt=0, description="How long shutdown waits for a send under way."
    )
    unknown_contact_grace_seconds: float = Field(
        default=600.0, description="How long a trigger waits for its contact to be known."
    )
    unknown_contact_retry_seconds: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _refuse_a_survey_page_customers_cannot_reach(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            url = urlsplit(self.answer_base_url)
            if url.scheme != "https" or _is_loopback(url.hostname or ""):
                raise ValueError(
                    "answer_base_url: production needs the public https address of the survey page"
                )
        return self

    @model_validator(mode="after")
    def _refuse_development_webhook_secret(self) -> Self:
        secret = self.webhook_secret.get_secret_value()
        if self.environment is Environment.PRODUCTION and secret == DEVELOPMENT_WEBHOOK_SECRET:
            raise ValueError("webhook_secret: the development secret is not allowed in production")
        return self


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
