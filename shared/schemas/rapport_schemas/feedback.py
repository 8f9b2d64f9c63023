"""Events published by the feedback service: on ``rapport.feedback.events`` and, for survey
comments, on the compacted ``rapport.feedback.personal``."""

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
    """A survey was answered; its comment is a ``SurveyComment`` on the personal topic (v2)."""

    event_type: ClassVar[str] = "rapport.feedback.survey_answered.v2"

    survey_id: EntityId
    contact_id: ContactId
    kind: SurveyKind
    score: int = Field(ge=0, le=10, description="NPS 0–10, CSAT 1–5, CES 1–7.")
    answered_at: AwareDatetime
    requested_at: AwareDatetime | None = None
    channel: Channel | None = None
    interaction_id: EntityId | None = None
    case_id: EntityId | None = None
    language: LanguageTag | None = Field(default=None, description="As in the survey request.")
    country: CountryCode | None = Field(default=None, description="As in the survey request.")
    has_comment: bool = Field(
        default=False,
        description="A `SurveyComment` keyed `<contact_id>:survey:<survey_id>` holds the text.",
    )


class SurveyAnsweredV1(SurveyAnswered):
    """Deprecated: carried the customer's comment; superseded by survey_answered.v2.

    Migration for subscribers: consume ``rapport.feedback.survey_answered.v2`` (the same fields
    without ``comment``) and join the comment from ``rapport.feedback.personal`` (a
    ``SurveyComment`` under the key ``<contact_id>:survey:<survey_id>``, erased by a tombstone).
    While feedback runs with ``PRODUCE_V1_EVENTS``, each v2 answer is followed by this v1 copy
    (its CloudEvents attribute ``rapportcopyof`` names the v2 event); records already in the log
    decode as v1 (a subclass of v2, so code handling v2 handles them too).
    """

    event_type: ClassVar[str] = "rapport.feedback.survey_answered.v1"
    superseded_by: ClassVar[str] = SurveyAnswered.event_type

    comment: str | None = Field(default=None, max_length=2000, description="Personal data.")


class DetractorReason(StrEnum):
    NPS_DETRACTOR = "nps_detractor"
    LOW_CSAT = "low_csat"
    COMPLAINT = "complaint"


class DetractorDetected(FeedbackEvent):
    """A customer needs a follow-up; the text behind it is on the personal topics (v2).

    A survey's comment is the ``SurveyComment`` of ``survey_id``; a complaint's text is the
    ``InteractionSummary`` of ``interaction_id`` on ``rapport.contacts.personal``.
    """

    event_type: ClassVar[str] = "rapport.feedback.detractor_detected.v2"

    contact_id: ContactId
    reason: DetractorReason
    detected_at: AwareDatetime
    score: int | None = Field(default=None, ge=0, le=10)
    survey_id: EntityId | None = None
    interaction_id: EntityId | None = None
    account_owner: str | None = Field(default=None, max_length=64)
    case_id: EntityId | None = Field(default=None, description="The case the survey concerned.")
    kind: SurveyKind | None = Field(default=None, description="The survey that was answered.")
    has_comment: bool = Field(
        default=False,
        description=(
            "The survey answer has a comment, or the complaint interaction has a summary, on the "
            "personal topics."
        ),
    )


class DetractorDetectedV1(DetractorDetected):
    """Deprecated: carried the comment or summary; superseded by detractor_detected.v2.

    Migration for subscribers: consume ``rapport.feedback.detractor_detected.v2`` (the same
    fields without ``comment``) and join the text from the personal topics: the survey's
    ``SurveyComment`` (key ``<contact_id>:survey:<survey_id>``) or the complaint's
    ``InteractionSummary`` (key ``<contact_id>:interaction:<interaction_id>``). While feedback
    runs with ``PRODUCE_V1_EVENTS``, each v2 event is followed by this v1 copy (``rapportcopyof``
    names the v2 event); records already in the log decode as v1, a subclass of v2.
    """

    event_type: ClassVar[str] = "rapport.feedback.detractor_detected.v1"
    superseded_by: ClassVar[str] = DetractorDetected.event_type

    comment: str | None = Field(default=None, max_length=2000, description="Personal data.")


class FeedbackPersonalEvent(EventData):
    """Personal data feedback holds, on the compacted ``rapport.feedback.personal``: one record
    per key (the latest wins), erased by a tombstone (the same key, value null)."""

    topic: ClassVar[str] = topics.FEEDBACK_PERSONAL


def survey_comment_key(contact_id: str, survey_id: str) -> str:
    """The Kafka key of a survey's comment (the contact who answered, then the survey)."""
    return f"{contact_id}:survey:{survey_id}"


class SurveyComment(FeedbackPersonalEvent):
    """The free text of a survey answer (personal data); key ``<contact_id>:survey:<survey_id>``."""

    event_type: ClassVar[str] = "rapport.feedback.survey_comment.v1"
    key_description: ClassVar[str] = "`<contact_id>:survey:<survey_id>`."

    contact_id: ContactId
    survey_id: EntityId
    comment: str = Field(min_length=1, max_length=2000, description="Personal data.")
    answered_at: AwareDatetime

    def partition_key(self) -> str:
        return survey_comment_key(self.contact_id, self.survey_id)
