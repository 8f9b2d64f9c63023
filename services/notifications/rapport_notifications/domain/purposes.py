"""What each message is for, which decides the consent it needs and whether it carries an
unsubscribe: transactional messages are service messages, the survey invitation is a survey,
any other non-transactional message (a campaign) is marketing."""

from __future__ import annotations

from rapport_notifications.domain.templates import SPECS, Template
from rapport_schemas.common import Purpose


def purpose_of(template: Template) -> Purpose:
    if template is Template.SURVEY_INVITATION:
        return Purpose.SURVEYS
    return Purpose.SERVICE if SPECS[template].transactional else Purpose.MARKETING


def carries_unsubscribe(template: Template) -> bool:
    """Every non-transactional customer message (RFC 8058 one-click, a preferences link)."""
    spec = SPECS[template]
    return not spec.transactional and not spec.internal
