"""Shared fixtures: real-program discovery and the CLI runner.

Tests that need LibreOffice or Chromium skip where the program is missing,
unless SHEETKIT_REQUIRE_REAL=1 (set by CI), which turns those skips into failures.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
REQUIRE_REAL = os.environ.get("SHEETKIT_REQUIRE_REAL") == "1"


def _need(program: str, candidates: tuple[str, ...]) -> str:
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    message = f"{program} not found (looked for {', '.join(candidates)})"
    if REQUIRE_REAL:
        pytest.fail(message + "; SHEETKIT_REQUIRE_REAL=1 forbids skipping", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path to LibreOffice's soffice."""
    return _need("LibreOffice", ("soffice", "libreoffice"))


@pytest.fixture(scope="session")
def ssconvert() -> str:
    """Path to Gnumeric's ssconvert."""
    return _need("Gnumeric", ("ssconvert",))


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path to a Chromium binary."""
    return _need("Chromium", ("chromium", "chromium-browser", "google-chrome"))


@pytest.fixture(autouse=True, scope="session")
def _private_template_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep `sheetkit new`'s template cache out of the real home folder during tests."""
    os.environ["SHEETKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("template-cache"))


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def sample_tracker() -> Path:
    return REPO / "sample_data" / "tracker.xlsx"
