"""The reader meets real spreadsheets: files as Excel, LibreOffice and Gnumeric save them, edited as students edit them.

Each test's docstring says what the student sees in their spreadsheet program
and what sheetkit says about it. Workbooks are built with openpyxl the way Excel
stores the construct (Tables, hyperlinks, merged cells, formulas), and saved
again by LibreOffice (``soffice --convert-to xlsx``) and Gnumeric (``ssconvert``)
where the test is about what those programs write.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.worksheet.table import Table

from builders import CONTACT_HEADERS, TOUCHPOINT_HEADERS, contact, touch, write_tracker
from conftest import _need
from libreoffice import recalculate_all
from sheetkit.cli import cli
from sheetkit.errors import UnreadableWorkbook
from sheetkit.model import Tracker
from sheetkit.reading import read_tracker
from sheetkit.reading.dates import parse_date_cell
from sheetkit.reading.names import fold_name

D = dt.date
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ssconvert() -> str:
    """Path to Gnumeric's ssconvert."""
    return _need("Gnumeric", ("ssconvert",))


def _messages(tracker: Tracker) -> list[tuple[str, str, str]]:
    return [(p.severity, f"{p.sheet}!{p.cell}", p.message) for p in tracker.problems]


def _column(header: str, headers: list[str] = CONTACT_HEADERS) -> str:
    return openpyxl.utils.get_column_letter(headers.index(header) + 1)


# --------------------------------------------------------------------------- 1. exact headers win


def test_an_exact_header_wins_over_an_alias_left_of_it(tmp_path: Path) -> None:
    """The student added a column "Source" left of How we met, and "Type" left of Purpose.

    In their program: their own columns beside the tracker's. sheetkit reads How
    we met and Purpose from the columns with those exact headers, so the
    thank-you counts and nothing is overdue; "Source" and "Type" are the
    student's own, and a warning at each header says so, in case one was meant
    to be the tracker's column.
    """
    contact_headers = ["Name", "Source", *CONTACT_HEADERS[1:]]
    touch_headers = ["Date", "Contact", "Type", *TOUCHPOINT_HEADERS[2:]]
    path = write_tracker(
        tmp_path / "t.xlsx",
        [{**contact("Ann", how_met="Networking event", date_met=D(2026, 11, 2)), "Source": "LinkedIn post"}],
        [{**touch(D(2026, 11, 2), "Ann", purpose="Thank-you"), "Type": "Email follow up"}],
        contact_headers=contact_headers,
        touchpoint_headers=touch_headers,
    )
    tracker = read_tracker(path)
    assert tracker.contacts["how_met"].tolist() == ["Networking event"]
    assert tracker.touchpoints["purpose"].tolist() == ["Thank-you"]
    assert [(p.severity, p.sheet, p.cell) for p in tracker.problems] == [
        ("warning", "Contacts", "B1"), ("warning", "Touchpoints", "C1")]
    source, kind = (p.message for p in tracker.problems)
    assert source.startswith("'Source' is read as your own column, not as How we met, because the sheet has "
                             "a 'How we met' column too")
    assert kind.startswith("'Type' is read as your own column, not as Purpose")


def test_an_alias_alone_is_still_read_as_its_column(tmp_path: Path) -> None:
    """"Source" with no How we met column beside it is the student's How we met, with no warning."""
    headers = [("Source" if h == "How we met" else h) for h in CONTACT_HEADERS]
    path = write_tracker(tmp_path / "t.xlsx", [{"Name": "Ann", "Source": "Networking event"}],
                         contact_headers=headers)
    tracker = read_tracker(path)
    assert tracker.contacts["how_met"].tolist() == ["Networking event"]
    assert tracker.problems == []


# --------------------------------------------------------------------------- 2. Excel Tables


