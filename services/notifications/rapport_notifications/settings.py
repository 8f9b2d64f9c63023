"""Settings of the notifications service (environment variables ``RAPPORT_NOTIFICATIONS_…``)."""

from __future__ import annotations

import functools
from datetime import datetime, time, timedelta
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import (
    Environment,
    LinkSigningSettings,
    ServiceSettings,
    is_public_https,
)
from rapport_kit.signed_links import (
    PREFERENCES,
    SURVEY_ANSWER,
    UNSUBSCRIBE,
    LinkClaims,
    sign_link,
)
from rapport_notifications.domain.compose import CompositionContext
from rapport_notifications.domain.customer_links import LinkMaker
from rapport_notifications.domain.decision import DeliveryPolicy
from rapport_notifications.domain.delivery import Retries
from rapport_notifications.domain.pressure import PressureBudget, TemplateCap
from rapport_notifications.domain.quiet_hours import DeliveryWindow
from rapport_notifications.event_webhook_settings import EventWebhookSettings
from rapport_schemas.common import Channel

DEVELOPMENT_WEBHOOK_SECRET = "dev-webhook-secret-change-me"  # noqa: S105 — refused in production


class FrequencyCap(BaseModel):
    """At most ``limit`` messages of one template per contact within ``hours``."""

    limit: int = Field(ge=1)
    hours: int = Field(ge=1)


