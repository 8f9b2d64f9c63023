"""Settings of the contacts service: environment variables prefixed ``RAPPORT_CONTACTS_``."""

from datetime import time

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import LinkSigningSettings, ServiceSettings
from rapport_schemas.common import Channel
from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES


class ContactsSettings(ServiceSettings, LinkSigningSettings):
    """Environment variables prefixed ``RAPPORT_CONTACTS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_CONTACTS_", extra="ignore")

    http_port: int = 8001
    mongo_database: str = "rapport_contacts"
    segment_vocabularies: dict[str, frozenset[str]] = Field(
        default=DEFAULT_VOCABULARIES,
        description="Allowed segment values per kind (industry, company_size, region, tags; "
        "JSON lists). They become KPI series keys: keep them in step with "
        "RAPPORT_METRICS_SEGMENT_VOCABULARIES.",
    )
    business_day_opens: time = Field(default=time(9), description="Local opening time.")
    business_day_closes: time = Field(
        default=time(18), description="Local end of the business day: e-mail deadlines fall here."
    )
    sla_business_hours: dict[Channel, float] = Field(
        default={Channel.LIVE_CHAT: 2, Channel.SOCIAL_MEDIA: 4, Channel.SMS: 4, Channel.PHONE: 8},
        description="Channels answered within business hours; the rest follow the e-mail rule.",
    )
    sla_check_interval_seconds: float = Field(
        default=30.0, gt=0, description="How often missed SLA deadlines are looked for."
    )
    outbox_sweep_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often the outbox sweeper looks for unpublished events."
    )
    outbox_sweep_grace_seconds: float = Field(
        default=2.0, ge=0, description="The sweeper leaves younger entries to their writer."
    )
    idempotency_key_retention_hours: float = Field(
        default=24,
        gt=0,
        description="How long an Idempotency-Key is remembered: a retry within it answers the "
        "first response; after it the key is new again.",
    )
    idempotency_sweep_interval_seconds: float = Field(
        default=600, gt=0, description="How often expired Idempotency-Keys are forgotten."
    )
    view_timeline_month_limit: int = Field(
        default=2000,
        ge=1,
        le=10_000,
        description="Timeline entries kept per contact and UTC month (the newest); the timeline "
        "itself has no cap: it is read page by page.",
    )
    view_erasure_sweep_interval_seconds: float = Field(
        default=5.0, gt=0, description="How often an erased contact's timeline pages are deleted."
    )
    brand_name: str = Field(
        default="Rapport", description="Named on the preference center and unsubscribe pages."
    )
    view_list_limit: int = Field(
        default=50, ge=1, le=500, description="Entries kept per list of a 360° view (purchases…)."
    )