def test_a_table_total_row_is_not_a_contact(tmp_path: Path) -> None:
    """The student turned Contacts into an Excel Table and ticked Total Row.

    In Excel: a last row "Total" with a count under Name. sheetkit reads the two
    people above it, with no problem: the totals row is the table's, not a contact.
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann", date_met=D(2026, 11, 2)), contact("Bo")])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    sheet["A4"] = "Total"
    sheet[f"{_column('Date met')}4"] = "=SUBTOTAL(103,K2:K3)"
    last = openpyxl.utils.get_column_letter(len(CONTACT_HEADERS))
    table = Table(displayName="People", ref=f"A1:{last}4", totalsRowCount=1)
    sheet.add_table(table)
    workbook.save(path)
    tracker = read_tracker(path)
    assert tracker.contacts["name"].tolist() == ["Ann", "Bo"]
    assert tracker.problems == []


def test_a_second_table_header_row_is_not_a_contact(tmp_path: Path) -> None:
    """The student kept this year's people in an Excel Table of their own below last year's rows.

    In Excel: row 4 is that Table's header row ("Name", "Organization", ...), shaded as a
    header. sheetkit reads Ann, Bo and Cy, and no contact called "Name".
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann"), contact("Bo")])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    for column, header in enumerate(CONTACT_HEADERS, start=1):
        sheet.cell(4, column, header)
    sheet["A5"] = "Cy"
    last = openpyxl.utils.get_column_letter(len(CONTACT_HEADERS))
    sheet.add_table(Table(displayName="ThisYear", ref=f"A4:{last}5"))
    workbook.save(path)
    tracker = read_tracker(path)
    assert tracker.contacts["name"].tolist() == ["Ann", "Bo", "Cy"]
    assert [p for p in tracker.problems if p.severity == "error"] == []


# --------------------------------------------------------------------------- 3. names that look the same


@pytest.mark.parametrize(
    ("on_contacts", "on_touchpoints"),
    [
        ("Aoife O\u2019Brien", "Aoife O'Brien"),  # typographic apostrophe
        ("Ann Lee", "Ann\u200b Lee"),  # zero-width space pasted from a web page
        ("Ann Lee", "Ann\u00a0Lee"),  # no-break space
        ("Ren\u00e9 Roy", "Rene\u0301 Roy"),  # é composed on Contacts, decomposed (as copied on a Mac)
        ("\u201cBo\u201d Li", '"Bo" Li'),  # typographic quotes
    ],
)
def test_names_that_look_identical_match(tmp_path: Path, on_contacts: str, on_touchpoints: str) -> None:
    """Contacts and Touchpoints show the same name, stored with different characters.

    In the program the two names look the same. sheetkit matches them: the
    touchpoint counts for the contact, no warning.
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact(on_contacts)], [touch(D(2026, 11, 2), on_touchpoints)])
    tracker = read_tracker(path)
    assert tracker.touchpoints["contact_key"].tolist() == [fold_name(on_contacts)]
    assert tracker.problems == []


def test_a_lookalike_name_says_what_differs(tmp_path: Path) -> None:
    """A name typed with a Cyrillic 'а' that looks exactly like the Latin 'a'.

    In the program: "Ann Lee" twice. sheetkit does not pretend they match, and
    instead of "did you mean 'Ann Lee'?" (which would look identical) it says
    which character differs.
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann Lee")], [touch(D(2026, 11, 2), "\u0410nn Lee")])
    [problem] = read_tracker(path).problems
    assert (problem.sheet, problem.cell) == ("Touchpoints", "B2")
    assert problem.message == ("'\u0410nn Lee' looks like 'Ann Lee' but its '\u0430' is cyrillic small letter a, "
                               "not latin small letter a; retype the name or pick it from the list")


def test_one_fold_for_reader_remind_and_cohort() -> None:
    """remind and cohort match names with the reader's own function."""
    from sheetkit import cohort, remind

    assert cohort.student_key("Aoife O\u2019BRIEN") == cohort.student_key(" aoife  o'brien") == "aoife o'brien"
    assert remind.fold_name is fold_name


# --------------------------------------------------------------------------- 4. rich text from Gnumeric


