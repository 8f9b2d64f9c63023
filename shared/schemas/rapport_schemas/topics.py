"""The topic catalogue: one topic per producing service, keyed by contact id.

One topic per producer (not per event type) keeps every event about a contact from one service in
one partition, so a consumer sees a contact's registration, interactions, merge and erasure in the
order they happened.

Personal data (name, e-mail, phone, company, external ids, free text) never travels on the event
topics (``ALL``): it travels on the compacted ``PERSONAL`` topics, one record per item keyed
``<contact_id>`` or ``<contact_id>:<kind>:<id>``, and an erasure writes a tombstone (same key, null
value) that compaction turns into the record's absence (issue 20).
"""

CONTACTS = "rapport.contacts.events"
FEEDBACK = "rapport.feedback.events"
NOTIFICATIONS = "rapport.notifications.events"
METRICS = "rapport.metrics.kpis"

ALL = (CONTACTS, FEEDBACK, NOTIFICATIONS, METRICS)

CONTACTS_PERSONAL = "rapport.contacts.personal"
FEEDBACK_PERSONAL = "rapport.feedback.personal"
# Compacted; a null value (tombstone) erases its key. Not in ``ALL``: a consumer of the event
# topics reads them by name, and so does everything that treats a null value as an error.
PERSONAL = (CONTACTS_PERSONAL, FEEDBACK_PERSONAL)


def dead_letter_topic(service: str) -> str:
    """Each consuming service owns one dead-letter topic; headers name the original topic."""
    return f"rapport.{service}.dlq"


# Every service produces one topic and consumes others, so each owns a dead-letter topic too.
PRODUCERS = ("contacts", "feedback", "notifications", "metrics")


def producer(topic: str) -> str:
    """The service that sends to ``topic`` (its name is the topic's second part)."""
    return topic.split(".")[1]


def is_personal(topic: str, *, prefix: str = "") -> bool:
    """Whether ``topic`` (as named on the broker, ``prefix`` included) is a personal topic."""
    return topic.removeprefix(prefix) in PERSONAL if topic.startswith(prefix) else False
