"""Every kustomization the platform applies gives each service an environment its settings accept.

A pod's environment is what the kubelet builds from the rendered Deployment (``envFrom`` in order,
later sources winning, then ``env``) plus the Secret the platform team provides: the keys that the
service's ``deploy/k8s/services/<service>/secrets.env.example`` lists, with values shaped like
real ones. ``kustomize build`` alone accepted manifests whose pods would refuse to start.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

from rapport_contacts.settings import ContactsSettings
from rapport_feedback.settings import FeedbackSettings
from rapport_kit.settings import Environment, ServiceSettings
from rapport_metrics.settings import MetricsSettings
from rapport_notifications.settings import NotificationsSettings
from tests.support.infra import REPO

pytestmark = pytest.mark.deploy

K8S = REPO / "deploy/k8s"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "contacts": ContactsSettings,
    "feedback": FeedbackSettings,
    "notifications": NotificationsSettings,
    "metrics": MetricsSettings,
}
# What deploy/check.sh builds: each service alone and each overlay.
KUSTOMIZATIONS = sorted(
    path.parent.relative_to(K8S).as_posix()
    for path in [
        *K8S.glob("services/*/kustomization.yaml"),
        *K8S.glob("overlays/*/kustomization.yaml"),
    ]
)


def _random_looking(name: str) -> str:
    """A stable stand-in for a generated secret (64 hex characters)."""
    return hashlib.sha256(name.encode()).hexdigest()


# A value like the platform's for each kind of secret, by the variable's name after the prefix.
DUMMY_SECRETS: dict[str, Callable[[str], str]] = {
    "API_KEYS": lambda service: json.dumps({_random_looking(f"{service} api key"): ["*"]}),
    "MONGO_URL": lambda service: (
        f"mongodb://rapport-{service}:{_random_looking(service)}@mongo-0.mongo:27017,"
        "mongo-1.mongo:27017,mongo-2.mongo:27017/?replicaSet=rs0&tls=true&authSource=admin"
    ),
    "KAFKA_SASL_USERNAME": lambda service: f"rapport-{service}",
    "KAFKA_SASL_PASSWORD": lambda service: _random_looking(f"{service} kafka"),
    # One key list shared by contacts, feedback and notifications (links cross services).
    "LINK_SIGNING_KEYS": lambda service: json.dumps([_random_looking("link signing key")]),
    "WEBHOOK_SECRET": lambda service: _random_looking(f"{service} webhook"),
}


def _prefix(service: str) -> str:
    return str(SETTINGS[service].model_config.get("env_prefix", ""))


def platform_secret(service: str) -> dict[str, str]:
    """The Secret ``rapport-<service>-secrets``: the listed keys, each with a realistic value."""
    listing = K8S / "services" / service / "secrets.env.example"
    keys = [
        line.partition("=")[0].strip()
        for line in listing.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    secret = {}
    for key in keys:
        kind = key.removeprefix(_prefix(service))
        assert kind in DUMMY_SECRETS, f"{listing.name} of {service}: no dummy value for {key}"
        secret[key] = DUMMY_SECRETS[kind](service)
    return secret


@cache
def rendered(kustomization: str) -> tuple[dict[str, Any], ...]:
    build = subprocess.run(
        ["bash", str(REPO / "deploy/kustomize.sh"), "build", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    return tuple(document for document in yaml.safe_load_all(build.stdout) if document)


def pod_environments(kustomization: str) -> dict[str, dict[str, str]]:
    """Service → the environment of its Deployment's container, as the kubelet would set it."""
    objects = rendered(kustomization)
    sources: dict[tuple[str, str], Mapping[str, str]] = {
        ("configMap", o["metadata"]["name"]): o.get("data", {})
        for o in objects
        if o["kind"] == "ConfigMap"
    }
    sources.update({("secret", f"rapport-{s}-secrets"): platform_secret(s) for s in SETTINGS})
    environments = {}
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        service = deployment["metadata"]["name"].removeprefix("rapport-")
        environments[service] = _container_environment(container, sources)
    return environments


def _container_environment(
    container: dict[str, Any], sources: dict[tuple[str, str], Mapping[str, str]]
) -> dict[str, str]:
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ((kind, reference),) = [(k, v) for k, v in source.items() if k != "prefix"]
        data = _source(sources, kind.removesuffix("Ref"), reference)
        environment.update({source.get("prefix", "") + k: v for k, v in data.items()})
    for variable in container.get("env", []):
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
            continue
        ((kind, reference),) = variable["valueFrom"].items()
        assert kind in ("configMapKeyRef", "secretKeyRef"), f"{variable['name']}: {kind}"
        data = _source(sources, kind.removesuffix("KeyRef"), reference)
        if reference["key"] in data or not reference.get("optional"):
            environment[variable["name"]] = data[reference["key"]]
    return environment


def _source(
    sources: dict[tuple[str, str], Mapping[str, str]], kind: str, reference: dict[str, Any]
) -> Mapping[str, str]:
    if reference.get("optional"):
        return sources.get((kind, reference["name"]), {})
    assert (kind, reference["name"]) in sources, f"the pod would not start: no {kind} {reference}"
    return sources[(kind, reference["name"])]


def _expected_services(kustomization: str) -> set[str]:
    kind, name = kustomization.split("/")
    return {name} if kind == "services" else set(SETTINGS)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_service_starts_with_its_production_settings(
    kustomization: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environments = pod_environments(kustomization)
    assert set(environments) == _expected_services(kustomization)
    refused = {}
    for service, environment in environments.items():
        with monkeypatch.context() as patched:
            for name in list(os.environ):
                if name.startswith(_prefix(service)):
                    patched.delenv(name)
            for name, value in environment.items():
                patched.setenv(name, value)
            try:
                settings = SETTINGS[service]()
            except ValidationError as error:
                refused[service] = "; ".join(str(e["msg"]) for e in error.errors())
                continue
        # The manifests run every service with production's checks (no development keys).
        assert settings.environment is Environment.PRODUCTION, service
    if refused:
        pytest.fail("\n".join(f"{kustomization}: {s} refuses: {e}" for s, e in refused.items()))


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_variable_the_manifests_set_names_a_setting(kustomization: str) -> None:
    """A misspelt variable is ignored by the settings (extra="ignore"): the default would apply."""
    unknown = {
        name
        for service, environment in pod_environments(kustomization).items()
        for name in environment
        if name.startswith(_prefix(service))
        and name.removeprefix(_prefix(service)).lower() not in SETTINGS[service].model_fields
    }
    assert unknown == set()


@pytest.mark.parametrize("kustomization", [k for k in KUSTOMIZATIONS if k.startswith("overlays/")])
def test_every_public_url_of_an_overlay_is_on_its_one_public_host(kustomization: str) -> None:
    """A base's new public URL the overlays do not rewrite (components/public-host) stays apart."""
    hosts = {
        name: urlsplit(value).hostname
        for environment in pod_environments(kustomization).values()
        for name, value in environment.items()
        if name.endswith("_BASE_URL")
    }
    assert len(hosts) >= 6 and len(set(hosts.values())) == 1, hosts
