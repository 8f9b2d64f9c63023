from pydantic_settings import SettingsConfigDict

from rapport_kit.settings import ServiceSettings


class ContactsSettings(ServiceSettings):
    """Environment variables prefixed ``RAPPORT_CONTACTS_``."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_CONTACTS_", extra="ignore")

    http_port: int = 8001
