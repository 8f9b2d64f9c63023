from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Environment variables prefixed ``RAPPORT_NOTIFICATIONS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_NOTIFICATIONS_", extra="ignore")

    http_port: int = 8003
