"""Services as real processes (``python -m rapport_<service>``), as a platform would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

# RAPPORT_FAULT_PORT_BASE moves every port, so the fault suite can run beside a benchmark.
PORT_BASE = int(os.environ.get("RAPPORT_FAULT_PORT_BASE", "18000"))
PORTS = {
    name: PORT_BASE + n
    for n, name in enumerate(("contacts", "feedback", "notifications", "metrics"), start=1)
}
API_KEY = "bench-key"


@dataclass
class ServiceProcess:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kilobytes = next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        return kilobytes / 1024

    def kill(self) -> None:
        """``kill -9``: no shutdown hook runs, whatever batch is in hand is lost in flight."""
        self.process.kill()
        self.process.wait(timeout=30)

    def terminate(self) -> int:
        """SIGTERM, as a platform stops a process: the graceful path; returns the exit code."""
        self.process.terminate()
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        self.terminate()


def start(
    name: str,
    *,
    prefix: str,
    bootstrap: str,
    mongo_url: str,
    log_dir: Path,
    extra: dict[str, str] | None = None,
    port: int | None = None,
    ready_timeout: float = 60,
) -> ServiceProcess:
    """``port`` (default: the fixed ``PORTS``) lets a test beside a benchmark pick a free one;
    ``ready_timeout``: how long to wait for /readyz (a fleet starting on a busy machine)."""
    env_prefix = f"RAPPORT_{name.upper()}_"
    port = port or PORTS[name]
    settings = {
        "ENVIRONMENT": "test",
        "HTTP_PORT": str(port),
        "KAFKA_BOOTSTRAP": bootstrap,
        "MONGO_URL": mongo_url,
        "MONGO_DATABASE": f"{prefix.rstrip('.')}_{name}",
        "TOPIC_PREFIX": prefix,
        "API_KEYS": f'{{"{API_KEY}": ["*"]}}',
        "LOG_LEVEL": "WARNING",
        "SMTP_PORT": os.environ.get("BENCH_SMTP_PORT", "2526"),
    }
    settings.update(extra or {})
    env = {**os.environ, **{env_prefix + key: value for key, value in settings.items()}}
    env["OTEL_TRACES_EXPORTER"] = "none"
    log = (log_dir / f"{name}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", f"rapport_{name}"], env=env, stdout=log, stderr=log
    )
    service = ServiceProcess(name, process, port)
    try:
        _wait_ready(service, ready_timeout)
    except BaseException:
        process.kill()  # not left running, unowned, on its port
        process.wait(timeout=30)
        raise
    return service


def _wait_ready(service: ServiceProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
        try:
            if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{service.name} not ready after {timeout} s")