def test_gnumeric_rich_text_keeps_its_spaces(tmp_path: Path, ssconvert: str) -> None:
    """Carol's name has "Carol" in bold; Gnumeric saves it as two runs, the second " Diaz" unmarked.

    In Excel, LibreOffice and Gnumeric: "Carol Diaz". sheetkit reads "Carol
    Diaz" too, so her touchpoint matches her (not "CarolDiaz", unknown).
    """
    source = write_tracker(tmp_path / "t.xlsx", [contact("Carol Diaz")], [touch(D(2026, 11, 2), "Carol Diaz")])
    workbook = openpyxl.load_workbook(source)
    workbook["Contacts"]["A2"] = CellRichText([TextBlock(InlineFont(b=True), "Carol"), " Diaz"])
    workbook.save(source)
    saved = tmp_path / "gnumeric.xlsx"
    subprocess.run([ssconvert, str(source), str(saved)], check=True, capture_output=True, timeout=120)
    tracker = read_tracker(saved)
    assert tracker.contacts["name"].tolist() == ["Carol Diaz"]
    assert tracker.touchpoints["contact_key"].tolist() == ["carol diaz"]
    assert [p for p in tracker.problems if p.severity == "error" or "not a name" in p.message] == []


# --------------------------------------------------------------------------- 5. formulas in data columns


def _formulas(path: Path) -> Path:
    """Ann's Date met is =DATE(2026,11,2); Bo's is =TODAY(); Cy's Thank-you sent is =K4+1."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    met, thanked = _column("Date met"), _column("Thank-you sent")
    sheet[f"{met}2"] = "=DATE(2026,11,2)"
    sheet[f"{met}3"] = "=TODAY()"
    sheet[f"{thanked}4"] = f"={met}4+1"
    workbook.save(path)
    return path


def test_formulas_without_stored_results_are_problems(tmp_path: Path) -> None:
    """A script (openpyxl) wrote formulas into Date met and Thank-you sent, with no results stored.

    In the program, once recalculated: dates. But the file holds no value for
    them, so sheetkit cannot know them: each is an error at its cell, and none
    counts as a date (no invented thank-you, none silently lost).
    """
    path = _formulas(write_tracker(tmp_path / "t.xlsx",
                                   [contact("Ann"), contact("Bo"), contact("Cy", date_met=D(2026, 11, 3))]))
    tracker = read_tracker(path)
    assert _messages(tracker) == [
        ("error", "Contacts!K2", "Date met: holds the formula =DATE(2026,11,2) with no stored result, so its value "
                                 "cannot be seen; open and save the file in Excel or LibreOffice, or type the value"),
        ("error", "Contacts!K3", "Date met: holds =TODAY(), which changes by itself every day; type the date itself"),
        ("error", "Contacts!L4", "Thank-you sent: holds the formula =K4+1 with no stored result, so its value "
                                 "cannot be seen; open and save the file in Excel or LibreOffice, or type the value"),
    ]
    assert tracker.contacts["date_met"].tolist()[:2] == [pd.NaT, pd.NaT]
    assert pd.isna(tracker.contacts["thank_you_sent"]).all()


def test_formulas_saved_by_libreoffice_are_read_by_their_results(tmp_path: Path, soffice: str) -> None:
    """The same workbook opened and saved in LibreOffice, which stores each formula's result.

    In LibreOffice: Ann met 2026-11-02, Cy thanked 2026-11-04, Bo met "today".
    sheetkit reads the stored dates; =TODAY() moves every day, so it is still
    an error at its cell and Bo has no meeting date.
    """
    path = _formulas(write_tracker(tmp_path / "t.xlsx",
                                   [contact("Ann"), contact("Bo"), contact("Cy", date_met=D(2026, 11, 3))]))
    saved = tmp_path / "saved.xlsx"
    recalculate_all([(path, saved)], soffice)
    tracker = read_tracker(saved)
    assert tracker.contacts["date_met"].tolist() == [pd.Timestamp("2026-11-02"), pd.NaT, pd.Timestamp("2026-11-03")]
    assert tracker.contacts["thank_you_sent"].tolist() == [pd.NaT, pd.NaT, pd.Timestamp("2026-11-04")]
    assert [(p.cell, p.message[:30]) for p in tracker.problems] == [("K3", "Date met: holds =TODAY(), whic")]


def test_a_date_typed_over_the_next_follow_up_formula_is_warned(tmp_path: Path) -> None:
    """In a workbook from `sheetkit new`, the student typed a date over Next follow-up due.

    In the program: their date, where the formula used to be. sheetkit works
    the follow-up out from the typed-in columns, ignores the typed date, and
    says so at that cell.
    """
    path = tmp_path / "new.xlsx"
    assert CliRunner().invoke(cli, ["new", str(path)]).exit_code == 0
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    sheet["A2"], sheet[f"{_column('Date met')}2"] = "Ann Lee", D(2026, 11, 2)
    sheet["A3"], sheet[f"{_column('Date met')}3"] = "Bo Li", D(2026, 11, 3)
    sheet[f"{_column('Next follow-up due')}3"] = D(2026, 12, 1)
    workbook.save(path)
    tracker = read_tracker(path)
    due = _column("Next follow-up due")
    assert _messages(tracker) == [
        ("warning", f"Contacts!{due}3", "a value is typed over the Next follow-up due formula; the report works it "
                                        "out from the typed-in columns and ignores this value. Copy the formula "
                                        "back from the row above"),
    ]
    assert tracker.contacts["name"].tolist() == ["Ann Lee", "Bo Li"]


# --------------------------------------------------------------------------- 6. links


def test_hyperlinks_are_read_as_their_targets(tmp_path: Path) -> None:
    """LinkedIn shows "profile": a =HYPERLINK formula for Ann, a cell hyperlink for Bo; Bo's Email
    shows "write to Bo", a mailto: link.

    In the program: the word "profile", underlined. sheetkit reads the link
    itself, so the report can offer the profile and the address.
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann"), contact("Bo")])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    linkedin, email = _column("LinkedIn"), _column("Email")
    sheet[f"{linkedin}2"] = '=HYPERLINK("https://www.linkedin.com/in/ann-lee","profile")'
    sheet[f"{linkedin}3"] = "profile"
    sheet[f"{linkedin}3"].hyperlink = "https://www.linkedin.com/in/bo-li"
    sheet[f"{email}3"] = "write to Bo"
    sheet[f"{email}3"].hyperlink = "mailto:bo@example.org"
    workbook.save(path)
    tracker = read_tracker(path)
    assert tracker.contacts["linkedin"].tolist() == ["https://www.linkedin.com/in/ann-lee",
                                                     "https://www.linkedin.com/in/bo-li"]
    assert tracker.contacts["email"].tolist() == [None, "bo@example.org"]
    assert tracker.problems == []


