"""The customer pages' wording in one locale: a value, loaded from package data by the adapters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["ltr", "rtl"]


@dataclass(frozen=True)
class PageTexts:
    locale: str
    direction: Direction
    texts: dict[str, str]
