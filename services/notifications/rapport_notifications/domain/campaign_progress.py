"""A campaign's progress over HTTP: targeted, sent, waiting, deferred and skipped by reason,
counted from its deliveries (the one record of what happened to each recipient). Pure."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict, Field

from rapport_notifications.domain.delivery import State


class Progress(BaseModel):
    """Where a campaign's deliveries stand; ``deferred`` and ``skipped`` by reason."""

    model_config = ConfigDict(frozen=True)

    targeted: int = 0
    sent: int = 0
    waiting: int = Field(default=0, description="Not decided yet (due now, or being sent).")
    deferred: dict[str, int] = {}
    skipped: dict[str, int] = {}


def progress(outcomes: list[tuple[str, str | None]]) -> Progress:
    """From each delivery's (state, reason): reason is the failure, or why it was postponed."""
    states = Counter(state for state, _ in outcomes)
    deferred = Counter(
        reason or "unknown" for state, reason in outcomes if state == State.SCHEDULED
    )
    skipped = Counter(reason or "unknown" for state, reason in outcomes if state == State.FAILED)
    waiting = len(outcomes) - states[State.SENT] - states[State.SCHEDULED] - states[State.FAILED]
    return Progress(
        targeted=len(outcomes),
        sent=states[State.SENT],
        waiting=waiting,
        deferred=dict(sorted(deferred.items())),
        skipped=dict(sorted(skipped.items())),
    )
