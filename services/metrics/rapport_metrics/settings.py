from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import ServiceSettings


class MetricsSettings(ServiceSettings):
    """Environment variables prefixed ``RAPPORT_METRICS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_METRICS_", extra="ignore")

    http_port: int = 8004
