"""A customer journey against the locally running services, and where to look next.

Six customers in six countries and languages register with e-mail consent, ask for help and get
it on first contact; feedback invites each to a survey; notifications e-mails the invitation
in the customer's language — unless it is night where the customer lives (quiet hours): then it
waits until morning there. Every invitation that arrived is answered through the survey page
over HTTP, as a browser would (GET the link, POST the form); one customer is unhappy, which
raises a detractor follow-up. Last, the KPIs the answers moved.
"""

from __future__ import annotations

import email
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

CONTACTS = "http://127.0.0.1:8001"
FEEDBACK = "http://127.0.0.1:8002"
METRICS = "http://127.0.0.1:8004"
AUTH = {"Authorization": "Bearer dev-key-change-me"}
MAIL = Path(os.environ.get("RAPPORT_STATE_DIR", ".local")) / "mail"
QUIET_START, QUIET_END = clock_time(21, 0), clock_time(8, 0)  # notifications' defaults
WAIT_SECONDS = 60


@dataclass(frozen=True)
class Customer:
    name: str
    mailbox: str
    language: str
    time_zone: str
    country: str
    currency: str


CUSTOMERS = [
    Customer("Ayşe Yılmaz", "ayse.yilmaz", "tr-TR", "Europe/Istanbul", "TR", "TRY"),
    Customer("Kovács Eszter", "eszter.kovacs", "hu-HU", "Europe/Budapest", "HU", "HUF"),
    Customer("佐藤 陽翔", "haruto.sato", "ja-JP", "Asia/Tokyo", "JP", "JPY"),
    Customer("ليلى العتيبي", "layla.alotaibi", "ar-SA", "Asia/Riyadh", "SA", "SAR"),
    Customer("Ana Souza", "ana.souza", "pt-BR", "America/Sao_Paulo", "BR", "BRL"),
    Customer("Emily Carter", "emily.carter", "en-US", "America/Los_Angeles", "US", "USD"),
]
SCORES = {"nps": (9, 3), "csat": (5, 2), "ces": (6, 2)}  # (happy, unhappy)
COMMENTS = {True: "The answer took far too long.", False: "Quick and friendly help, thank you."}


def main() -> int:
    run = uuid.uuid4().hex[:6]  # every run registers new people: surveys have fatigue caps
    started = datetime.now(UTC)
    print(f"demo: run {run}, {started:%Y-%m-%d %H:%M} UTC")
    with httpx.Client(headers=AUTH, timeout=10) as api:
        addresses = {_register_and_help(api, customer, run): customer for customer in CUSTOMERS}
    awake = {a: c for a, c in addresses.items() if not _quiet_now(c)}
    for customer in addresses.values():
        if customer not in awake.values():
            local = datetime.now(ZoneInfo(customer.time_zone))
            print(
                f"demo: {customer.name}: it is {local:%H:%M} in {customer.time_zone} (quiet hours"
                f" {QUIET_START:%H:%M}–{QUIET_END:%H:%M}); the invitation waits until 08:00 there"
            )
    invitations = _wait_for_mail(set(awake), "survey_invitation", started)
    for mail in invitations:
        print(f"demo: survey invitation e-mailed to {_recipient(mail)}: {mail['Subject']!r}")
    # The last customer awake is the unhappy one, so a detractor follow-up can go out now.
    unhappy = set(list(awake)[-1:])
    answered = [
        _answer(mail, addresses[_recipient(mail)], unhappy=_recipient(mail) in unhappy)
        for mail in invitations
    ]
    follow_ups = _wait_for_mail(unhappy, "detractor_follow_up", started) if unhappy else []
    for mail in follow_ups:
        print(f"demo: detractor follow-up e-mailed to {_recipient(mail)}: {mail['Subject']!r}")
    with httpx.Client(headers=AUTH, timeout=10) as api:
        _print_kpis(api, started.date().isoformat(), answered)
    _print_where_to_look(invitations)
    return 0 if answered or not awake else 1


def _register_and_help(api: httpx.Client, customer: Customer, run: str) -> str:
    now = datetime.now(UTC).isoformat()
    address = f"{customer.mailbox}+{run}@example.com"
    profile = {
        "name": customer.name,
        "email": address,
        "language": customer.language,
        "time_zone": customer.time_zone,
        "country": customer.country,
        "currency": customer.currency,
        "preferred_channel": "email",
    }
    consent = {"channel": "email", "granted": True, "source": "demo-signup", "changed_at": now}
    registered = api.post(f"{CONTACTS}/contacts", json={"profile": profile, "consents": [consent]})
    registered.raise_for_status()
    contact_id = registered.json()["contact_id"]
    case = f"demo-{run}"
    help_asked = {"channel": "email", "direction": "inbound", "kind": "support", "case_id": case}
    api.post(f"{CONTACTS}/contacts/{contact_id}/interactions", json=help_asked).raise_for_status()
    api.post(f"{CONTACTS}/contacts/{contact_id}/cases/{case}/resolve", json={}).raise_for_status()
    print(
        f"demo: {customer.name} ({customer.language}, {customer.country}) registered as "
        f"{contact_id}; case {case} resolved on first contact"
    )
    return address


