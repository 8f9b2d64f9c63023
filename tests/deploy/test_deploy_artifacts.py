"""What a platform team applies is valid: alert rules, every kustomize overlay, the compose file."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.infra import REPO

pytestmark = pytest.mark.deploy


def test_alert_rules_overlays_and_compose_file_validate() -> None:
    result = subprocess.run(
        ["bash", str(REPO / "deploy" / "check.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    overlays = [line for line in result.stdout.splitlines() if line.startswith("kustomize build")]
    assert len(overlays) == 6 and all(line.endswith(": ok") for line in overlays)
    assert "docker-compose config: ok" in result.stdout
