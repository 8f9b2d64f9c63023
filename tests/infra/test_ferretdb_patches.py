"""The local FerretDB 1.24.2 build carries Rapport's three fixes (deploy/local/ferretdb/patches).

Run against the server of ``deploy/local/ferretdb.sh start`` (or any URL in ``RAPPORT_MONGO_URL``).
An unreachable server fails these tests (inside the test, not as a fixture error); they are never
skipped. Each test works in a database of its own and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
from bson import ObjectId
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

MONGO_URL = os.environ.get("RAPPORT_MONGO_URL", "mongodb://127.0.0.1:27017/")

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
    explained = db.command("explain", {"find": collection, "filter": {"_id": id_}})
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
