"""The local FerretDB 1.24.2 build carries Rapport's fixes (deploy/local/ferretdb/patches).

Run against the server of ``deploy/local/ferretdb.sh start`` (or any URL in ``RAPPORT_MONGO_URL``).
An unreachable server fails these tests (inside the test, not as a fixture error); they are never
skipped. Each test works in a database of its own and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient, MongoClient, ReplaceOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

MONGO_URL = os.environ.get("RAPPORT_MONGO_URL", "mongodb://127.0.0.1:27017/?retryWrites=false")

# A stock 1.24.2 server hangs on bug (a) instead of answering: a read timeout turns that into a
# failure. Generous, since a healthy server answers the 150-statement update in well under 1 s.
SOCKET_TIMEOUT_MS = 20_000

pytestmark = pytest.mark.infra

Doc = dict[str, object]


@contextmanager
def _fresh_database() -> Iterator[Database[Doc]]:
    client: MongoClient[Doc] = MongoClient(
        MONGO_URL,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        socketTimeoutMS=SOCKET_TIMEOUT_MS,
    )
    try:
        try:
            client.admin.command("ping")
        except PyMongoError as exc:
            pytest.fail(
                f"no MongoDB-wire server answers at {MONGO_URL} ({exc}); "
                "start one with `deploy/local/ferretdb.sh start` or set RAPPORT_MONGO_URL"
            )
        name = f"rapport_patches_{uuid.uuid4().hex[:12]}"
        try:
            yield client[name]
        except BaseException:
            with suppress(PyMongoError):  # keep the test's own error, not a cleanup one
                client.drop_database(name)
            raise
        client.drop_database(name)
    finally:
        client.close()


def test_update_with_many_matching_statements_does_not_hang() -> None:
    """(a) Each statement of one `update` command releases its pooled connection (pool size 100)."""
    with _fresh_database() as db:
        coll = db["contacts"]
        count = 150
        coll.insert_many([{"_id": f"c{i:03d}", "n": 0} for i in range(count)])

        for round_ in (1, 2):
            reply = db.command(
                "update",
                coll.name,
                updates=[
                    {"q": {"_id": f"c{i:03d}"}, "u": {"$inc": {"n": 1}}} for i in range(count)
                ],
            )
            assert reply["ok"] == 1.0
            assert reply["n"] == count, f"round {round_}: {reply}"
            assert reply["nModified"] == count, f"round {round_}: {reply}"

        # The database still answers afterwards, and every statement was applied twice.
        assert coll.count_documents({}) == count
        assert coll.find_one({"_id": "c149"}) == {"_id": "c149", "n": 2}
        assert {doc["n"] for doc in coll.find({}, {"n": 1})} == {2}


def _query_plan(db: Database[Doc], collection: str, id_: object) -> list[str]:
    return _filter_plan(db, collection, {"_id": id_})


def _filter_plan(db: Database[Doc], collection: str, filter_: Doc) -> list[str]:
    explained = db.command("explain", {"find": collection, "filter": filter_})
    assert explained.get("filterPushdown") is True, explained
    plan = explained["queryPlanner"]["Plan"]
    assert isinstance(plan, list), explained
    return [str(step) for step in plan]


def test_id_lookup_uses_the_id_index() -> None:
    """(b) On SQLite, a lookup by _id is an index SEARCH, not a full table SCAN.

    FerretDB's explain on SQLite returns SQLite's EXPLAIN QUERY PLAN rows of the pushed-down query
    in queryPlanner.Plan, e.g. ``... detail=SEARCH <table> USING INDEX <table>__id_ (<expr>=?)``.
    """
    with _fresh_database() as db:
        coll = db["contacts"]
        oid = ObjectId()
        coll.insert_many(
            [{"_id": f"c{i:03d}", "n": i} for i in range(50)] + [{"_id": oid, "n": -1}]
        )

        for id_ in ("c017", oid):
            plan = _query_plan(db, coll.name, id_)
            details = " | ".join(plan)
            assert any(
                "SEARCH" in step and "USING INDEX" in step and "__id_" in step for step in plan
            ), f"_id lookup of {id_!r} does not use the _id index: {details}"
            assert not any("detail=SCAN" in step for step in plan), details

        # And the lookups still find the right documents.
        assert coll.find_one({"_id": "c017"}) == {"_id": "c017", "n": 17}
        assert coll.find_one({"_id": oid}) == {"_id": oid, "n": -1}
        assert coll.find_one({"_id": "missing"}) is None


def test_group_computes_every_accumulator() -> None:
    """(c) Every accumulator of a $group stage sees all documents of its group."""
    with _fresh_database() as db:
        coll = db["feedback"]
        coll.insert_many(
            [
                {"kind": "a", "score": 5, "weight": 10},
                {"kind": "a", "score": 3, "weight": 20},
                {"kind": "a", "score": 1, "weight": 30},
                {"kind": "b", "score": 4, "weight": 7},
                {"kind": "b", "score": 2, "weight": 1},
            ]
        )

        rows = list(
            coll.aggregate(
                [
                    {
                        "$group": {
                            "_id": "$kind",
                            "score": {"$sum": "$score"},
                            "weight": {"$sum": "$weight"},
                            "count": {"$sum": 1},
                        }
                    },
                    {"$sort": {"_id": 1}},
                ]
            )
        )

        assert rows == [
            {"_id": "a", "score": 9, "weight": 60, "count": 3},
            {"_id": "b", "score": 6, "weight": 8, "count": 2},
        ]


def _assert_uses_id_index(db: Database[Doc], collection: str, filter_: Doc) -> None:
    plan = _filter_plan(db, collection, filter_)
    details = " | ".join(plan)
    assert any("SEARCH" in step and "USING INDEX" in step and "__id_" in step for step in plan), (
        f"{filter_!r} does not use the _id index: {details}"
    )
    assert not any("detail=SCAN" in step for step in plan), f"{filter_!r}: {details}"


def test_id_with_other_conditions_uses_the_id_index() -> None:
    """(d) On SQLite, {_id: x, <other conditions>} pushes the _id equality down to the _id index."""
    with _fresh_database() as db:
        coll = db["contacts"]
        oid = ObjectId()
        coll.insert_many(
            [{"_id": f"c{i:03d}", "_v": 3} for i in range(50)] + [{"_id": oid, "_v": 1}]
        )

        for filter_ in (
            {"_id": "c017", "_v": 3},
            {"_v": 3, "_id": "c017"},
            {"_id": oid, "_v": 1, "extra": {"$exists": False}},
            {"_id": {"$eq": "c017"}, "_v": {"$gte": 2}},
        ):
            _assert_uses_id_index(db, coll.name, filter_)


def test_id_in_uses_the_id_index() -> None:
    """(e) On SQLite, {_id: {$in: [strings and ObjectIds]}} is an index SEARCH, alone or not."""
    with _fresh_database() as db:
        coll = db["contacts"]
        oids = [ObjectId() for _ in range(3)]
        coll.insert_many(
            [{"_id": f"c{i:03d}", "_v": 3} for i in range(50)] + [{"_id": o, "_v": 1} for o in oids]
        )
        ids = [f"c{i:03d}" for i in range(0, 50, 7)]

        filters: tuple[Doc, ...] = (
            {"_id": {"$in": ids}},
            {"_id": {"$in": oids}},
            {"_id": {"$in": [*ids, *oids, "missing"]}},
            {"_id": {"$in": ids}, "_v": 3},
            {"_id": {"$in": ids, "$ne": "c007"}},
        )
        for filter_ in filters:
            _assert_uses_id_index(db, coll.name, filter_)


def test_conditional_writes_on_id_still_apply_the_other_conditions() -> None:
    """(d) With _id pushed down, the other conditions of the filter still decide the match.

    Optimistic concurrency: a write on {_id, _v} with a stale _v matches nothing; with upsert it
    tries to insert a second document with that _id and fails with a duplicate key error, as on
    MongoDB (which retries such an upsert only if the filter has nothing but unique-key equality).
    """
    with _fresh_database() as db:
        coll = db["aggregates"]
        oid = ObjectId()
        coll.insert_many([{"_id": "a1", "_v": 3, "n": 0}, {"_id": oid, "_v": 3, "n": 0}])

        for id_ in ("a1", oid):
            stale = {"_id": id_, "_v": 2}
            count_before = coll.count_documents({})
            current = {"_id": id_, "_v": 3}

            assert coll.count_documents(stale) == 0
            assert coll.find_one(stale) is None
            assert coll.replace_one(stale, {"_v": 3, "n": 99}).matched_count == 0
            assert coll.update_one(stale, {"$set": {"n": 99}}).matched_count == 0
            assert coll.find_one_and_update(stale, {"$set": {"n": 99}}) is None
            assert coll.delete_one(stale).deleted_count == 0
            bulk = coll.bulk_write(
                [ReplaceOne(stale, {"_v": 3, "n": 99}), UpdateOne(stale, {"$set": {"n": 99}})]
            )
            assert (bulk.matched_count, bulk.modified_count, bulk.upserted_count) == (0, 0, 0)

            with pytest.raises(DuplicateKeyError):
                coll.replace_one(stale, {"_v": 3, "n": 99}, upsert=True)
            with pytest.raises(DuplicateKeyError):
                coll.update_one(stale, {"$set": {"n": 99}}, upsert=True)
            with pytest.raises(DuplicateKeyError):
                coll.find_one_and_update(stale, {"$set": {"n": 99}}, upsert=True)
            with pytest.raises(BulkWriteError):
                coll.bulk_write([UpdateOne(stale, {"$set": {"n": 99}}, upsert=True)])
            # What bulk_write sends (ordered by default: the second statement is not run).
            reply = db.command(
                "update",
                coll.name,
                updates=[
                    {"q": stale, "u": {"$set": {"n": 99}}, "upsert": True},
                    {"q": stale, "u": {"_v": 3, "n": 99}, "upsert": True},
                ],
            )
            assert [e["code"] for e in reply["writeErrors"]][:1] == [11000], reply

            # Nothing was written by any of the above.
            assert coll.find_one({"_id": id_}) == {"_id": id_, "_v": 3, "n": 0}
            assert coll.count_documents({}) == count_before

            # The current version matches, through every kind of write.
            assert coll.replace_one(current, {"_v": 4, "n": 1}).modified_count == 1
            assert coll.update_one({"_id": id_, "_v": 4}, {"$set": {"_v": 5}}).modified_count == 1
            assert coll.find_one_and_update(
                {"_id": id_, "_v": 5},
                {"$set": {"_v": 6}, "$inc": {"n": 1}},
                return_document=ReturnDocument.AFTER,
            ) == {"_id": id_, "_v": 6, "n": 2}
            bulk = coll.bulk_write(
                [
                    ReplaceOne({"_id": id_, "_v": 6}, {"_v": 7, "n": 3}),
                    UpdateOne({"_id": id_, "_v": 7}, {"$set": {"_v": 8}}),
                ]
            )
            assert (bulk.matched_count, bulk.modified_count) == (2, 2)
            assert coll.find_one({"_id": id_}) == {"_id": id_, "_v": 8, "n": 3}
            assert coll.delete_one({"_id": id_, "_v": 8}).deleted_count == 1
            assert coll.find_one({"_id": id_}) is None

        # An upsert on {_id, _v} of a new _id inserts it, as before.
        result = coll.replace_one({"_id": "a2", "_v": 1}, {"_v": 1, "n": 0}, upsert=True)
        assert result.upserted_id == "a2"
        assert coll.find_one({"_id": "a2"}) == {"_id": "a2", "_v": 1, "n": 0}


def test_id_in_returns_exactly_the_requested_documents() -> None:
    """(e) An _id $in returns exactly MongoDB's answer, with missing ids and mixed types too."""
    with _fresh_database() as db:
        coll = db["contacts"]
        oids = [ObjectId() for _ in range(3)]
        odd = ["a<b>&c", 'é"\\/\n\u2028', "\x00x"]  # strings whose JSON needs escapes
        coll.insert_many(
            [{"_id": f"c{i:03d}", "_v": i % 3} for i in range(40)]
            + [{"_id": o, "_v": 0} for o in oids]
            + [{"_id": 7, "_v": 0}, {"_id": 7.5, "_v": 0}]
            + [{"_id": s, "_v": 0} for s in odd]
        )

        def ids(filter_: Doc) -> set[object]:
            return {doc["_id"] for doc in coll.find(filter_, {"_id": 1})}

        assert ids({"_id": {"$in": ["c001", "c005", "nope", "c039", "c001"]}}) == {
            "c001",
            "c005",
            "c039",
        }
        assert ids({"_id": {"$in": [oids[0], oids[2], ObjectId()]}}) == {oids[0], oids[2]}
        assert ids({"_id": {"$in": [oids[0], "c003"]}}) == {oids[0], "c003"}
        # The SQLite _id index stores an ObjectId like the string of its hex digits (so the two
        # cannot coexist in one collection), and the pushed-down SQL returns both: the string
        # must still not match the ObjectId.
        assert ids({"_id": {"$in": [str(oids[1]), "c002"]}}) == {"c002"}
        assert ids({"_id": str(oids[1]), "_v": 0}) == set()
        assert coll.find_one({"_id": str(oids[1])}) is None
        assert ids({"_id": {"$in": odd}}) == set(odd)
        assert ids({"_id": {"$in": ["missing", ObjectId()]}}) == set()
        assert ids({"_id": {"$in": []}}) == set()
        # Not pushed down (a number in the list), still right.
        assert ids({"_id": {"$in": ["c004", 7, 7.5, 8]}}) == {"c004", 7, 7.5}
        # The other conditions still filter.
        assert ids({"_id": {"$in": ["c000", "c001", "c002", "c003", oids[0]]}, "_v": 0}) == {
            "c000",
            "c003",
            oids[0],
        }
        assert ids({"_id": {"$in": ["c000", "c001", "c002"], "$ne": "c001"}}) == {"c000", "c002"}
        assert coll.count_documents({"_id": {"$in": ["c010", "c011", "nope", oids[1]]}}) == 3

        # Writes with an _id $in filter.
        result = coll.update_many(
            {"_id": {"$in": ["c010", "c011", "nope", oids[1]]}}, {"$set": {"hit": True}}
        )
        assert (result.matched_count, result.modified_count) == (3, 3)
        assert ids({"hit": True}) == {"c010", "c011", oids[1]}
        deleted = coll.delete_many({"_id": {"$in": ["c010", "c012", "c013", oids[1]]}, "_v": 1})
        assert deleted.deleted_count == 2  # c010 and c013 have _v 1; c012 and oids[1] have 0
        assert coll.count_documents({}) == 40 + 3 + 2 + 3 - 2


