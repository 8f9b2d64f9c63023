"""Admitting keyed requests: a claim per key marks the first one in flight; answers are read back
from the document the change wrote (see the package docstring)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from rapport_kit.clock import Clock, utc_now
from rapport_kit.idempotency import (
    RECORDS,
    KeptAnswer,
    KeyedRequest,
    KeyReused,
    StillInFlight,
)
from rapport_kit.mongo import Document

# A claim younger than this whose answer is not kept yet belongs to a request still running; an
# older one was left by a request that failed or crashed before its change, and a retry takes over.
IN_FLIGHT = timedelta(seconds=60)
ATTEMPTS = 5

FindKept = Callable[[str, str], Awaitable[KeptAnswer | None]]


@dataclass(frozen=True)
class Claim:
    key_id: str
    fingerprint: str
    target: str
    claimed_at: datetime
    expires_at: datetime


class Claims(Protocol):
    """One claim per key id; every change is conditional, so two replicas never both win."""

    async def add(self, claim: Claim) -> bool:
        """``False`` when the key is claimed already."""
        ...

    async def get(self, key_id: str) -> Claim | None: ...

    async def replace(self, held: Claim, claim: Claim) -> bool:
        """Only while ``held`` is still the claim (same ``claimed_at``)."""
        ...

    async def remove(self, claim: Claim) -> None: ...

    async def expired(self, now: datetime) -> list[Claim]: ...


class IdempotencyGuard:
    """Admits a keyed request once: ``begin`` returns what to process or the answer to replay."""

    def __init__(self, claims: Claims, find_kept: FindKept, *, clock: Clock = utc_now) -> None:
        self.claims = claims
        self.find_kept = find_kept
        self.clock = clock  # real time: a claim's age tells a request in flight

    async def begin(self, keyed: KeyedRequest) -> KeyedRequest | KeptAnswer:
        """The request to process (aimed at an earlier attempt's target if one never finished),
        or the first answer; raises ``KeyReused`` (422) or ``StillInFlight`` (409)."""
        for _ in range(ATTEMPTS):
            now = self.clock()
            claim = Claim(keyed.key_id, keyed.fingerprint, keyed.target, now, keyed.expires_at)
            if await self.claims.add(claim):
                return keyed
            held = await self.claims.get(keyed.key_id)
            if held is None:
                continue  # released meanwhile
            if held.expires_at <= now:  # an expired key is a new key
                if await self.claims.replace(held, claim):
                    return keyed
                continue
            admitted = await self._again(keyed, held, now)
            if admitted is not None:
                return admitted
        raise StillInFlight()

    async def _again(
        self, keyed: KeyedRequest, held: Claim, now: datetime
    ) -> KeyedRequest | KeptAnswer | None:
        if held.fingerprint != keyed.fingerprint:
            raise KeyReused()
        kept = await self.find_kept(held.target, held.key_id)
        if kept is not None:
            return kept
        if now - held.claimed_at < IN_FLIGHT:
            raise StillInFlight()
        taken = Claim(held.key_id, held.fingerprint, held.target, now, held.expires_at)
        if await self.claims.replace(held, taken):
            return keyed.aimed_at(held.target)
        return None

    async def release(self, keyed: KeyedRequest) -> None:
        """After a refusal (nothing was written): a retry is processed anew, not answered 409."""
        held = await self.claims.get(keyed.key_id)
        if held is None or held.target != keyed.target:
            return
        if await self.find_kept(held.target, held.key_id) is None:
            await self.claims.remove(held)


class MongoClaims:
    """The ``Claims`` port on MongoDB: ``_id`` = the key id (the one index FerretDB always uses)."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def add(self, claim: Claim) -> bool:
        try:
            await self.collection.insert_one(_document(claim))
        except DuplicateKeyError:
            return False
        return True

    async def get(self, key_id: str) -> Claim | None:
        found = await self.collection.find_one({"_id": key_id})
        return _claim(found) if found else None

    async def replace(self, held: Claim, claim: Claim) -> bool:
        result = await self.collection.replace_one(
            {"_id": held.key_id, "claimed_at": held.claimed_at}, _document(claim)
        )
        return result.modified_count == 1

    async def remove(self, claim: Claim) -> None:
        await self.collection.delete_one({"_id": claim.key_id, "claimed_at": claim.claimed_at})

    async def expired(self, now: datetime) -> list[Claim]:
        return [_claim(d) async for d in self.collection.find({"expires_at": {"$lte": now}})]


def _document(claim: Claim) -> Document:
    return {
        "_id": claim.key_id,
        "fingerprint": claim.fingerprint,
        "target": claim.target,
        "claimed_at": claim.claimed_at,
        "expires_at": claim.expires_at,
    }


def _claim(document: Document) -> Claim:
    return Claim(
        document["_id"],
        document["fingerprint"],
        document["target"],
        document["claimed_at"],
        document["expires_at"],
    )


def kept_in(records: AsyncCollection[Document]) -> FindKept:
    """Reads kept answers from the aggregate documents of ``records``."""

    async def find(target: str, key: str) -> KeptAnswer | None:
        found = await records.find_one({"_id": target}, {f"{RECORDS}.{key}": 1})
        kept: dict[str, Any] | None = ((found or {}).get(RECORDS) or {}).get(key)
        return KeptAnswer.of(key, kept) if kept else None

    return find


async def forget_expired(claims: Claims, records: AsyncCollection[Document], now: datetime) -> int:
    """Drop expired keys: the answer kept in the aggregate document first, then the claim."""
    expired = await claims.expired(now)
    for claim in expired:
        unset = {"$unset": {f"{RECORDS}.{claim.key_id}": ""}}
        await records.update_one({"_id": claim.target}, unset)
        await claims.remove(claim)
    return len(expired)
