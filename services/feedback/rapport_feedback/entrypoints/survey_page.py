"""The hosted survey page the invitation links to: a real form, no script, one answer per link.

A GET never records anything (mail scanners and link prefetchers follow every link); a score in
the link only preselects it, and the customer confirms with one click. The link's signed token
is the only credential; a POST from another site is refused on top of that.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from rapport_feedback.domain.answers import (
    COMMENT_MAX_CHARS,
    Answer,
    AnswerRejected,
    Survey,
    SurveyAlreadyAnswered,
    SurveyNotFound,
    SurveyWithdrawn,
)
from rapport_feedback.domain.scores import SCORE_RANGES
from rapport_feedback.entrypoints import survey_form
from rapport_feedback.service_layer.answering import AnswerIntake
from rapport_kit.pages import PageRenderer, PageTexts

router = APIRouter(prefix="/answers", tags=["survey page"])
HTML: dict[str, object] = {"content": {"text/html": {}}}
PAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    404: {**HTML, "description": "The link is not a valid survey link."},
    409: {**HTML, "description": "The survey was already answered."},
    410: {**HTML, "description": "The link expired or the survey was withdrawn."},
}
TokenParam = Annotated[str, Query(max_length=512, description="The signed token of the link.")]


def intake(request: Request) -> AnswerIntake:
    answers: AnswerIntake = request.app.state.answers
    return answers


def renderer(request: Request) -> PageRenderer:
    pages: PageRenderer = request.app.state.survey_pages
    return pages


Intake = Annotated[AnswerIntake, Depends(intake)]
Pages = Annotated[PageRenderer, Depends(renderer)]


@router.get("", response_class=HTMLResponse, responses=PAGE_RESPONSES, summary="The survey page")
async def survey_page(
    request: Request,
    token: TokenParam,
    answers: Intake,
    pages: Pages,
    score: Annotated[int | None, Query(ge=-1000, le=1000, description="Preselected.")] = None,
) -> Response:
    """Shows the question with ``score`` preselected; records nothing."""
    opened = await _opened(request, token, answers, pages)
    if isinstance(opened, Response):
        return opened
    return _form(request, pages, opened, token, selected=score)


@router.post(
    "",
    response_class=HTMLResponse,
    status_code=status.HTTP_303_SEE_OTHER,
    responses={
        **PAGE_RESPONSES,
        403: {**HTML, "description": "Posted from another site."},
        422: {**HTML, "description": "No score, a score out of range or too long a comment."},
    },
    summary="Answer from the survey page's form",
)
async def submit_survey_page(request: Request, answers: Intake, pages: Pages) -> Response:
    """Records the answer once and shows the thank-you page (POST, then redirect, then GET)."""
    form = await request.form(max_files=0, max_fields=8)
    token, score, comment = (
        survey_form.field(form.get(name)) for name in ("token", "score", "comment")
    )
    if not survey_form.same_origin(request):
        texts = pages.texts(survey_form.reader_language(request))
        words = texts.texts
        return pages.page(
            "message.html",
            texts,
            status=403,
            root=survey_form.root(request),
            heading=words["invalid_title"],
            body=words["cross_site"],
        )
    opened = await _opened(request, token, answers, pages)
    if isinstance(opened, Response):
        return opened
    texts = pages.texts(opened.language)
    problem = survey_form.problem(opened, score, comment)
    if problem is not None:
        error = pages.phrase(texts, problem, max=COMMENT_MAX_CHARS)
        return _form(request, pages, opened, token, selected=None, comment=comment, error=error)
    try:
        await answers.submit(token, Answer(score=int(score), comment=comment or None))
    except AnswerRejected as rejected:
        return _refusal(request, pages, texts, rejected)
    return RedirectResponse(survey_form.thanks_url(request, token), status.HTTP_303_SEE_OTHER)


@router.get(
    "/thanks", response_class=HTMLResponse, responses=PAGE_RESPONSES, summary="Thank-you page"
)
async def thanks_page(
    request: Request, token: TokenParam, answers: Intake, pages: Pages
) -> Response:
    try:
        survey = await answers.open(token)
    except AnswerRejected as rejected:
        return _refusal(request, pages, pages.texts(survey_form.reader_language(request)), rejected)
    if not survey.used:
        return RedirectResponse(survey_form.page_url(request, token), status.HTTP_303_SEE_OTHER)
    return pages.message(
        pages.texts(survey.language), "thanks", status=200, root=survey_form.root(request)
    )


@router.get("/static/survey.css", include_in_schema=False)
async def survey_stylesheet(pages: Pages) -> Response:
    headers = {"Cache-Control": "max-age=3600"}
    return Response(pages.stylesheet, media_type="text/css", headers=headers)


async def _opened(
    request: Request, token: str, answers: AnswerIntake, pages: PageRenderer
) -> Survey | Response:
    """The survey still open for this link, or the page that says why it is not."""
    texts = pages.texts(survey_form.reader_language(request))
    try:
        survey = await answers.open(token)
        texts = pages.texts(survey.language)
        answers.ensure_open(survey)
    except AnswerRejected as rejected:
        return _refusal(request, pages, texts, rejected)
    return survey


def _form(
    request: Request,
    pages: PageRenderer,
    survey: Survey,
    token: str,
    *,
    selected: int | None,
    comment: str = "",
    error: str | None = None,
) -> HTMLResponse:
    texts = pages.texts(survey.language)
    lowest, highest = SCORE_RANGES[survey.kind]
    kind = survey.kind.value
    return pages.page(
        "form.html",
        texts,
        status=status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK,
        root=survey_form.root(request),
        heading=texts.texts["title"],
        question=pages.phrase(texts, f"question_{kind}"),
        low_label=texts.texts[f"low_{kind}"],
        high_label=texts.texts[f"high_{kind}"],
        scores=list(range(lowest, highest + 1)),
        selected=selected,
        token=token,
        comment=comment,
        comment_label=texts.texts["comment"],
        comment_max=COMMENT_MAX_CHARS,
        submit=texts.texts["submit"],
        error=error,
    )


def _refusal(
    request: Request, pages: PageRenderer, texts: PageTexts, rejected: AnswerRejected
) -> HTMLResponse:
    if isinstance(rejected, SurveyNotFound):
        return pages.message(texts, "invalid", status=404, root=survey_form.root(request))
    if isinstance(rejected, SurveyAlreadyAnswered):
        return pages.message(texts, "used", status=409, root=survey_form.root(request))
    name = "withdrawn" if isinstance(rejected, SurveyWithdrawn) else "expired"
    return pages.message(texts, name, status=410, root=survey_form.root(request))
