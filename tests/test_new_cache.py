"""`sheetkit new` reuses a cached template: same workbook by meaning, rebuilt when stale or damaged, fast."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sheetkit import spec, workbook
from sheetkit.cli import cli
from sheetkit.config import Config, load_config
from sheetkit.workbook import CACHE_ENTRIES, TrackerTemplate, build_workbook, default_cache_dir, template_key

REPO = Path(__file__).resolve().parent.parent

BUSINESS_DAYS_TOML = """
[institution]
name = "Northfield University Career Center"
primary_color = "7A0019"

[lists]
channel = ["WhatsApp"]

[columns]
contacts = ["Graduation year"]

[policy]
business_days = true
holidays = ["2026-12-25"]
"""


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has a cache folder of its own, never the real one in the home folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SHEETKIT_CACHE_DIR", str(folder))
    return folder


def run(*args: Any) -> Any:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("template-*.xlsx")) if folder.exists() else []


def meaning(path: Path) -> dict[str, Any]:
    """What a person or a formula sees in the workbook: sheets, cells, formats, validations, rules, names."""
    book = openpyxl.load_workbook(path)
    sheets = {}
    for sheet in book.worksheets:
        sheets[sheet.title] = {
            "state": sheet.sheet_state,
            "cells": {cell.coordinate: (cell.value, cell.data_type, cell.number_format, cell.font.b,
                                        cell.font.color.rgb if cell.font.color else None, cell.fill.fgColor.rgb)
                      for row in sheet.iter_rows() for cell in row
                      if cell.value is not None or cell.number_format != "General"},
            "validations": sorted((dv.type, str(dv.sqref), dv.formula1, dv.formula2, dv.errorStyle, dv.error,
                                   dv.prompt) for dv in sheet.data_validations.dataValidation),
            "highlights": sorted((str(ranges.sqref), rule.formula[0], rule.dxf.fill.fgColor.rgb)
                                 for ranges in sheet.conditional_formatting for rule in ranges.rules),
            "columns": {letter: (dim.width, dim.hidden) for letter, dim in sheet.column_dimensions.items()},
            "freeze": sheet.freeze_panes,
            "print titles": sheet.print_title_rows,
        }
    return {"sheets": sheets, "active": book.active.title,
            "names": {name: dn.attr_text for name, dn in book.defined_names.items()}}


def built(tmp_path: Path, config: Config, **values: Any) -> Path:
    """The workbook as build_workbook makes it from scratch, saved."""
    path = tmp_path / "fresh.xlsx"
    build_workbook(config, **values).save(path)
    return path


def start_values(path: Path) -> dict[str, tuple[Any, str]]:
    """Student, Institution and Email on Start Here: each value and its type."""
    sheet = openpyxl.load_workbook(path, read_only=True)[spec.START_SHEET]
    return {label.value: (value.value, value.data_type) for label, value in sheet.iter_rows(min_row=3, max_row=5)}


@pytest.fixture(scope="module")
def template() -> TrackerTemplate:
    return TrackerTemplate.build(Config(), institution="A & B <College>")


# --- same workbook -----------------------------------------------------------------------

@pytest.mark.parametrize("toml", ["", BUSINESS_DAYS_TOML], ids=["default", "business-days"])
def test_cached_workbook_means_the_same_as_a_fresh_build(tmp_path: Path, cache_dir: Path, toml: str) -> None:
    config_path = tmp_path / "sheetkit.toml"
    config_path.write_text(toml, encoding="utf-8")
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    run("new", first, "--student", "Sam Lee", "--config", config_path)
    assert len(entries(cache_dir)) == 1
    run("new", second, "--student", "Sam Lee", "--config", config_path)
    assert len(entries(cache_dir)) == 1

    fresh = meaning(built(tmp_path, load_config(config_path), student="Sam Lee"))
    assert meaning(second) == fresh
    assert meaning(first) == fresh


@pytest.mark.parametrize("name", [
    "Sam Lee",
    '=HYPERLINK("http://example.com","x")',
    "A & B <College> \"quoted\" 'single' ]]>",
    "Zoë Álvarez 李小龍 🙂",
    "  padded  ",
    "tab\there",
    "bell\x07and\x1bescape",
    "two\r\nlines",
    "carriage\rreturn",
    "",
    "   ",
    "x" * 40000,
])
def test_start_here_values_as_a_fresh_build_would_write_them(tmp_path: Path, template: TrackerTemplate,
                                                            name: str) -> None:
    stamped = tmp_path / "stamped.xlsx"
    stamped.write_bytes(template.render(name, email=name))
    fresh = built(tmp_path, Config(), student=name, institution="A & B <College>", email=name)
    assert start_values(stamped) == start_values(fresh)


def test_blank_student_leaves_the_cell_empty(tmp_path: Path, cache_dir: Path) -> None:
    run("new", tmp_path / "warm.xlsx")
    run("new", tmp_path / "t.xlsx")
    values = start_values(tmp_path / "t.xlsx")
    assert values[spec.STUDENT_LABEL][0] is None and values["Email"][0] is None


def test_workbook_is_dated_when_stamped_not_when_cached(template: TrackerTemplate) -> None:
    with zipfile.ZipFile(io.BytesIO(template.xlsx)) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2001-02-03T04:05:06Z",
                                        parts["docProps/core.xml"])
    old = io.BytesIO()
    with zipfile.ZipFile(old, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    properties = openpyxl.load_workbook(io.BytesIO(TrackerTemplate(old.getvalue()).render("Sam"))).properties
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for stamp in (properties.created, properties.modified):
        assert abs(stamp - now) < dt.timedelta(minutes=5), stamp


def test_control_characters_are_the_ones_openpyxl_refuses() -> None:
    for code in range(0x10000):
        character = chr(code)
        assert bool(workbook._ILLEGAL_CHARACTERS.match(character)) == bool(ILLEGAL_CHARACTERS_RE.match(character))


# --- one entry per workbook shape ------------------------------------------------------------

@pytest.mark.parametrize("toml", [
    '[policy]\nfirst_follow_up_days = 10\n',
    '[lists]\nchannel = ["WhatsApp"]\n',
    '[columns]\ntouchpoints = ["Idea"]\n',
    '[institution]\naccent_color = "FFCC33"\n',
    '[institution]\nname = "Northfield"\n',
    '[policy]\nbusiness_days = true\nholidays = ["2026-12-25"]\n',
])
def test_config_changes_give_another_entry(tmp_path: Path, cache_dir: Path, toml: str) -> None:
    config_path = tmp_path / "sheetkit.toml"
    config_path.write_text(toml, encoding="utf-8")
    assert template_key(load_config(config_path)) != template_key(Config())
    run("new", tmp_path / "default.xlsx")
    run("new", tmp_path / "configured.xlsx", "--config", config_path)
    assert len(entries(cache_dir)) == 2


def test_institution_gives_another_entry_but_the_config_file_path_does_not(tmp_path: Path) -> None:
    assert template_key(Config(), "Northfield") != template_key(Config())
    for name in ("a.toml", "b.toml"):
        (tmp_path / name).write_text('[policy]\nspacing_days = 3\n', encoding="utf-8")
    assert template_key(load_config(tmp_path / "a.toml")) == template_key(load_config(tmp_path / "b.toml"))


def test_editing_the_builder_gives_another_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = template_key(Config())
    package = tmp_path / "sheetkit"
    package.mkdir()
    for name in workbook._SHAPING_MODULES:
        (package / name).write_bytes((REPO / "sheetkit" / name).read_bytes())
    monkeypatch.setattr(workbook, "__file__", str(package / "workbook.py"))
    assert template_key(Config()) == before
    with (package / "spec.py").open("a", encoding="utf-8") as source:
        source.write("\n# a new column\n")
    assert template_key(Config()) != before


def test_roster_shares_the_entry_of_a_single_workbook(tmp_path: Path, cache_dir: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("Name,Email\nAna Ruiz,ana@example.edu\n", encoding="utf-8")
    run("new", tmp_path / "single.xlsx")
    (entry,) = entries(cache_dir)
    run("new", "--roster", roster, "--out-dir", tmp_path / "out")
    assert entries(cache_dir) == [entry]
    assert start_values(tmp_path / "out" / "ana-ruiz.xlsx")["Email"] == ("ana@example.edu", "s")


# --- damage and no cache -------------------------------------------------------------------

def damaged(template: bytes) -> dict[str, bytes]:
    middle = len(template) // 2
    empty_workbook = io.BytesIO()
    openpyxl.Workbook().save(empty_workbook)
    return {
        "empty": b"",
        "not a zip": b"this is not a workbook",
        "truncated": template[:middle],
        "flipped bytes": template[:middle] + bytes(b ^ 0xFF for b in template[middle:middle + 64])
        + template[middle + 64:],
        "no placeholders": empty_workbook.getvalue(),
    }


@pytest.mark.parametrize("damage", ["empty", "not a zip", "truncated", "flipped bytes", "no placeholders"])
def test_damaged_entry_is_built_afresh(tmp_path: Path, cache_dir: Path, damage: str) -> None:
    run("new", tmp_path / "first.xlsx", "--student", "Sam Lee")
    (entry,) = entries(cache_dir)
    entry.write_bytes(damaged(entry.read_bytes())[damage])
    run("new", tmp_path / "second.xlsx", "--student", "Sam Lee")
    assert start_values(tmp_path / "second.xlsx") == start_values(tmp_path / "first.xlsx")
    assert entries(cache_dir) == [entry]
    TrackerTemplate(entry.read_bytes())


@pytest.mark.parametrize("where", ["a file", "inside a file"])
def test_unwritable_cache_folder_only_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     where: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SHEETKIT_CACHE_DIR", str(blocker if where == "a file" else blocker / "cache"))
    result = run("new", tmp_path / "t.xlsx", "--student", "Sam Lee")
    assert result.stdout == f"{tmp_path / 't.xlsx'}\n"
    assert start_values(tmp_path / "t.xlsx")[spec.STUDENT_LABEL] == ("Sam Lee", "s")
    assert blocker.read_text() == "not a folder"


def test_no_cache_neither_reads_nor_writes_the_cache(tmp_path: Path, cache_dir: Path) -> None:
    run("new", tmp_path / "t.xlsx", "--no-cache")
    assert entries(cache_dir) == []
    run("new", tmp_path / "warm.xlsx")
    (entry,) = entries(cache_dir)
    entry.write_bytes(b"damaged")
    run("new", tmp_path / "u.xlsx", "--no-cache", "--student", "Sam Lee")
    assert entry.read_bytes() == b"damaged"
    assert start_values(tmp_path / "u.xlsx")[spec.STUDENT_LABEL] == ("Sam Lee", "s")


def test_cache_keeps_only_the_newest_entries_and_nothing_else_of_yours(tmp_path: Path, cache_dir: Path) -> None:
    cache_dir.mkdir()
    old = [cache_dir / f"template-{number:064x}.xlsx" for number in range(CACHE_ENTRIES + 2)]
    for age, path in enumerate(old, start=1):
        path.write_bytes(b"old")
        os.utime(path, (1_000_000_000 - age, 1_000_000_000 - age))
    own = [cache_dir / "template-mine.xlsx", cache_dir / "notes.txt"]
    for path in own:
        path.write_text("keep me")
    run("new", tmp_path / "t.xlsx")
    kept = entries(cache_dir)
    assert len([p for p in kept if p not in own]) == CACHE_ENTRIES
    assert old[0] in kept and old[-1] not in kept
    assert all(path.read_text() == "keep me" for path in own)


def test_default_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SHEETKIT_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("SHEETKIT_CACHE_DIR", "")
    assert default_cache_dir() == tmp_path / "xdg" / "sheetkit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == tmp_path / ".cache" / "sheetkit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == tmp_path / ".cache" / "sheetkit"


# --- speed -----------------------------------------------------------------------------

def imported_modules(tmp_path: Path, cache_dir: Path, *args: str) -> set[str]:
    """The top-level packages a whole `python -m sheetkit` process imports (python -X importtime)."""
    env = dict(os.environ, SHEETKIT_CACHE_DIR=str(cache_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "sheetkit", *args],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return {line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in result.stderr.splitlines() if line.startswith("import time:")}


def test_cache_hit_imports_neither_openpyxl_nor_pandas(tmp_path: Path, cache_dir: Path) -> None:
    args = ("--student", "Sam Lee", "--institution", "Northfield", "-q")  # not the shipped template's workbook
    miss = imported_modules(tmp_path, cache_dir, "new", "first.xlsx", *args)
    assert "openpyxl" in miss, "the check sees openpyxl when the workbook is built"
    hit = imported_modules(tmp_path, cache_dir, "new", "second.xlsx", *args)
    assert "sheetkit" in hit and "zipfile" in hit
    assert not {"openpyxl", "pandas"} & hit
    assert start_values(tmp_path / "second.xlsx")[spec.STUDENT_LABEL] == ("Sam Lee", "s")


# --- the shipped template ----------------------------------------------------------------

def parts(xlsx: bytes) -> dict[str, bytes]:
    """Every part of a workbook but its creation dates, which are stamped per workbook."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()
                if info.filename != "docProps/core.xml"}


