"""Which segment values may become a series key: codes by pattern, free text by vocabulary.

A series key is public (the metric stream, Prometheus labels): a value that is not a code or a
configured word is never segmented on (the event still counts in ``all`` and its other kinds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from rapport_schemas.common import Channel


class SegmentKind(StrEnum):
    ALL = "all"
    COUNTRY = "country"
    REGION = "region"
    LANGUAGE = "language"
    INDUSTRY = "industry"
    CHANNEL = "channel"
    AGENT = "agent"


PATTERNS = {
    SegmentKind.ALL: re.compile(r"all"),
    SegmentKind.COUNTRY: re.compile(r"[A-Z]{2}"),  # ISO 3166-1 alpha-2, as contacts stores it
    SegmentKind.LANGUAGE: re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}"),  # BCP 47
    SegmentKind.CHANNEL: re.compile("|".join(c.value for c in Channel)),
    SegmentKind.AGENT: re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"),  # an id, never an e-mail
}
VOCABULARY_KINDS = (SegmentKind.REGION, SegmentKind.INDUSTRY)


def allowed(kind: str, value: str, vocabularies: Mapping[str, frozenset[str]]) -> bool:
    if kind in PATTERNS:
        return PATTERNS[SegmentKind(kind)].fullmatch(value) is not None
    return value in vocabularies.get(kind, frozenset())
