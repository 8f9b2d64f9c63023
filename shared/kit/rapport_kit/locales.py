"""Locale negotiation: the most specific catalog the recipient reads, else the default.

``pt-BR`` tries ``pt_BR``, then ``pt``, then the default (BCP 47 truncation, RFC 4647 §3.4).
Formatting (dates, numbers, money) keeps the full requested locale when it is the same language
as the catalog, so a ``de-AT`` reader gets German text with Austrian CLDR formats.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError


@dataclass(frozen=True)
class NegotiatedLocale:
    catalog: str
    formatting: str


def _parse(tag: str) -> Locale | None:
    try:
        return Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def candidates(tag: str) -> list[str]:
    """Most specific first: ``zh-Hant-TW`` → ``zh_Hant_TW``, ``zh_Hant``, ``zh``."""
    parts = tag.replace("-", "_").split("_")
    found = ["_".join(parts[:end]) for end in range(len(parts), 0, -1)]
    parsed = _parse(tag)
    if parsed is not None and str(parsed) not in found:
        found.insert(0, str(parsed))
    return found


def negotiate(requested: str | None, available: Collection[str], default: str) -> NegotiatedLocale:
    for candidate in candidates(requested or ""):
        for name in available:
            if name.lower() == candidate.lower():
                return NegotiatedLocale(catalog=name, formatting=_formatting(requested, name))
    return NegotiatedLocale(catalog=default, formatting=default)


def _formatting(requested: str | None, catalog: str) -> str:
    parsed = _parse(requested or "")
    if parsed is not None and parsed.language == catalog.split("_", maxsplit=1)[0]:
        return str(parsed)
    return catalog
