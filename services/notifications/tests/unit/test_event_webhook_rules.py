"""The pure rules of the event webhooks: signatures, backoff, verdicts, filters, redaction."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from rapport_notifications.domain.webhook_delivery import (
    Answer,
    Verdict,
    judge,
    order_key,
    retry_after,
)
from rapport_notifications.domain.webhook_redaction import without_personal_data
from rapport_notifications.domain.webhook_signing import (
    InvalidSecret,
    generate_secret,
    signed_headers,
    signing_key,
)
from rapport_notifications.domain.webhook_subscription import (
    DisablePolicy,
    Filters,
    InvalidTarget,
    Subscription,
    check_target_url,
    matches,
)
from rapport_notifications.settings import NotificationsSettings
from rapport_schemas import wrap
from rapport_schemas.contacts import (
    ContactProfile,
    ContactRegistered,
    ContactRegisteredV1,
    ContactUpdated,
)

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
PROFILE = ContactProfile(
    name="Kovács Anna",
    email="anna@example.hu",
    phone="+36301234567",
    language="hu",
    time_zone="Europe/Budapest",
    country="HU",
    currency="HUF",
    company="Anna Bt.",
    form_of_address="feminine",
)


def test_the_reference_library_verifies_our_signature_and_refuses_a_changed_body() -> None:
    secret = generate_secret()
    body = b'{"id":"e-1","data":{"x":"\xc3\xa9"}}'
    timestamp = int(datetime.now(UTC).timestamp())
    headers = signed_headers([secret], "e-1", timestamp, body)
    assert Webhook(secret).verify(body, headers) == {"id": "e-1", "data": {"x": "é"}}
    assert headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b"e-1", b"e-2"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_a_generated_secret_is_whsec_and_32_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(signing_key(first)) == 32


@pytest.mark.parametrize(
    "secret",
    ["plain", "whsec_not*base64", "whsec_" + base64.b64encode(b"short").decode()],
)
def test_a_supplied_secret_must_be_whsec_base64_of_24_to_64_bytes(secret: str) -> None:
    with pytest.raises(InvalidSecret):
        signing_key(secret)


def test_the_default_retry_schedule_grows_four_fold_from_5_seconds() -> None:
    backoff = NotificationsSettings().event_webhook_policy().backoff
    waits = [wait.total_seconds() for wait in backoff.schedule()]
    assert waits == [5, 20, 80, 320, 1280, 5120, 20480]  # 7 retries, 8 tries, ~7.5 h in all
    assert backoff.next_attempt(8, Answer(status=503), NOW) is None


def test_retry_after_is_honoured_when_longer_than_the_backoff_and_capped_at_a_day() -> None:
    backoff = NotificationsSettings().event_webhook_policy().backoff
    assert backoff.next_attempt(1, Answer(status=429, retry_after="120"), NOW) == NOW + timedelta(
        seconds=120
    )
    assert backoff.next_attempt(1, Answer(status=429, retry_after="1"), NOW) == NOW + timedelta(
        seconds=5
    )
    assert retry_after("Fri, 20 Nov 2026 09:01:00 GMT", NOW) == timedelta(minutes=1)
    assert retry_after("999999999", NOW) == timedelta(days=1)
    assert retry_after("soon", NOW) is None


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (Answer(status=200), Verdict.DELIVERED),
        (Answer(status=204), Verdict.DELIVERED),
        (Answer(status=503), Verdict.RETRY),
        (Answer(status=500), Verdict.RETRY),
        (Answer(status=429), Verdict.RETRY),
        (Answer(error="timeout"), Verdict.RETRY),
        (Answer(error="connection"), Verdict.RETRY),
        (Answer(status=410), Verdict.REJECTED),
        (Answer(status=400), Verdict.REJECTED),
        (Answer(status=301), Verdict.REJECTED),
    ],
)
def test_verdicts(answer: Answer, verdict: Verdict) -> None:
    assert judge(answer) is verdict


def test_the_default_disable_policy_needs_50_failures_over_a_day() -> None:
    policy = NotificationsSettings().event_webhook_policy().disable
    assert policy == DisablePolicy(failures=50, span=timedelta(days=1))
    assert not policy.should_disable(50, NOW - timedelta(hours=23), NOW)
    assert not policy.should_disable(49, NOW - timedelta(days=2), NOW)
    assert policy.should_disable(50, NOW - timedelta(days=1), NOW)


def _subscription(**filters: frozenset[str]) -> Subscription:
    return Subscription(
        subscription_id="whs_1",
        url="https://example.com/hook",
        event_types=frozenset({ContactRegistered.event_type, ContactUpdated.event_type}),
        secret=generate_secret(),
        personal_data=False,
        filters=Filters(**filters),
    )


def test_filters_by_type_country_and_changed_fields() -> None:
    registered = wrap(
        ContactRegistered(contact_id="c1", profile=PROFILE, registered_at=NOW), source="/t"
    )
    updated = wrap(
        ContactUpdated(contact_id="c1", profile=PROFILE, changed_fields=("email",), updated_at=NOW),
        source="/t",
    )
    assert matches(_subscription(), registered, "HU")
    assert not matches(_subscription(countries=frozenset({"DE"})), registered, "HU")
    assert not matches(_subscription(countries=frozenset({"DE"})), registered, None)
    by_email = _subscription(changed_fields=frozenset({"email"}))
    by_country = _subscription(changed_fields=frozenset({"country"}))
    assert matches(by_email, updated, "HU") and not matches(by_country, updated, "HU")
    assert matches(by_country, registered, "HU")  # the changed-fields filter is ContactUpdated's


def test_without_the_scope_names_contact_details_and_free_text_are_left_out() -> None:
    event = wrap(
        ContactRegisteredV1(contact_id="c1", profile=PROFILE, registered_at=NOW), source="/t"
    ).model_dump(mode="json")
    event["data"]["summary"], event["data"]["comment"] = "notes", None
    lean = without_personal_data(event)
    profile = lean["data"]["profile"]
    assert not {"name", "email", "phone", "company", "form_of_address"} & set(profile)
    assert "summary" not in lean["data"] and "comment" not in lean["data"]
    assert lean["redacted"] == (
        "profile.name profile.email profile.phone profile.company profile.form_of_address summary"
    )
    assert profile["country"] == "HU" and lean["data"]["contact_id"] == "c1"
    assert event["data"]["profile"]["name"] == "Kovács Anna"  # the original is untouched


@pytest.mark.parametrize(
    ("url", "allow_plain_http", "allowed"),
    [
        ("https://hooks.example.com/rapport", False, True),
        ("http://hooks.example.com/rapport", False, False),
        ("http://127.0.0.1:8080/hook", True, True),
        ("ftp://example.com/x", True, False),
        ("https://user:pw@example.com/x", False, False),
        ("https:///no-host", False, False),
        ("http://[::1", True, False),
        ("https://127.0.0.1/hook", False, False),
        ("https://10.1.2.3/hook", False, False),
        ("https://169.254.169.254/latest/meta-data", False, False),
        ("https://[::1]/hook", False, False),
        ("https://localhost/hook", False, False),
        ("https://93.184.216.34/hook", False, True),
    ],
)
def test_target_urls(url: str, allow_plain_http: bool, allowed: bool) -> None:
    if allowed:
        assert check_target_url(url, allow_plain_http=allow_plain_http) == url
    else:
        with pytest.raises(InvalidTarget):
            check_target_url(url, allow_plain_http=allow_plain_http)


def test_order_keys_sort_by_read_time_then_offset() -> None:
    keys = [order_key(NOW, 10), order_key(NOW, 9), order_key(NOW + timedelta(seconds=1), 1)]
    assert sorted(keys) == [keys[1], keys[0], keys[2]]


def test_a_v1_history_events_external_ids_are_left_out_and_v2_has_none_to_leave_out() -> None:
    ids = ({"source": "zendesk", "id": "4711"},)
    v1 = {
        "type": "rapport.contacts.contact_registered.v1",
        "data": {"profile": {"external_ids": ids}},
    }
    v2 = {"type": "rapport.contacts.contact_registered.v2", "data": {"profile": {"country": "HU"}}}
    assert without_personal_data(v1) == {
        **v1,
        "data": {"profile": {}},
        "redacted": "profile.external_ids",
    }
    assert without_personal_data(v2) == v2  # nothing personal travels on a v2 event
