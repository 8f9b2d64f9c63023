"""What every server-rendered customer page shares (the survey page, the preference center):
the wording per locale shipped beside the templates, Jinja2 with autoescaping and one locale per
page, strict headers, the cross-site check of a form POST and the reader's language before
anything else is known."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit

from babel import Locale
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.requests import Request

from rapport_kit.locales import negotiate

Direction = Literal["ltr", "rtl"]

# No script may run and nothing may load from elsewhere; forms post only to the same service.
# The link's token travels in the URL, so no Referer may carry it to another site (same-origin
# still sends Origin on the form's POST, which the cross-site check reads).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def same_origin(request: Request) -> bool:
    """Fetch metadata where the browser sends it, else the Origin header (OWASP CSRF sheet)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in {"same-origin", "none"}
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def reader_language(request: Request) -> str | None:
    """Before the page's subject is known: the browser's first language (``Accept-Language``)."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first[:35] or None


def root(request: Request) -> str:
    """The prefix a reverse proxy mounted the service under (ASGI ``root_path``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@dataclass(frozen=True)
class PageTexts:
    """A page's wording in one locale (``<package>/pages/texts/<locale>.json``)."""

    locale: str
    direction: Direction
    texts: dict[str, str]


def load_page_texts(package: str) -> dict[str, PageTexts]:
    loaded: dict[str, PageTexts] = {}
    for entry in resources.files(package).joinpath("pages", "texts").iterdir():
        if entry.name.endswith(".json"):
            document = json.loads(entry.read_text("utf-8"))
            locale = str(document.get("locale", entry.name.removesuffix(".json")))
            loaded[locale] = PageTexts(locale, document["direction"], dict(document["texts"]))
    return loaded


def load_stylesheet(package: str, name: str) -> bytes:
    return resources.files(package).joinpath("pages", "static", name).read_bytes()


@dataclass(frozen=True)
class PageRenderer:
    """A service's pages: its templates (``<package>/pages/templates``, extending the kit's
    ``base.html``), wording and style (served by the service at ``stylesheet_path``)."""

    catalogs: Mapping[str, PageTexts]
    default_locale: str
    brand: str
    environment: Environment
    stylesheet: bytes
    stylesheet_path: str

    @classmethod
    def build(
        cls,
        package: str,
        catalogs: Mapping[str, PageTexts],
        *,
        default_locale: str,
        brand: str,
        stylesheet: bytes,
        stylesheet_path: str,
    ) -> PageRenderer:
        templates = [
            PackageLoader(package, "pages/templates"),
            PackageLoader(__name__.split(".")[0], "page_templates"),
        ]
        environment = Environment(
            loader=ChoiceLoader(templates),
            autoescape=select_autoescape(default=True),
        )
        return cls(catalogs, default_locale, brand, environment, stylesheet, stylesheet_path)

    def texts(self, language: str | None) -> PageTexts:
        """The most specific catalog the reader reads (``pt-BR`` → ``pt`` → default)."""
        return self.catalogs[self.locale_of(language)]

    def locale_of(self, language: str | None) -> str:
        return negotiate(language, self.catalogs.keys(), self.default_locale).catalog

    def languages(self) -> list[tuple[str, str]]:
        """Each page locale named in its own language, for a language choice."""
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
            stylesheet_path=self.stylesheet_path,
            t=texts.texts,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def message(self, texts: PageTexts, name: str, *, status: int, root: str) -> HTMLResponse:
        """A page that only explains (thanks, an invalid, expired or used link, a cross-site
        post): ``message.html`` with the texts ``<name>_title`` and ``<name>_body``."""
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
