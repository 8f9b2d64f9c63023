"""What the survey page reads from a request: the posted form, where it came from, the reader's
language, and the URLs it redirects to."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from rapport_feedback.domain.answers import COMMENT_MAX_CHARS, Survey
from rapport_feedback.domain.scores import SCORE_RANGES
from rapport_kit.pages import reader_language, root, same_origin

__all__ = ["field", "page_url", "problem", "reader_language", "root", "same_origin", "thanks_url"]


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


def page_url(request: Request, token: str) -> str:
    return f"{root(request)}/answers?{urlencode({'token': token})}"


def thanks_url(request: Request, token: str) -> str:
    return f"{root(request)}/answers/thanks?{urlencode({'token': token})}"
