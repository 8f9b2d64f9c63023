"""Load the preference center's wording shipped in ``rapport_contacts/pages/texts/``."""

from __future__ import annotations

import json
from importlib import resources

from rapport_contacts.domain.wording import PageTexts


def load_page_texts(package: str = "rapport_contacts") -> dict[str, PageTexts]:
    loaded: dict[str, PageTexts] = {}
    for entry in resources.files(package).joinpath("pages", "texts").iterdir():
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_text("utf-8"))
            locale = entry.name.removesuffix(".json")
            loaded[locale] = PageTexts(locale, document["direction"], dict(document["texts"]))
    return loaded


def load_stylesheet(package: str = "rapport_contacts") -> bytes:
    return resources.files(package).joinpath("pages", "static", "preferences.css").read_bytes()
