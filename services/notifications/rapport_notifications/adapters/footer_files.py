"""Load the unsubscribe line's wording shipped in ``rapport_notifications/footers.json``."""

from __future__ import annotations

import json
from importlib import resources

from rapport_notifications.domain.footer import FooterTexts


def load_footers(package: str = "rapport_notifications") -> dict[str, FooterTexts]:
    document = json.loads(resources.files(package).joinpath("footers.json").read_text("utf-8"))
    return {
        locale: FooterTexts(preferences=texts["preferences"], unsubscribe=texts["unsubscribe"])
        for locale, texts in document.items()
        if not locale.startswith("_")
    }
