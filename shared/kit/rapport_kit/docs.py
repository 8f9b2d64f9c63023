"""API and event documentation pages that render without the internet.

FastAPI's ``/docs`` and ``/redoc`` load Swagger UI, ReDoc and fonts from a CDN, so an air-gapped
cluster shows a blank page. The same assets ship in the ``fastapi-offline`` wheel (Swagger UI
bundle and CSS, ReDoc standalone); we serve them from it and render the pages with FastAPI's own
helpers pointed at them. Create the app with ``docs_url=None, redoc_url=None`` and call
``serve_docs(app)``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, status
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from rapport_schemas.generate import asyncapi_html, schema_files

ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
ASSETS_URL = "/docs-assets"

# Swagger UI sends the document to validator.swagger.io for a badge unless told not to.
SWAGGER_PARAMETERS = {"validatorUrl": None, "tryItOutEnabled": False}

# The pages may load only from this service. ReDoc's bundle shows its vendor's logo from a CDN in
# the side menu (no option turns it off); the policy keeps the browser from trying, and ReDoc
# hides the image when it fails. Inline script and styles: FastAPI's page templates and the UIs'
# own style attributes; blob workers: ReDoc's search.
# https://developer.mozilla.org/docs/Web/HTTP/Headers/Content-Security-Policy
ONLY_THIS_ORIGIN = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'"
}


def serve_docs(app: FastAPI, *, events: Callable[[], dict[str, Any]], schema_base_url: str) -> None:
    """``/docs`` (Swagger UI), ``/redoc``, ``/asyncapi`` and their assets, all from this process;
    ``events`` builds this service's AsyncAPI document."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{ASSETS_URL}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _only_this_origin(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} — API",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=favicon,
                swagger_ui_parameters=SWAGGER_PARAMETERS,
            )
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _only_this_origin(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} — API",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )

    serve_event_catalogue(app, events=events, schema_base_url=schema_base_url)


def serve_event_catalogue(
    app: FastAPI, *, events: Callable[[], dict[str, Any]], schema_base_url: str
) -> None:
    """The AsyncAPI document (self-contained), a page listing its messages, and every JSON
    Schema at ``/schemas/<file>``, its ``$id`` under ``schema_base_url`` (what ``dataschema``
    names), so a subscriber resolves them from any service."""
    schemas = schema_files(schema_base_url)

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_document() -> JSONResponse:
        return JSONResponse(events())

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return _only_this_origin(HTMLResponse(asyncapi_html(schema_base="schemas/")))

    @app.get("/schemas/{name}", include_in_schema=False)
    async def event_schema(name: str) -> JSONResponse:
        if name not in schemas:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such schema")
        return JSONResponse(schemas[name], media_type="application/schema+json")


def _only_this_origin(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(ONLY_THIS_ORIGIN)
    return page
