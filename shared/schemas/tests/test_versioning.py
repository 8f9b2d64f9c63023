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

from rapport_schemas.generate import SCHEMA_DIR, rendered_files

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


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    """What ``new`` breaks for a consumer written against ``old`` (recursively through $defs)."""
    problems: list[str] = []
    for name, old_property in old.get("properties", {}).items():
        new_property = new.get("properties", {}).get(name)
        if new_property is None:
            problems.append(f"{where}{name}: removed")
        elif _kind(old_property) != _kind(new_property):
            problems.append(f"{where}{name}: type {_kind(old_property)} → {_kind(new_property)}")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: newly required")
    for name, old_definition in old.get("$defs", {}).items():
        new_definition = new.get("$defs", {}).get(name, {})
        problems += breaking_changes(old_definition, new_definition, f"{where}{name}.")
    return problems


def _kind(schema: dict[str, Any]) -> object:
    if "anyOf" in schema:
        return sorted(str(_kind(option)) for option in schema["anyOf"])
    return schema.get("type") or schema.get("$ref") or schema.get("const") or schema.get("enum")


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
