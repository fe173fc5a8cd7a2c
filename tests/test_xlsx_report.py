"""The XLSX report as a student opens and prints it: problems first, text wrapped in rows tall enough, links safe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit.cli import cli
from sheetkit.render import LINE_HEIGHT, wrapped_lines

D = dt.date


def report_xlsx(tracker: Path, tmp_path: Path) -> openpyxl.Workbook:
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(cli, ["report", str(tracker), "--format", "xlsx", "-o", str(out),
                                      "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    contacts = [
        contact("Ana Souza", organization="Northwind", email="ana@northwind.example", phone="555-0142",
                linkedin="https://www.linkedin.com/in/ana-souza", date_met=D(2026, 11, 15)),
        contact("Bo Chen", email="javascript:alert(1)", date_met="last Tuesday"),
    ]
    return write_tracker(tmp_path / "t.xlsx", contacts, [touch(D(2026, 11, 10), "Ghost", channel="Email")])


def headers(sheet: openpyxl.worksheet.worksheet.Worksheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def test_problems_sheet_comes_first_errors_first(tracker: Path, tmp_path: Path) -> None:
    workbook = report_xlsx(tracker, tmp_path)
    assert workbook.sheetnames == ["Problems", "Overdue", "Upcoming", "Contacts", "Stats"]
    problems = workbook["Problems"]
    assert headers(problems) == ["Severity", "Where", "What to fix"]
    rows = [tuple(cell.value for cell in row) for row in problems.iter_rows(min_row=2)]
    assert [(severity, where) for severity, where, _ in rows] == [("Error", "Contacts, cell K3"),
                                                                  ("Warning", "Touchpoints, cell B2")]
    assert rows[0][2].startswith("Date met: 'last Tuesday'")


def test_no_problems_no_problems_sheet(tmp_path: Path) -> None:
    tracker = write_tracker(tmp_path / "t.xlsx", [contact("Ana Souza", date_met=D(2026, 11, 15))])
    assert report_xlsx(tracker, tmp_path).sheetnames == ["Overdue", "Upcoming", "Contacts", "Stats"]


def test_followups_wrap_numbers_centred_and_safe_links(tracker: Path, tmp_path: Path) -> None:
    sheet = report_xlsx(tracker, tmp_path)["Overdue"]
    assert headers(sheet) == ["Contact", "Organization", "Rule", "Due", "Days overdue", "Why", "Suggested channel",
                              "Also settles", "Email", "Phone", "LinkedIn"]
    row = {header: cell for header, cell in zip(headers(sheet), sheet[2])}
    assert row["Contact"].value == "Ana Souza" and row["Rule"].value == "Thank-you"
    # Met 2026-11-15: the thank-you was due the next day, six days before 2026-11-22.
    assert row["Due"].value == dt.datetime(2026, 11, 16) and row["Days overdue"].value == 6
    assert row["Days overdue"].alignment.horizontal == "center" and row["Due"].alignment.horizontal == "center"
    assert row["Why"].alignment.wrap_text and sheet.column_dimensions["F"].width >= 50
    assert [(row[h].value, row[h].hyperlink.target) for h in ("Email", "Phone", "LinkedIn")] == [
        ("ana@northwind.example", "mailto:ana@northwind.example"), ("555-0142", "tel:5550142"),
        ("LinkedIn profile", "https://www.linkedin.com/in/ana-souza"),
    ]
    for sheet_ in report_xlsx(tracker, tmp_path):
        for line in sheet_.iter_rows():
            for cell in line:
                if cell.hyperlink is not None:
                    assert cell.hyperlink.target.startswith(("mailto:", "tel:", "https:")), cell.hyperlink.target


def test_rows_are_tall_enough_for_their_wrapped_text(tmp_path: Path) -> None:
    # A 120-character warning in the 90-wide "What to fix" column takes two lines.
    tracker = write_tracker(tmp_path / "t.xlsx", [contact("Ana Souza", date_met=D(2026, 11, 15))],
                            [touch(D(2026, 11, 10), "G" * 60, channel="Email")])
    problems = report_xlsx(tracker, tmp_path)["Problems"]
    message = problems["C2"].value
    assert 90 < len(message) <= 180, message
    assert problems.row_dimensions[2].height == 2 * LINE_HEIGHT
    assert problems.row_dimensions[1].height is None  # headers fit on one line


def test_wrapped_lines_counts_by_hand() -> None:
    assert wrapped_lines("", 10) == 1
    assert wrapped_lines("a" * 10, 10) == 1
    assert wrapped_lines("a" * 11, 10) == 2
    assert wrapped_lines("one\ntwo\n" + "a" * 25, 10) == 5


def test_contacts_reply_warmth_in_plain_words(tmp_path: Path) -> None:
    # Two messages without a reply.
    bo = contact("Bo Chen", date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 2))
    tracker = write_tracker(tmp_path / "t.xlsx", [bo], [
        touch(D(2026, 9, 15), "Bo Chen", purpose="Follow-up", channel="Email", got_reply="No"),
        touch(D(2026, 10, 15), "Bo Chen", purpose="Follow-up", channel="LinkedIn", got_reply="No"),
    ])
    contacts = report_xlsx(tracker, tmp_path)["Contacts"]
    assert contacts["K1"].value == "Warmth" and contacts["K2"].value == "Does not reply"
