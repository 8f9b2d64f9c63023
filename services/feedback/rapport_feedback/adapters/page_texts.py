"""The survey page's stylesheet, shipped beside its templates and wording (package data)."""

from __future__ import annotations

from rapport_kit.pages import load_stylesheet


def stylesheet() -> bytes:
    return load_stylesheet("rapport_feedback", "survey.css")
