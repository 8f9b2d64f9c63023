from datetime import timedelta

from rapport_notifications.adapters.channels.webhook import signature
from rapport_notifications.domain.delivery import Retries


def test_backoff_doubles_up_to_the_maximum() -> None:
    retries = Retries(4, timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=2))
    assert [retries.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 120]


def test_the_webhook_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    # Reference: printf '1700000000.{}' | openssl dgst -sha256 -hmac secret
    expected = "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
    assert signature("secret", 1_700_000_000, b"{}") == f"t=1700000000,v1={expected}"
