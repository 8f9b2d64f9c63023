"""A real SMTP server that records every message, and the check of what it received.

The notifications service is at-most-once for the one step no transaction can cover: a process
killed after the SMTP server accepted a message but before ``sent`` was stored (or with the send
under way) ends that delivery as ``outcome_unknown`` and never sends it again. So: no Message-ID
may arrive twice, every e-mail received must be one the dataset asks for, and the e-mails missing
are exactly deliveries the service reported as ``outcome_unknown`` (at most one per kill or
server restart, since one worker sends one message at a time).
"""

from __future__ import annotations

import email
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from pymongo.asynchronous.database import AsyncDatabase

from tests.faults.replay import Replay

Document = dict[str, Any]


@dataclass
class RecordingSmtp:
    received: list[tuple[str, str]] = field(default_factory=list)  # (notification id, template)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        notification = str(message["Message-ID"]).strip("<>").split("@")[0]
        self.received.append((notification, str(message["X-Rapport-Template"])))
        return "250 OK"


@contextmanager
def recording_smtp(port: int) -> Iterator[RecordingSmtp]:
    handler = RecordingSmtp()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@dataclass(frozen=True)
class Losses:
    """Deliveries the service ended as ``outcome_unknown``, by channel, template and contact."""

    unknown: list[Document]

    def customer_messages(self) -> Counter[str]:
        internal = ("detractor_alert", "sla_breach_warning")
        return Counter(d["contact_id"] for d in self.unknown if d["template"] not in internal)


async def losses(db: AsyncDatabase[Document]) -> Losses:
    query = {"state": "failed", "failure": "outcome_unknown"}
    return Losses([d async for d in db["deliveries"].find(query)])


def check_mail(smtp: RecordingSmtp, replay: Replay, lost: Losses, *, bound: int) -> int:
    ids = [notification for notification, _ in smtp.received]
    assert len(ids) == len(set(ids)), "an e-mail was sent twice"
    unknown = {d["notification_id"]: d for d in lost.unknown}
    assert len(unknown) <= bound, f"{len(unknown)} outcome_unknown deliveries, bound {bound}"
    received = Counter(template for _, template in smtp.received)
    missing = Counter(
        d["template"] for n, d in unknown.items() if d.get("channel") == "email" and n not in ids
    )
    assert received + missing == replay.mail(), (received, missing, replay.mail())
    return len(ids)


async def check_in_app(db: AsyncDatabase[Document], replay: Replay, lost: Losses) -> int:
    sent = await db["deliveries"].count_documents({"state": "sent", "channel": "in_app"})
    missing = sum(1 for d in lost.unknown if d.get("channel") == "in_app")
    assert sent + missing == replay.in_app()
    return sent
