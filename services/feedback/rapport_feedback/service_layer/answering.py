"""The answer intake use case: check the token, validate, record once, emit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rapport_feedback.domain.answers import (
    Answer,
    Respondent,
    Survey,
    SurveyAlreadyAnswered,
    SurveyNotFound,
    accept_answer,
    ensure_open,
)
from rapport_feedback.domain.outcome import MAX_MERGE_HOPS, SOURCE, derived_id
from rapport_feedback.domain.tokens import survey_link_claims
from rapport_feedback.service_layer.ports import (
    ContactFeedbackStore,
    EventCounter,
    SurveyStore,
)
from rapport_kit.clock import Clock
from rapport_kit.signed_links import InvalidLink
from rapport_schemas import CloudEvent, EventData, wrap
from rapport_schemas.feedback import SurveyAnswered


@dataclass
class AnswerIntake:
    surveys: SurveyStore
    contacts: ContactFeedbackStore
    clock: Clock
    metrics: EventCounter
    link_keys: Sequence[bytes]

    async def open(self, token: str) -> Survey:
        """The survey a link opens, in whatever state; ``AnswerRejected`` if it is no link."""
        try:
            claims = survey_link_claims(token, keys=self.link_keys, now=self.clock())
        except InvalidLink:
            raise SurveyNotFound("unknown survey link") from None
        survey = await self.surveys.find(claims.subject)
        if survey is None:
            raise SurveyNotFound("unknown survey link")
        # The link's own expiry binds too (the record keeps the latest one announced).
        return replace(survey, expires_at=min(survey.expires_at, claims.expires_at))

    def ensure_open(self, survey: Survey) -> None:
        """Raises the ``AnswerRejected`` that explains why ``survey`` takes no answer now."""
        ensure_open(survey, self.clock())

    async def submit(self, token: str, answer: Answer) -> SurveyAnswered:
        """Raises an ``AnswerRejected`` subclass, having stored nothing, for every refusal."""
        survey = await self.open(token)
        respondent = await _respondent(survey.contact_id, self.contacts)
        now = self.clock()
        events = accept_answer(survey, answer, respondent, now)
        envelopes: list[CloudEvent[EventData]] = [
            wrap(data, source=SOURCE, event_id=derived_id(survey.survey_id, type(data).__name__))
            for data in events
        ]
        if not await self.surveys.record_answer(survey.survey_id, envelopes, now):
            raise SurveyAlreadyAnswered("this survey was already answered")
        self.metrics.observe(events)
        return events[0]


async def _respondent(contact_id: str, contacts: ContactFeedbackStore) -> Respondent:
    """The contact the survey was sent to, or the survivor it has since been merged into."""
    loaded = await contacts.load([contact_id])
    state = loaded[contact_id][0] if contact_id in loaded else None
    for _ in range(MAX_MERGE_HOPS):
        if state is None or state.merged_into not in loaded:
            break
        state = loaded[state.merged_into][0]
    if state is None:
        return Respondent(contact_id=contact_id)
    return Respondent(contact_id=state.contact_id, account_owner=state.account_owner)
