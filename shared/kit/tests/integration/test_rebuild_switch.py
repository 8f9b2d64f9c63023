"""``Rebuild.switch``: an empty projection switches to an empty collection; a switch a crash
interrupted is found in the journal and completed, leaving the new read model whole."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rapport_kit.mongo import Document
from rapport_kit.projection import Lookup, ProjectedEvent
from rapport_kit.rebuild import (
    SWITCHES,
    ReadModel,
    Rebuild,
    complete_interrupted_switch,
    interrupted_switch,
    rebuilt_name,
)
from rapport_kit.runtime import ServiceRuntime, SwitchInProgress
from rapport_kit.settings import ServiceSettings

pytestmark = pytest.mark.integration


class Nothing:
    """A projection no event concerns (a read model that folded nothing yet)."""

    def __init__(self, collection: str) -> None:
        self.collection = collection

    def keys(self, received: ProjectedEvent) -> Sequence[str]:
        return ()

    def evolve(
        self, state: Document | None, received: ProjectedEvent, key: str, lookup: Lookup
    ) -> Document:
        raise AssertionError("never called")


MODEL = ReadModel("views", ("rapport.none.events",), (Nothing("by_contact"), Nothing("by_kind")))


async def test_a_projection_that_wrote_nothing_switches_to_an_empty_collection(mongo_db, infra):
    await mongo_db["by_contact"].insert_one({"_id": "old"})
    job = Rebuild(mongo_db, infra.kafka_bootstrap, MODEL, tag="t1")
    retired = await job.switch()
    assert retired == ["by_contact__old_t1", "by_kind__old_t1"]
    assert await mongo_db["by_contact"].count_documents({}) == 0
    assert "by_kind" in await mongo_db.list_collection_names()
    assert await interrupted_switch(mongo_db, "views") is None


async def test_an_interrupted_switch_is_completed_from_its_journal(mongo_db, infra):
    for live in ("by_contact", "by_kind"):
        await mongo_db[live].insert_one({"_id": "old"})
        await mongo_db[rebuilt_name(live, "t2")].insert_one({"_id": "new"})
    plan = [
        {"live": live, "rebuilt": rebuilt_name(live, "t2"), "old": f"{live}__old_t2"}
        for live in ("by_contact", "by_kind")
    ]
    await mongo_db[SWITCHES].insert_one(
        {"_id": "views", "tag": "t2", "state": "switching", "plan": plan}
    )
    # the crash: the first collection was switched, the second one not yet
    await mongo_db["by_contact"].rename("by_contact__old_t2")
    await mongo_db[rebuilt_name("by_contact", "t2")].rename("by_contact")

    assert await interrupted_switch(mongo_db, "views") == "t2"
    assert await complete_interrupted_switch(mongo_db, "views") == ["by_kind__old_t2"]
    for live in ("by_contact", "by_kind"):
        assert await mongo_db[live].find_one({}) == {"_id": "new"}
        assert await mongo_db[f"{live}__old_t2"].find_one({}) == {"_id": "old"}
    assert await interrupted_switch(mongo_db, "views") is None


async def test_a_service_is_unready_while_a_switch_of_its_read_model_is_unfinished(
    mongo_db, infra, service_env
):
    """Readers never use a half-switched read model: its service leaves the load balancer."""
    runtime = ServiceRuntime.build(ServiceSettings(**service_env), service="kit-test")
    runtime.consume_read_model(MODEL)
    check = runtime.readiness_checks()["read model views"]
    await check()  # no switch journaled: ready
    plan = [{"live": "by_contact", "rebuilt": rebuilt_name("by_contact", "t3"), "old": "x"}]
    await mongo_db[SWITCHES].insert_one(
        {"_id": "views", "tag": "t3", "state": "switching", "plan": plan}
    )
    with pytest.raises(SwitchInProgress, match="rebuild t3 is switching"):
        await check()
    await complete_interrupted_switch(mongo_db, "views")
    await check()
    await runtime.mongo.close()
