"""The customer's pages, reached from the signed links in every non-transactional message: the
preference center (a real form, no script) and the RFC 8058 one-click unsubscribe.

A GET never changes anything (mail scanners and link prefetchers follow every link); the
unsubscribe link's GET only asks for confirmation. Its POST, which mailbox providers send with
``List-Unsubscribe=One-Click`` and no cookies or Origin (RFC 8058 §3.2), withdraws at once: the
signed link is the credential there. The preference form's POST is refused from another site.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from rapport_contacts.domain.errors import ContactErasedError, ContactNotFound
from rapport_contacts.domain.model import Contact
from rapport_contacts.domain.preferences import MESSAGE_CHANNELS, PURPOSES, current
from rapport_contacts.entrypoints import preference_form
from rapport_contacts.entrypoints.preference_form import PAIRS, Problem, Submitted
from rapport_contacts.service_layer.preference_center import (
    ExpiredLink,
    InvalidLink,
    PreferenceCenter,
)
from rapport_kit.pages import PageRenderer as Pages
from rapport_kit.pages import reader_language, root, same_origin

router = APIRouter(tags=["preference center"])
HTML: dict[str, object] = {"content": {"text/html": {}}}
PAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {**HTML, "description": "The link is not a valid link of this kind."},
    410: {**HTML, "description": "The link expired or the contact was erased."},
}
TokenParam = Annotated[str, Query(max_length=512, description="The signed token of the link.")]
REFUSALS = (InvalidLink, ExpiredLink, ContactNotFound, ContactErasedError)


def _center(request: Request) -> PreferenceCenter:
    center: PreferenceCenter = request.app.state.preference_center
    return center


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.preference_pages
    return pages


Center = Annotated[PreferenceCenter, Depends(_center)]
Rendered = Annotated[Pages, Depends(_pages)]


@router.get("/preferences", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def preference_page(
    request: Request,
    token: TokenParam,
    center: Center,
    pages: Rendered,
    saved: Annotated[bool, Query(description="Show that the last change was saved.")] = False,
) -> Response:
    """The customer's consents, channel, language and quiet hours; changes nothing."""
    try:
        contact = await center.open(token)
    except REFUSALS as refused:
        return _refusal(request, pages, refused)
    return _form(request, pages, contact, _values(contact), token=token, saved=saved)


@router.post(
    "/preferences",
    response_class=HTMLResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    responses={
        **PAGE_RESPONSES,
        403: {**HTML, "description": "Posted from another site."},
        422: {**HTML, "description": "A choice that is not offered, or half the quiet hours."},
    },
)
async def save_preferences(request: Request, center: Center, pages: Rendered) -> Response:
    """Saves the customer's choices (POST, redirect, GET); only what changed is published."""
    submitted = Submitted.read(await request.form(max_files=0, max_fields=40))
    if not same_origin(request):
        texts = pages.texts(reader_language(request))
        body = texts.texts["cross_site"]
        heading = texts.texts["invalid_title"]
        return pages.page(
            "message.html", texts, status=403, root=root(request), heading=heading, body=body
        )
    try:
        contact = await center.open(submitted.token)
    except REFUSALS as refused:
        return _refusal(request, pages, refused)
    profile = contact.profile
    chosen = preference_form.choices(
        submitted, languages=pages.catalogs.keys(), current=profile.preferred_channel
    )
    if isinstance(chosen, Problem):
        return _form(
            request, pages, contact, _posted(submitted), token=submitted.token, error=chosen
        )
    language = preference_form.kept_language(chosen.language, profile.language, pages.locale_of)
    try:
        await center.save(submitted.token, dataclasses.replace(chosen, language=language))
    except REFUSALS as refused:
        return _refusal(request, pages, refused)
    query = urlencode({"token": submitted.token, "saved": "true"})
    return RedirectResponse(f"{root(request)}/preferences?{query}", status.HTTP_303_SEE_OTHER)


