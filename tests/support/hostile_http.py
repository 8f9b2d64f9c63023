"""Hostile HTTP requests: schemathesis' cases for an operation, each spoiled by one hostile class.

Every hostile string carries ``MARK`` (replaced by the request's number when sent), so whatever a
refused request might have stored can be found afterwards and traced back to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st
from schemathesis.core import NotSet

MARK = "HXMARK"
BIG_BODY_BYTES = 5_000_000

HOSTILE_STRINGS = (
    f"ref-{MARK}\r\nBcc: someone@example.com",
    f"{MARK}\nSubject: spoofed",
    f"{MARK}\x00tail",
    f"\x1b[31m{MARK}\x1b[0m",
    f"{MARK}\u2028line",
    f"{MARK}\x7f\x85",
    f"$where{MARK}",
    f"../{MARK}",
    f"{MARK}😀",
    f"{MARK}" + "x" * 3_000,
)
# Raw JSON text, put in place of a field's value: not representable as a Python value.
RAW_LITERALS = ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", '"\\ud800"', "9" * 5_000)
OTHER_JSON_TYPES = (None, True, 0, -1, 1.5, "", [], {}, [[[]]], {"$where": "1"})
HOSTILE_PATH_IDS = ("$where", "..", ".", "\x00", "😀", "a" * 3_000, "a b", "%", "\r\n", "a/b")
WHOLE_BODIES = (
    b"[" * 100_000,
    b'{"a": ' * 50_000,
    b"\xff\xfe{\x00",
    b'{"a": "' + b"x" * BIG_BODY_BYTES + b'"}',
    b'{"truncated": ',
    b"",
)


def hostile_dates() -> tuple[str, ...]:
    soon = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    return (
        "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2101-01-01T00:00:00+00:00",
        soon,
    )


@dataclass(frozen=True)
class HostileRequest:
    kind: str
    method: str
    path: str
    query: dict[str, Any]
    body: bytes | None

    def marked(self, number: int) -> HostileRequest:
        mark = f"hx{number:05d}"
        body = self.body.replace(MARK.encode(), mark.encode()) if self.body else self.body
        query = {k: str(v).replace(MARK, mark) for k, v in self.query.items()}
        return HostileRequest(self.kind, self.method, self.path.replace(MARK, mark), query, body)


KINDS = ("none", "string", "literal", "date", "type", "whole_body", "path_id")


@st.composite
def hostile_requests(
    draw: st.DrawFn, cases: st.SearchStrategy[Any], known_ids: tuple[str, ...]
) -> HostileRequest:
    """One generated case of an operation, made hostile in one way (or left alone: ``none``)."""
    case = draw(cases)
    path_parameters = dict(case.path_parameters or {})
    for name in path_parameters:
        if name.endswith("contact_id") and known_ids and draw(st.booleans()):
            path_parameters[name] = draw(st.sampled_from(known_ids))
    has_body = case.media_type == "application/json" and not isinstance(case.body, NotSet)
    body: Any = case.body if has_body else None
    kind = draw(st.sampled_from(_kinds_for(body, path_parameters)))
    raw: bytes | None = None if body is None else _dumps(body)
    if kind == "path_id":
        name = draw(st.sampled_from(sorted(path_parameters)))
        path_parameters[name] = draw(st.sampled_from(HOSTILE_PATH_IDS))
    elif kind == "whole_body":
        raw = draw(st.sampled_from(WHOLE_BODIES))
    elif kind != "none":
        raw = _spoiled(draw, body, kind)
    path = case.path.format(**{k: quote(str(v), safe="") for k, v in path_parameters.items()})
    query = {k: v for k, v in (case.query or {}).items() if isinstance(v, str | int | float)}
    return HostileRequest(kind, case.method.upper(), path, query, raw)


def _kinds_for(body: Any, path_parameters: dict[str, Any]) -> list[str]:
    kinds = ["none"]
    if path_parameters:
        kinds.append("path_id")
    if body is not None:
        kinds += ["whole_body", "type"]
        if _leaves(body):
            kinds += ["string", "literal", "date"]
    return kinds


def _spoiled(draw: st.DrawFn, body: Any, kind: str) -> bytes:
    leaves = _leaves(body)
    location = draw(st.sampled_from(leaves)) if leaves else ()
    if kind == "string":
        return _dumps(_replaced(body, location, draw(st.sampled_from(HOSTILE_STRINGS))))
    if kind == "date":
        return _dumps(_replaced(body, location, draw(st.sampled_from(hostile_dates()))))
    if kind == "type":
        value = draw(st.sampled_from(OTHER_JSON_TYPES))
        return _dumps(_replaced(body, location, value) if location else value)
    placeholder = "\x02RAW\x02"
    literal = draw(st.sampled_from(RAW_LITERALS))
    text = json.dumps(_replaced(body, location, placeholder))
    return text.replace(json.dumps(placeholder), literal).encode()


def _leaves(value: Any, location: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*location, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*location, i))]
    return [location] if location else []


def _replaced(value: Any, location: tuple[Any, ...], new: Any) -> Any:
    if not location:
        return new
    head, rest = location[0], location[1:]
    copied = dict(value) if isinstance(value, dict) else list(value)
    copied[head] = _replaced(value[head], rest, new)
    return copied


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
