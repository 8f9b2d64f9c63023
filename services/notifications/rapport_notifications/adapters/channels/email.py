"""E-mail over SMTP with an async client (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import Policy
from email.utils import formatdate

import aiosmtplib

from rapport_notifications.service_layer.ports import DeliveryError, OutgoingMessage
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas.common import Channel


class VerbatimHeader(str):
    """A header value sent exactly as given, folded only where it says (each line < 998).

    Every policy refolds a line over 78 characters, and a URI longer than that becomes RFC 2047
    encoded words, which no receiver reads as List-Unsubscribe (RFC 2369 §2); aiosmtplib
    serialises with its own policy, so the value folds itself (``Policy.fold`` defers to a value
    with a ``name``).
    """

    name: str
    lines: tuple[str, ...]

    def __new__(cls, name: str, lines: tuple[str, ...]) -> VerbatimHeader:
        header = super().__new__(cls, " ".join(lines))
        header.name, header.lines = name, lines
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {(policy.linesep + ' ').join(self.lines)}{policy.linesep}"


class SmtpChannel:
    channel = Channel.EMAIL

    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> None:
        settings = self.settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                build_email(message, sender=settings.mail_from),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=password,
                use_tls=settings.smtp_security == "tls",
                start_tls=settings.smtp_security == "starttls",
                timeout=settings.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPResponseException as error:
            # RFC 5321 §4.2.1: 5yz replies are permanent, 4yz transient.
            raise DeliveryError(f"smtp {error.code}", permanent=error.code >= 500) from None
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            permanent = all(code >= 500 for code in codes)
            raise DeliveryError(f"smtp recipient refused {codes}", permanent=permanent) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"smtp {type(error).__name__}", permanent=False) from None


def build_email(message: OutgoingMessage, *, sender: str) -> EmailMessage:
    rendered = message.rendered
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.address
    email["Subject"] = rendered.subject
    email["Date"] = formatdate(localtime=False)
    # A stable Message-ID: a retried send after an unclear outcome is recognisable as the same.
    email["Message-ID"] = f"<{message.notification_id}@rapport.notifications>"
    email["X-Rapport-Notification-Id"] = message.notification_id
    email["X-Rapport-Template"] = rendered.template.value
    if message.unsubscribe is not None:
        # RFC 8058 §3.1: an HTTPS URI the receiver may POST to, plus a mailto (RFC 2369).
        # The URIs are ASCII (urlencoded tokens); folded after the comma.
        links = message.unsubscribe
        lines = (f"<{links.one_click}>,", f"<{links.mailto}>")
        email.set_raw("List-Unsubscribe", VerbatimHeader("List-Unsubscribe", lines))
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    # After the body: setting content clears every Content-* header (RFC 3282 names this one).
    email["Content-Language"] = rendered.locale.replace("_", "-")
    return email
