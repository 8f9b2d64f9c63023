"""The AsyncAPI 3 document of Rapport's topics, self-contained: every schema is inlined.

A subscriber downloads one file and has everything: no ``$ref`` leaves the document, so it
validates and generates models wherever it is read (the JSON Schema files the services also
serve at ``/schemas/`` are for ``dataschema`` and for tools that want one schema at a time).
What depends on a deployment (brokers, topic prefix, partitions, the consumer groups of one
service) comes in as plain data: this package imports no service and no kit.
https://www.asyncapi.com/docs/reference/specification/v3.0.0
https://github.com/asyncapi/bindings/tree/master/kafka
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapport_schemas import dead_letters, topics
from rapport_schemas.catalog import EVENT_MODELS
from rapport_schemas.components import envelope_name, message_components, schema_components

# 3.0, not 3.1: Modelina 5.10 generates no model from a 3.1 document (the parser accepts both).
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"

TOPIC_DESCRIPTIONS = {
    topics.CONTACTS: "Contact lifecycle, interactions, purchases, cases and SLA breaches.",
    topics.FEEDBACK: "Survey requests, answers and detected detractors.",
    topics.NOTIFICATIONS: "Notification scheduling and delivery outcomes.",
    topics.METRICS: "The KPI stream: the latest value per metric, window and segment (compacted).",
    topics.CONTACTS_PERSONAL: (
        "Contacts' personal data (name, e-mail, phone, company, external ids; interaction "
        "summaries), compacted: the newest record per key is the current value. A record with a "
        "null value (tombstone) erases its key: delete what you hold for it. Join by the ids in "
        "the data (the key of a summary is `<contact_id>:interaction:<interaction_id>`)."
    ),
    topics.FEEDBACK_PERSONAL: (
        "Survey comments, compacted: the newest record per key `<contact_id>:survey:<survey_id>` "
        "is the current value. A record with a null value (tombstone) erases its key: delete "
        "what you hold for it."
    ),
}
# Every topic a Rapport service may send to: the event topics and the personal topics.
CHANNEL_TOPICS = topics.ALL + topics.PERSONAL
COMPACTED = frozenset({topics.METRICS, *topics.PERSONAL})
TOMBSTONE = "PersonalTombstone"
SECURITY_SCHEMES = {
    "PLAIN": {"type": "plain", "description": "SASL/PLAIN with a username and password."},
    "SCRAM-SHA-256": {"type": "scramSha256", "description": "SASL/SCRAM-SHA-256."},
    "SCRAM-SHA-512": {"type": "scramSha512", "description": "SASL/SCRAM-SHA-512."},
}


@dataclass(frozen=True)
class Deployment:
    """Where the topics live: what a service's settings say (the defaults: the local broker)."""

    brokers: Sequence[str] = ("127.0.0.1:9092",)
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    topic_prefix: str = ""
    partitions: int = 6
    replicas: int = 1


@dataclass(frozen=True)
class ConsumerGroup:
    """One Kafka consumer group of a service and the (unprefixed) topics it reads."""

    group_id: str
    topics: Sequence[str]


@dataclass(frozen=True)
class Application:
    """What one service does on Kafka: the topics it sends to and the groups it receives in.

    ``service=None``: the whole system's catalogue (every producer's sends, no groups).
    """

    service: str | None = None
    sends: Sequence[str] = field(default_factory=lambda: CHANNEL_TOPICS)
    dead_letters_of: Sequence[str] = field(default_factory=lambda: topics.PRODUCERS)
    groups: Sequence[ConsumerGroup] = ()


def document(
    application: Application | None = None, deployment: Deployment | None = None
) -> dict[str, Any]:
    application = application or Application()
    deployment = deployment or Deployment()
    channels = {**_event_channels(deployment), **_dead_letter_channels(deployment)}
    operations = _send_operations(application) | _receive_operations(application)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:rapport:events" + (f":{application.service}" if application.service else ""),
        "info": _info(application),
        "defaultContentType": "application/cloudevents+json",
        "servers": _servers(deployment),
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schema_components() | dead_letters.schemas(),
            "messages": message_components() | dead_letters.messages() | _tombstone_message(),
            "securitySchemes": _security_schemes(deployment),
        },
    }


def _tombstone_message() -> dict[str, Any]:
    return {
        TOMBSTONE: {
            "name": "tombstone",
            "title": TOMBSTONE,
            "summary": "Erase the key: a record with the key of a personal record and no value.",
            "description": "Delete what you hold for the key (and its item: the key names it). "
            "Kafka keeps the newest record of a key, so once compacted the erased value is "
            "gone; the tombstone itself goes after `delete.retention.ms`. Keys starting "
            "`_roll:` are no contact's: they only make the segment roll; ignore them.",
            "payload": {"type": "null", "description": "No value (a Kafka null)."},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "minLength": 1, "description": "The erased key."},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
    }


def channel_id(topic: str) -> str:
    """``rapport.contacts.events`` → ``contactsEvents`` (ids allow no dots)."""
    _, service, kind = topic.split(".")
    return service + kind.capitalize()


def dead_letter_channel_id(service: str) -> str:
    return f"{service}DeadLetters"