# --------------------------------------------------------------------------- 7. merged cells


def test_cells_merged_down_fill_every_row(tmp_path: Path, soffice: str) -> None:
    """Ann and Bo met at the same event: Organization and Date met are merged down over their two rows,
    and the file is saved by LibreOffice.

    In the program: one "Acme" and one date spanning both rows. sheetkit gives
    both contacts Acme and 2026-11-02, as the student sees it.
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann", organization="Acme", date_met=D(2026, 11, 2)),
                                               contact("Bo")])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    for column in ("Organization", "Date met"):
        sheet.merge_cells(f"{_column(column)}2:{_column(column)}3")
    workbook.save(path)
    saved = tmp_path / "saved.xlsx"
    recalculate_all([(path, saved)], soffice)
    for tracker in (read_tracker(path), read_tracker(saved)):
        assert tracker.contacts["organization"].tolist() == ["Acme", "Acme"]
        assert tracker.contacts["date_met"].tolist() == [pd.Timestamp("2026-11-02")] * 2


def test_cells_merged_across_columns_are_named(tmp_path: Path) -> None:
    """Title and Industry merged across for Ann: which column the text belongs to is a guess.

    sheetkit reads the text as Title and warns at the covered cell, Industry.
    """
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann", title="Engineer")])
    workbook = openpyxl.load_workbook(path)
    workbook["Contacts"].merge_cells(f"{_column('Title')}2:{_column('Industry')}2")
    workbook.save(path)
    tracker = read_tracker(path)
    assert tracker.contacts["title"].tolist() == ["Engineer"]
    assert [(p.cell, p.message) for p in tracker.problems] == [
        ("D2", "cells C2:D2 are merged across columns; only the first column is read. Unmerge them")]


# --------------------------------------------------------------------------- 8. pasted text


@pytest.mark.parametrize(
    "typed",
    ["Nov\u00a010,\u00a02026",  # pasted from a web page
     "Tue, Nov 10, 2026",  # from a mail client's header
     "'2026-11-10",  # a leading apostrophe pasted in as text
     " 10\u2009November\u20092026 "],  # thin spaces
)
def test_pasted_dates_read_like_their_plain_forms(tmp_path: Path, typed: str) -> None:
    """A meeting date pasted from elsewhere, with its invisible baggage.

    In the program: the date as text, e.g. "Tue, Nov 10, 2026". sheetkit reads
    2026-11-10, no problem.
    """
    tracker = read_tracker(write_tracker(tmp_path / "t.xlsx", [contact("Ann", date_met=typed)]))
    assert tracker.contacts["date_met"].tolist() == [pd.Timestamp("2026-11-10")]
    assert tracker.problems == []


# --------------------------------------------------------------------------- 9. rows pasted twice


def test_a_touchpoint_pasted_twice_counts_once(tmp_path: Path) -> None:
    """The student pasted their week's touchpoints twice: row 4 repeats row 2 exactly.

    In the program: two identical rows. sheetkit counts the email once and
    warns at the repeated row; the rows after it are read as ever (row 5's
    blank Direction counts as Sent).
    """
    email = touch(D(2026, 11, 2), "Ann", channel="Email", purpose="Follow-up")
    call = touch(D(2026, 11, 3), "Ann", channel="Phone call", purpose="Follow-up")
    note = touch(D(2026, 11, 4), "ann", direction=None, channel="LinkedIn")
    tracker = read_tracker(write_tracker(tmp_path / "t.xlsx", [contact("Ann")], [email, call, email, note]))
    assert tracker.touchpoints["row"].tolist() == [2, 3, 5]
    assert tracker.touchpoints["contact_key"].tolist() == ["ann", "ann", "ann"]
    assert tracker.touchpoints["direction"].tolist() == ["Sent", "Sent", "Sent"]
    assert _messages(tracker) == [
        ("warning", "Touchpoints!A4", "this touchpoint repeats row 2 exactly, so it counts once; "
                                      "delete it if it was pasted twice"),
        ("warning", "Touchpoints!D5", "Direction is blank in 1 row (first here); counted as Sent. "
                                      "Choose Sent or Received"),
    ]


# --------------------------------------------------------------------------- saved by LibreOffice and Gnumeric


def test_a_tracker_saved_by_libreoffice_and_gnumeric_reads_the_same(tmp_path: Path, soffice: str,
                                                                      ssconvert: str) -> None:
    """The same filled-in tracker, opened and saved in LibreOffice, and in Gnumeric.

    Both programs show the same people and touchpoints; sheetkit reads the same
    tables from all three files, with no problem.
    """
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann O'Neil", organization="Acme", date_met=D(2026, 11, 2), status="Active"),
         contact("Bo Li", referred_by="Ann O'Neil", date_met="2026-11-05")],
        [touch(D(2026, 11, 3), "Ann O'Neil", channel="Email", purpose="Thank-you"),
         touch(D(2026, 11, 6), "Bo Li", direction="Received", channel="LinkedIn", purpose="Question")],
    )
    libreoffice, gnumeric = tmp_path / "libreoffice.xlsx", tmp_path / "gnumeric.xlsx"
    recalculate_all([(path, libreoffice)], soffice)
    subprocess.run([ssconvert, str(path), str(gnumeric)], check=True, capture_output=True, timeout=120)
    original = read_tracker(path)
    for saved in (libreoffice, gnumeric):
        tracker = read_tracker(saved)
        assert tracker.problems == [], saved.name
        for frame, again in ((original.contacts, tracker.contacts), (original.touchpoints, tracker.touchpoints)):
            pd.testing.assert_frame_equal(frame, again, check_dtype=False)


# --------------------------------------------------------------------------- issue 12: dates that cannot be right


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("05.02.2026", D(2026, 2, 5)), ("5.2.26", D(2026, 2, 5)), ("12.11.2026", D(2026, 11, 12))],
)
def test_dates_with_dots_are_day_first(typed: str, expected: dt.date) -> None:
    """Dots are the day-first countries' separator, whatever the config says for slashes."""
    assert parse_date_cell(typed).value == expected
    assert parse_date_cell(typed, day_first=False).value == expected


