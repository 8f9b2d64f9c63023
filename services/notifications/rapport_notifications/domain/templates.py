"""The messages this service sends and the placeholders each one fills.

A catalog (``catalog/<locale>.json``) must provide every template below with exactly these
placeholders, and the plural variants named in ``plurals`` for every plural category of its
locale; ``tests/unit/test_catalogs.py`` proves it for every shipped catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from rapport_schemas.contacts import FormOfAddress


class Template(StrEnum):
    WELCOME = "welcome"
    SURVEY_INVITATION = "survey_invitation"
    COMPLAINT_ACKNOWLEDGEMENT = "complaint_acknowledgement"
    PURCHASE_THANK_YOU = "purchase_thank_you"
    DETRACTOR_FOLLOW_UP = "detractor_follow_up"
    DETRACTOR_ALERT = "detractor_alert"
    SLA_BREACH_WARNING = "sla_breach_warning"
    # A campaign's own wording, supplied per locale with it (``domain/campaigns.py``): in no
    # catalog file.
    CAMPAIGN = "campaign"


@dataclass(frozen=True)
class TemplateSpec:
    placeholders: frozenset[str]
    plurals: frozenset[str] = frozenset()
    choices: Mapping[str, frozenset[str]] = field(default_factory=dict)  # name → its options
    days: frozenset[str] = frozenset()  # placeholders that are a calendar day (``date_forms``)
    transactional: bool = True
    internal: bool = False
    in_catalog: bool = True


def _spec(
    *names: str,
    plurals: tuple[str, ...] = (),
    choices: Mapping[str, frozenset[str]] | None = None,
    days: tuple[str, ...] = (),
    **flags: bool,
) -> TemplateSpec:
    return TemplateSpec(
        frozenset(names), frozenset(plurals), dict(choices or {}), frozenset(days), **flags
    )


def _to_customer(
    *names: str,
    plurals: tuple[str, ...] = (),
    choices: Mapping[str, frozenset[str]] | None = None,
    days: tuple[str, ...] = (),
    transactional: bool = True,
) -> TemplateSpec:
    """A message to the customer opens with ``{salutation}``: wording chosen by the contact's
    form of address (each variant writes ``{name}`` where the language puts it)."""
    return _spec(
        "salutation",
        *names,
        plurals=plurals,
        choices={"salutation": FORMS_OF_ADDRESS, **(choices or {})},
        days=days,
        transactional=transactional,
    )


SURVEY_KINDS = frozenset({"nps", "csat", "ces"})
FORMS_OF_ADDRESS = frozenset(form.value for form in FormOfAddress)


# Transactional = it answers something the customer did (cross-service agreement); survey
# invitations are not, but feedback already counted them against the contact-pressure budget.
SPECS: dict[Template, TemplateSpec] = {
    Template.WELCOME: _to_customer("name", "brand"),
    Template.SURVEY_INVITATION: _to_customer(
        "name",
        "brand",
        "survey_subject",
        "survey_question",
        "survey_link",
        "expires_on",
        # The subject and question name the survey; the labels sit at the ends of the e-mail's
        # one-click score row.
        choices={
            name: SURVEY_KINDS
            for name in ("survey_subject", "survey_question", "scale_low", "scale_high")
        },
        days=("expires_on",),
        transactional=False,
    ),
    Template.COMPLAINT_ACKNOWLEDGEMENT: _to_customer(
        "name", "brand", "reference", "reply_by", "reply_window", plurals=("reply_window",)
    ),
    Template.PURCHASE_THANK_YOU: _to_customer(
        "name", "brand", "amount", "order_ref", "purchased_on", days=("purchased_on",)
    ),
    Template.DETRACTOR_FOLLOW_UP: _to_customer(
        "name", "brand", "reply_window", plurals=("reply_window",)
    ),
    Template.DETRACTOR_ALERT: _spec("contact_ref", "reason", "score", "detected_at", internal=True),
    Template.SLA_BREACH_WARNING: _spec(
        "contact_ref",
        "interaction_ref",
        "channel",
        "due_at",
        "overdue",
        plurals=("overdue",),
        internal=True,
    ),
    # Its wording may open with the catalog's {salutation} of its language (domain/campaigns.py).
    Template.CAMPAIGN: _spec(
        "salutation",
        "name",
        "brand",
        choices={"salutation": FORMS_OF_ADDRESS},
        transactional=False,
        in_catalog=False,
    ),
}
# The templates every catalog file must provide.
CATALOG_TEMPLATES = tuple(template for template, spec in SPECS.items() if spec.in_catalog)
