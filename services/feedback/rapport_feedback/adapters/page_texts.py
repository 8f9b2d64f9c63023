"""The survey page's wording per locale, shipped as JSON beside the templates (package data)."""

from __future__ import annotations

import json
from importlib import resources

from rapport_feedback.domain.wording import PageTexts

PAGES = resources.files("rapport_feedback") / "pages"


def load_page_texts() -> dict[str, PageTexts]:
    loaded = {}
    for entry in (PAGES / "texts").iterdir():
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_text(encoding="utf-8"))
            locale = str(document["locale"])
            loaded[locale] = PageTexts(locale, document["direction"], dict(document["texts"]))
    return loaded


def stylesheet() -> bytes:
    return (PAGES / "static" / "survey.css").read_bytes()
