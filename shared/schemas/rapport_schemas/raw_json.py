"""Parsing untrusted JSON bytes without letting their shape crash or mislead the parser.

``json.loads`` recurses once per nesting level (50,000 levels raise ``RecursionError``), accepts
``NaN``/``Infinity`` (not JSON, RFC 8259 §6) and turns ``1e400`` into ``inf``, and decodes a lone
``\\ud800`` escape into a string no UTF-8 encoder (BSON, Kafka, SMTP) can write again. Each of
those is refused here, before or while parsing, as a ``ValueError`` naming the cause.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class HostileJson(ValueError):
    """Bytes that are not JSON an event may carry; ``reason`` is machine-readable."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def loads(raw: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse ``raw`` as strict JSON (finite numbers, paired surrogates, bounded depth)."""
    if raw.count(b"[") + raw.count(b"{") > max_depth:
        _check_depth(raw, max_depth)  # only documents with many brackets pay for the scan
    try:
        text = raw.decode("utf-8")  # CloudEvents JSON is UTF-8; json.loads would guess UTF-16/32
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise HostileJson("too_deep", "nesting exceeds the parser's stack") from None
    except HostileJson:
        raise
    except ValueError as error:  # bad UTF-8, bad syntax, integers beyond 4,300 digits
        raise HostileJson("invalid_json", str(error)[:200]) from None
    if _SURROGATE_ESCAPE.search(raw):
        _check_encodable(document)
    return document


def nesting_depth(raw: bytes) -> int:
    """The deepest ``[``/``{`` nesting of ``raw``, brackets inside strings not counted."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub(b'""', raw)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _check_depth(raw: bytes, max_depth: int) -> None:
    depth = nesting_depth(raw)
    if depth > max_depth:
        raise HostileJson("too_deep", f"nesting depth {depth} > {max_depth}")


def _refuse_constant(name: str) -> float:
    raise HostileJson("invalid_json", f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise HostileJson("invalid_json", f"number out of range ({text[:40]})")
    return value


def _check_encodable(document: Any) -> None:
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise HostileJson("invalid_json", "lone UTF-16 surrogate in a string") from None
