"""A little demo traffic against the locally running services, and where to look next."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime

import httpx

CONTACTS = "http://127.0.0.1:8001"
METRICS = "http://127.0.0.1:8004"
AUTH = {"Authorization": "Bearer dev-key-change-me"}

PEOPLE = [
    {
        "name": "Ayşe Yılmaz",
        "email": "ayse.yilmaz@example.com.tr",
        "phone": "+905321234567",
        "language": "tr-TR",
        "time_zone": "Europe/Istanbul",
        "country": "TR",
        "currency": "TRY",
        "preferred_channel": "email",
    },
    {
        "name": "Kovács Eszter",
        "email": "eszter.kovacs@example.hu",
        "phone": "+36301234567",
        "language": "hu-HU",
        "time_zone": "Europe/Budapest",
        "country": "HU",
        "currency": "HUF",
        "preferred_channel": "phone",
    },
]


def main() -> int:
    today = datetime.now(UTC)
    with httpx.Client(headers=AUTH, timeout=10) as client:
        for person in PEOPLE:
            consents = [
                {
                    "channel": person["preferred_channel"],
                    "granted": True,
                    "source": "demo-signup-form",
                    "changed_at": today.isoformat(),
                }
            ]
            response = client.post(
                f"{CONTACTS}/contacts", json={"profile": person, "consents": consents}
            )
            if response.status_code == 409:
                contact_id = response.json()["detail"]["existing_contact_id"]
            else:
                response.raise_for_status()
                contact_id = response.json()["contact_id"]
            client.post(
                f"{CONTACTS}/contacts/{contact_id}/interactions",
                json={
                    "channel": person["preferred_channel"],
                    "direction": "inbound",
                    "kind": "support",
                    "occurred_at": today.isoformat(),
                },
            ).raise_for_status()
            print(f"demo: contact {contact_id} registered, one inbound interaction logged")
        points = wait_for_complaint_rate(client, today.date().isoformat())
    print(f"demo: complaint rate (day windows, all contacts) for {today.date()}: {points}")
    print(
        "look at: http://127.0.0.1:8001/docs (contacts API), http://127.0.0.1:8004/kpis/complaint_rate"
        f"?window=day&from={today.date()} (and /kpis for every metric), /metrics on ports"
        " 8001-8004, logs in .local/logs/"
    )
    return 0 if points else 1


def wait_for_complaint_rate(client: httpx.Client, day: str) -> list[dict[str, object]]:
    for _ in range(60):
        response = client.get(
            f"{METRICS}/kpis/complaint_rate", params={"window": "day", "from": day, "to": day}
        )
        if response.status_code == 200 and response.json():
            return list(response.json())
        time.sleep(0.5)
    return []


if __name__ == "__main__":
    sys.exit(main())
