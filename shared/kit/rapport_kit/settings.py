"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from enum import StrEnum
from ipaddress import ip_address
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rapport_schemas.envelope import DEFAULT_SCHEMA_BASE_URL

DEVELOPMENT_API_KEY = "dev-key-change-me"
DEVELOPMENT_LINK_KEY = "dev-link-key-change-me"  # refused in production
# The local FerretDB (deploy/local) has no retryable writes; MongoDB URLs leave them on.
DEFAULT_MONGO_URL = "mongodb://127.0.0.1:27017/?retryWrites=false"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    """Subclasses set ``env_prefix`` (e.g. ``RAPPORT_CONTACTS_``)."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="`production` refuses development keys and secrets.",
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP API listens on.")
    http_port: int = Field(default=8000, ge=1, le=65535, description="Port of the HTTP API.")
    api_keys: dict[str, list[str]] = Field(
        default={DEVELOPMENT_API_KEY: ["*"]},
        description="Bearer token → scopes, JSON-encoded in the environment.",
    )

    schema_base_url: str = Field(
        default=DEFAULT_SCHEMA_BASE_URL,
        pattern=r"^https?://",
        description="Where the JSON Schemas are served (any service's `/schemas/`): the base of"
        " every event's `dataschema` and every schema's `$id` (https in production).",
    )

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka brokers, comma-separated host:port."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT", description="How producers, consumers and the admin client connect."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="With a SASL_* protocol."
    )
    kafka_sasl_username: str | None = Field(default=None, description="With a SASL_* protocol.")
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="With a SASL_* protocol."
    )
    kafka_ssl_cafile: str | None = Field(
        default=None, description="CA bundle for SSL/SASL_SSL; unset: the system's CAs."
    )
    topic_prefix: str = Field(default="", description="Namespace for every topic name.")
    consumer_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Records per consumed batch, at most."
    )
    consumer_poll_ms: int = Field(
        default=10,
        ge=1,
        description="An idle consumer waits this long for records, then sleeps as long again.",
    )
    seen_retention_hours: int = Field(
        default=168,
        ge=1,
        description="How long a consumer remembers event ids to recognise republished duplicates.",
    )
    kafka_linger_ms: int = Field(
        default=1,
        ge=0,
        description="How long the producer waits to fill a request; each hop of an event adds it.",
    )
    consumer_session_timeout_seconds: float = Field(
        default=30,
        ge=6,
        le=35,
        description="A consumer silent this long leaves its group (its partitions go to the other"
        " replicas); also how long a rebalance waits for every member to rejoin. aiokafka's 10 s"
        " made busy replicas drop out and rejoin in a loop; at most 35 (a join answer must come"
        " within the 40 s request timeout).",
    )
    consumer_stall_after_seconds: float = Field(
        default=120,
        gt=0,
        description="A consumer with lag and no committed progress this long is stalled.",
    )
    consumer_stall_restart_seconds: float = Field(
        default=600,
        gt=0,
        description="/livez fails (the pod is replaced) after a stall this long with Kafka and"
        " MongoDB answering.",
    )
    consumer_stall_check_seconds: float = Field(
        default=10, gt=0, description="How often consumer lag is measured from committed offsets."
    )
    topic_partitions: int = Field(
        default=6, ge=1, description="For topics the service creates (existing ones are kept)."
    )
    topic_replication_factor: int = Field(
        default=1, ge=1, description="For topics the service creates."
    )

    http_max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Larger request bodies are refused with 413."
    )
    http_earliest_year: int = Field(default=1970, description="Earlier datetimes are 422.")
    http_latest_year: int = Field(default=2100, description="Later datetimes are 422.")
    http_future_skew_seconds: float = Field(
        default=300, ge=0, description="How far in the future an event's time may lie (clocks)."
    )

    mongo_url: SecretStr = Field(
        default=SecretStr(DEFAULT_MONGO_URL),
        description=(
            "MongoDB connection string; credentials, TLS and retryWrites options go in it."
        ),
    )
    mongo_database: str = Field(
        default="rapport", description="The service's own database (each service overrides it)."
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="JSON log lines on stderr, with trace ids."
    )

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if DEVELOPMENT_API_KEY in self.api_keys:
                raise ValueError("api_keys: the development key is not allowed in production")
            if not self.api_keys:
                raise ValueError("api_keys: at least one key is required in production")
        return self

    @model_validator(mode="after")
    def _refuse_schemas_subscribers_cannot_reach(self) -> Self:
        # Every published event names its schema under this base; subscribers outside the
        # cluster resolve it, so a loopback or plain-http default would mislead them all.
        if self.environment is Environment.PRODUCTION and not is_public_https(self.schema_base_url):
            raise ValueError(
                "schema_base_url: production needs the public https address subscribers reach"
            )
        return self

    def topic(self, base: str) -> str:
        return f"{self.topic_prefix}{base}"


class LinkSigningSettings(BaseSettings):
    """For services that make or check customer links (survey answers): the shared HMAC keys."""

    link_signing_keys: list[SecretStr] = Field(
        default_factory=lambda: [SecretStr(DEVELOPMENT_LINK_KEY)],
        min_length=1,
        description="JSON list; the first signs, every one verifies (rotation). Same in feedback,"
        " notifications and contacts.",
    )

    @model_validator(mode="after")
    def _refuse_development_link_key(self) -> Self:
        keys = [key.get_secret_value() for key in self.link_signing_keys]
        production = getattr(self, "environment", None) is Environment.PRODUCTION
        if production and DEVELOPMENT_LINK_KEY in keys:
            raise ValueError("link_signing_keys: the development key is not allowed in production")
        if production and any(len(key) < 32 for key in keys):
            raise ValueError("link_signing_keys: each key needs at least 32 characters")
        return self

    def link_keys(self) -> list[bytes]:
        return [key.get_secret_value().encode() for key in self.link_signing_keys]


def is_public_https(url: str) -> bool:
    """An https URL whose host is not this machine (``localhost``, a loopback address)."""
    parts = urlsplit(url)
    return parts.scheme == "https" and not _is_loopback(parts.hostname or "")


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
