"""Server-rendered customer pages: Jinja2 with autoescaping, one locale per page, strict headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from babel import Locale
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from rapport_contacts.domain.wording import PageTexts
from rapport_kit.locales import negotiate
from rapport_kit.pages import SECURITY_HEADERS


@dataclass(frozen=True)
class Pages:
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
    ) -> Pages:
        environment = Environment(
            loader=PackageLoader("rapport_contacts", "pages/templates"),
            autoescape=select_autoescape(default=True),
        )
        return cls(catalogs, default_locale, brand, environment, stylesheet)

    def texts(self, language: str | None) -> PageTexts:
        """The most specific catalog the reader reads (``pt-BR`` → ``pt`` → default)."""
        return self.catalogs[self.locale_of(language)]

    def locale_of(self, language: str | None) -> str:
        return negotiate(language, self.catalogs.keys(), self.default_locale).catalog

    def languages(self) -> list[tuple[str, str]]:
        """Each page locale named in its own language, for the language choice."""
        named = [
            (code, Locale.parse(code).get_display_name(code) or code) for code in self.catalogs
        ]
        return sorted((code, name[:1].upper() + name[1:]) for code, name in named)

    def page(
        self, template: str, texts: PageTexts, *, status: int, root: str, **values: object
    ) -> HTMLResponse:
        html = self.environment.get_template(template).render(
            lang=texts.locale,
            dir=texts.direction,
            brand=self.brand,
            root=root,
            t=texts.texts,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def message(self, texts: PageTexts, name: str, *, status: int, root: str) -> HTMLResponse:
        """A page that only explains (an invalid, expired or erased link, a cross-site post)."""
        return self.page(
            "message.html",
            texts,
            status=status,
            root=root,
            heading=texts.texts[f"{name}_title"],
            body=self.phrase(texts, f"{name}_body"),
        )

    def phrase(self, texts: PageTexts, key: str, **values: object) -> str:
        return texts.texts[key].format(brand=self.brand, **values)
