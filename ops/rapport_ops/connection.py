"""Where rapport-ops connects, read from the same variables as the services.

A command that names a service (``rebuild``, ``dlq-replay``) reads that service's variables
(``RAPPORT_CONTACTS_KAFKA_BOOTSTRAP``, ``…_KAFKA_SECURITY_PROTOCOL``, ``…_KAFKA_SASL_USERNAME``,
``…_MONGO_URL``…); the others read those of the image's service (``SERVICE``, set by the
Dockerfile) or, outside an image, the unprefixed ``RAPPORT_KAFKA_BOOTSTRAP``… . ``--bootstrap``
and ``--topic-prefix`` override what the variables say.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from rapport_kit.broker import client_security
from rapport_kit.settings import ServiceSettings


def settings_for(service: str | None) -> ServiceSettings:
    service = service or os.environ.get("SERVICE")
    prefix = f"RAPPORT_{service.upper()}_" if service else "RAPPORT_"
    return ServiceSettings(_env_prefix=prefix)


@dataclass(frozen=True)
class Target:
    settings: ServiceSettings

    @classmethod
    def of(
        cls, settings: ServiceSettings, *, bootstrap: str | None, topic_prefix: str | None
    ) -> Target:
        overrides = {"kafka_bootstrap": bootstrap, "topic_prefix": topic_prefix}
        chosen = {name: value for name, value in overrides.items() if value is not None}
        return cls(settings.model_copy(update=chosen))

    @property
    def bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def prefix(self) -> str:
        return self.settings.topic_prefix

    @property
    def security(self) -> dict[str, Any]:
        return client_security(self.settings)

    def topic(self, name: str) -> str:
        """``name`` in this deployment's namespace (a name already prefixed stays as it is)."""
        return name if name.startswith(self.prefix) else self.settings.topic(name)
