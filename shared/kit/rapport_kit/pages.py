"""What every server-rendered customer page shares (the survey page, the preference center):
strict headers, the cross-site check of a form POST and the reader's language before anything
else is known."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

# No script may run and nothing may load from elsewhere; forms post only to the same service.
# The link's token travels in the URL, so no Referer may carry it to another site (same-origin
# still sends Origin on the form's POST, which the cross-site check reads).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def same_origin(request: Request) -> bool:
    """Fetch metadata where the browser sends it, else the Origin header (OWASP CSRF sheet)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in {"same-origin", "none"}
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host")


def reader_language(request: Request) -> str | None:
    """Before the page's subject is known: the browser's first language (``Accept-Language``)."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return first[:35] or None


def root(request: Request) -> str:
    """The prefix a reverse proxy mounted the service under (ASGI ``root_path``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")
