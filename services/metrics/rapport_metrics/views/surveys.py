"""Survey requests and their answers, keyed by survey id: a response rate within 0–100 %.

An answer counts as ``answered`` only against a request that was counted, in the request's
window and in the tally the request was counted in (its contact, recorded here; ``segments``
for pairs from before tallies), whichever of the two events arrives last; so a segment change
between request and answer moves both and cannot push the rate of a segment past 100 %, and an
answer to a request never seen is not a response to anything counted.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_metrics.domain.directory import Directory
from rapport_metrics.domain.resegment import segment_map
from rapport_schemas.feedback import SurveyAnswered, SurveyRequested

SURVEYS = "surveys"


class SurveyPairs:
    collection = SURVEYS

    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        return (data.survey_id,) if isinstance(data, SurveyRequested | SurveyAnswered) else ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data, current = received.data, dict(state or {})
        if isinstance(data, SurveyRequested) and "requested_at" not in current:
            contact = data.contact_id  # as ``Context.counted``: not resolved through merges
            segments = self.directory.segments(contact, channel=data.channel.value)
            current |= {"requested_at": data.requested_at.isoformat()}
            current["segments"] = segment_map(segments)
            # The tally the request is counted in (``domain.tally``): its answer joins it there.
            current |= {"contact": contact, "channel": data.channel.value}
        if isinstance(data, SurveyAnswered):
            current["answered"] = True
        if "requested_at" in current and current.get("answered") and "completed_by" not in current:
            current["completed_by"] = received.event.id
        return current
