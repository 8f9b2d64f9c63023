"""The answer intake use case: check the token, validate, record once, emit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rapport_feedback.domain.answers import (
    AcceptedAnswer,
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
from rapport_feedback.domain.v1_copies import v1_copy
from rapport_feedback.service_layer.ports import (
    ContactFeedbackStore,
    EventCounter,
    SurveyStore,
)
from rapport_kit.clock import Clock
from rapport_kit.signed_links import InvalidLink
from rapport_schemas import CloudEvent, EventData, wrap
from rapport_schemas.feedback import DetractorDetected, SurveyAnswered


@dataclass
class AnswerIntake:
    surveys: SurveyStore
    contacts: ContactFeedbackStore
    clock: Clock
    metrics: EventCounter
    link_keys: Sequence[bytes]
    produce_v1_events: bool = False

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
        """Raises an ``AnswerRejected`` subclass, having stored nothing, for every refusal.

        The answer, its comment (on the personal topic) and any v1 copies are one write of the
        survey's record, so none of them is stored without the others."""
        survey = await self.open(token)
        respondent = await _respondent(survey.contact_id, self.contacts)
        now = self.clock()
        accepted = accept_answer(survey, answer, respondent, now)
        envelopes = self._envelopes(survey.survey_id, accepted)
        commenter = accepted.comment.contact_id if accepted.comment else None
        if not await self.surveys.record_answer(survey.survey_id, envelopes, now, commenter):
            raise SurveyAlreadyAnswered("this survey was already answered")
        self.metrics.observe(accepted.events())
        return accepted.answered

    def _envelopes(self, survey_id: str, accepted: AcceptedAnswer) -> list[CloudEvent[EventData]]:
        """Each event under an id derived from the survey, each v2 one followed by its v1 copy
        while ``produce_v1_events`` is on."""
        comment = accepted.comment.comment if accepted.comment else None
        envelopes: list[CloudEvent[EventData]] = []
        for data in accepted.events():
            event_id = derived_id(survey_id, type(data).__name__)
            envelopes.append(wrap(data, source=SOURCE, event_id=event_id))
            if self.produce_v1_events and isinstance(data, SurveyAnswered | DetractorDetected):
                envelopes.append(v1_copy(envelopes[-1], comment))
        return envelopes


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
