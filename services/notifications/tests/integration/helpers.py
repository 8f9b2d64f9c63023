"""A real SMTP server and a flaky webhook receiver on loopback, and event builders."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from rapport_schemas import CloudEvent, EventData, decode, topics, wrap
from rapport_schemas.common import Channel, Consent
from rapport_schemas.contacts import ContactProfile, ContactRegistered, ContactRegisteredV1
from tests.support.kafka import produce, read_until

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailSink:
    """aiosmtpd handler: keeps every message it received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def start_smtp() -> tuple[Controller, MailSink]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, sink


@dataclass
class FlakyWebhook:
    """Answers each contact's POSTs from a script of status codes (then 200)."""

    scripts: dict[str, list[int]]
    received: list[tuple[dict[str, Any], dict[str, str], bytes]] = field(default_factory=list)
    server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/sms"

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {
            k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        payload = json.loads(body)
        self.received.append((payload, headers, body))
        script = self.scripts.get(payload["contact_id"], [])
        status = script.pop(0) if script else 200
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()


def consent(channel: Channel) -> Consent:
    return Consent(channel=channel, granted=True, source="signup-form", changed_at=T0)


def registered(contact: str, *, consents: tuple[Consent, ...], **profile: Any) -> ContactRegistered:
    fields: dict[str, Any] = {
        "name": "Kovács Anna",
        "email": f"{contact}@example.hu",
        "phone": "+36301234567",
        "language": "hu-HU",
        "time_zone": "Europe/Budapest",
        "country": "HU",
        "currency": "HUF",
    }
    fields.update(profile)
    return ContactRegisteredV1(
        contact_id=contact, profile=ContactProfile(**fields), consents=consents, registered_at=T0
    )


async def publish(bootstrap: str, namespace: str, event: CloudEvent[Any]) -> None:
    base = type(event.data).topic
    await produce(
        bootstrap,
        f"{namespace}.{base}",
        event.model_dump_json().encode(),
        key=event.partitionkey.encode(),
    )


def source_event(data: EventData, **kwargs: Any) -> CloudEvent[Any]:
    return wrap(data, source="/test", **kwargs)


async def notifications(
    bootstrap: str,
    namespace: str,
    done: Callable[[list[CloudEvent[Any]]], bool],
    *,
    timeout: float = 30.0,
) -> list[CloudEvent[Any]]:
    """Read the notifications topic from the start until ``done`` holds (or ``timeout`` s)."""
    records = await read_until(
        bootstrap,
        f"{namespace}.{topics.NOTIFICATIONS}",
        lambda rs: done([decode(r.value or b"") for r in rs]),
        timeout=timeout,
    )
    return [decode(r.value or b"") for r in records]


def of_type(events: list[CloudEvent[Any]], name: str) -> list[CloudEvent[Any]]:
    return [e for e in events if type(e.data).__name__ == name]
