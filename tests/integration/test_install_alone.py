"""Each service installed alone, as its image is built, imports, starts and gets ready.

The steps are the Dockerfile's (``deploy/docker/Dockerfile``): copy ``constraints.txt``,
``shared/schemas``, ``shared/kit``, ``ops`` and the service, build wheels of them and their
dependencies with ``pip wheel -c constraints.txt``, install only those wheels into a fresh
virtualenv. A dependency the service imports but does not declare fails here, not in production.
The service then runs as ``python -m rapport_<service>`` against the real Kafka and MongoDB-wire
server until ``/readyz`` answers 200. pip's cache is kept, so a second run downloads nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.infra import REPO
from tests.support.suite import free_port

pytestmark = pytest.mark.integration

SERVICES = ["contacts", "feedback", "notifications", "metrics"]
# What the image copies (the Dockerfile's COPY lines), without local build leftovers.
SOURCES = ["shared/schemas", "shared/kit", "ops"]
LEFTOVERS = shutil.ignore_patterns("*.egg-info", "__pycache__", "tests", "build", ".*")


def image_build(service: str, root: Path) -> Path:
    """The Dockerfile's build and install steps, in ``root``; returns the virtualenv's python."""
    context = root / "context"
    for source in [*SOURCES, f"services/{service}"]:
        shutil.copytree(REPO / source, context / source, ignore=LEFTOVERS)
    shutil.copy(REPO / "constraints.txt", context)
    # "./": a bare "ops" would be the unrelated PyPI project of that name.
    packages = [f"./{source}" for source in [*SOURCES, f"services/{service}"]]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "-c",
            "constraints.txt",
            "-w",
            "wheels",
            *packages,
        ],
        context,
    )
    venv = root / "venv"
    run([sys.executable, "-m", "venv", str(venv)], root)
    wheels = sorted(str(path) for path in (context / "wheels").glob("*.whl"))
    run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--no-compile",
            *wheels,
        ],
        root,
    )
    return venv / "bin/python"


def run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{' '.join(command[:4])}…\n{done.stdout}\n{done.stderr}"


def service_environment(service: str, infra, namespace: str, port: int) -> dict[str, str]:
    prefix = f"RAPPORT_{service.upper()}_"
    settings = {
        "ENVIRONMENT": "test",
        "HTTP_PORT": str(port),
        "KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
        "MONGO_URL": infra.mongo_url,
        "MONGO_DATABASE": f"{namespace}_{service}",
        "TOPIC_PREFIX": f"{namespace}.",
        "TOPIC_PARTITIONS": "1",
    }
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return (
        base
        | {prefix + name: value for name, value in settings.items()}
        | {"OTEL_TRACES_EXPORTER": "none"}
    )


def ready_within(url: str, process: subprocess.Popen[bytes], seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        assert process.poll() is None, "the service exited"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} not 200 within {seconds} s")


Image = tuple[Path, float]  # the virtualenv's python, seconds the build took


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Image]]]:
    """The four image builds, run side by side (each its own context and virtualenv; one after
    another they took ~110 s of the CI budget): a service's test waits for its own."""

    def build(service: str) -> Image:
        started = time.monotonic()
        python = image_build(service, tmp_path_factory.mktemp(f"image-{service}"))
        return python, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=len(SERVICES)) as pool:
        builds = {service: pool.submit(build, service) for service in SERVICES}
        yield builds


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_installed_alone_starts_and_gets_ready(
    service, images, infra, namespace, tmp_path
):
    python, installed = images[service].result()
    ops = subprocess.run(
        [str(python.parent / "rapport-ops"), "--help"], capture_output=True, text=True, check=False
    )
    assert ops.returncode == 0, ops.stderr

    port = free_port()
    log = (tmp_path / "service.log").open("wb")
    process = subprocess.Popen(
        [str(python), "-m", f"rapport_{service}"],
        cwd=tmp_path,  # nothing of the repository on the path
        env=service_environment(service, infra, namespace, port),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        ready_after = ready_within(f"http://127.0.0.1:{port}/readyz", process, 120)
    except AssertionError as error:
        process.kill()
        process.wait()
        raise AssertionError(f"{error}\n{(tmp_path / 'service.log').read_text()[-4000:]}") from None
    process.terminate()
    # uvicorn shuts down gracefully, then re-raises SIGTERM to exit as the signal asked.
    exit_code = process.wait(timeout=60)
    output = (tmp_path / "service.log").read_text()
    assert exit_code in (0, -signal.SIGTERM), output[-4000:]
    assert "Application shutdown complete" in output, output[-4000:]
    print(
        f"{service}: built and installed alone in {installed:.0f} s (the four side by side); "
        f"/readyz 200 {ready_after:.1f} s after start; rapport-ops in the image; "
        "graceful exit on SIGTERM"
    )


def test_the_dockerfile_copies_and_builds_what_this_test_installs():
    dockerfile = (REPO / "deploy/docker/Dockerfile").read_text()
    build_stage = dockerfile.split("\nFROM ")[1]
    copied = [line.split()[1] for line in build_stage.splitlines() if line.startswith("COPY ")]
    assert copied == ["constraints.txt", *SOURCES, "services/${SERVICE}"]
    for source in [*SOURCES, "services/${SERVICE}"]:
        assert f"./{source}" in dockerfile
