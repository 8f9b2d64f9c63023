from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    """Environment variables prefixed ``RAPPORT_FEEDBACK_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_FEEDBACK_", extra="ignore")

    http_port: int = 8002
