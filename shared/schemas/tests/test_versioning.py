"""Within a version, changes are additive: every schema ever committed still validates.

For each committed version of each schema file in git history, the current schema must keep every
property with the same type, must not require anything new and must not narrow what a value may
be (an enum value dropped, a bound tightened, a pattern or format added, extra properties
refused): a consumer's stored or replayed events must still validate. A breaking change needs a
new ``vN`` event type (a new file) instead. Without git history the check would pass vacuously,
so it refuses to run on a shallow clone or a schema file committed but missing from the log.
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


# Upper bounds may only rise and lower bounds only fall within a version.
UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum")
LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def _history(path: Path, repo: Path = REPO) -> list[dict[str, Any]]:
    """Every committed version of ``path``; fails when the history needed is not there."""
    relative = path.relative_to(repo).as_posix()
    shallow = _git(repo, "rev-parse", "--is-shallow-repository")
    if shallow.returncode != 0:
        pytest.fail(f"no git history at {repo} ({shallow.stderr.strip()}): clone the repository")
    if shallow.stdout.strip() == "true":
        pytest.fail(
            "shallow clone: the compatibility check needs the whole history (fetch --unshallow)"
        )
    commits = _git(repo, "log", "--format=%H", "--", relative).stdout.split()
    committed = _git(repo, "cat-file", "-e", f"HEAD:{relative}").returncode == 0
    if committed and not commits:
        pytest.fail(f"{relative} is committed but git log finds no commit of it: history missing")
    # Not in HEAD and no commits: a schema added in the working tree, nothing to break yet.
    return [json.loads(_git(repo, "show", f"{c}:{relative}").stdout) for c in commits]


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
    # A nested model's own additionalProperties is compared by _narrowed, on its property.
    problems = [] if where else _additional_properties_tightened(old, new, "(root)")
    for name, old_property in old.get("properties", {}).items():
        new_property = new.get("properties", {}).get(name)
        if new_property is None:
            problems.append(f"{where}{name}: removed")
            continue
        old_kind, new_kind = _kind(old_property, old_root), _kind(new_property, new_root)
        if old_kind != new_kind:
            problems.append(f"{where}{name}: type {old_kind} → {new_kind}")
        else:
            problems += _narrowed(old_property, new_property, f"{where}{name}", roots)
            for old_model, new_model in _nested_models(old_property, new_property, roots):
                problems += breaking_changes(
                    old_model, new_model, f"{where}{name}.", (old_root, new_root)
                )
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: newly required")
    return problems


def _narrowed(
    old: dict[str, Any], new: dict[str, Any], where: str, roots: tuple[Any, Any]
) -> list[str]:
    """Values ``old`` accepts that ``new`` refuses, in one property (its options and items too)."""
    old, new = _resolved(old, roots[0]), _resolved(new, roots[1])
    problems = _bounds_narrowed(old, new, where)
    if "enum" in old and "enum" in new:
        problems += [
            f"{where}: enum value {v!r} removed" for v in old["enum"] if v not in new["enum"]
        ]
    elif "enum" in new:
        problems.append(f"{where}: enum {new['enum']} added")
    if "const" in new and old.get("const", new["const"]) != new["const"]:
        problems.append(f"{where}: const {old['const']!r} → {new['const']!r}")
    if "pattern" in new and old.get("pattern") != new["pattern"]:
        problems.append(f"{where}: pattern {old.get('pattern')!r} → {new['pattern']!r}")
    if "format" in new and old.get("format") != new["format"]:
        problems.append(f"{where}: format {old.get('format')!r} → {new['format']!r}")
    if old.get("type") == "object" or new.get("type") == "object":
        problems += _additional_properties_tightened(old, new, where)
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        problems += _narrowed(old["items"], new["items"], f"{where}[]", roots)
    new_options = {_option_kind(o, roots[1]): o for o in new.get("anyOf", [])}
    for option in old.get("anyOf", []):
        matching = new_options.get(_option_kind(option, roots[0]))
        if matching is not None:
            problems += _narrowed(option, matching, where, roots)
    return problems


def _bounds_narrowed(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems = []
    for keyword in UPPER_BOUNDS + LOWER_BOUNDS:
        if keyword not in new:
            continue
        before = old.get(keyword)
        lowered = keyword in UPPER_BOUNDS and (before is None or new[keyword] < before)
        raised = keyword in LOWER_BOUNDS and (before is None or new[keyword] > before)
        if lowered or raised:
            problems.append(f"{where}: {keyword} {before} → {new[keyword]}")
    return problems


def _additional_properties_tightened(
    old: dict[str, Any], new: dict[str, Any], where: str
) -> list[str]:
    """``false`` or a schema where any extra property was allowed (or ``false`` for a schema)."""
    before, after = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if after is True or after == before or before is False:
        return []
    return [f"{where}: additionalProperties {json.dumps(before)} → {json.dumps(after)}"]


def _option_kind(option: dict[str, Any], root: dict[str, Any]) -> str:
    return str(_resolved(option, root).get("type"))


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


def test_the_rule_catches_a_removed_enum_value() -> None:
    channels = ["email", "social_media", "web"]
    old = {
        "properties": {"channel": {"$ref": "#/$defs/Channel"}},
        "$defs": {"Channel": {"enum": channels, "type": "string"}},
    }
    new = {
        "properties": {"channel": {"$ref": "#/$defs/Channel"}},
        "$defs": {"Channel": {"enum": ["email", "web"], "type": "string"}},
    }
    assert breaking_changes(old, new) == ["channel: enum value 'social_media' removed"]
    assert breaking_changes(new, old) == []


def test_the_rule_catches_lowered_upper_bounds_and_raised_lower_bounds() -> None:
    old = {
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 0, "maxItems": 10},
            "score": {"type": "integer", "minimum": 0, "maximum": 10},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        }
    }
    new = {
        "properties": {
            "name": {"type": "string", "minLength": 2, "maxLength": 100},
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": 8},
                "minItems": 1,
                "maxItems": 5,
            },
            "score": {"type": "integer", "minimum": 1, "maximum": 9},
            "ratio": {"type": "number", "exclusiveMinimum": 0.5, "exclusiveMaximum": 0.9},
        }
    }
    assert sorted(breaking_changes(old, new)) == [
        "name: maxLength 200 → 100",
        "name: minLength 1 → 2",
        "ratio: exclusiveMaximum 1 → 0.9",
        "ratio: exclusiveMinimum 0 → 0.5",
        "score: maximum 10 → 9",
        "score: minimum 0 → 1",
        "tags: maxItems 10 → 5",
        "tags: minItems 0 → 1",
        "tags[]: maxLength None → 8",
    ]
    assert breaking_changes(new, old) == []


def test_the_rule_catches_a_bound_tightened_inside_an_optional_field() -> None:
    old = {
        "properties": {
            "summary": {"anyOf": [{"type": "string", "maxLength": 2000}, {"type": "null"}]}
        }
    }
    new = {
        "properties": {
            "summary": {"anyOf": [{"type": "string", "maxLength": 500}, {"type": "null"}]}
        }
    }
    assert breaking_changes(old, new) == ["summary: maxLength 2000 → 500"]


def test_the_rule_catches_a_pattern_added_or_changed_and_a_format_added() -> None:
    old = {
        "properties": {
            "id": {"type": "string"},
            "key": {"type": "string", "pattern": "^[a-z]+$"},
            "at": {"type": "string"},
        }
    }
    new = {
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
            "key": {"type": "string", "pattern": "^[a-z]{3}$"},
            "at": {"type": "string", "format": "date-time"},
        }
    }
    assert sorted(breaking_changes(old, new)) == [
        "at: format None → 'date-time'",
        "id: pattern None → '^[A-Za-z0-9_-]+$'",
        "key: pattern '^[a-z]+$' → '^[a-z]{3}$'",
    ]
    assert (
        breaking_changes(new, {"properties": {k: {"type": "string"} for k in new["properties"]}})
        == []
    )


def test_the_rule_catches_a_changed_const() -> None:
    old = {"properties": {"specversion": {"type": "string", "const": "1.0"}}}
    new = {"properties": {"specversion": {"type": "string", "const": "1.1"}}}
    assert breaking_changes(old, new) == ["specversion: const '1.0' → '1.1'"]


def test_the_rule_catches_additional_properties_tightened() -> None:
    old = {"properties": {"labels": {"type": "object"}}}
    refused = {
        "properties": {"labels": {"type": "object", "additionalProperties": False}},
        "additionalProperties": False,
    }
    typed = {
        "properties": {"labels": {"type": "object", "additionalProperties": {"type": "string"}}}
    }
    assert sorted(breaking_changes(old, refused)) == [
        "(root): additionalProperties true → false",
        "labels: additionalProperties true → false",
    ]
    assert breaking_changes(old, typed) == [
        'labels: additionalProperties true → {"type": "string"}'
    ]
    assert breaking_changes(refused, old) == []


def _repository(tmp_path: Path, name: str) -> Path:
    repo = tmp_path / name
    repo.mkdir()
    for args in (
        ("init", "-q"),
        ("config", "user.email", "t@example.org"),
        ("config", "user.name", "t"),
    ):
        _git(repo, *args)
    for version in (1, 2):
        (repo / "schema.json").write_text(json.dumps({"version": version}))
        _git(repo, "add", "schema.json")
        _git(repo, "commit", "-q", "-m", f"v{version}")
    return repo


def test_the_history_is_every_committed_version_and_none_for_a_new_file(tmp_path: Path) -> None:
    repo = _repository(tmp_path, "full")
    assert _history(repo / "schema.json", repo) == [{"version": 2}, {"version": 1}]
    (repo / "added.json").write_text("{}")
    assert _history(repo / "added.json", repo) == []  # added in the working tree: nothing to break


def test_the_check_refuses_a_shallow_clone_or_no_repository(tmp_path: Path) -> None:
    origin = _repository(tmp_path, "origin")
    shallow = tmp_path / "shallow"
    _git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(shallow))
    with pytest.raises(pytest.fail.Exception, match="shallow clone"):
        _history(shallow / "schema.json", shallow)
    bare = tmp_path / "exported"
    bare.mkdir()
    (bare / "schema.json").write_text("{}")
    with pytest.raises(pytest.fail.Exception, match="no git history"):
        _history(bare / "schema.json", bare)
