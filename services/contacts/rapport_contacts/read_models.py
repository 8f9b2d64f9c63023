"""The read models this service folds from the event log (bootstrap and `rapport-ops rebuild`)."""

from __future__ import annotations

from rapport_contacts.settings import ContactsSettings
from rapport_contacts.views.contact_view import ContactView
from rapport_kit.rebuild import ReadModel
from rapport_schemas import topics

VIEW_CONSUMER = "view"


def read_models(settings: ContactsSettings) -> dict[str, ReadModel]:
    view = ContactView(
        timeline_month_limit=settings.view_timeline_month_limit, list_limit=settings.view_list_limit
    )
    return {
        VIEW_CONSUMER: ReadModel(
            VIEW_CONSUMER, (topics.CONTACTS, topics.FEEDBACK, topics.NOTIFICATIONS), (view,)
        )
    }


def from_environment() -> tuple[ContactsSettings, dict[str, ReadModel]]:
    settings = ContactsSettings()
    return settings, read_models(settings)