def _quiet_now(customer: Customer) -> bool:
    local = datetime.now(ZoneInfo(customer.time_zone)).time()
    return local >= QUIET_START or local < QUIET_END


def _wait_for_mail(addresses: set[str], template: str, since: datetime) -> list[EmailMessage]:
    """Each address's mails of ``template`` written by the mail sink since ``since``."""
    deadline = time.monotonic() + WAIT_SECONDS
    settled = False
    while True:
        mails = [m for m in _mails(since) if m["X-Rapport-Template"] == template]
        mine = [m for m in mails if _recipient(m) in addresses]
        if {_recipient(m) for m in mine} >= addresses and not settled:
            settled = True  # every address has one: give the others of the batch a moment
            time.sleep(3)
            continue
        if settled or time.monotonic() > deadline:
            missing = addresses - {_recipient(m) for m in mine}
            if missing:
                print(f"demo: no {template} e-mail yet for {', '.join(sorted(missing))}")
            return mine
        time.sleep(0.5)


def _mails(since: datetime) -> list[EmailMessage]:
    found = []
    for path in sorted(MAIL.glob("*.eml")):
        if path.stat().st_mtime >= since.timestamp():
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            if isinstance(message, EmailMessage):
                found.append(message)
    return found


def _recipient(mail: EmailMessage) -> str:
    return str(mail["To"])


def _answer(mail: EmailMessage, customer: Customer, *, unhappy: bool) -> tuple[str, int]:
    """Open the link and send the form, as the customer's browser would."""
    text = mail.get_body(("plain",))
    link = re.search(r"https?://\S+/answers\?token=\S+", text.get_content() if text else "")
    if link is None:
        raise SystemExit(f"demo: no survey link in the invitation to {customer.name}")
    with httpx.Client(timeout=10, follow_redirects=True) as browser:
        page = browser.get(link.group(0))
        page.raise_for_status()
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        scores = re.findall(r'name="score" id="score-\d+" value="(\d+)"', page.text)
        kind = {11: "nps", 5: "csat", 7: "ces"}[len(scores)]
        score = SCORES[kind][unhappy]
        assert token is not None
        form = {"token": token.group(1), "score": str(score), "comment": COMMENTS[unhappy]}
        thanks = browser.post(f"{FEEDBACK}/answers", data=form, headers={"Origin": FEEDBACK})
        thanks.raise_for_status()
    heading = re.search(r"<h1>(.*?)</h1>", thanks.text)
    print(
        f"demo: {customer.name} answered the {kind.upper()} survey with {score} on the page "
        f"→ {heading.group(1) if heading else thanks.status_code!r}"
    )
    return kind, score


def _print_kpis(api: httpx.Client, day: str, answered: list[tuple[str, int]]) -> None:
    kinds = sorted({kind for kind, _ in answered}) or ["nps", "csat"]
    rows = []
    for kind in kinds:
        point = _wait_for_point(api, kind, day, expected=sum(1 for k, _ in answered if k == kind))
        rows.append((kind, point))
    print("\ndemo: KPIs moved by the answers (day window, all contacts):")
    print(f"  {'kpi':<6} {'value':>8} {'n':>3}  95% CI")
    for kind, point in rows:
        if point is None:
            print(f"  {kind:<6} {'–':>8} {0:>3}  (not counted yet)")
            continue
        low, high = point["ci_low"], point["ci_high"]
        bounded = isinstance(low, int | float) and isinstance(high, int | float)
        interval = f"[{low:.1f}, {high:.1f}]" if bounded else "–"
        flag = "  too few answers" if point["too_few"] else ""
        print(f"  {kind:<6} {point['value']:>8.1f} {point['n']:>3}  {interval}{flag}")


def _wait_for_point(
    api: httpx.Client, kind: str, day: str, expected: int
) -> dict[str, object] | None:
    params = {"window": "day", "from": day, "to": day}
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        response = api.get(f"{METRICS}/kpis/{kind}", params=params)
        points = response.json() if response.status_code == 200 else []
        if points and int(points[0]["n"]) >= expected:
            return dict(points[0])
        time.sleep(0.5)
    return None


def _print_where_to_look(invitations: list[EmailMessage]) -> None:
    print("\ndemo: where to look")
    print(f"  e-mails as customers got them: {MAIL}/ (.eml files: open with any mail client)")
    if invitations:
        text = invitations[0].get_body(("plain",))
        link = re.search(r"https?://\S+/answers\?token=\S+", text.get_content() if text else "")
        if link:
            print(f"  a survey page (already answered now): {link.group(0)}")
    for port, service in (
        (8001, "contacts"),
        (8002, "feedback"),
        (8003, "notifications"),
        (8004, "metrics"),
    ):
        print(f"  {service}: http://127.0.0.1:{port}/docs  (events: /asyncapi, metrics: /metrics)")
    print(f"  KPIs: {METRICS}/kpis (every metric), e.g. {METRICS}/kpis/nps?window=day")
    print("  logs: .local/logs/; stop everything with `make stop`")


if __name__ == "__main__":
    sys.exit(main())
