"""The unsubscribe and preferences line under every non-transactional message, in its language."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from rapport_notifications.domain.customer_links import CustomerLinks, LinkMaker
from rapport_notifications.domain.purposes import carries_unsubscribe, purpose_of
from rapport_notifications.domain.rendering import Rendered
from rapport_notifications.domain.templates import Template


@dataclass(frozen=True)
class FooterTexts:
    preferences: str
    unsubscribe: str


def with_footer(rendered: Rendered, links: CustomerLinks, texts: FooterTexts) -> Rendered:
    text = (
        f"{rendered.text}\n\n--\n{texts.preferences}: {links.preferences}\n"
        f"{texts.unsubscribe}: {links.one_click}"
    )
    line = (
        f'<p><small><a href="{html.escape(links.preferences)}">{html.escape(texts.preferences)}'
        f'</a> · <a href="{html.escape(links.one_click)}">{html.escape(texts.unsubscribe)}</a>'
        "</small></p>\n</body>"
    )
    body = rendered.html.replace("\n</body>", f"\n{line}", 1)
    return dataclasses.replace(rendered, text=text, html=body)


@dataclass(frozen=True)
class Unsubscribing:
    """Adds the links (and their line) to the messages that need them."""

    links: LinkMaker
    footers: Mapping[str, FooterTexts]
    default_locale: str

    def apply(
        self, template: Template, contact_id: str, rendered: Rendered, now: datetime
    ) -> tuple[Rendered, CustomerLinks | None]:
        if not carries_unsubscribe(template):
            return rendered, None
        links = self.links.links(contact_id, purpose_of(template), now)
        texts = self.footers.get(rendered.locale) or self.footers[self.default_locale]
        return with_footer(rendered, links, texts), links
