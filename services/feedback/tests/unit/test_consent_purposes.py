"""Surveys follow the channel's consent and the surveys purpose's; other purposes do not count."""

from __future__ import annotations

from rapport_feedback.domain.contact import with_consents
from rapport_feedback.domain.policy import plan_surveys
from rapport_schemas.common import Channel, Consent, Purpose
from services.feedback.tests.unit.factories import NOW, days_ago, reachable
from services.feedback.tests.unit.test_policy import RESOLVED, RULES


def _withdrawn(purpose: Purpose) -> Consent:
    return Consent(
        channel=Channel.EMAIL,
        granted=False,
        source="one-click-unsubscribe",
        changed_at=days_ago(1),
        purpose=purpose,
    )


def test_a_marketing_unsubscribe_does_not_stop_surveys() -> None:
    state = with_consents(reachable(), [_withdrawn(Purpose.MARKETING)])
    assert plan_surveys(state, RESOLVED, RULES, NOW) != ()


def test_a_surveys_unsubscribe_stops_surveys_on_that_channel() -> None:
    state = with_consents(reachable(), [_withdrawn(Purpose.SURVEYS)])
    assert plan_surveys(state, RESOLVED, RULES, NOW) == ()
