"""What the survey page reads from a request: the posted form, where it came from, the reader's
language, and the URLs it redirects to."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import Request

from rapport_feedback.domain.answers import COMMENT_MAX_CHARS, Survey
from rapport_feedback.domain.scores import SCORE_RANGES


def problem(survey: Survey, score: str, comment: str) -> str | None:
    """The text key that explains what the form lacks, or None when it can be recorded."""
    lowest, highest = SCORE_RANGES[survey.kind]
    if not (score.isascii() and score.isdigit() and lowest <= int(score) <= highest):
        return "choose_score"
    if len(comment) > COMMENT_MAX_CHARS:
        return "comment_too_long"
    return None


def field(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def same_origin(request: Request) -> bool:
    """Fetch metadata where the browser sends it, else the Origin header (OWASP CSRF sheet)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in {"same-origin", "none"}
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def reader_language(request: Request) -> str | None:
    """Before the survey is known: the browser's first language (``Accept-Language``)."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first[:35] or None


def root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


def page_url(request: Request, token: str) -> str:
    return f"{root(request)}/answers?{urlencode({'token': token})}"


def thanks_url(request: Request, token: str) -> str:
    return f"{root(request)}/answers/thanks?{urlencode({'token': token})}"
