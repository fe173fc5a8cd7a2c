"""Writing outputs: atomic, never over the input, text stays text, odd characters never crash a writer."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit import output
from sheetkit.cli import cli

D = dt.date
LONG = ("Long notes " * 3000)[:32767]
ODD = "Zoë 😀 مرحبا עברית \x07bell\x1bescape"


@pytest.fixture
def odd_tracker(tmp_path: Path) -> Path:
    path = write_tracker(
        tmp_path / "odd.xlsx",
        [contact("مريم العلي", organization="😀 Emoji Co", notes=LONG, date_met=D(2026, 11, 1)),
         contact('=HYPERLINK("http://evil.example","click")', date_met=D(2026, 11, 2))],
        [touch(D(2026, 11, 2), "مريم العلي", notes=LONG)],
    )
    # Control characters cannot be typed through openpyxl; put them in the shared strings directly.
    workbook = openpyxl.load_workbook(path)
    workbook["Contacts"]["D2"] = "placeholder-odd"
    workbook.save(path)
    _replace_in_zip(path, b"placeholder-odd", ODD.replace("\x07", "_x0007_").replace("\x1b", "_x001B_").encode())
    return path


def _replace_in_zip(path: Path, old: bytes, new: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info, data.replace(old, new))


@pytest.mark.parametrize("fmt", ["html", "json", "xlsx"])
def test_odd_text_never_crashes_a_writer(runner: CliRunner, odd_tracker: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    result = runner.invoke(cli, ["report", str(odd_tracker), "--format", fmt, "-o", str(out), "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        assert data["contacts"][0]["name"] == "مريم العلي"
        assert data["contacts"][0]["organization"] == "😀 Emoji Co"
    elif fmt == "xlsx":
        names = [c.value for c in openpyxl.load_workbook(out)["Contacts"]["A"]]
        assert "مريم العلي" in names and '=HYPERLINK("http://evil.example","click")' in names


def test_control_characters_are_read(odd_tracker: Path) -> None:
    from sheetkit.reading import read_tracker

    assert read_tracker(odd_tracker).contacts.iloc[0]["industry"] == ODD


def test_interrupted_write_leaves_the_previous_output(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous", encoding="utf-8")

    def explode(stream: object) -> None:
        stream.write(b"half a rep")  # type: ignore[attr-defined]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        output.write_atomic(target, explode)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_input_is_never_written_even_through_another_name(runner: CliRunner, odd_tracker: Path) -> None:
    link = odd_tracker.with_name("same.xlsx")
    link.symlink_to(odd_tracker)
    before = odd_tracker.read_bytes()
    result = runner.invoke(cli, ["report", str(odd_tracker), "-o", str(link), "--format", "xlsx", "--force"])
    assert result.exit_code == 1 and "input" in result.output
    assert odd_tracker.read_bytes() == before


@pytest.mark.libreoffice
def test_formula_looking_text_stays_text_in_libreoffice(runner: CliRunner, odd_tracker: Path, tmp_path: Path,
                                                        soffice: str) -> None:
    from libreoffice import recalculate

    report = tmp_path / "report.xlsx"
    result = runner.invoke(cli, ["report", str(odd_tracker), "--format", "xlsx", "-o", str(report)])
    assert result.exit_code == 0, result.output
    saved = tmp_path / "saved" / "report.xlsx"
    recalculate(report, saved, soffice)
    for data_only in (True, False):
        names = [c.value for c in openpyxl.load_workbook(saved, data_only=data_only)["Contacts"]["A"]]
        assert '=HYPERLINK("http://evil.example","click")' in names and "click" not in names
    shutil.rmtree(tmp_path / "saved")


def test_outputs_get_ordinary_permissions(tmp_path: Path) -> None:
    import os

    fresh = tmp_path / "fresh.html"
    output.write_bytes_atomic(fresh, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    kept = tmp_path / "kept.html"
    kept.write_bytes(b"old")
    kept.chmod(0o640)
    output.write_bytes_atomic(kept, b"new")
    assert kept.stat().st_mode & 0o777 == 0o640
