"""The read models this service folds from the event log (bootstrap and `rapport-ops rebuild`)."""

from __future__ import annotations

from rapport_contacts.settings import ContactsSettings
from rapport_contacts.views.contact_view import ContactView
from rapport_contacts.views.personal import PersonalPart
from rapport_contacts.views.personal_record import ContactRecord
from rapport_kit.rebuild import ReadModel
from rapport_schemas import topics

VIEW_CONSUMER = "view"
# The export's complete record folds in its own group: its lag and its rebuild are its own, and
# a deployment upgraded to it folds the whole history (a new group starts at the earliest offset).
RECORDS_CONSUMER = "records"
# The personal topics complete the v2 events (profile, summaries, comments: ``views.personal``).
SOURCES = (topics.CONTACTS, topics.FEEDBACK, topics.NOTIFICATIONS, *topics.PERSONAL)


def read_models(settings: ContactsSettings) -> dict[str, ReadModel]:
    view = ContactView(
        timeline_month_limit=settings.view_timeline_month_limit, list_limit=settings.view_list_limit
    )
    return {
        VIEW_CONSUMER: ReadModel(VIEW_CONSUMER, SOURCES, (view, PersonalPart())),
        RECORDS_CONSUMER: ReadModel(RECORDS_CONSUMER, SOURCES, (ContactRecord(),)),
    }


def from_environment() -> tuple[ContactsSettings, dict[str, ReadModel]]:
    settings = ContactsSettings()
    return settings, read_models(settings)
