"""The README's and docs/configuration.md's settings tables are what the settings classes say."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.infra import REPO

pytestmark = pytest.mark.deploy

GENERATOR = REPO / "deploy/configuration.py"


def test_the_configuration_tables_match_the_settings_classes() -> None:
    check = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_setting_is_described() -> None:
    listing = "import configuration; print('\\n'.join(configuration.undocumented()))"
    found = subprocess.run(
        [sys.executable, "-c", listing],
        cwd=GENERATOR.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.split() == []
