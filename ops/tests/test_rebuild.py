"""`rapport-ops rebuild` reproduces the live read model from thousands of events."""

from __future__ import annotations

import pytest

from bench.dataset import contact_events
from bench.produce import produce_all
from rapport_contacts.bootstrap import create_app
from rapport_contacts.settings import ContactsSettings
from rapport_ops.__main__ import run
from rapport_schemas import topics
from tests.support.kafka import eventually
from tests.support.services import serving

pytestmark = pytest.mark.integration

# 300 contacts and 2,700 interactions, folded twice (live, rebuilt); 8,000 events took 97 s of the
# 30-minute CI budget on a loaded machine, without showing anything 3,000 do not.
EVENTS = 3_000


def consumed(app: object) -> int:
    registry = app.state.runtime.registry  # type: ignore[attr-defined]
    total = 0.0
    for metric in registry.collect():
        if metric.name == "rapport_events_consumed":
            total += sum(
                s.value
                for s in metric.samples
                if s.name.endswith("_total") and s.labels["consumer"] == "view"
            )
    return int(total)


async def test_rebuild_reproduces_the_live_view(
    service_env, infra, namespace, mongo_db, monkeypatch
):
    dataset = list(contact_events(contacts=EVENTS // 10, interactions=EVENTS - EVENTS // 10))
    await produce_all(infra.kafka_bootstrap, f"{namespace}.{topics.CONTACTS}", dataset)
    app = create_app(ContactsSettings(**service_env))
    async with serving(app):

        async def all_consumed() -> int:
            return consumed(app)

        # Each event writes its contact's view and the timeline's month page (two documents per
        # contact and batch since the timeline is kept whole): 3,000 events took 51 s against 32 s
        # before on the same loaded machine, so the wait grew in proportion.
        await eventually(all_consumed, expected=EVENTS, timeout=400)

    for name, value in {
        "MONGO_URL": infra.mongo_url,
        "MONGO_DATABASE": namespace,
        "KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "TOPIC_PREFIX": f"{namespace}.",
    }.items():
        monkeypatch.setenv(f"RAPPORT_CONTACTS_{name}", value)
    assert await run(["rebuild", "contacts", "view"]) == 0

    rebuilt_name = next(
        n for n in await mongo_db.list_collection_names() if n.startswith("contact_views__rebuild_")
    )
    live = await documents(mongo_db["contact_views"])
    rebuilt = await documents(mongo_db[rebuilt_name])
    views = [key for key, document in live.items() if "month" not in document]  # not month pages
    assert len(views) == EVENTS // 10
    assert rebuilt == live


async def documents(collection) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """Documents by id, without ``_v`` (how many writes it took depends on batch boundaries)."""
    return {d["_id"]: {k: v for k, v in d.items() if k != "_v"} async for d in collection.find({})}
