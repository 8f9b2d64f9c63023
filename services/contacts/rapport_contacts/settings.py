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
    produce_v1_events: bool = Field(
        default=False,
        description="Migration to the v2 events (issue 20): while true, each contact_registered, "
        "contact_updated and interaction_logged v2 is followed on rapport.contacts.events by its "
        "v1 copy (name, e-mail, phone, company, external ids and the summary included; its own "
        "id, the same subject and sequence, the CloudEvents extension rapportcopyof naming the "
        "v2 event's id) for subscribers not yet reading rapport.contacts.personal. Rapport's own "
        "consumers skip the copies. Set it false once every subscriber reads v2.",
    )
    erasure_deadline_hours: float = Field(
        default=24,
        gt=0,
        le=24,
        description="Hours after an erasure by which none of the person's records is left on "
        "rapport.contacts.personal (GDPR: without undue delay; at most 24). The topic is created, "
        "and altered on every start, compacted with segment.ms, max.compaction.lag.ms and "
        "delete.retention.ms a third of this each. Kafka never compacts a partition's active "
        "segment and rolls it only when a record is appended after segment.ms, so a tombstone "
        "in a quiet partition could wait for traffic without bound: while any erasure is younger "
        "than this, contacts appends a roll tombstone (key _roll:<partition>, no contact's) to "
        "every partition each segment.ms. ErasureCompleted's deadline_at is erased_at plus this. "
        "Fractions are allowed (tests use seconds).",
    )
    view_list_limit: int = Field(
        default=50, ge=1, le=500, description="Entries kept per list of a 360° view (purchases…)."
    )