def test_shipped_template_is_the_default_workbook_as_built_now(tmp_path: Path) -> None:
    # Fails after a change to the workbook's code until `python -m sheetkit.workbook` rebuilds the file.
    key = template_key(Config())
    assert key is not None
    with zipfile.ZipFile(workbook.SHIPPED_TEMPLATE) as archive:
        assert archive.comment.decode() == key, "stale: run `python -m sheetkit.workbook` and commit the file"
    shipped = TrackerTemplate.shipped(key)
    assert shipped is not None
    stamped = tmp_path / "shipped.xlsx"
    stamped.write_bytes(shipped.render("Sam Lee", email="sam@example.edu"))
    assert meaning(stamped) == meaning(built(tmp_path, Config(), student="Sam Lee", email="sam@example.edu"))


def test_first_default_run_copies_the_shipped_template_without_openpyxl(tmp_path: Path, cache_dir: Path) -> None:
    first = imported_modules(tmp_path, cache_dir, "new", "first.xlsx", "--student", "Sam Lee", "-q")
    assert "openpyxl" not in first and "pandas" not in first
    (entry,) = entries(cache_dir)
    assert parts(entry.read_bytes()) == parts(workbook.SHIPPED_TEMPLATE.read_bytes())
    assert meaning(tmp_path / "first.xlsx") == meaning(built(tmp_path, Config(), student="Sam Lee"))


@pytest.mark.parametrize("change", ["another key", "damaged", "missing"])
def test_a_shipped_template_that_does_not_fit_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         cache_dir: Path, change: str) -> None:
    key = template_key(Config())
    assert key is not None
    copy = tmp_path / "shipped.xlsx"
    data = workbook.SHIPPED_TEMPLATE.read_bytes()
    if change == "another key":
        buffer = io.BytesIO(data)
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.comment = b"0" * 64
        copy.write_bytes(buffer.getvalue())
    elif change == "damaged":
        copy.write_bytes(data[: len(data) // 2])
    monkeypatch.setattr(workbook, "SHIPPED_TEMPLATE", copy)
    assert TrackerTemplate.shipped(key) is None
    run("new", tmp_path / "t.xlsx", "--student", "Sam Lee")  # built instead
    assert meaning(tmp_path / "t.xlsx") == meaning(built(tmp_path, Config(), student="Sam Lee"))
