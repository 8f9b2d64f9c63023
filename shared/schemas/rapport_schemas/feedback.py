"""Events published by the feedback service on ``rapport.feedback.events``."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from rapport_schemas import topics
from rapport_schemas.common import Channel, ContactId, CountryCode, EntityId, LanguageTag
from rapport_schemas.envelope import EventData


class SurveyKind(StrEnum):
    NPS = "nps"
    CSAT = "csat"
    CES = "ces"


class FeedbackEvent(EventData):
    topic: ClassVar[str] = topics.FEEDBACK


class SurveyRequested(FeedbackEvent):
    """A survey was issued; its answer link goes only to the customer, never on a topic (v2)."""

    event_type: ClassVar[str] = "rapport.feedback.survey_requested.v2"

    survey_id: EntityId
    contact_id: ContactId
    kind: SurveyKind
    expires_at: AwareDatetime
    language: LanguageTag
    channel: Channel
    requested_at: AwareDatetime
    interaction_id: EntityId | None = None
    case_id: EntityId | None = None
    trigger_event_id: str | None = Field(default=None, max_length=128)
    country: CountryCode | None = Field(
        default=None, description="The contact's country when asked, for response-rate segments."
    )


class SurveyRequestedV1(SurveyRequested):
    """Deprecated: carried the answer token in clear; superseded by survey_requested.v2.

    Migration for subscribers: consume ``rapport.feedback.survey_requested.v2`` (the same fields
    without ``token``). Nothing produces v1 any more; records already in the log still decode as
    v1 (a subclass of v2, so code handling v2 handles them too), and their tokens no longer answer
    a survey: the answer link is signed by the services that send it.
    """

    event_type: ClassVar[str] = "rapport.feedback.survey_requested.v1"
    superseded_by: ClassVar[str] = SurveyRequested.event_type

    token: str = Field(min_length=16, max_length=128, description="No longer accepted.")


class SurveyAnswered(FeedbackEvent):
    event_type: ClassVar[str] = "rapport.feedback.survey_answered.v1"

    survey_id: EntityId
    contact_id: ContactId
    kind: SurveyKind
    score: int = Field(ge=0, le=10, description="NPS 0–10, CSAT 1–5, CES 1–7.")
    comment: str | None = Field(default=None, max_length=2000, description="Personal data.")
    answered_at: AwareDatetime
    requested_at: AwareDatetime | None = None
    channel: Channel | None = None
    interaction_id: EntityId | None = None
    case_id: EntityId | None = None
    language: LanguageTag | None = Field(default=None, description="As in the survey request.")
    country: CountryCode | None = Field(default=None, description="As in the survey request.")


class DetractorReason(StrEnum):
    NPS_DETRACTOR = "nps_detractor"
    LOW_CSAT = "low_csat"
    COMPLAINT = "complaint"


class DetractorDetected(FeedbackEvent):
    event_type: ClassVar[str] = "rapport.feedback.detractor_detected.v1"

    contact_id: ContactId
    reason: DetractorReason
    detected_at: AwareDatetime
    score: int | None = Field(default=None, ge=0, le=10)
    comment: str | None = Field(default=None, max_length=2000, description="Personal data.")
    survey_id: EntityId | None = None
    interaction_id: EntityId | None = None
    account_owner: str | None = Field(default=None, max_length=64)
    case_id: EntityId | None = Field(default=None, description="The case the survey concerned.")
    kind: SurveyKind | None = Field(default=None, description="The survey that was answered.")
