"""One valid instance of every event's data, built from its JSON Schema (the contract itself)."""

from __future__ import annotations

import re
from typing import Any

from rapport_schemas import EventData

# The patterns the contracts use, each with a value that also passes the models' own validators.
PATTERN_EXAMPLES = {
    "^[A-Z]{2}$": "FR",
    "^[A-Z]{3}$": "EUR",
    "^[A-Za-z0-9_-]+$": "c-example",
    "^[a-z0-9][a-z0-9_.-]{0,31}$": "zendesk",
}


def example_of(model: type[EventData]) -> EventData:
    schema = model.model_json_schema()
    return model.model_validate(_value(schema, schema))


def _value(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _value(root["$defs"][schema["$ref"].removeprefix("#/$defs/")], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return _value(schema["anyOf"][0], root)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {name: _value(p, root) for name, p in properties.items()}
    if kind == "array":
        return [_value(schema["items"], root)] * max(1, schema.get("minItems", 1))
    if kind in ("integer", "number"):
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-01-01T00:00:00Z"
    if schema.get("format") == "time":
        return "09:00:00"
    if "pattern" in schema:
        return _matching(schema["pattern"])
    return "x" * max(1, schema.get("minLength", 1))


def _matching(pattern: str) -> str:
    """The listed example, else the first candidate the pattern accepts (new fields need none)."""
    if pattern in PATTERN_EXAMPLES:
        return PATTERN_EXAMPLES[pattern]
    candidates = ("c-example", "zendesk", "FR", "EUR", "x", "1")
    return next(c for c in candidates if re.search(pattern, c))
