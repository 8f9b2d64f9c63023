"""Each domain refusal becomes one HTTP status with a body that names what to do next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from rapport_contacts.domain import errors


def field_errors(error: ValidationError, *, prefix: Sequence[str | int]) -> RequestValidationError:
    """A validation of part of the body, reported like FastAPI's own 422 (``loc`` from ``body``)."""
    return RequestValidationError(
        [
            {"loc": (*prefix, *item["loc"]), "msg": item["msg"], "type": item["type"]}
            for item in error.errors(include_url=False, include_input=False)
        ]
    )


# Refusals whose message says it all; any other (e.g. ConcurrentUpdate) is a 409.
PLAIN_STATUS: dict[type[errors.ContactError], int] = {
    errors.ContactNotFound: status.HTTP_404_NOT_FOUND,
    errors.CaseNotOpen: status.HTTP_404_NOT_FOUND,
    errors.InvalidMerge: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


def _body(error: errors.ContactError) -> tuple[int, Any]:
    match error:
        case errors.DuplicateContact():
            return status.HTTP_409_CONFLICT, {
                "message": str(error),
                "field": error.field,
                "existing_contact_id": error.existing_contact_id,
            }
        case errors.ContactMerged():
            return status.HTTP_409_CONFLICT, {
                "message": str(error),
                "merged_into": error.survivor_id,
            }
        case errors.ContactErasedError():
            return status.HTTP_410_GONE, {
                "message": str(error),
                "contact_id": error.contact_id,
                "erased_at": error.erased_at.isoformat(),
            }
        case errors.UnknownReference():
            return status.HTTP_422_UNPROCESSABLE_CONTENT, [
                {"loc": ["body", error.field], "msg": str(error), "type": "unknown_contact"}
            ]
    return PLAIN_STATUS.get(type(error), status.HTTP_409_CONFLICT), str(error)


async def _handle(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.ContactError)
    code, detail = _body(error)
    return JSONResponse({"detail": detail}, status_code=code)


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.ContactError, _handle)
