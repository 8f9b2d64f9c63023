"""The v1 copies published while subscribers migrate to v2 (``PRODUCE_V1_EVENTS``).

A v2 event of a type that lost its personal fields is followed by its v1, those fields filled in
from the contact and the records published with it, for subscribers not yet reading the personal
topic. The copy is the same fact: its envelope names the v2 event (``rapportcopyof``), which is
how Rapport's own consumers know to skip it.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapport_schemas import EventData
from rapport_schemas.contacts import (
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
    ContactUpdatedV1,
    InteractionLogged,
    InteractionLoggedV1,
    InteractionSummary,
)


def v1_copy(
    event: EventData, *, profile: ContactProfile, published_with: Sequence[EventData]
) -> EventData | None:
    """The v1 of ``event`` (``None``: its type has no v1); ``profile`` is the contact's after the
    change, ``published_with`` the records of the same change (an interaction's summary)."""
    # Exact types: a v1 is a subclass of its v2 and is never copied again.
    if type(event) is ContactRegistered:
        return ContactRegisteredV1.model_validate({**dict(event), "profile": profile})
    if type(event) is ContactUpdated:
        return ContactUpdatedV1.model_validate({**dict(event), "profile": profile})
    if type(event) is InteractionLogged:
        summary = next(
            (
                record.summary
                for record in published_with
                if isinstance(record, InteractionSummary)
                and record.interaction_id == event.interaction_id
            ),
            None,
        )
        return InteractionLoggedV1.model_validate({**dict(event), "summary": summary})
    return None
