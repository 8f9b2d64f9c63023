"""A hostile HTTP corpus against every route of every service: 0 × 5xx, nothing refused stored.

Schemathesis generates each operation's cases from the served OpenAPI document; hypothesis spoils
each one in one hostile way (``tests.support.hostile_http``): control characters and oversized or
injection-shaped strings, NaN/Infinity/1e400/lone surrogates as raw JSON, datetimes of year 9999,
0001 or next week, another JSON type, whole bodies nested 100,000 deep, 5 MB, or not UTF-8, and
path ids such as ``$where``, ``..``, NUL, emoji or 3,000 characters. Hand cases from issue 15
follow. Afterwards every database and the contacts topic are searched for the marks of refused
requests: none may be found, and no stored contact field other than a summary holds a control
character.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, Phase, given, settings
from pymongo import AsyncMongoClient

from rapport_schemas import topics
from tests.support.hostile_http import MARK, HostileRequest, hostile_requests
from tests.support.kafka import read_until
from tests.support.suite import Inbox, free_port, running_suite

pytestmark = pytest.mark.suite

EXAMPLES_PER_OPERATION = 100
KNOWN_CONTACTS = 8
MARKS = re.compile(rb"hx\d{5}")


@dataclass(frozen=True)
class Outcome:
    service: str
    operation: str
    kind: str
    status: int


@dataclass
class Corpus:
    """Sends requests and remembers each one's outcome; request ``n`` carries mark ``hx{n}``."""

    outcomes: list[Outcome] = field(default_factory=list)

    async def send(
        self, client: httpx.AsyncClient, service: str, label: str, request: HostileRequest
    ) -> int:
        marked = request.marked(len(self.outcomes))
        headers = {"content-type": "application/json"} if marked.body is not None else {}
        answer = await client.request(
            marked.method, marked.path, params=marked.query, content=marked.body, headers=headers
        )
        # A refusal never echoes the input back (a 5 MB body used to come back whole).
        assert len(answer.content) < 20_000, (label, marked.kind, answer.content[:200])
        self.outcomes.append(Outcome(service, label, marked.kind, answer.status_code))
        return answer.status_code

    def refused(self, numbers: set[int]) -> list[Outcome]:
        return [self.outcomes[n] for n in sorted(numbers) if self.outcomes[n].status >= 400]


async def test_hostile_requests_get_a_4xx_and_nothing_refused_is_stored(
    service_env, infra, namespace
) -> None:
    corpus = Corpus()
    smtp = Controller(Inbox(), hostname="127.0.0.1", port=(port := free_port()))
    smtp.start()
    try:
        async with running_suite(service_env, (), port) as clients:
            known = await registered_contacts(clients["contacts"])
            for service, client in clients.items():
                await exercise_every_operation(corpus, service, client, known)
            # the generated corpus may have erased or merged any known contact: a fresh one
            fresh = (await registered_contacts(clients["contacts"], 1))[0]
            control = await hand_cases(corpus, clients, fresh)
        stored = await marks_stored(infra.mongo_url, namespace)
        stored |= await marks_published(infra.kafka_bootstrap, namespace)
        controls = await control_characters_in_contacts(infra.mongo_url, namespace)
    finally:
        smtp.stop()

    server_errors = [o for o in corpus.outcomes if o.status >= 500]
    assert server_errors == [], server_errors[:20]
    assert control in stored  # the search finds what an accepted request stored
    assert corpus.refused(stored) == []
    assert controls == [], controls[:10]
    report(corpus.outcomes, stored)


async def registered_contacts(
    contacts: httpx.AsyncClient, count: int = KNOWN_CONTACTS
) -> tuple[str, ...]:
    ids = []
    for _ in range(count):
        n = uuid.uuid4().hex[:8]
        profile = {
            "name": f"Hostile Probe {n}",
            "email": f"probe{n}@example.com",
            "language": "en-GB",
            "time_zone": "Europe/London",
            "country": "GB",
            "currency": "GBP",
        }
        answer = await contacts.post("/contacts", json={"profile": profile})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["contact_id"])
    return tuple(ids)


