from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from rapport_feedback.domain.policy import SurveyRules
from rapport_kit.settings import LinkSigningSettings, ServiceSettings


class FeedbackSettings(ServiceSettings, LinkSigningSettings):
    """Environment variables prefixed ``RAPPORT_FEEDBACK_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_FEEDBACK_", extra="ignore")

    http_port: int = 8002
    mongo_database: str = "rapport_feedback"
    brand_name: str = Field(default="Rapport", description="Named in the survey page's question.")
    default_locale: str = Field(default="en", description="Survey page language of last resort.")
    nps_interval_days: int = Field(default=90, ge=1, description="At most one NPS per contact.")
    nps_after_interaction: bool = Field(
        default=True, description="An interaction (not a complaint) may trigger an NPS survey."
    )
    nps_after_purchase: bool = Field(
        default=True, description="A purchase may trigger an NPS survey."
    )
    survey_fatigue_cap: int = Field(default=2, ge=0, description="Surveys per contact per window.")
    survey_fatigue_window_days: int = Field(
        default=30, ge=1, description="The window of the survey fatigue cap."
    )
    contact_pressure_per_week: int = Field(
        default=3, ge=0, description="Non-transactional messages, shared with notifications."
    )
    contact_pressure_window_days: int = Field(
        default=7, ge=1, description="The window of the contact pressure budget."
    )
    survey_token_ttl_days: int = Field(
        default=14,
        ge=1,
        description="A survey (and its link) expires this long after it is requested.",
    )
    remembered_triggers: int = Field(
        default=100, ge=1, description="Trigger ids kept per contact to ignore redeliveries."
    )
    produce_v1_events: bool = Field(
        default=False,
        description="Migration: also publish each answer and detractor as its v1 event (with the"
        " comment), a copy marked `rapportcopyof`, for subscribers not yet on v2.",
    )
    erasure_deadline_hours: float = Field(
        default=24,
        gt=0,
        le=24,
        description="After an erasure no survey comment of the contact is readable on"
        " rapport.feedback.personal for longer than this (its compaction settings).",
    )

    def survey_rules(self) -> SurveyRules:
        return SurveyRules(
            nps_interval=timedelta(days=self.nps_interval_days),
            nps_after_interaction=self.nps_after_interaction,
            nps_after_purchase=self.nps_after_purchase,
            fatigue_cap=self.survey_fatigue_cap,
            fatigue_window=timedelta(days=self.survey_fatigue_window_days),
            pressure_cap=self.contact_pressure_per_week,
            pressure_window=timedelta(days=self.contact_pressure_window_days),
        )
