"""What went wrong, in one line an operator can act on (no traceback)."""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, KafkaError
from pydantic import ValidationError
from pymongo.errors import PyMongoError, ServerSelectionTimeoutError

from rapport_ops.kafka_io import UnknownTopic
from rapport_ops.rebuild import NotRebuildable


def one_line(error: BaseException) -> str:
    if isinstance(error, UnknownTopic | NotRebuildable):
        return str(error)
    if isinstance(error, ValidationError):
        fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors())
        return f"invalid settings: {fields}"
    return _connection_failure(error) or f"{type(error).__name__}: {_first_line(error)}"


def _connection_failure(error: BaseException) -> str | None:
    match error:
        case KafkaConnectionError():
            return (
                f"cannot reach Kafka: {error} (check --bootstrap and the KAFKA_* security settings)"
            )
        case KafkaError():
            return f"Kafka refused: {type(error).__name__}: {_first_line(error)}"
        case ServerSelectionTimeoutError():
            return "cannot reach MongoDB (check the service's MONGO_URL)"
        case PyMongoError():
            return f"MongoDB refused: {type(error).__name__}"
    return None


def _first_line(error: BaseException) -> str:
    return next(iter(str(error).splitlines()), "")
