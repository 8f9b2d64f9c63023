"""Response rate (answered ÷ requested) per survey kind and segment (country, language)."""

from __future__ import annotations

from collections.abc import Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas.feedback import SurveyAnswered, SurveyRequested

ALL = "all"
SEGMENTS = (ALL, "country", "language")


def rate_key(kind: str, segment: str, value: str) -> str:
    return f"{kind}|{segment}|{value}"


def language_segment(tag: str) -> str:
    """The primary language subtag (``tr`` for ``tr-TR``): bounded, and what catalogs use."""
    return tag.split("-", maxsplit=1)[0].lower()


class ResponseRates:
    collection = "response_rates"

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if not isinstance(data, SurveyRequested | SurveyAnswered):
            return ()
        kind = data.kind.value
        keys = [rate_key(kind, ALL, ALL)]
        if data.country:
            keys.append(rate_key(kind, "country", data.country))
        if data.language:
            keys.append(rate_key(kind, "language", language_segment(data.language)))
        return keys

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        kind, segment, value = key.split("|")
        current = state or {
            "kind": kind,
            "segment": segment,
            "value": value,
            "requested": 0,
            "answered": 0,
        }
        counter = "requested" if isinstance(received.data, SurveyRequested) else "answered"
        return {**current, counter: current[counter] + 1}
