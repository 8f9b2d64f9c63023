"""The survey page's wording per locale, shipped as JSON beside the templates (package data)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Direction = Literal["ltr", "rtl"]
PAGES = resources.files("rapport_feedback") / "pages"


@dataclass(frozen=True)
class PageTexts:
    locale: str
    direction: Direction
    texts: dict[str, str]


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
