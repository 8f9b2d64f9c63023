"""Named failures and the rule that tells a transient fault from a permanent one."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NotLeaderForPartitionError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, WTimeoutError


class TransientError(Exception):
    """Raise to ask for a retry: the same input may succeed later."""


class PermanentError(Exception):
    """Raise when an input can never succeed: it goes to the dead-letter topic."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


TRANSIENT: tuple[type[BaseException], ...] = (
    TransientError,
    AutoReconnect,
    ConnectionFailure,
    NetworkTimeout,
    WTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NotLeaderForPartitionError,
    asyncio.TimeoutError,
    ConnectionError,
)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT)
