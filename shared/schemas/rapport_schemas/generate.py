"""Write (or ``--check``) the JSON Schema files and the AsyncAPI document from the models."""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path
from typing import Any

from rapport_schemas import topics
from rapport_schemas.catalog import EVENT_MODELS
from rapport_schemas.envelope import (
    CONTENT_TYPE,
    SCHEMA_BASE_URL,
    CloudEvent,
    EventData,
    schema_url,
)

PACKAGE_DIR = Path(__file__).parent
SCHEMA_DIR = PACKAGE_DIR / "jsonschema"
ASYNCAPI_FILE = PACKAGE_DIR / "asyncapi.json"

TOPIC_DESCRIPTIONS = {
    topics.CONTACTS: "Contact lifecycle, interactions, purchases, cases and SLA breaches.",
    topics.FEEDBACK: "Survey requests, answers and detected detractors.",
    topics.NOTIFICATIONS: "Notification scheduling and delivery outcomes.",
    topics.METRICS: "The KPI stream: one value per metric, window and segment (compacted).",
}


def event_schema(model: type[EventData]) -> dict[str, Any]:
    schema = CloudEvent[model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["$id"] = schema_url(model.event_type)
    schema["title"] = model.__name__
    schema["description"] = (model.__doc__ or model.__name__).strip().splitlines()[0]
    schema["properties"]["type"]["const"] = model.event_type
    successor = getattr(model, "superseded_by", None)
    if successor:
        schema["deprecated"] = True
        schema["x-superseded-by"] = successor
    return schema


def _message_description(model: type[EventData]) -> str:
    """The model's docstring: for a superseded version, its migration note for subscribers."""
    return " ".join((model.__doc__ or model.__name__).split())


def asyncapi_document() -> dict[str, Any]:
    messages = {
        model.__name__: {
            "name": model.event_type,
            "title": model.__name__,
            "description": _message_description(model),
            "contentType": CONTENT_TYPE.split(";")[0],
            "payload": {"$ref": f"jsonschema/{model.event_type}.json"},
        }
        for model in EVENT_MODELS
    }
    channels = {
        topic: {
            "address": topic,
            "description": TOPIC_DESCRIPTIONS[topic],
            "messages": {
                model.__name__: {"$ref": f"#/components/messages/{model.__name__}"}
                for model in EVENT_MODELS
                if model.topic == topic
            },
        }
        for topic in topics.ALL
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rapport events",
            "version": "1.0.0",
            "description": "CloudEvents 1.0 structured-mode JSON; Kafka key = contact id.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "components": {"messages": messages},
    }


def asyncapi_html(*, schema_base: str = SCHEMA_BASE_URL) -> str:
    """The catalogue as a small self-contained page (no scripts, nothing fetched).

    ``schema_base`` is where the schema links point: a service passes the path it serves them at,
    so the page needs nothing outside the cluster.
    """
    document = asyncapi_document()
    rows = []
    for channel in document["channels"].values():
        for name in channel["messages"]:
            message = document["components"]["messages"][name]
            schema_link = schema_base + html.escape(message["payload"]["$ref"].split("/")[-1])
            rows.append(
                f"<tr><td><code>{html.escape(channel['address'])}</code></td>"
                f"<td>{html.escape(name)}</td><td><code>{html.escape(message['name'])}</code></td>"
                f'<td><a href="{schema_link}">schema</a></td></tr>'
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
    files = {
        SCHEMA_DIR / f"{model.event_type}.json": _dump(event_schema(model))
        for model in EVENT_MODELS
    }
    files[ASYNCAPI_FILE] = _dump(asyncapi_document())
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
    for path, text in rendered_files().items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(EVENT_MODELS)} schemas and asyncapi.json")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    raise SystemExit(main())
