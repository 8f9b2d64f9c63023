"""Segment attributes (industry, company size, region, tags) come from configured vocabularies.

They become KPI series keys on the public metric stream and Prometheus labels, so free text there
would leak personal data (an e-mail typed into ``industry``) and grow without bound. A value is
accepted in any case and stored in the vocabulary's spelling; anything else is a 422 naming the
field. The request models are validated by FastAPI without the settings at hand, hence the one
module-level table, set by ``create_app`` from ``RAPPORT_CONTACTS_SEGMENT_VOCABULARIES``.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport_schemas.vocabularies import DEFAULT_VOCABULARIES

_in_force: dict[str, dict[str, str]] = {}


def configure(vocabularies: Mapping[str, frozenset[str]]) -> None:
    _in_force.clear()
    _in_force.update(
        {kind: {w.casefold(): w for w in words} for kind, words in vocabularies.items()}
    )


def word(kind: str, value: str) -> str:
    """``value`` in the vocabulary's spelling, or ``ValueError`` (never echoing the value)."""
    if not _in_force:
        configure(DEFAULT_VOCABULARIES)
    spelled = _in_force.get(kind, {}).get(value.strip().casefold())
    if spelled is None:
        raise ValueError(f"not in the configured {kind} vocabulary (see GET /segments of metrics)")
    return spelled
