"""The read models this service folds from the event log (bootstrap and `rapport-ops rebuild`)."""

from __future__ import annotations

from rapport_feedback.settings import FeedbackSettings
from rapport_feedback.views.aggregates import AnswersByInteraction, AnswersByKind
from rapport_feedback.views.by_contact import FeedbackByContact
from rapport_feedback.views.response_rates import ResponseRates
from rapport_kit.rebuild import ReadModel
from rapport_schemas import topics

VIEWS_CONSUMER = "views"


def read_models(settings: FeedbackSettings) -> dict[str, ReadModel]:
    projections = (FeedbackByContact(), AnswersByKind(), AnswersByInteraction(), ResponseRates())
    # The personal topic brings the answers' comments (and their tombstones) to by_contact.
    folded = (topics.FEEDBACK, topics.FEEDBACK_PERSONAL, topics.CONTACTS)
    return {VIEWS_CONSUMER: ReadModel(VIEWS_CONSUMER, folded, projections)}


def from_environment() -> tuple[FeedbackSettings, dict[str, ReadModel]]:
    settings = FeedbackSettings()
    return settings, read_models(settings)