@router.get("/unsubscribe", response_class=HTMLResponse, responses=PAGE_RESPONSES)
async def unsubscribe_page(
    request: Request, token: TokenParam, center: Center, pages: Rendered
) -> Response:
    """Asks to confirm the unsubscribe; changes nothing (RFC 8058: only a POST unsubscribes)."""
    try:
        contact, purpose = await center.unsubscribing(token)
    except REFUSALS as refused:
        return _refusal(request, pages, refused)
    texts = pages.texts(contact.profile.language)
    return pages.page(
        "unsubscribe.html",
        texts,
        status=200,
        root=root(request),
        heading=texts.texts["unsubscribe_title"],
        body=pages.phrase(texts, f"unsubscribe_{purpose.value}"),
        confirm=texts.texts["unsubscribe_confirm"],
        action=f"{root(request)}/unsubscribe?{urlencode({'token': token})}",
        manage_url=_manage_url(request, center, contact),
    )


@router.post(
    "/unsubscribe",
    response_class=HTMLResponse,
    responses={**PAGE_RESPONSES, 400: {**HTML, "description": "No List-Unsubscribe=One-Click."}},
)
async def one_click_unsubscribe(
    request: Request, token: TokenParam, center: Center, pages: Rendered
) -> Response:
    """RFC 8058 one-click: withdraws the link's purpose on e-mail at once and says so."""
    form = await request.form(max_files=0, max_fields=4)
    if form.get("List-Unsubscribe") != "One-Click":
        texts = pages.texts(reader_language(request))
        heading, body = texts.texts["invalid_title"], texts.texts["bad_request"]
        return pages.page(
            "message.html", texts, status=400, root=root(request), heading=heading, body=body
        )
    try:
        contact, purpose = await center.unsubscribe(token)
    except REFUSALS as refused:
        return _refusal(request, pages, refused)
    texts = pages.texts(contact.profile.language)
    return pages.page(
        "unsubscribe.html",
        texts,
        status=200,
        root=root(request),
        heading=texts.texts["unsubscribed_title"],
        body=pages.phrase(texts, f"unsubscribed_{purpose.value}"),
        manage_url=_manage_url(request, center, contact),
    )


@router.get("/preferences/static/preferences.css", include_in_schema=False)
async def preferences_stylesheet(pages: Rendered) -> Response:
    return Response(
        pages.stylesheet, media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


def _values(contact: Contact) -> dict[str, object]:
    chosen = current(contact)
    quiet = chosen.quiet_hours
    return {
        "consented": {f"{c.value}:{p.value}" for c, p in chosen.consented},
        "preferred_channel": chosen.preferred_channel.value,
        "language": chosen.language,
        "quiet_start": quiet.start.strftime("%H:%M") if quiet else "",
        "quiet_end": quiet.end.strftime("%H:%M") if quiet else "",
    }


def _posted(submitted: Submitted) -> dict[str, object]:
    """What the customer sent, shown again beside the error."""
    return {
        "consented": {value for value in submitted.consents if value in PAIRS},
        "preferred_channel": submitted.preferred_channel,
        "language": submitted.language,
        "quiet_start": submitted.quiet_start,
        "quiet_end": submitted.quiet_end,
    }


def _form(
    request: Request,
    pages: Pages,
    contact: Contact,
    values: dict[str, object],
    *,
    token: str,
    saved: bool = False,
    error: Problem | None = None,
) -> HTMLResponse:
    texts = pages.texts(contact.profile.language)
    options = [c.value for c in MESSAGE_CHANNELS]
    if contact.profile.preferred_channel.value not in options:
        options.append(contact.profile.preferred_channel.value)
    language = pages.locale_of(str(values["language"]))
    return pages.page(
        "preferences.html",
        texts,
        status=status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK,
        root=root(request),
        heading=texts.texts["title"],
        intro=pages.phrase(texts, "intro"),
        token=token,
        saved=saved,
        error=pages.phrase(texts, error.key, field=error.field) if error else None,
        purposes=[p.value for p in PURPOSES],
        channels=[c.value for c in MESSAGE_CHANNELS],
        channel_options=options,
        languages=pages.languages(),
        **{**values, "language": language},
    )


def _manage_url(request: Request, center: PreferenceCenter, contact: Contact) -> str:
    token = center.preferences_link_token(contact.contact_id)
    return f"{root(request)}/preferences?{urlencode({'token': token})}"


def _refusal(request: Request, pages: Pages, refused: Exception) -> HTMLResponse:
    texts = pages.texts(reader_language(request))
    if isinstance(refused, ExpiredLink):
        return pages.message(texts, "expired", status=410, root=root(request))
    if isinstance(refused, ContactErasedError):
        return pages.message(texts, "gone", status=410, root=root(request))
    return pages.message(texts, "invalid", status=404, root=root(request))
