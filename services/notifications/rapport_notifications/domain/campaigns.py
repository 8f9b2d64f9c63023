"""Campaigns: one localized marketing or loyalty message to a segment of contacts. Pure.

The seeds ask for targeted marketing ("Optimize Edilmiş Pazarlama Kampanyaları") and loyalty
messages to the customers who value the relationship most, e.g. the promoters in Turkey. A
campaign becomes one delivery per member of its audience (idempotency key: campaign, template,
recipient), each decided like any other customer message (consent, quiet hours, holidays) and
drawing on the contact-pressure budget (``domain/pressure.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from babel import Locale, UnknownLocaleError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from rapport_kit.locales import negotiate
from rapport_notifications.domain.catalog import (
    Catalog,
    CatalogError,
    Direction,
    MessageText,
    placeholders,
)
from rapport_notifications.domain.directory import ContactCard
from rapport_notifications.domain.pressure import DEFER, OVER_BUDGET
from rapport_notifications.domain.templates import FORMS_OF_ADDRESS, SPECS, Template
from rapport_notifications.domain.triggers import PlannedDelivery
from rapport_schemas.common import CountryCode

# What a campaign's own wording may insert; the rest of the card stays out of marketing copy.
CAMPAIGN_PLACEHOLDERS = SPECS[Template.CAMPAIGN].placeholders
# Catalog templates a campaign may send instead: customer messages needing nothing but the card.
CATALOG_CHOICES = frozenset(
    template.value
    for template, spec in SPECS.items()
    if spec.in_catalog and not spec.internal and spec.placeholders <= CAMPAIGN_PLACEHOLDERS
)


class NpsCategory(StrEnum):
    """https://www.netpromoter.com/know/ : promoters 9–10, passives 7–8, detractors 0–6."""

    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


def nps_category(score: int) -> NpsCategory:
    if score >= 9:
        return NpsCategory.PROMOTER
    return NpsCategory.PASSIVE if score >= 7 else NpsCategory.DETRACTOR


class OverBudget(StrEnum):
    SKIP = "skip"  # NotificationFailed with reason pressure_budget
    DEFER = DEFER  # held until the contact's budget has room again


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Audience(_Frozen):
    """Who is in the segment: every list given must match (within a list, any value does)."""

    countries: tuple[CountryCode, ...] = Field(default=(), max_length=300)
    languages: tuple[LocaleTag, ...] = Field(
        default=(), max_length=300, description="BCP 47; 'tr' also takes in 'tr-TR'."
    )
    industries: tuple[Short, ...] = Field(default=(), max_length=100)
    tags: tuple[Short, ...] = Field(
        default=(), max_length=20, description="The contact has every one of them."
    )
    nps: tuple[NpsCategory, ...] = Field(default=(), description="By the latest NPS answer.")

    def includes(self, card: ContactCard, nps: NpsCategory | None) -> bool:
        if card.erased or card.merged_into is not None:
            return False
        return (
            _any_of(self.countries, card.country)
            and _any_of(self.industries, card.industry)
            and set(self.tags) <= set(card.tags)
            and (not self.languages or any(_speaks(card.language, tag) for tag in self.languages))
            and (not self.nps or nps in self.nps)
        )


def _any_of(allowed: tuple[str, ...], value: str | None) -> bool:
    return not allowed or value in allowed


def _speaks(language: str | None, tag: str) -> bool:
    """``tr`` takes in ``tr-TR``; ``pt-BR`` only ``pt-BR`` (BCP 47 prefix matching, RFC 4647)."""
    if language is None:
        return False
    language, tag = language.lower().replace("_", "-"), tag.lower().replace("_", "-")
    return language == tag or language.startswith(f"{tag}-")


# A subject becomes a mail header: no control characters (no header injection); a body may
# break lines and indent, nothing else.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Short = Annotated[str, Field(min_length=1, max_length=64, pattern=ONE_LINE)]
LocaleTag = Annotated[str, Field(min_length=2, max_length=35, pattern=r"^[A-Za-z0-9_-]+$")]


