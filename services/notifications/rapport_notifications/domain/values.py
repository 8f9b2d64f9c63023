"""Typed placeholder values; the renderer formats each in the recipient's locale and time zone."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class Text(_Value):
    kind: Literal["text"] = "text"
    text: str


class Number(_Value):
    kind: Literal["number"] = "number"
    value: Decimal


class Money(_Value):
    kind: Literal["money"] = "money"
    amount: Decimal
    currency: str


class LocalDate(_Value):
    """A day as seen in the recipient's time zone."""

    kind: Literal["date"] = "date"
    at: AwareDatetime


class LocalDateTime(_Value):
    """A moment shown in the recipient's time zone, with that zone's name."""

    kind: Literal["datetime"] = "datetime"
    at: AwareDatetime


class Quantity(_Value):
    """A count rendered through the catalog's plural variants (CLDR plural categories)."""

    kind: Literal["quantity"] = "quantity"
    count: int


class Choice(_Value):
    """Wording picked by a fact (e.g. the survey's kind) from the catalog's ``choices``."""

    kind: Literal["choice"] = "choice"
    option: str


class ScoreLinks(_Value):
    """A survey link: the link itself in plain text; in HTML, one link per score to preselect it.

    Each score link only opens the survey page with that score chosen: a GET never records an
    answer, because mail scanners and link prefetchers follow every link in a message.
    """

    kind: Literal["score_links"] = "score_links"
    url: str
    lowest: int
    highest: int
    option: str  # which ``scale_low``/``scale_high`` labels describe the ends


Value = Annotated[
    Text | Number | Money | LocalDate | LocalDateTime | Quantity | Choice | ScoreLinks,
    Field(discriminator="kind"),
]
Values = dict[str, Value]