def _info(application: Application) -> dict[str, Any]:
    who = f"the {application.service} service" if application.service else "every producer"
    return {
        "title": "Rapport events" + (f" ({application.service})" if application.service else ""),
        "version": "1.0.0",
        "description": (
            f"The topics {who} sends to and reads. Every event is a CloudEvents 1.0 event in "
            "structured mode (the whole envelope is the record's JSON value, `content-type: "
            "application/cloudevents+json`), keyed by its `partitionkey` (the contact id; a "
            "series point on the metric stream) so one contact's events stay in order. "
            "`dataschema` names the JSON Schema of `data` (served at `/schemas/`); the "
            "envelope's schema is `<type>.json` beside it. Consumers ignore fields they do not "
            "know; a breaking change gets a new `vN` type. A message every retry failed goes "
            "to the consuming service's dead-letter topic unchanged, with `x-rapport-dlq-*` "
            "headers saying why (a record of a personal topic: only those headers, never its "
            "value). Personal data travels only on the compacted personal topics; an event "
            "carrying the extension `rapportcopyof` is a v1 copy of the v2 event it names, "
            "published during a migration: read either the copies or the v2 events."
        ),
        "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
    }


def _servers(deployment: Deployment) -> dict[str, Any]:
    secure = deployment.security_protocol in ("SSL", "SASL_SSL")
    server: dict[str, Any] = {
        "protocol": "kafka-secure" if secure else "kafka",
        "description": f"Kafka ({deployment.security_protocol}).",
    }
    if deployment.security_protocol.startswith("SASL"):
        server["security"] = [{"$ref": "#/components/securitySchemes/sasl"}]
    brokers = list(deployment.brokers)
    if len(brokers) == 1:
        return {"kafka": {"host": brokers[0], **server}}
    return {f"kafka-{n}": {"host": host, **server} for n, host in enumerate(brokers, 1)}


def _security_schemes(deployment: Deployment) -> dict[str, Any]:
    if not deployment.security_protocol.startswith("SASL"):
        return {}
    return {"sasl": SECURITY_SCHEMES[deployment.sasl_mechanism]}


def _event_channels(deployment: Deployment) -> dict[str, Any]:
    return {
        channel_id(topic): {
            "address": deployment.topic_prefix + topic,
            "title": topic,
            "description": TOPIC_DESCRIPTIONS[topic],
            "messages": {
                name: {"$ref": f"#/components/messages/{name}"} for name in _messages_on(topic)
            },
            "bindings": {"kafka": _topic_binding(deployment, compacted=topic in COMPACTED)},
        }
        for topic in CHANNEL_TOPICS
    }


def _dead_letter_channels(deployment: Deployment) -> dict[str, Any]:
    return {
        dead_letter_channel_id(service): {
            "address": deployment.topic_prefix + topics.dead_letter_topic(service),
            "title": topics.dead_letter_topic(service),
            "description": dead_letters.CHANNEL_DESCRIPTION.format(service=service),
            "messages": {
                name: {"$ref": f"#/components/messages/{name}"} for name in dead_letters.MESSAGES
            },
            "bindings": {"kafka": _topic_binding(deployment, compacted=False)},
        }
        for service in topics.PRODUCERS
    }


def _topic_binding(deployment: Deployment, *, compacted: bool) -> dict[str, Any]:
    """Partitions and replicas are what a service creates a missing topic with; the topic name
    is the channel's address."""
    return {
        "partitions": deployment.partitions,
        "replicas": deployment.replicas,
        "topicConfiguration": {"cleanup.policy": ["compact" if compacted else "delete"]},
        "bindingVersion": KAFKA_BINDING,
    }


def _send_operations(application: Application) -> dict[str, Any]:
    sends = {
        f"send{_capitalized(channel_id(topic))}": _operation(
            "send",
            channel_id(topic),
            _messages_on(topic),
            f"{topics.producer(topic).capitalize()} publishes its "
            + (
                "personal data records and their tombstones"
                if topic in topics.PERSONAL
                else "events"
            )
            + " here.",
        )
        for topic in application.sends
    }
    for service in application.dead_letters_of:
        sends[f"send{_capitalized(dead_letter_channel_id(service))}"] = _operation(
            "send",
            dead_letter_channel_id(service),
            list(dead_letters.MESSAGES),
            f"{service.capitalize()} dead-letters what its consumers can never apply.",
        )
    return sends


def _receive_operations(application: Application) -> dict[str, Any]:
    receives = {}
    for group in application.groups:
        for topic in group.topics:
            operation = _operation(
                "receive",
                channel_id(topic),
                _messages_on(topic),
                f"Consumer group `{group.group_id}` reads this topic.",
            )
            operation["bindings"] = {
                "kafka": {
                    "groupId": {"type": "string", "enum": [group.group_id]},
                    "bindingVersion": KAFKA_BINDING,
                }
            }
            name = f"{_camel(group.group_id)}Receives{_capitalized(channel_id(topic))}"
            receives[name] = operation
    return receives


def _messages_on(topic: str) -> list[str]:
    """The message names of ``topic``'s channel: its models' (a personal topic's tombstone too)."""
    names = [model.__name__ for model in EVENT_MODELS if model.topic == topic]
    return names + ([TOMBSTONE] if topic in topics.PERSONAL else [])


def _operation(action: str, channel: str, messages: list[str], summary: str) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "summary": summary,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in messages],
    }


def _capitalized(name: str) -> str:
    return name[:1].upper() + name[1:]


def _camel(name: str) -> str:
    """``rapport-contacts-view`` → ``rapportContactsView`` (operation ids allow no dots)."""
    words = [word for word in name.replace(".", "-").replace("_", "-").split("-") if word]
    return words[0] + "".join(_capitalized(word) for word in words[1:])


__all__ = [
    "Application",
    "ConsumerGroup",
    "Deployment",
    "channel_id",
    "dead_letter_channel_id",
    "document",
    "envelope_name",
]
