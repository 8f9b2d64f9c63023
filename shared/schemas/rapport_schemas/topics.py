"""The topic catalogue: one topic per producing service, keyed by contact id.

One topic per producer (not per event type) keeps every event about a contact from one service in
one partition, so a consumer sees a contact's registration, interactions, merge and erasure in the
order they happened.
"""

CONTACTS = "rapport.contacts.events"
FEEDBACK = "rapport.feedback.events"
NOTIFICATIONS = "rapport.notifications.events"
METRICS = "rapport.metrics.kpis"

ALL = (CONTACTS, FEEDBACK, NOTIFICATIONS, METRICS)


def dead_letter_topic(service: str) -> str:
    """Each consuming service owns one dead-letter topic; headers name the original topic."""
    return f"rapport.{service}.dlq"


# Every service produces one topic and consumes others, so each owns a dead-letter topic too.
PRODUCERS = ("contacts", "feedback", "notifications", "metrics")


def producer(topic: str) -> str:
    """The service that sends to ``topic`` (its name is the topic's second part)."""
    return topic.split(".")[1]
