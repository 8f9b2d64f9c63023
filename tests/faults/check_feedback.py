"""The feedback service's read models against the replay: surveys it decided to request (from
the contact events alone), answers, complaint follow-ups, answer aggregates and response rates."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from tests.faults.replay import Person, Replay

Document = dict[str, Any]


def nps_category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _by_contact(people: list[Person]) -> Document:
    latest: dict[str, Any] = {}
    for answer in sorted((a for p in people for a in p.answers), key=lambda a: a.answered_at):
        latest[answer.kind.value] = {"score": answer.score, "answered_at": answer.answered_at}
    nps = latest.get("nps")
    return {
        "requested": sorted(kind for p in people for kind in p.surveys),
        "answers": sorted(a.survey_id for p in people for a in p.answers),
        "follow_ups": sorted(c for p in people for c in p.complaints),
        "latest": latest,
        "nps_category": nps_category(nps["score"]) if nps else None,
    }


def _actual(document: Document) -> Document:
    return {
        "requested": sorted(r["kind"] for r in document["requested"]),
        "answers": sorted(a["survey_id"] for a in document["answers"]),
        "follow_ups": sorted(f["interaction_id"] for f in document["follow_ups"]),
        "latest": document["latest"],
        "nps_category": document["nps_category"],
        "merged_into": document["merged_into"],
        "erased": document["erased"],
    }


def expected_by_contact(replay: Replay, contact_id: str) -> Document:
    absorbed = [replay.people[a] for a, s in replay.merges.items() if s == contact_id]
    return {
        **_by_contact([replay.people[contact_id], *absorbed]),
        "merged_into": replay.merges.get(contact_id),
        "erased": contact_id in replay.erased,
    }


def expected_rates(replay: Replay) -> dict[str, Document]:
    counts: Counter[tuple[str, str]] = Counter()
    for person in replay.people.values():
        for kind in person.surveys:
            language = person.language.split("-")[0].lower()
            for key in (f"{kind}|all|all", f"{kind}|country|{person.country}"):
                counts[(key, "requested")] += 1
            counts[(f"{kind}|language|{language}", "requested")] += 1
        for answer in person.answers:  # the dataset's answers carry no country or language
            counts[(f"{answer.kind.value}|all|all", "answered")] += 1
    keys = {key for key, _ in counts}
    return {
        k: {"requested": counts[(k, "requested")], "answered": counts[(k, "answered")]}
        for k in keys
    }


def expected_by_kind(replay: Replay) -> dict[str, Document]:
    answers = [a for p in replay.people.values() for a in p.answers]
    return {
        kind: {
            "answered": sum(1 for a in answers if a.kind.value == kind),
            "score_sum": sum(a.score for a in answers if a.kind.value == kind),
        }
        for kind in {a.kind.value for a in answers}
    }


def _fields(document: Document, *names: str) -> Document:
    return {name: document[name] for name in names}


async def check_feedback(db: AsyncDatabase[Document], replay: Replay) -> int:
    by_contact = {d["_id"]: d async for d in db["feedback_by_contact"].find()}
    touched = {c for c, p in replay.people.items() if p.surveys or p.answers or p.complaints}
    merged = set(replay.merges.values()) | set(replay.merges)
    assert set(by_contact) == touched | merged | set(replay.erased)
    for contact_id, document in by_contact.items():
        assert _actual(document) == expected_by_contact(replay, contact_id), contact_id
    rates = {d["_id"]: d async for d in db["response_rates"].find()}
    assert {
        k: {"requested": d["requested"], "answered": d["answered"]} for k, d in rates.items()
    } == expected_rates(replay)
    kinds = {d["_id"]: d async for d in db["answers_by_kind"].find()}
    assert {
        k: {"answered": d["answered"], "score_sum": d["score_sum"]} for k, d in kinds.items()
    } == expected_by_kind(replay)
    return len(by_contact) + len(rates) + len(kinds)
