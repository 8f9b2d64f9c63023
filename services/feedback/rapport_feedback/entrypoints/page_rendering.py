"""Server-rendered survey pages: Jinja2 with autoescaping, one locale per page, strict headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from rapport_feedback.domain.wording import PageTexts
from rapport_kit.locales import negotiate
from rapport_kit.pages import SECURITY_HEADERS


@dataclass(frozen=True)
class PageRenderer:
    catalogs: Mapping[str, PageTexts]
    default_locale: str
    brand: str
    environment: Environment
    stylesheet: bytes

    @classmethod
    def build(
        cls,
        catalogs: Mapping[str, PageTexts],
        *,
        default_locale: str,
        brand: str,
        stylesheet: bytes,
    ) -> PageRenderer:
        environment = Environment(
            loader=PackageLoader("rapport_feedback", "pages/templates"),
            autoescape=select_autoescape(default=True),
        )
        return cls(catalogs, default_locale, brand, environment, stylesheet)

    def texts(self, language: str | None) -> PageTexts:
        """The most specific catalog the reader reads (``pt-BR`` → ``pt`` → default)."""
        return self.catalogs[negotiate(language, self.catalogs.keys(), self.default_locale).catalog]

    def page(
        self, template: str, texts: PageTexts, *, status: int, root: str, **values: object
    ) -> HTMLResponse:
        html = self.environment.get_template(template).render(
            lang=texts.locale, dir=texts.direction, brand=self.brand, root=root, **values
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def message(self, texts: PageTexts, name: str, *, status: int, root: str) -> HTMLResponse:
        """A page that only explains (thanks, already answered, expired, withdrawn, invalid)."""
        words = texts.texts
        return self.page(
            "message.html",
            texts,
            status=status,
            root=root,
            heading=words[f"{name}_title"],
            body=words[f"{name}_body"],
        )

    def phrase(self, texts: PageTexts, key: str, **values: object) -> str:
        return texts.texts[key].format(brand=self.brand, **values)