@pytest.mark.parametrize("typed", ["Nov 3", "3 November", "11/3", "Tue, Nov 3"])
def test_a_date_without_a_year_says_so(typed: str) -> None:
    assert parse_date_cell(typed).problem == f"'{typed}' has no year; type the full date, e.g. 2026-11-10"


def test_a_year_that_is_a_typo_is_a_problem_at_its_cell(tmp_path: Path) -> None:
    """A follow-up typed as 2062-11-20 among a tracker of 2026 dates.

    In the program: a date 36 years away. sheetkit reports an error at that cell
    and does not count the touchpoint as a follow-up (it has no date).
    """
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann", date_met=D(2026, 11, 2), thank_you_sent=D(2026, 11, 3))],
        [thanks := touch(D(2026, 11, 3), "Ann", purpose="Thank-you"), thanks, {},
         touch(D(2062, 11, 20), "Ann", purpose="Follow-up")],
    )
    tracker = read_tracker(path)
    assert [(p.cell, p.message[:40]) for p in tracker.problems] == [
        ("A3", "this touchpoint repeats row 2 exactly, s"), ("A5", "Date: the year 2062 looks like a typo (t")]
    assert tracker.touchpoints["row"].tolist() == [2, 5]
    assert tracker.touchpoints["date"].tolist() == [pd.Timestamp("2026-11-03"), pd.NaT]