class LocalizedMessage(_Frozen):
    subject: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    body: str = Field(min_length=1, max_length=20_000, pattern=TEXT)

    @model_validator(mode="after")
    def _only_known_placeholders(self) -> Self:
        try:
            used = placeholders(self.subject) | placeholders(self.body)
        except CatalogError as error:
            raise ValueError(str(error)) from None
        unknown = used - CAMPAIGN_PLACEHOLDERS
        if unknown:
            allowed = ", ".join(sorted(CAMPAIGN_PLACEHOLDERS))
            raise ValueError(f"unknown placeholder {{{min(unknown)}}}; allowed: {allowed}")
        return self


class CampaignRequest(_Frozen):
    """A campaign as its author asks for it: the wording per locale (or a catalog template)."""

    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    audience: Audience = Audience()
    messages: dict[LocaleTag, LocalizedMessage] = Field(
        default={}, max_length=50, description="Locale (BCP 47) → subject and body."
    )
    default_locale: LocaleTag | None = Field(
        default=None, description="Sent when no locale of the contact's is given (first one)."
    )
    template: Short | None = Field(default=None, description="A catalog template instead.")
    send_at: AwareDatetime | None = Field(default=None, description="Not before; default now.")
    over_budget: OverBudget = OverBudget.SKIP

    @model_validator(mode="after")
    def _one_wording(self) -> Self:
        if bool(self.messages) == (self.template is not None):
            raise ValueError("give either messages (per locale) or a catalog template")
        if self.template is not None and self.template not in CATALOG_CHOICES:
            choices = ", ".join(sorted(CATALOG_CHOICES))
            raise ValueError(f"template: must be one of {choices}")
        for locale in self.messages:
            _known_locale(locale)
        if self.default_locale is not None and self.default_locale not in self.messages:
            raise ValueError("default_locale: must be one of the locales of messages")
        return self


def _known_locale(tag: str) -> None:
    try:
        Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"messages: {tag!r} is not a known locale") from None


class CampaignState(StrEnum):
    SCHEDULED = "scheduled"  # waiting for send_at (or for the next round)
    LAUNCHED = "launched"  # one delivery per member stored


class Campaign(_Frozen):
    campaign_id: str
    request: CampaignRequest
    created_at: AwareDatetime
    state: CampaignState = CampaignState.SCHEDULED
    launched_at: AwareDatetime | None = None

    @property
    def due_at(self) -> datetime:
        return self.request.send_at or self.created_at


def delivery_for(campaign: Campaign, contact_id: str, now: datetime) -> PlannedDelivery:
    """The campaign's delivery to one member; the campaign id stands as the trigger."""
    facts: dict[str, str | int | None] = {"campaign_id": campaign.campaign_id}
    if campaign.request.over_budget is OverBudget.DEFER:
        facts[OVER_BUDGET] = DEFER
    return PlannedDelivery(campaign.campaign_id, Template.CAMPAIGN, contact_id, now, facts)


def campaign_catalogs(
    request: CampaignRequest, shipped: Mapping[str, Catalog], default_locale: str
) -> tuple[Mapping[str, Catalog], Template, str]:
    """What the renderer negotiates over: the campaign's own locales (or the shipped catalogs
    for a catalog template), the template to render and the locale of last resort."""
    if request.template is not None:
        return shipped, Template(request.template), default_locale
    catalogs = {
        _catalog_name(locale): Catalog(
            locale=_catalog_name(locale),
            direction=_direction(locale),
            messages={
                Template.CAMPAIGN.value: MessageText(
                    message.subject,
                    message.body,
                    choices={"salutation": _salutations(locale, shipped)},
                )
            },
        )
        for locale, message in request.messages.items()
    }
    default = request.default_locale or next(iter(request.messages))
    return catalogs, Template.CAMPAIGN, _catalog_name(default)


def _salutations(locale: str, shipped: Mapping[str, Catalog]) -> Mapping[str, str]:
    """The shipped catalog's salutations in the campaign locale's language (translators chose
    them per form of address); a language without a catalog is greeted by name alone."""
    chosen = negotiate(locale, shipped.keys(), default="")
    if chosen.catalog in shipped:
        welcome = shipped[chosen.catalog].message(Template.WELCOME)
        return welcome.choices["salutation"]
    return dict.fromkeys(FORMS_OF_ADDRESS, "{name},")


def _catalog_name(locale: str) -> str:
    """Named like the catalog files (``pt_BR``), which locale negotiation compares with."""
    return locale.replace("-", "_")


def _direction(locale: str) -> Direction:
    order = Locale.parse(_catalog_name(locale)).character_order
    return "rtl" if order == "right-to-left" else "ltr"
