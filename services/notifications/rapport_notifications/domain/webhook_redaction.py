"""What a subscription without the personal-data scope receives: the event without the fields
that identify or describe a person.

Personal fields (the schemas mark them "Personal data" or they name, reach or describe a person):
``profile.name``, ``profile.email``, ``profile.phone``, ``profile.company`` (a sole trader's
company names them), ``profile.form_of_address`` (it tells the gender), ``profile.external_ids``
(the person's ids elsewhere), ``summary`` (interaction notes) and ``comment`` (survey answers,
detractor alerts). v2 events carry none of them but ``form_of_address`` (the rest is on the
personal topics, which are never forwarded); v1 events of the history still do. They are left
out, not blanked, so no placeholder passes for a value; the CloudEvents extension attribute
``redacted`` lists the dotted paths that were removed, so a receiver can tell "absent" from "left
out". Ids, consents, segments, country and language stay: they are what receivers route and count
by, and the contact id lets an authorised system look the person up.
"""

from __future__ import annotations

import copy
from typing import Any

PERSONAL_PATHS: tuple[tuple[str, ...], ...] = (
    ("profile", "name"),
    ("profile", "email"),
    ("profile", "phone"),
    ("profile", "company"),
    ("profile", "form_of_address"),
    ("profile", "external_ids"),
    ("summary",),
    ("comment",),
)
REDACTED_ATTRIBUTE = "redacted"


def without_personal_data(event: dict[str, Any]) -> dict[str, Any]:
    """A copy of a structured-mode CloudEvent with every personal field of ``data`` removed."""
    redacted = copy.deepcopy(event)
    removed = [".".join(path) for path in PERSONAL_PATHS if _remove(redacted.get("data"), path)]
    if removed:
        redacted[REDACTED_ATTRIBUTE] = " ".join(removed)
    return redacted


def _remove(data: Any, path: tuple[str, ...]) -> bool:
    *parents, leaf = path
    for name in parents:
        if not isinstance(data, dict):
            return False
        data = data.get(name)
    if not isinstance(data, dict) or leaf not in data:
        return False
    return data.pop(leaf) not in (None, [], ())  # an empty list of ids held nothing
