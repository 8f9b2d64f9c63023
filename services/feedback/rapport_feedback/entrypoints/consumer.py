"""The survey consumer: contact and notification events from the kit's batch consumer, decided by
the survey desk. The kit decodes, retries and dead-letters; this only hands the events over."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_feedback.service_layer.surveying import SurveyDesk
from rapport_kit.consuming import ApplyBatch, ReceivedEvent
from rapport_schemas import topics

SURVEYS_CONSUMER = "surveys"
SURVEY_TRIGGERS = (topics.CONTACTS, topics.NOTIFICATIONS)


def survey_decisions(desk: SurveyDesk) -> ApplyBatch:
    async def apply(batch: Sequence[ReceivedEvent]) -> None:
        await desk.decide([received.event for received in batch])

    return apply
