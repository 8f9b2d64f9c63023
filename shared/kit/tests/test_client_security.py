"""The admin client that provisions topics speaks the same security as the broker."""

import ssl

from pydantic import SecretStr

from rapport_kit.broker import client_security
from rapport_kit.settings import ServiceSettings


def test_plaintext_needs_no_options() -> None:
    assert client_security(ServiceSettings(kafka_security_protocol="PLAINTEXT")) == {}


def test_sasl_over_tls_passes_mechanism_credentials_and_tls() -> None:
    options = client_security(
        ServiceSettings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-256",
            kafka_sasl_username="rapport",
            kafka_sasl_password=SecretStr("s3cret"),
        )
    )
    assert isinstance(options.pop("ssl_context"), ssl.SSLContext)
    assert options == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-256",
        "sasl_plain_username": "rapport",
        "sasl_plain_password": "s3cret",
    }


def test_sasl_without_tls_has_no_tls_context() -> None:
    options = client_security(ServiceSettings(kafka_security_protocol="SASL_PLAINTEXT"))
    assert "ssl_context" not in options
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
