"""Inbound interactions awaiting an answer, keyed by interaction id, with their first reply.

First response time runs from the inbound interaction to the first outbound one ``in_reply_to`` it;
the reply counts as in time when it comes by the inbound's ``response_due_at`` (the contacts service
computes that deadline in the customer's time zone and business calendar). Whichever of the two
events completes the pair is recorded (``completed_by``): only it is counted, in any arrival order.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapport_kit.projection import Document, Lookup, ProjectedEvent
from rapport_schemas.contacts import Direction, InteractionLogged

AWAITING = "awaiting"


class AwaitingResponses:
    collection = AWAITING

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        data = received.data
        if not isinstance(data, InteractionLogged):
            return ()
        if data.direction is Direction.INBOUND and data.awaits_response:
            return (data.interaction_id,)
        if data.direction is Direction.OUTBOUND and data.in_reply_to:
            return (data.in_reply_to,)
        return ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        data = received.data
        assert isinstance(data, InteractionLogged)
        updated = _with_interaction(dict(state or {}), data)
        if "received_at" in updated and "reply" in updated and "completed_by" not in updated:
            updated["completed_by"] = received.event.id
        return updated


def _with_interaction(current: Document, data: InteractionLogged) -> Document:
    if data.direction is Direction.INBOUND:
        due = data.response_due_at.isoformat() if data.response_due_at else None
        return {
            **current,
            "contact_id": data.contact_id,
            "channel": data.channel.value,
            "received_at": data.occurred_at.isoformat(),
            "due_at": due,
        }
    if "reply" in current:
        return current
    return {**current, "reply": {"at": data.occurred_at.isoformat(), "agent": data.agent_id}}