class NotificationsSettings(ServiceSettings, LinkSigningSettings, EventWebhookSettings):
    """Environment variables prefixed ``RAPPORT_NOTIFICATIONS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_NOTIFICATIONS_", extra="ignore")

    http_port: int = 8003
    mongo_database: str = "rapport_notifications"

    brand_name: str = Field(default="Rapport", description="Named in every message.")
    default_locale: str = Field(
        default="en", description="Catalog of last resort after locale negotiation."
    )
    internal_locale: str = Field(default="en", description="Locale of alerts to agents.")
    internal_time_zone: str = Field(default="UTC", description="Time zone of alerts to agents.")
    idempotency_key_retention_hours: float = Field(
        default=24,
        gt=0,
        description="How long an Idempotency-Key on POST /webhooks/subscriptions is remembered: "
        "a retry within it answers the first response; after it the key is new again.",
    )
    answer_base_url: str = Field(
        default="http://127.0.0.1:8002/answers",
        description="The survey page as customers reach it (https in production).",
    )
    preferences_base_url: str = Field(
        default="http://127.0.0.1:8001",
        description="The contacts service as customers reach it: its /preferences and"
        " /unsubscribe pages are linked from every non-transactional message (https in"
        " production).",
    )
    unsubscribe_mailbox: str = Field(
        default="unsubscribe@rapport.local",
        description="The mailto address of List-Unsubscribe; requests sent there are the"
        " operator's to honour (this service reads no mail).",
    )
    customer_link_days: int = Field(
        default=90, ge=31, description="How long preference and unsubscribe links work."
    )
    inbox_token_days: int = Field(
        default=30, ge=1, description="How long a contact's in-app inbox token works."
    )

    quiet_hours_start: time = Field(
        default=time(21, 0), description="No customer message from this local time…"
    )
    quiet_hours_end: time = Field(default=time(8, 0), description="…until this local time.")
    quiet_on_weekends: bool = Field(
        default=False, description="Hold customer messages over the country's weekend too."
    )
    quiet_on_public_holidays: bool = Field(
        default=False, description="Hold customer messages on the country's public holidays."
    )
    business_day_end: time = Field(default=time(18, 0), description="When a business day ends.")
    complaint_reply_business_days: int = Field(
        default=1, ge=0, description="Reply promised in a complaint acknowledgement."
    )
    detractor_follow_up_business_days: int = Field(
        default=2, ge=1, description="Follow-up promised to a detractor."
    )
    frequency_caps: dict[str, FrequencyCap] = Field(
        default={
            "purchase_thank_you": FrequencyCap(limit=1, hours=24),
            "detractor_follow_up": FrequencyCap(limit=1, hours=7 * 24),
        },
        description="Template → cap per contact, JSON-encoded in the environment.",
    )
    contact_pressure_budget: int = Field(
        default=3,
        ge=1,
        description="Non-transactional messages (survey invitations, campaigns) per contact in"
        " the rolling window; one budget for all (feedback's CONTACT_PRESSURE_PER_WEEK should"
        " match).",
    )
    contact_pressure_window_days: float = Field(
        default=7, gt=0, description="The rolling window of the contact-pressure budget."
    )
    channel_fallback_order: list[Channel] = Field(
        default_factory=lambda: [Channel.EMAIL, Channel.SMS, Channel.IN_APP],
        description="Channels tried after the preferred one, in order.",
    )

    smtp_host: str = Field(default="127.0.0.1", description="The e-mail channel's SMTP server.")
    smtp_port: int = Field(default=2525, ge=1, le=65535, description="Its port.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="Plain, STARTTLS or implicit TLS."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, if required.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(default=10.0, description="Per SMTP conversation.")
    mail_from: str = Field(
        default="Rapport <notifications@rapport.local>", description="The From of every e-mail."
    )
    agent_emails: dict[str, str] = Field(default={}, description="Agent id → e-mail address.")
    team_email: str = Field(
        default="support-team@rapport.local", description="Alerts for agents without an address."
    )

    webhook_url: str | None = Field(
        default=None,
        description="SMS/chat provider called for the sms channel; unset: no sms channel.",
    )
    webhook_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_WEBHOOK_SECRET),
        description="Signs webhook calls; the development secret is refused in production.",
    )
    webhook_timeout_seconds: float = Field(default=5.0, description="Per webhook call.")

    delivery_max_attempts: int = Field(
        default=5, ge=1, description="Sends tried for a transient failure, then failed."
    )
    retry_first_delay_seconds: float = Field(
        default=30.0, gt=0, description="Delay before the first retry; doubled for each next one."
    )
    retry_max_delay_seconds: float = Field(
        default=3600.0, gt=0, description="The longest delay between retries."
    )
    dispatch_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often due deliveries are looked for."
    )
    dispatch_page: int = Field(default=500, ge=1, description="Due deliveries taken per round.")
    dispatch_concurrency: int = Field(
        default=8, ge=1, description="Contacts whose due deliveries are sent at the same time."
    )
    lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="A delivery claimed longer ago than this is taken over; one being sent is"
        " failed as outcome_unknown, never sent twice.",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0, gt=0, description="How long shutdown waits for a send under way."
    )
    unknown_contact_grace_seconds: float = Field(
        default=600.0, description="How long a trigger waits for its contact to be known."
    )
    unknown_contact_retry_seconds: float = Field(
        default=15.0, gt=0, description="How often such a trigger looks again."
    )

    def delivery_policy(self, channels: frozenset[Channel]) -> DeliveryPolicy:
        """The rules ``decide`` applies, with the channels this process can send on."""
        window = DeliveryWindow(
            quiet_start=self.quiet_hours_start,
            quiet_end=self.quiet_hours_end,
            avoid_weekends=self.quiet_on_weekends,
            avoid_public_holidays=self.quiet_on_public_holidays,
        )
        return DeliveryPolicy(
            window=window,
            channel_order=self.channel_fallback_order,
            available_channels=channels,
            internal_locale=self.internal_locale,
            internal_time_zone=self.internal_time_zone,
            team_email=self.team_email,
            agent_emails=self.agent_emails,
            unknown_contact_grace=timedelta(seconds=self.unknown_contact_grace_seconds),
            unknown_contact_retry=timedelta(seconds=self.unknown_contact_retry_seconds),
        )

    def pressure_budget(self) -> PressureBudget:
        return PressureBudget(
            limit=self.contact_pressure_budget,
            window=timedelta(days=self.contact_pressure_window_days),
            caps={
                template: TemplateCap(cap.limit, timedelta(hours=cap.hours))
                for template, cap in self.frequency_caps.items()
            },
        )

    def retries(self) -> Retries:
        return Retries(
            max_attempts=self.delivery_max_attempts,
            first_delay=timedelta(seconds=self.retry_first_delay_seconds),
            max_delay=timedelta(seconds=self.retry_max_delay_seconds),
            lease=timedelta(seconds=self.lease_seconds),
        )

    def composition(self, now: datetime) -> CompositionContext:
        """What messages are composed with at ``now``; survey links signed with the newest key."""
        return CompositionContext(
            now=now,
            brand=self.brand_name,
            answer_base_url=self.answer_base_url,
            sign_survey_link=functools.partial(_sign_survey_link, self.link_keys()[0]),
            business_day_end=self.business_day_end,
            complaint_reply_business_days=self.complaint_reply_business_days,
            detractor_follow_up_business_days=self.detractor_follow_up_business_days,
        )

    def customer_links(self) -> LinkMaker:
        """The preference and unsubscribe links, signed with the newest key."""
        key = self.link_keys()[0]
        return LinkMaker(
            base_url=self.preferences_base_url,
            mailbox=self.unsubscribe_mailbox,
            lifetime=timedelta(days=self.customer_link_days),
            sign_preferences=functools.partial(_sign, key, PREFERENCES),
            sign_unsubscribe=functools.partial(_sign, key, UNSUBSCRIBE),
        )

    @model_validator(mode="after")
    def _refuse_pages_customers_cannot_reach(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            for name in ("answer_base_url", "preferences_base_url"):
                if not is_public_https(getattr(self, name)):
                    raise ValueError(
                        f"{name}: production needs the public https address customers reach"
                    )
        return self

    @model_validator(mode="after")
    def _refuse_development_webhook_secret(self) -> Self:
        secret = self.webhook_secret.get_secret_value()
        if self.environment is Environment.PRODUCTION and secret == DEVELOPMENT_WEBHOOK_SECRET:
            raise ValueError("webhook_secret: the development secret is not allowed in production")
        return self


def _sign_survey_link(key: bytes, survey_id: str, expires_at: datetime) -> str:
    return _sign(key, SURVEY_ANSWER, survey_id, expires_at)


def _sign(key: bytes, purpose: str, subject: str, expires_at: datetime) -> str:
    return sign_link(LinkClaims(purpose, subject, expires_at), key)
