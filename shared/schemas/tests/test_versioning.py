"""Within a version, changes are additive: every schema ever committed still validates.

For each committed version of each schema file in git history, the current schema must keep every
property with the same type and must not require anything new. A breaking change needs a new
``vN`` event type (a new file) instead.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rapport_schemas.catalog import BY_TYPE, EVENT_MODELS
from rapport_schemas.feedback import SurveyRequested, SurveyRequestedV1
from rapport_schemas.generate import ASYNCAPI_FILE, SCHEMA_DIR, rendered_files

REPO = Path(__file__).resolve().parents[3]


def _history(path: Path) -> list[dict[str, Any]]:
    relative = path.relative_to(REPO).as_posix()
    log = subprocess.run(
        ["git", "log", "--format=%H", "--", relative],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    commits = log.stdout.split() if log.returncode == 0 else []  # no history yet: nothing to break
    return [
        json.loads(
            subprocess.run(
                ["git", "show", f"{c}:{relative}"],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for c in commits
    ]


def breaking_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    where: str = "",
    roots: tuple[Any, Any] | None = None,
) -> list[str]:
    """What ``new`` breaks for a consumer written against ``old``.

    ``$ref``s are followed within each document, so renaming a definition (a new model class
    for the same shape) is not a change, while a change inside any referenced model is.
    """
    roots = roots or (old, new)
    old_root, new_root = roots
    old, new = _resolved(old, old_root), _resolved(new, new_root)
    problems: list[str] = []
    for name, old_property in old.get("properties", {}).items():
        new_property = new.get("properties", {}).get(name)
        if new_property is None:
            problems.append(f"{where}{name}: removed")
            continue
        old_kind, new_kind = _kind(old_property, old_root), _kind(new_property, new_root)
        if old_kind != new_kind:
            problems.append(f"{where}{name}: type {old_kind} → {new_kind}")
        else:
            for old_model, new_model in _nested_models(old_property, new_property, roots):
                problems += breaking_changes(
                    old_model, new_model, f"{where}{name}.", (old_root, new_root)
                )
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: newly required")
    return problems


def _nested_models(
    old: dict[str, Any], new: dict[str, Any], roots: tuple[Any, Any]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The object model inside a property (plain, or the one object option of an ``anyOf``)."""
    pair = []
    for schema, root in ((old, roots[0]), (new, roots[1])):
        options = [_resolved(o, root) for o in _resolved(schema, root).get("anyOf", [schema])]
        models = [o for o in options if _resolved(o, root).get("type") == "object"]
        pair.append(models[0] if len(models) == 1 else None)
    return [(pair[0], pair[1])] if pair[0] is not None and pair[1] is not None else []


def _resolved(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].removeprefix("#/$defs/")]
    return schema


def _kind(schema: dict[str, Any], root: dict[str, Any]) -> object:
    schema = _resolved(schema, root)
    if "anyOf" in schema:
        return sorted(str(_kind(option, root)) for option in schema["anyOf"])
    return schema.get("type") or schema.get("const") or schema.get("enum")


SCHEMAS = sorted(p for p in rendered_files() if p.parent == SCHEMA_DIR)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.stem)
def test_current_schema_is_compatible_with_every_committed_version(path: Path) -> None:
    current = json.loads(rendered_files()[path])
    for old in _history(path):
        assert breaking_changes(old, current) == []


def test_the_rule_catches_a_removed_field_a_retyped_field_and_a_new_required_field() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["a"]}
    new = {"properties": {"b": {"type": "string"}, "c": {"type": "string"}}, "required": ["a", "c"]}
    assert sorted(breaking_changes(old, new)) == [
        "a: removed",
        "b: type integer → string",
        "c: newly required",
    ]


def test_a_superseded_version_tells_its_subscribers_where_to_go() -> None:
    """v1 of a type stays decodable for the history, marked deprecated and naming its successor."""
    files = rendered_files()
    asyncapi = json.loads(files[ASYNCAPI_FILE])["components"]["messages"]
    for model in EVENT_MODELS:
        successor = getattr(model, "superseded_by", None)
        if successor is None:
            continue
        schema = json.loads(files[SCHEMA_DIR / f"{model.event_type}.json"])
        assert schema["deprecated"] is True
        assert schema["x-superseded-by"] == successor
        assert successor in BY_TYPE and successor != model.event_type
        assert successor.rsplit(".", 1)[0] == model.event_type.rsplit(".", 1)[0]
        assert successor.split(".")[-1] in asyncapi[model.__name__]["description"]
    assert SurveyRequestedV1.superseded_by == SurveyRequested.event_type
    assert "token" not in SurveyRequested.model_fields


def test_the_rule_follows_references_into_nested_models() -> None:
    old = {
        "properties": {"data": {"$ref": "#/$defs/Old"}},
        "$defs": {"Old": {"properties": {"a": {"type": "string"}}, "type": "object"}},
    }
    renamed = {
        "properties": {"data": {"$ref": "#/$defs/New"}},
        "$defs": {"New": {"properties": {"a": {"type": "string"}}, "type": "object"}},
    }
    retyped = {
        "properties": {"data": {"$ref": "#/$defs/New"}},
        "$defs": {"New": {"properties": {"a": {"type": "integer"}}, "type": "object"}},
    }
    assert breaking_changes(old, renamed) == []
    assert breaking_changes(old, retyped) == ["data.a: type string → integer"]
