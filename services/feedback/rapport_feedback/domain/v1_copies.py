"""v1 copies of the events whose v1 carried text, for subscribers not yet on v2 (migration).

While ``PRODUCE_V1_EVENTS`` is on, each ``SurveyAnswered`` and ``DetractorDetected`` is followed by
its v1 event with the text this service knows (a survey's comment; a complaint's summary only when
the interaction came as v1: a v2 one leaves it with contacts). The copy has its own id, derived
from the original's (a retried decision derives the same), the original's subject and time, and
the CloudEvents extension ``rapportcopyof`` naming the original, so no Rapport consumer folds it.
"""

from __future__ import annotations

from rapport_feedback.domain.outcome import derived_id
from rapport_schemas import CloudEvent, EventData, wrap
from rapport_schemas.feedback import (
    DetractorDetected,
    DetractorDetectedV1,
    SurveyAnswered,
    SurveyAnsweredV1,
)


def v1_copy(original: CloudEvent[EventData], comment: str | None) -> CloudEvent[EventData]:
    """The v1 event of ``original`` (a v2 answer or detractor) with ``comment`` filled in."""
    data = original.data
    fields = {**data.model_dump(), "comment": comment}
    copied: EventData
    if isinstance(data, SurveyAnswered):
        copied = SurveyAnsweredV1(**fields)
    elif isinstance(data, DetractorDetected):
        copied = DetractorDetectedV1(**fields)
    else:
        raise TypeError(f"{type(data).__name__} has no v1 with personal data")
    envelope: CloudEvent[EventData] = wrap(
        copied,
        source=original.source,
        event_id=derived_id(original.id, "v1"),
        time=original.time,
        copy_of=original.id,
    )
    return envelope