async def exercise_every_operation(
    corpus: Corpus, service: str, client: httpx.AsyncClient, known: tuple[str, ...]
) -> None:
    schema = schemathesis.openapi.from_dict((await client.get("/openapi.json")).json())
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for request in generated(operation, known):
            await corpus.send(client, service, label, request)


def generated(operation: Any, known: tuple[str, ...]) -> list[HostileRequest]:
    """Hypothesis draws the corpus up front (deterministically); sending is async."""
    drawn: list[HostileRequest] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_requests(operation.as_strategy(), known))
    def collect(request: HostileRequest) -> None:
        drawn.append(request)

    collect()
    return drawn


LITERALS = ("NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"')
BAD_PATH_IDS = ("%24where", "%2e%2e", "%00", "%F0%9F%98%80", "a" * 3_000)
REFUSED = frozenset({400, 404, 413, 422})


async def hand_cases(corpus: Corpus, clients: dict[str, httpx.AsyncClient], contact: str) -> int:
    """The inputs issue 15 found answered with a 500 (or accepted), each with its expected 4xx;
    then one accepted request whose mark the search must find (returns its number)."""
    mismatches = []
    for service, method, path, body, expected in _hand_written(contact):
        request = HostileRequest("hand", method, path, {}, body)
        status = await corpus.send(clients[service], service, f"{method} {path[:60]}", request)
        if status not in expected:
            mismatches.append((service, method, path[:80], (body or b"")[:80], status))
    for segment_kind in ("$where", "a$b", "..", "all\x00"):
        query = {"segment_kind": segment_kind, "segment_value": "x"}
        request = HostileRequest("hand", "GET", "/kpis/nps", query, None)
        status = await corpus.send(clients["metrics"], "metrics", "GET /kpis/nps", request)
        if status not in REFUSED:
            mismatches.append(
                ("metrics", "GET", f"/kpis/nps?segment_kind={segment_kind!r}", status)
            )
    for query in ({"to": "9999-12-31"}, {"from": "0001-01-01"}):
        request = HostileRequest("hand", "GET", "/kpis/nps/chart", query, None)
        status = await corpus.send(clients["metrics"], "metrics", "GET /kpis/nps/chart", request)
        if status not in REFUSED:
            mismatches.append(("metrics", "GET", f"/kpis/nps/chart {query}", status))
    assert mismatches == [], mismatches
    accepted = HostileRequest(
        "control",
        "POST",
        f"/contacts/{contact}/purchases",
        {},
        f'{{"amount": 5, "currency": "GBP", "order_ref": "ok-{MARK}"}}'.encode(),
    )
    assert await corpus.send(clients["contacts"], "contacts", "control", accepted) == 201
    return len(corpus.outcomes) - 1


def _hand_written(contact: str) -> list[tuple[str, str, str, bytes | None, frozenset[int]]]:
    unprocessable = frozenset({422})
    interaction = '{"channel": "email", "direction": "inbound", "kind": "support", '
    cases: list[tuple[str, str, str, bytes | None, frozenset[int]]] = []
    for literal in LITERALS:
        bodies = [
            (
                "contacts",
                "POST",
                f"/contacts/{contact}/purchases",
                f'{{"amount": {literal}, "currency": "GBP"}}',
            ),
            (
                "contacts",
                "POST",
                f"/contacts/{contact}/interactions",
                interaction + f'"summary": {literal}}}',
            ),
            ("contacts", "PATCH", f"/contacts/{contact}", f'{{"name": {literal}}}'),
            (
                "contacts",
                "PUT",
                f"/contacts/{contact}/consents/email",
                f'{{"granted": true, "source": {literal}}}',
            ),
            (
                "feedback",
                "POST",
                "/surveys/answers",
                f'{{"token": "{"t" * 24}", "score": {literal}}}',
            ),
        ]
        cases += [(s, m, p, b.encode(), unprocessable) for s, m, p, b in bodies]
    for moment in ("9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z"):
        cases.append(
            (
                "contacts",
                "POST",
                f"/contacts/{contact}/interactions",
                (interaction + f'"occurred_at": "{moment}"}}').encode(),
                unprocessable,
            )
        )
        cases.append(
            (
                "contacts",
                "POST",
                f"/contacts/{contact}/purchases",
                f'{{"amount": 5, "currency": "GBP", "occurred_at": "{moment}"}}'.encode(),
                unprocessable,
            )
        )
    for path_id in BAD_PATH_IDS:
        cases.append(
            (
                "contacts",
                "POST",
                f"/contacts/{path_id}/purchases",
                b'{"amount": 5, "currency": "GBP"}',
                frozenset({404, 422}),
            )
        )
    crlf = "r1\\r\\nBcc: x@example.com"
    header_fields = [
        ("purchases", f'{{"amount": 5, "currency": "GBP", "order_ref": "{crlf}"}}'),
        ("interactions", interaction + f'"case_id": "{crlf}"}}'),
        ("interactions", interaction + f'"agent_id": "{crlf}"}}'),
    ]
    for kind, body in header_fields:
        cases.append(
            ("contacts", "POST", f"/contacts/{contact}/{kind}", body.encode(), unprocessable)
        )
    cases.append(
        (
            "contacts",
            "POST",
            f"/contacts/{contact}/cases/c1%0D%0Ax/resolve",
            None,
            frozenset({404, 422}),
        )
    )
    for name in ("Nul\\u0000Name", "Ansi\\u001b[31mName", "Line\\u2028Name"):
        cases.append(
            (
                "contacts",
                "PATCH",
                f"/contacts/{contact}",
                f'{{"name": "{name}"}}'.encode(),
                unprocessable,
            )
        )
    big = b'{"name": "' + b"x" * 5_000_000 + b'"}'
    cases.append(("contacts", "PATCH", f"/contacts/{contact}", big, frozenset({413})))
    cases.append(("feedback", "POST", "/surveys/answers", big, frozenset({413})))
    return cases


async def marks_stored(mongo_url: str, namespace: str) -> set[int]:
    """The marks found in any document of any service's database."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    found: set[int] = set()
    try:
        for name in await client.list_database_names():
            if not name.startswith(namespace):
                continue
            for collection in await client[name].list_collection_names():
                async for document in client[name][collection].find({}):
                    text = json.dumps(document, default=str).encode()
                    found |= {int(mark[2:]) for mark in MARKS.findall(text)}
    finally:
        await client.close()
    return found


async def marks_published(bootstrap: str, namespace: str) -> set[int]:
    records = await read_until(
        bootstrap, f"{namespace}.{topics.CONTACTS}", lambda records: False, timeout=5
    )
    return {int(mark[2:]) for r in records for mark in MARKS.findall(r.value or b"")}


async def control_characters_in_contacts(mongo_url: str, namespace: str) -> list[str]:
    """Stored string fields (summaries aside) holding a control character or line separator."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    offending: list[str] = []
    try:
        database = client[f"{namespace}_contacts"]
        for collection in await database.list_collection_names():
            async for document in database[collection].find({}):
                offending += [f"{collection}:{path}" for path in _controlled(document, "")]
    finally:
        await client.close()
    return offending


def _controlled(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _controlled(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _controlled(v, f"{path}[{i}]")]
    controls = ("Cc", "Zl", "Zp")
    if isinstance(value, str) and not path.endswith("summary"):
        return [path] if any(unicodedata.category(c) in controls for c in value) else []
    return []


def report(outcomes: list[Outcome], stored: set[int]) -> None:
    statuses = Counter(f"{o.status // 100}xx" for o in outcomes)
    by_service = Counter(o.service for o in outcomes)
    refused_by_kind = Counter(o.kind for o in outcomes if 400 <= o.status < 500)
    accepted_by_kind = Counter(o.kind for o in outcomes if o.status < 300)
    print(
        f"\nhostile http: tried {len(outcomes)} ("
        + ", ".join(f"{s} {n}" for s, n in sorted(by_service.items()))
        + f"); 4xx {statuses['4xx']}, 2xx {statuses['2xx']}, 5xx {statuses['5xx']};"
        f" refused by kind: "
        + ", ".join(f"{k} {n}" for k, n in sorted(refused_by_kind.items()))
        + "; accepted by kind: "
        + ", ".join(f"{k} {n}" for k, n in sorted(accepted_by_kind.items()))
        + f"; marks of refused requests stored: 0 (of accepted ones: {len(stored)})"
    )