# ---------------------------------------------------------------- 0005: atomic read-modify-write


@asynccontextmanager
async def _async_database(db: Database[Doc]) -> AsyncIterator[AsyncDatabase[Doc]]:
    """The database `db` (of `_fresh_database`) through an async client, for concurrent writes."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(
        MONGO_URL,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
        socketTimeoutMS=SOCKET_TIMEOUT_MS,
    )
    try:
        yield client[db.name]
    finally:
        await client.close()


async def test_concurrent_inc_on_one_document_loses_no_increment() -> None:
    """(f) 200 concurrent $inc of one document all apply (single-document atomicity)."""
    with _fresh_database() as db:
        db["counters"].insert_one({"_id": "c", "n": 0})

        async with _async_database(db) as adb:
            coll = adb["counters"]
            results = await asyncio.gather(
                *(coll.update_one({"_id": "c"}, {"$inc": {"n": 1}}) for _ in range(200))
            )

        assert sum(r.modified_count for r in results) == 200
        assert db["counters"].find_one({"_id": "c"}) == {"_id": "c", "n": 200}


async def test_concurrent_push_and_pull_all_lose_no_value() -> None:
    """(f) The outbox pattern: $push from writers while a relay $pullAll's what it has published.

    Every pushed value is either still in the array or was pulled by a relay that had read it.
    """
    with _fresh_database() as db:
        db["aggregates"].insert_one({"_id": "a", "outbox": []})
        values = [f"e{i:03d}" for i in range(100)]
        published: list[str] = []

        async with _async_database(db) as adb:
            coll = adb["aggregates"]
            pushing = True

            async def push(value: str) -> None:
                await coll.update_one({"_id": "a"}, {"$push": {"outbox": value}})

            async def relay() -> None:
                while pushing:
                    doc = await coll.find_one({"_id": "a"})
                    assert doc is not None
                    seen = list(doc["outbox"])  # type: ignore[call-overload]
                    if seen:
                        await coll.update_one({"_id": "a"}, {"$pullAll": {"outbox": seen}})
                        published.extend(seen)
                    await asyncio.sleep(0)

            async def pushes() -> None:
                nonlocal pushing
                try:
                    await asyncio.gather(*(push(v) for v in values))
                finally:
                    pushing = False

            await asyncio.gather(pushes(), relay(), relay(), relay())

        doc = db["aggregates"].find_one({"_id": "a"})
        assert doc is not None
        remaining = list(doc["outbox"])  # type: ignore[call-overload]
        assert len(published) > 0, "the relays never ran during the pushes"
        assert len(remaining) == len(set(remaining))
        assert set(remaining).isdisjoint(published)
        lost = set(values) - set(remaining) - set(published)
        assert not lost, f"{len(lost)} pushed values lost: {sorted(lost)}"
        assert set(remaining) | set(published) == set(values)


async def test_concurrent_conditional_replace_has_one_winner() -> None:
    """(f) Optimistic concurrency: of 50 concurrent writes on {_id, _v: 1}, exactly one applies."""
    with _fresh_database() as db:
        db["aggregates"].insert_one({"_id": "a", "_v": 1, "owner": None})

        async with _async_database(db) as adb:
            coll = adb["aggregates"]
            results = await asyncio.gather(
                *(coll.replace_one({"_id": "a", "_v": 1}, {"_v": 2, "owner": i}) for i in range(50))
            )

        winners = [i for i, r in enumerate(results) if r.modified_count == 1]
        assert sum(r.modified_count for r in results) == 1, winners
        assert db["aggregates"].find_one({"_id": "a"}) == {"_id": "a", "_v": 2, "owner": winners[0]}


async def test_concurrent_find_one_and_update_returns_distinct_values() -> None:
    """(f) Concurrent findAndModify $inc of a sequence hand out distinct, gapless values."""
    with _fresh_database() as db:
        db["sequences"].insert_one({"_id": "seq", "value": 0})

        async with _async_database(db) as adb:
            coll = adb["sequences"]
            docs = await asyncio.gather(
                *(
                    coll.find_one_and_update(
                        {"_id": "seq"},
                        {"$inc": {"value": 1}},
                        return_document=ReturnDocument.AFTER,
                    )
                    for _ in range(100)
                )
            )

        values = sorted(doc["value"] for doc in docs if doc is not None)  # type: ignore[type-var]
        assert values == list(range(1, 101))
        assert db["sequences"].find_one({"_id": "seq"}) == {"_id": "seq", "value": 100}


async def test_concurrent_delete_one_deletes_distinct_documents() -> None:
    """(f) 50 concurrent delete_one with one filter delete 50 different documents."""
    with _fresh_database() as db:
        db["jobs"].insert_many([{"_id": f"j{i:02d}", "state": "done"} for i in range(50)])

        async with _async_database(db) as adb:
            coll = adb["jobs"]
            results = await asyncio.gather(*(coll.delete_one({"state": "done"}) for _ in range(50)))

        assert sum(r.deleted_count for r in results) == 50
        assert db["jobs"].count_documents({}) == 0


def test_unordered_bulk_write_reports_the_failed_statement_and_applies_the_others() -> None:
    """(g) A failing update statement gives BulkWriteError with its index, not a KeyError.

    Unordered: the other statements are applied and counted. Ordered: the ones before it only.
    """
    with _fresh_database() as db:
        coll = db["aggregates"]
        coll.insert_many([{"_id": "a", "_v": 3}, {"_id": "b", "n": 0}])
        ops = [
            UpdateOne({"_id": "b"}, {"$inc": {"n": 1}}),
            UpdateOne({"_id": "a", "_v": 2}, {"$set": {"x": 1}}, upsert=True),  # duplicate _id
            UpdateOne({"_id": "new"}, {"$set": {"x": 1}}, upsert=True),
            ReplaceOne({"_id": "b"}, {"n": 10}),
        ]

        with pytest.raises(BulkWriteError) as unordered:
            coll.bulk_write(ops, ordered=False)

        details = unordered.value.details
        assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(1, 11000)], details
        assert details["nMatched"] == 2, details
        assert details["nModified"] == 2, details
        assert details["nUpserted"] == 1, details
        assert details["upserted"] == [{"index": 2, "_id": "new"}], details
        assert coll.find_one({"_id": "a"}) == {"_id": "a", "_v": 3}
        assert coll.find_one({"_id": "b"}) == {"_id": "b", "n": 10}
        assert coll.find_one({"_id": "new"}) == {"_id": "new", "x": 1}

        coll.delete_one({"_id": "new"})
        with pytest.raises(BulkWriteError) as ordered:
            coll.bulk_write(ops, ordered=True)

        details = ordered.value.details
        assert [(e["index"], e["code"]) for e in details["writeErrors"]] == [(1, 11000)], details
        assert (details["nMatched"], details["nModified"], details["nUpserted"]) == (1, 1, 0)
        assert coll.find_one({"_id": "b"}) == {"_id": "b", "n": 11}
        assert coll.find_one({"_id": "new"}) is None

        # Without errors, upserted ids are mapped to the right statements.
        result = coll.bulk_write(
            [
                UpdateOne({"_id": "b"}, {"$inc": {"n": 1}}),
                UpdateOne({"_id": "u1"}, {"$set": {"x": 1}}, upsert=True),
                UpdateOne({"_id": "b"}, {"$inc": {"n": 1}}),
                UpdateOne({"_id": "u2"}, {"$set": {"x": 2}}, upsert=True),
            ],
            ordered=False,
        )
        assert result.upserted_ids == {1: "u1", 3: "u2"}
        assert (result.matched_count, result.modified_count) == (2, 2)