# --------------------------------------------------------------------------- issue 12: files that are not trackers


def test_a_sheetkit_report_given_as_the_tracker(tmp_path: Path, sample_tracker: Path) -> None:
    """The student handed in their tracker-report.xlsx (and .html, .json) instead of the tracker.

    sheetkit says in one line that it is a sheetkit report, exit 1.
    """
    runner = CliRunner()
    for output_format in ("xlsx", "html", "json"):
        report = tmp_path / f"tracker-report.{output_format}"
        made = runner.invoke(cli, ["report", str(sample_tracker), "--format", output_format, "-o", str(report), "-q"])
        assert made.exit_code == 0, made.output
        result = runner.invoke(cli, ["report", str(report)])
        assert result.exit_code == 1, result.output
        assert result.output.strip().endswith(
            f"{report}: this is a sheetkit report, not a tracker; run the report on the tracker"), result.output


@pytest.mark.parametrize(("name", "content", "said"), [
    ("roster.csv", "Name,Email\nAnn,ann@example.org\n", "is a text (CSV) file, not a workbook"),
    ("roster.xlsx", "Name,Email\nAnn,ann@example.org\n", "is a text (CSV) file with an .xlsx name, not a workbook"),
    ("page.html", "<html><body><table></table></body></html>", "is a web page (HTML), not a workbook"),
])
def test_file_type_errors_name_the_real_extension(tmp_path: Path, name: str, content: str, said: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(UnreadableWorkbook) as raised:
        read_tracker(path)
    assert str(raised.value).startswith(f"{path}: {said};")
    assert name.endswith(".xlsx") or ".xlsx name" not in str(raised.value)


# --------------------------------------------------------------------------- issue 14: only regular files


def _check_in_a_child(path: Path) -> subprocess.CompletedProcess[str]:
    """`sheetkit check PATH` in a child process, which must not wait on a special file."""
    return subprocess.run([sys.executable, "-m", "sheetkit", "check", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "tracker.xlsx"
    os.mkfifo(fifo)
    result = _check_in_a_child(fifo)
    assert result.returncode == 1
    assert f"{fifo}: error: is a named pipe (FIFO), not a file" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_socket_and_a_device_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(UnreadableWorkbook, match="is a socket, not a file"):
            read_tracker(path)
    with pytest.raises(UnreadableWorkbook, match="/dev/null: is a device, not a file"):
        read_tracker(Path("/dev/null"))


def test_a_symlink_loop_is_reported(tmp_path: Path) -> None:
    loop = tmp_path / "loop.xlsx"
    loop.symlink_to(tmp_path / "loop.xlsx")
    with pytest.raises(UnreadableWorkbook) as raised:
        read_tracker(loop)
    assert str(raised.value) == (f"{loop}: is a symbolic link that loops back on itself; point it at the tracker "
                                 "file, or give the file's own path")
