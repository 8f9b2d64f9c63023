"""Write (or ``--check``) the JSON Schema files and the AsyncAPI document from the models."""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path
from typing import Any

from rapport_schemas import asyncapi
from rapport_schemas.catalog import EVENT_MODELS
from rapport_schemas.components import describe_envelope
from rapport_schemas.envelope import (
    DEFAULT_SCHEMA_BASE_URL,
    CloudEvent,
    EventData,
    data_schema_file,
    envelope_schema_file,
)

PACKAGE_DIR = Path(__file__).parent
SCHEMA_DIR = PACKAGE_DIR / "jsonschema"
ASYNCAPI_FILE = PACKAGE_DIR / "asyncapi.json"


def event_schema(
    model: type[EventData], *, base_url: str = DEFAULT_SCHEMA_BASE_URL
) -> dict[str, Any]:
    """The whole event: the envelope with its data model in ``$defs``."""
    schema = CloudEvent[model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema = {"$id": base_url + envelope_schema_file(model.event_type), **schema}
    return describe_envelope(schema, model)


def data_schema(
    model: type[EventData], *, base_url: str = DEFAULT_SCHEMA_BASE_URL
) -> dict[str, Any]:
    """The schema of ``data`` alone: the document an event's ``dataschema`` names."""
    schema = model.model_json_schema(mode="serialization")
    schema["$id"] = base_url + data_schema_file(model.event_type)
    schema["description"] = (model.__doc__ or model.__name__).strip().splitlines()[0]
    successor = getattr(model, "superseded_by", None)
    if successor:
        schema["deprecated"] = True
        schema["x-superseded-by"] = successor
    return schema


def schema_files(base_url: str = DEFAULT_SCHEMA_BASE_URL) -> dict[str, dict[str, Any]]:
    """Every JSON Schema file by name, ``$id``s under ``base_url``."""
    files = {}
    for model in EVENT_MODELS:
        files[envelope_schema_file(model.event_type)] = event_schema(model, base_url=base_url)
        files[data_schema_file(model.event_type)] = data_schema(model, base_url=base_url)
    return files


def asyncapi_html(*, schema_base: str = DEFAULT_SCHEMA_BASE_URL) -> str:
    """The catalogue as a small self-contained page (no scripts, nothing fetched).

    ``schema_base`` is where the schema links point: a service passes the path it serves them at,
    so the page needs nothing outside the cluster.
    """
    rows = []
    for model in sorted(EVENT_MODELS, key=lambda m: (m.topic, m.__name__)):
        links = " ".join(
            f'<a href="{html.escape(schema_base + file)}">{label}</a>'
            for label, file in (
                ("data", data_schema_file(model.event_type)),
                ("envelope", envelope_schema_file(model.event_type)),
            )
        )
        rows.append(
            f"<tr><td><code>{html.escape(model.topic)}</code></td>"
            f"<td>{html.escape(model.__name__)}</td>"
            f"<td><code>{html.escape(model.event_type)}</code></td><td>{links}</td></tr>"
        )
    return (
        "<!doctype html><meta charset=utf-8><title>Rapport events</title>"
        "<h1>Rapport events (AsyncAPI 3.0: <a href=asyncapi.json>asyncapi.json</a>)</h1>"
        "<p>CloudEvents 1.0 structured JSON; Kafka key = contact id.</p>"
        "<table border=1 cellpadding=4><tr><th>topic</th><th>event</th><th>type</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
    )


def rendered_files() -> dict[Path, str]:
    files = {SCHEMA_DIR / name: _dump(schema) for name, schema in schema_files().items()}
    files[ASYNCAPI_FILE] = _dump(asyncapi.document())
    return files


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if committed files drifted")
    args = parser.parse_args()
    drifted = [path for path, text in rendered_files().items() if _read(path) != text]
    if args.check:
        for path in drifted:
            print(f"drifted: {path.relative_to(PACKAGE_DIR)}", file=sys.stderr)
        return 1 if drifted else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    files = rendered_files()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files) - 1} schemas and asyncapi.json")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    raise SystemExit(main())
