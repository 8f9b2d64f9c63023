"""Load the translators' catalog files shipped in ``rapport_notifications/catalog/``."""

from __future__ import annotations

import json
from importlib import resources

from rapport_notifications.domain.catalog import Catalog, parse_catalog


def load_catalogs(package: str = "rapport_notifications.catalog") -> dict[str, Catalog]:
    catalogs: dict[str, Catalog] = {}
    for entry in resources.files(package).iterdir():
        if entry.name.endswith(".json"):
            locale = entry.name.removesuffix(".json")
            catalogs[locale] = parse_catalog(locale, json.loads(entry.read_text("utf-8")))
    return catalogs
