"""Round trip through a real spreadsheet program: the sample tracker, saved by LibreOffice.

After LibreOffice recalculates and saves the sample, every contact's `Next
follow-up due` on the sheet is the next step worked out by hand from DOMAIN.md,
and the report read from LibreOffice's file equals the report read from the
original. (tests/test_workbook_formulas.py checks the sheet against the report.)
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


#: The sample's next steps, worked out by hand from make_sample.py's table and DOMAIN.md.
SAMPLE_NEXT_DUE = {
    "Priya Natarajan": dt.date(2026, 11, 20),  # met 11-19, thank-you the next day
    "Marcus Oyelaran": dt.date(2026, 11, 22),  # met 11-21
    "Elena Vasquez-Hart": dt.date(2026, 11, 25),  # card 11-11 + 14
    "Tom Becker": dt.date(2026, 10, 28),  # first follow-up 09-30 + 28
    "Grace Liu": dt.date(2026, 9, 26),  # warm: last message 07-28 + 60
    "Lucia Romero": dt.date(2026, 10, 23),  # Omar written to 10-21 before meeting: thank Lucia within 2 days
    "Omar Haddad": dt.date(2026, 11, 24),  # thanked 11-10 + 14
    "Daniel Okafor": dt.date(2026, 11, 20),  # agreed date
    "Hannah Schmidt": dt.date(2026, 11, 4),  # her Question 11-03: reply the next day
    "Kevin Marsh": dt.date(2026, 11, 25),  # 3 unanswered: 03-30 + 240
    "Aisha Rahman": dt.date(2027, 4, 17),  # brief: no second follow-up; 08-20 + 240
    "Beatriz Costa": dt.date(2026, 7, 27),  # not met, one request 07-20: nudge a week later
    "Robert Chen": None,
    "Sofia Marin": None,
    "Jamal Wright": dt.date(2027, 2, 1),  # Paused, back on the agreed date
}


@pytest.mark.libreoffice
def test_sheet_shows_the_sample_next_steps(saved_by_libreoffice: Path) -> None:
    sheet = openpyxl.load_workbook(saved_by_libreoffice, data_only=True)["Contacts"]
    headers = [cell.value for cell in sheet[1]]
    name_col, due_col = headers.index("Name"), headers.index("Next follow-up due")
    shown = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[name_col]:
            due = row[due_col]
            shown[row[name_col]] = due.date() if isinstance(due, dt.datetime) else (due or None)
    assert shown == SAMPLE_NEXT_DUE
