"""A wheel built from the repo carries the templates, and an installed sheetkit finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from builders import contact, write_tracker

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        check=True,
        timeout=300,
    )
    [built] = out.glob("sheetkit-*.whl")
    return built


@pytest.mark.slow
def test_wheel_carries_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "sheetkit/templates/report.html" in names
    assert "sheetkit/templates/_style.html" in names
    assert "sheetkit/py.typed" in names
    assert "sheetkit/default_template.xlsx" in names  # the default workbook, so a first `new` need not build it


@pytest.mark.slow
def test_installed_wheel_finds_its_templates(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    tracker = write_tracker(tmp_path / "t.xlsx", [contact("Ann")])
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import sheetkit.render as r; print(r.__file__); print(r.templates_dir())"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    ).stdout.split()
    assert where[0].startswith(str(target)) and where[1] == str(target / "sheetkit" / "templates")
    result = subprocess.run(
        [sys.executable, "-m", "sheetkit", "report", str(tracker), "--as-of", "2026-11-22"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "<h1>Follow-ups" in (tmp_path / "t-report.html").read_text(encoding="utf-8")

    # The installed package's shipped template fits its own sources: a first default `new` copies it.
    copied = subprocess.run(
        [sys.executable, "-c", "from sheetkit.config import Config; from sheetkit.workbook import TrackerTemplate, "
         "template_key; print(TrackerTemplate.shipped(template_key(Config())) is not None)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=True,
    )
    assert copied.stdout.strip() == "True"
