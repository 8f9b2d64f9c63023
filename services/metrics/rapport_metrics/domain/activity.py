"""What makes a contact active in a period (retention, churn): ``RAPPORT_METRICS_ACTIVITY``."""

from __future__ import annotations

from datetime import datetime

from rapport_schemas.contacts import Direction, InteractionLogged, PurchaseRecorded
from rapport_schemas.envelope import EventData
from rapport_schemas.feedback import SurveyAnswered


def activity_time(data: EventData, activity: frozenset[str]) -> datetime | None:
    """When ``data`` makes its contact active under the configured definition, else None."""
    if isinstance(data, InteractionLogged):
        inbound = data.direction is Direction.INBOUND
        if "interaction" in activity or ("inbound_interaction" in activity and inbound):
            return data.occurred_at
    if isinstance(data, PurchaseRecorded) and "purchase" in activity:
        return data.occurred_at
    if isinstance(data, SurveyAnswered) and "survey_answer" in activity:
        return data.answered_at
    return None
