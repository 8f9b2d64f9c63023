"""Message catalogs as translators write them, and the placeholder syntax they use.

Syntax (documented for translators in ``catalog/README.md``): ``{name}`` inserts a placeholder,
``{{`` and ``}}`` are literal braces; nothing else (no attributes, indexes or format specs).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from rapport_notifications.domain.templates import Template

Direction = Literal["ltr", "rtl"]
# How a date placeholder reads in its sentence: "on" = the day something happens (hu "1-jén").
DATE_FORMS = frozenset({"on"})


class CatalogError(ValueError):
    """A catalog file a translator must fix (bad syntax, unknown placeholder…)."""


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str
    plurals: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # A placeholder (or a label) whose wording depends on a fact: option → text (ICU "select").
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    date_forms: Mapping[str, str] = field(default_factory=dict)  # date placeholder → form


@dataclass(frozen=True)
class Catalog:
    locale: str
    direction: Direction
    messages: Mapping[str, MessageText]

    def message(self, template: Template) -> MessageText:
        return self.messages[template.value]


def placeholders(text: str) -> set[str]:
    """The placeholder names ``text`` uses; raises ``CatalogError`` on anything but ``{name}``."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as error:
        raise CatalogError(f"{error} in {text!r}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise CatalogError(f"placeholder {{{name}}} must be a plain {{name}}")
        names.add(name)
    return names


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; never evaluates attributes or format specs."""
    parts: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(text):
        parts.append(literal)
        if name is not None:
            parts.append(values[name])
    return "".join(parts)


def used_placeholders(message: MessageText) -> set[str]:
    return placeholders(message.subject) | placeholders(message.body)


def parse_catalog(locale: str, document: Mapping[str, object]) -> Catalog:
    """Build a catalog from its JSON document (``{"direction": …, "messages": {…}}``)."""
    direction = document.get("direction", "ltr")
    if direction not in ("ltr", "rtl"):
        raise CatalogError(f"{locale}: direction must be ltr or rtl")
    raw = document.get("messages")
    if not isinstance(raw, dict):
        raise CatalogError(f"{locale}: 'messages' must be an object")
    messages = {key: _message(locale, key, value) for key, value in raw.items()}
    return Catalog(locale=locale, direction=direction, messages=messages)


def _message(locale: str, key: str, value: object) -> MessageText:
    if not isinstance(value, dict) or not {"subject", "body"} <= value.keys():
        raise CatalogError(f"{locale}.{key}: needs 'subject' and 'body'")
    message = MessageText(
        subject=str(value["subject"]),
        body=str(value["body"]),
        plurals=value.get("plurals", {}),
        choices=value.get("choices", {}),
        date_forms=value.get("date_forms", {}),
    )
    unknown = set(message.date_forms.values()) - DATE_FORMS
    if unknown:
        known = sorted(DATE_FORMS)
        raise CatalogError(f"{locale}.{key}: date forms {sorted(unknown)} (known: {known})")
    variants = [
        text
        for variations in (*message.plurals.values(), *message.choices.values())
        for text in variations.values()
    ]
    for text in (message.subject, message.body, *variants):
        placeholders(text)
    return message
