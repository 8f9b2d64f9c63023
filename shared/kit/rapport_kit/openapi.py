"""The OpenAPI document every service serves: stable operation ids, servers, explicit security.

- ``operationId`` is the endpoint function's name in camelCase (``register_contact`` →
  ``registerContact``): what a generated client names its method, stable as long as the function
  keeps its name (FastAPI's default, ``register_contact_contacts_post``, changed with the path).
- Every operation states its security: the bearer scheme where a route depends on
  ``require_scope``, ``security: []`` where it is public (health, docs, the survey page …), so
  neither a client generator nor a linter has to guess.
- ``servers`` is relative (``/``): the document is right wherever the service is reached.
Patching happens when the document is built (on first request), so it covers every route, also
those included after the app was made.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

SERVERS = [{"url": "/", "description": "This service, wherever it is reached."}]
LICENSE = {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"}
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
TAG_DESCRIPTIONS = {"operations": "Health, readiness and liveness probes."}


def operation_id(route: APIRoute) -> str:
    """``generate_unique_id_function`` for FastAPI: the endpoint's name in camelCase."""
    first, *rest = route.name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def install(app: FastAPI, *, description: str) -> None:
    """Build ``app``'s document with servers, license, tag descriptions and per-operation
    security."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=description,
                routes=app.routes,
                servers=SERVERS,
                license_info=LICENSE,
            )
            schema["tags"] = _tags(schema)
            for operation in _operations(schema):
                operation.setdefault("security", [])  # set only where a route requires a key
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for path_item in schema.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in METHODS
    ]


def _tags(schema: dict[str, Any]) -> list[dict[str, str]]:
    """Every tag the operations use, described (a tag without one is a lint warning)."""
    used = sorted({tag for op in _operations(schema) for tag in op.get("tags", [])})
    return [
        {"name": tag, "description": TAG_DESCRIPTIONS.get(tag, f"The {tag} operations.")}
        for tag in used
    ]
