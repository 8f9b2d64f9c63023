"""Campaigns: who is in a segment, what a campaign may say, its launch and its progress."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError

from rapport_kit.projection import ProjectedEvent, fold
from rapport_notifications.adapters.catalog_files import load_catalogs
from rapport_notifications.domain.campaign_progress import Progress, progress
from rapport_notifications.domain.campaigns import (
    Audience,
    CampaignRequest,
    LocalizedMessage,
    NpsCategory,
    campaign_catalogs,
    nps_category,
)
from rapport_notifications.domain.rendering import render
from rapport_notifications.domain.templates import Template
from rapport_notifications.domain.values import Choice, Text
from rapport_notifications.service_layer.campaigns import CampaignConflict, CampaignDesk
from rapport_notifications.views.nps import NpsProjection
from rapport_schemas import wrap
from rapport_schemas.contacts import ContactErased
from rapport_schemas.feedback import SurveyAnswered, SurveyKind
from services.notifications.tests.unit.fakes import FakeClock, FakeDeliveries, FakeDirectory
from services.notifications.tests.unit.fakes_campaigns import (
    FakeAudiences,
    FakeCampaignOutcomes,
    FakeCampaigns,
)
from services.notifications.tests.unit.samples import NOW, card

PROMOTERS_IN_TR = Audience(countries=("TR",), nps=(NpsCategory.PROMOTER,))
HELLO = {"en": LocalizedMessage(subject="Hello {name}", body="From {brand}.")}


def test_nps_categories_follow_the_net_promoter_definition() -> None:
    assert [nps_category(s) for s in (0, 6, 7, 8, 9, 10)] == [
        NpsCategory.DETRACTOR,
        NpsCategory.DETRACTOR,
        NpsCategory.PASSIVE,
        NpsCategory.PASSIVE,
        NpsCategory.PROMOTER,
        NpsCategory.PROMOTER,
    ]


def test_an_audience_matches_every_given_attribute() -> None:
    retail = card(industry="retail", tags=("vip", "loyalty"))
    assert PROMOTERS_IN_TR.includes(retail, NpsCategory.PROMOTER)
    assert not PROMOTERS_IN_TR.includes(retail, NpsCategory.PASSIVE)
    assert not PROMOTERS_IN_TR.includes(retail, None)  # never answered: not a promoter
    assert not PROMOTERS_IN_TR.includes(card(country="HU"), NpsCategory.PROMOTER)
    assert Audience(languages=("tr",)).includes(retail, None)  # tr takes in tr-TR
    assert not Audience(languages=("tr-CY",)).includes(retail, None)
    assert Audience(industries=("retail", "banking"), tags=("vip",)).includes(retail, None)
    assert not Audience(tags=("vip", "b2b")).includes(retail, None)
    assert not Audience().includes(card(erased=True), None)
    assert not Audience().includes(card(merged_into="c2"), None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "either messages"),
        ({"messages": HELLO, "template": "welcome"}, "either messages"),
        ({"template": "detractor_alert"}, "template: must be one of welcome"),
        ({"messages": {"en": {"subject": "Hi {email}", "body": "x"}}}, "unknown placeholder"),
        ({"messages": {"en": {"subject": "Hi {name.x}", "body": "x"}}}, "plain {name}"),
        ({"messages": {"xx-QQ": {"subject": "Hi", "body": "x"}}}, "not a known locale"),
        ({"messages": {"en": {"subject": "Hi\r\nBcc: x", "body": "x"}}}, "messages.en.subject"),
        ({"messages": HELLO, "default_locale": "tr"}, "default_locale"),
        ({"messages": HELLO, "audience": {"countries": ["Turkey"]}}, "audience.countries"),
        ({"messages": HELLO, "audience": {"nps": ["fan"]}}, "audience.nps"),
    ],
)
def test_a_campaign_that_cannot_be_sent_is_refused_naming_the_field(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        CampaignRequest.model_validate({"name": "Spring", **fields})
    assert message in str(refused.value)


def test_the_campaigns_own_wording_is_negotiated_like_a_catalog() -> None:
    request = CampaignRequest(
        name="Spring",
        messages={
            "pt": LocalizedMessage(subject="Olá {name}", body="Da {brand}."),
            "ar": LocalizedMessage(subject="مرحبا {name}", body="من {brand}."),
            "en": LocalizedMessage(subject="Hello {name}", body="From {brand}."),
        },
        default_locale="en",
    )
    catalogs, template, default = campaign_catalogs(request, load_catalogs(), "en")
    values = {"name": Text(text="Ana"), "brand": Text(text="Rapport")}

    def rendered(locale: str) -> tuple[str, str, str]:
        out = render(
            catalogs,
            template,
            requested_locale=locale,
            default_locale=default,
            time_zone="UTC",
            values=values,
        )
        return out.locale, out.direction, out.subject

    assert rendered("pt-BR") == ("pt", "ltr", "Olá Ana")
    assert rendered("ar-EG") == ("ar", "rtl", "مرحبا Ana")
    assert rendered("hu-HU") == ("en", "ltr", "Hello Ana")


def test_a_catalog_template_campaign_renders_the_shipped_catalogs() -> None:
    request = CampaignRequest(name="Re-welcome", template="welcome")
    catalogs, template, default = campaign_catalogs(request, load_catalogs(), "en")
    assert (template, default, set(catalogs)) == (Template.WELCOME, "en", set(load_catalogs()))


def test_progress_counts_each_delivery_once_by_state_and_reason() -> None:
    outcomes = [
        ("sent", None),
        ("sent", None),
        ("failed", "pressure_budget"),
        ("failed", "no_consent"),
        ("failed", "pressure_budget"),
        ("scheduled", "quiet_hours"),
        ("pending", None),
        ("sending", None),
    ]
    assert progress(outcomes) == Progress(
        targeted=8,
        sent=2,
        waiting=2,
        deferred={"quiet_hours": 1},
        skipped={"no_consent": 1, "pressure_budget": 2},
    )


def desk(*cards_: object, nps: dict[str, NpsCategory] | None = None) -> CampaignDesk:
    directory = FakeDirectory(*cards_)  # type: ignore[arg-type]
    deliveries = FakeDeliveries()
    return CampaignDesk(
        campaigns=FakeCampaigns(),
        audiences=FakeAudiences(directory, nps or {}),
        deliveries=deliveries,
        outcomes=FakeCampaignOutcomes(deliveries),
        clock=FakeClock(NOW),
        wake=asyncio.Event(),
    )


async def test_a_scheduled_campaign_stores_one_delivery_per_member_when_its_time_comes() -> None:
    members = [card(contact_id=f"tr-{n}") for n in range(3)]
    others = [card(contact_id="hu-1", country="HU"), card(contact_id="tr-passive")]
    nps = {m.contact_id: NpsCategory.PROMOTER for m in [*members, others[0]]}
    nps["tr-passive"] = NpsCategory.PASSIVE
    d = desk(*members, *others, nps=nps)
    request = CampaignRequest(
        name="Promoters in TR",
        audience=PROMOTERS_IN_TR,
        messages=HELLO,
        send_at=NOW + timedelta(hours=2),
    )
    campaign = await d.create(request, "key-1")
    assert await d.launch_due() == 0
    assert isinstance(d.clock, FakeClock)
    d.clock.advance(timedelta(hours=2))
    assert await d.launch_due() == 1
    assert await d.launch_due() == 0  # launched once
    report = await d.report(campaign.campaign_id)
    assert report is not None
    launched, counted = report
    assert launched.state == "launched" and launched.launched_at == NOW + timedelta(hours=2)
    assert counted == Progress(targeted=3, waiting=3)
    assert isinstance(d.deliveries, FakeDeliveries)
    assert sorted(doc["contact_id"] for doc in d.deliveries.documents.values()) == [
        "tr-0",
        "tr-1",
        "tr-2",
    ]


async def test_a_replayed_create_finds_the_campaign_and_a_reused_key_is_a_conflict() -> None:
    d = desk()
    first = await d.create(CampaignRequest(name="Spring", messages=HELLO), "key-1")
    again = await d.create(CampaignRequest(name="Spring", messages=HELLO), "key-1")
    assert again == first
    with pytest.raises(CampaignConflict):
        await d.create(CampaignRequest(name="Autumn", messages=HELLO), "key-1")
    other = await d.create(CampaignRequest(name="Spring", messages=HELLO), None)
    assert other.campaign_id != first.campaign_id
    assert await d.report("unknown") is None


def _answered(contact: str, score: int, hours: int, kind: SurveyKind = SurveyKind.NPS) -> object:
    return SurveyAnswered(
        survey_id=f"s-{contact}-{hours}",
        contact_id=contact,
        kind=kind,
        score=score,
        answered_at=NOW + timedelta(hours=hours),
    )


def test_the_latest_nps_answer_decides_the_category_and_erasure_clears_it() -> None:
    events = [
        _answered("c1", 10, hours=2),
        _answered("c1", 3, hours=1),  # older, arriving late
        _answered("c1", 2, hours=3, kind=SurveyKind.CSAT),  # not NPS
        _answered("c2", 8, hours=1),
        ContactErased(contact_id="c2", erased_at=NOW),
    ]
    projected = [
        ProjectedEvent(wrap(e, source="/test"), "feedback", 0, offset)  # type: ignore[arg-type]
        for offset, e in enumerate(events)
    ]
    result = fold(NpsProjection(), {}, projected)
    assert result.changed["c1"]["category"] == "promoter"
    assert "category" not in result.changed["c2"] and result.changed["c2"]["erased"]


def test_a_campaign_opens_with_the_catalogs_salutation_of_its_language() -> None:
    request = CampaignRequest(
        name="Winter",
        messages={
            "de": LocalizedMessage(subject="Winter bei {brand}", body="{salutation}\n\nHallo."),
            "it": LocalizedMessage(subject="Inverno", body="{salutation}\n\nCiao."),
        },
    )
    catalogs, template, default = campaign_catalogs(request, load_catalogs(), "en")

    def body(locale: str, form: str) -> str:
        values = {
            "salutation": Choice(option=form),
            "name": Text(text="Weber"),
            "brand": Text(text="Rapport"),
        }
        return render(
            catalogs,
            template,
            requested_locale=locale,
            default_locale=default,
            time_zone="UTC",
            values=values,
        ).text

    assert body("de-AT", "feminine").startswith("Sehr geehrte Frau Weber,")
    assert body("de", "neutral").startswith("Guten Tag Weber,")
    assert body("it", "masculine").startswith("Weber,")  # no catalog in Italian: by name
