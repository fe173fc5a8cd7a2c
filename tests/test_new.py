"""`sheetkit new`: the tracking workbook, checked by meaning, and the roster mode."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet

from sheetkit import spec
from sheetkit.cli import cli
from sheetkit.config import Config
from sheetkit.roster import read_roster, safe_file_stem, unique_file_names
from sheetkit.spec import AUTO_SUFFIX
from sheetkit.workbook import (
    CONTACT_HELPERS,
    CONTACT_ROWS,
    DASHBOARD_FIGURES,
    DATE_FORMAT,
    TOUCHPOINT_HELPERS,
    TOUCHPOINT_NAMES,
    TOUCHPOINT_ROWS,
    TrackerTemplate,
    build_workbook,
)

SHEET_ORDER = [spec.START_SHEET, spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET, spec.DASHBOARD_SHEET, spec.LISTS_SHEET]
LAST_ROW = {spec.CONTACTS_SHEET: CONTACT_ROWS + 1, spec.TOUCHPOINTS_SHEET: TOUCHPOINT_ROWS + 1}
COLUMNS = {spec.CONTACTS_SHEET: spec.CONTACT_COLUMNS, spec.TOUCHPOINTS_SHEET: spec.TOUCHPOINT_COLUMNS}
FORBIDDEN = re.compile(r"(?<![\w.])(XLOOKUP|LET|LAMBDA|FILTER|IFS|SORT|UNIQUE|SEQUENCE)\(", re.IGNORECASE)
NEEDS_PREFIX = re.compile(r"(?<![\w.])(MAXIFS|MINIFS)\(", re.IGNORECASE)

CONFIG_TOML = """
[institution]
name = "Northfield University Career Center"
primary_color = "7A0019"
accent_color = "FFCC33"

[lists]
channel = ["WhatsApp"]
how_met = ["Alumni mixer"]

[columns]
contacts = ["Graduation year"]
touchpoints = ["Follow-up idea"]

[policy]
first_follow_up_days = 10
keep_in_touch_days = 90
"""


def run(runner: CliRunner, *args: Any) -> Any:
    return runner.invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module", autouse=True)
def template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`sheetkit new` keeps its template in a folder of this module's own, never the real home cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHEETKIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def default_book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("new") / "tracker.xlsx"
    result = CliRunner().invoke(cli, ["new", str(path), "--student", "Sam Lee", "--institution", "Northfield"])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> tuple[openpyxl.Workbook, Config]:
    folder = tmp_path_factory.mktemp("configured")
    config_path = folder / "sheetkit.toml"
    config_path.write_text(CONFIG_TOML, encoding="utf-8")
    path = folder / "tracker.xlsx"
    result = CliRunner().invoke(cli, ["new", str(path), "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    from sheetkit.config import load_config

    return openpyxl.load_workbook(path), load_config(config_path)


def headers(sheet: Worksheet) -> list[str]:
    return [cell.value for cell in sheet[1] if cell.value is not None]


def column_of(sheet: Worksheet, header: str) -> str:
    return openpyxl.utils.get_column_letter(headers(sheet).index(header) + 1)


def validation_for(sheet: Worksheet, cell: str) -> Any:
    found = [dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, f"{sheet.title}!{cell}: {len(found)} validations"
    return found[0]


def all_formulas(workbook: openpyxl.Workbook) -> list[str]:
    """Every formula in the file: cells, validations, conditional formats, defined names."""
    formulas = [str(dn.attr_text) for dn in workbook.defined_names.values()]
    for sheet in workbook.worksheets:
        formulas += [cell.value for row in sheet.iter_rows() for cell in row
                     if isinstance(cell.value, str) and cell.value.startswith("=")]
        for dv in sheet.data_validations.dataValidation:
            formulas += [f for f in (dv.formula1, dv.formula2) if f]
        for rules in sheet.conditional_formatting:
            formulas += [f for rule in rules.rules for f in rule.formula]
    return formulas


# --- the workbook --------------------------------------------------------------------

def test_sheets_in_order_with_lists_hidden(default_book: openpyxl.Workbook) -> None:
    assert default_book.sheetnames == SHEET_ORDER
    assert default_book[spec.LISTS_SHEET].sheet_state == "hidden"
    assert all(default_book[name].sheet_state == "visible" for name in SHEET_ORDER[:-1])
    assert default_book.active.title == spec.START_SHEET


@pytest.mark.parametrize("sheet_name", [spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET])
def test_headers_are_the_spec_then_hidden_helpers(default_book: openpyxl.Workbook, sheet_name: str) -> None:
    sheet = default_book[sheet_name]
    found = headers(sheet)
    spec_headers = [c.header for c in COLUMNS[sheet_name]]
    assert found[: len(spec_headers)] == spec_headers
    helpers = found[len(spec_headers):]
    assert helpers and all(h.endswith(AUTO_SUFFIX) for h in helpers)
    for header in helpers:
        assert sheet.column_dimensions[column_of(sheet, header)].hidden, header
    for header in spec_headers:
        assert not sheet.column_dimensions[column_of(sheet, header)].hidden, header


@pytest.mark.parametrize("sheet_name", [spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET])
def test_choice_columns_offer_their_list(default_book: openpyxl.Workbook, sheet_name: str) -> None:
    sheet, lists = default_book[sheet_name], default_book[spec.LISTS_SHEET]
    list_titles = headers(lists)
    for column in COLUMNS[sheet_name]:
        if column.kind != "choice":
            continue
        letter = column_of(sheet, column.header)
        dv = validation_for(sheet, f"{letter}2")
        assert f"{letter}{LAST_ROW[sheet_name]}" in dv.sqref
        assert dv.type == "list" and dv.allow_blank
        assert not dv.formula1.startswith("="), dv.formula1
        list_letter = openpyxl.utils.get_column_letter(list_titles.index(spec.LIST_TITLES[column.choices]) + 1)
        values = spec.LISTS[column.choices]
        assert dv.formula1 == f"Lists!${list_letter}$2:${list_letter}${len(values) + 1}"
        assert [lists[f"{list_letter}{r}"].value for r in range(2, len(values) + 2)] == list(values)
        assert dv.showErrorMessage and dv.errorStyle == "stop" and dv.errorTitle and dv.error
        assert dv.showInputMessage and dv.prompt == column.help


def test_contact_columns_offer_the_names_on_contacts(default_book: openpyxl.Workbook) -> None:
    names = f"Contacts!$A$2:$A${CONTACT_ROWS + 1}"
    for sheet_name, header in ((spec.TOUCHPOINTS_SHEET, "Contact"), (spec.CONTACTS_SHEET, "Referred by")):
        sheet = default_book[sheet_name]
        letter = column_of(sheet, header)
        dv = validation_for(sheet, f"{letter}2")
        assert dv.type == "list" and dv.formula1 == names
        assert f"{letter}{LAST_ROW[sheet_name]}" in dv.sqref
        assert dv.showErrorMessage and dv.error


@pytest.mark.parametrize("sheet_name", [spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET])
def test_date_columns_validate_and_format_dates(default_book: openpyxl.Workbook, sheet_name: str) -> None:
    sheet = default_book[sheet_name]
    date_columns = [c for c in COLUMNS[sheet_name] if c.kind == "date"]
    assert date_columns
    for column in date_columns:
        letter = column_of(sheet, column.header)
        dv = validation_for(sheet, f"{letter}2")
        assert f"{letter}{LAST_ROW[sheet_name]}" in dv.sqref
        assert dv.type == "date" and dv.operator == "between"
        assert int(dv.formula1) == 32874  # 1990-01-01
        assert int(dv.formula2) > 60000
        assert dv.showErrorMessage and "date" in dv.error
        for row in (2, 100, LAST_ROW[sheet_name]):
            assert sheet[f"{letter}{row}"].number_format == DATE_FORMAT
        assert sheet.column_dimensions[letter].width >= 12


def test_computed_columns_hold_formulas_on_every_row(default_book: openpyxl.Workbook) -> None:
    contacts = default_book[spec.CONTACTS_SHEET]
    due = column_of(contacts, "Next follow-up due")
    overdue = column_of(contacts, "Days overdue")
    for row in (2, 250, CONTACT_ROWS + 1):
        assert str(contacts[f"{due}{row}"].value).startswith("=")
        assert str(contacts[f"{overdue}{row}"].value).startswith("=")
        assert f"${due}{row}" in contacts[f"{overdue}{row}"].value
    assert contacts[f"{due}2"].number_format == DATE_FORMAT
    assert contacts[f"{due}{CONTACT_ROWS + 2}"].value is None
    touchpoints = default_book[spec.TOUCHPOINTS_SHEET]
    replied = column_of(touchpoints, f"Replied {AUTO_SUFFIX}")
    assert str(touchpoints[f"{replied}{TOUCHPOINT_ROWS + 1}"].value).startswith("=")


def test_formulas_are_portable(default_book: openpyxl.Workbook) -> None:
    formulas = all_formulas(default_book)
    assert len(formulas) > CONTACT_ROWS * 5
    assert [f for f in formulas if FORBIDDEN.search(f)] == []
    assert [f for f in formulas if NEEDS_PREFIX.search(f)] == []
    assert any("_xlfn.MINIFS(" in f for f in formulas) and any("_xlfn.MAXIFS(" in f for f in formulas)
    assert [f for f in formulas if re.search(r"\w\[", f)] == [], "no structured table references"


def test_touchpoint_ranges_have_names(default_book: openpyxl.Workbook) -> None:
    touchpoints = default_book[spec.TOUCHPOINTS_SHEET]
    for key, name in TOUCHPOINT_NAMES.items():
        header = next((c.header for c in spec.TOUCHPOINT_COLUMNS if c.key == key), None) or next(
            h.header for h in TOUCHPOINT_HELPERS if h.key == key)
        letter = column_of(touchpoints, header)
        assert default_book.defined_names[name].attr_text == f"Touchpoints!${letter}$2:${letter}${TOUCHPOINT_ROWS + 1}"
    assert any("TP_Date" in f for f in all_formulas(default_book))


@pytest.mark.parametrize("sheet_name", [spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET])
def test_frozen_header_and_print_setup(default_book: openpyxl.Workbook, sheet_name: str) -> None:
    sheet = default_book[sheet_name]
    assert sheet.freeze_panes == "A2"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$1"
    for column in COLUMNS[sheet_name]:
        assert sheet.column_dimensions[column_of(sheet, column.header)].width >= column.width
    header = sheet["A1"]
    assert header.font.bold and header.fill.fgColor.rgb.endswith(Config().branding.primary_color)


def test_overdue_rows_turn_red_and_due_soon_amber(default_book: openpyxl.Workbook) -> None:
    contacts = default_book[spec.CONTACTS_SHEET]
    due = column_of(contacts, "Next follow-up due")
    rules = {str(ranges.sqref): [(rule.formula[0], rule.dxf.fill.fgColor.rgb) for rule in ranges.rules]
             for ranges in contacts.conditional_formatting}
    (cells, formats), = ((cells, formats) for cells, formats in rules.items() if cells.startswith("A2:"))
    assert cells.endswith(str(CONTACT_ROWS + 1))
    assert formats[0][0] == f"AND(ISNUMBER(${due}2),${due}2<TODAY())"
    assert formats[0][1].endswith("FFC7CE")
    # Amber: the one "soon" window of the policy (upcoming_days, 14 by default).
    assert formats[1][0] == f"AND(ISNUMBER(${due}2),${due}2>=TODAY(),${due}2<=TODAY()+14)"
    assert formats[1][1].endswith("FFEB9C")
    # The worked-out columns are shaded on rows in use only, after red and amber.
    shaded = {cells: formats for cells, formats in rules.items() if not cells.startswith("A2:")}
    assert f"{due}2:{due}{CONTACT_ROWS + 1}" in shaded
    assert contacts[f"{due}300"].fill.fgColor.rgb in (None, "00000000")
    priorities = {str(r.sqref): min(rule.priority for rule in r.rules) for r in contacts.conditional_formatting}
    assert priorities[cells] < priorities[f"{due}2:{due}{CONTACT_ROWS + 1}"]


def start_values(workbook: openpyxl.Workbook) -> dict[str, Any]:
    sheet = workbook[spec.START_SHEET]
    return {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(1, 11) if sheet.cell(row, 1).value}


def test_start_here_names_the_student_and_institution(default_book: openpyxl.Workbook) -> None:
    values = start_values(default_book)
    assert values[spec.STUDENT_LABEL] == "Sam Lee"
    assert values[spec.INSTITUTION_LABEL] == "Northfield"
    text = " ".join(str(c.value) for row in default_book[spec.START_SHEET].iter_rows() for c in row if c.value)
    assert "sheetkit report tracker.xlsx" in text
    assert "1 day after each meeting" in text and "14 days after the thank-you" in text
    # The habit (issue 16.13): ask when and how at the end of each meeting, keep it brief, the agreed day.
    assert "ask when and how they would like you to follow up" in text
    assert "Keep every message brief" in text
    assert "the day you will get in touch" in text and "Purpose Meeting" in text
    # One window for "soon", in the same words as the Dashboard and the report.
    assert "amber rows are due in the next 14 days" in text


def test_formulas_are_written_once_per_column_and_read_back_in_full(tmp_path: Path,
                                                                   default_book: openpyxl.Workbook) -> None:
    """Shared formulas: the file holds each column's formula once; every row still has its own, row-shifted."""
    from sheetkit.workbook import build_workbook, workbook_bytes

    built = build_workbook(Config(), student="Sam Lee")
    path = tmp_path / "shared.xlsx"
    path.write_bytes(workbook_bytes(built))
    with zipfile.ZipFile(path) as archive:
        contacts_xml = archive.read("xl/worksheets/sheet2.xml").decode()
    assert contacts_xml.count("<f>") == 0
    assert contacts_xml.count('t="shared" ref="') == len(CONTACT_HELPERS) + 2
    reread = openpyxl.load_workbook(path)
    for sheet in (spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET):
        for row in (2, 3, 117, reread[sheet].max_row):
            expected = [c.value for c in built[sheet][row]]
            assert [c.value for c in reread[sheet][row]] == expected, f"{sheet} row {row}"
    due = column_of(default_book[spec.CONTACTS_SHEET], "Next follow-up due")
    assert "$R300=0" in default_book[spec.CONTACTS_SHEET][f"{due}300"].value


def test_start_here_has_a_dated_offer_field(default_book: openpyxl.Workbook) -> None:
    sheet = default_book[spec.START_SHEET]
    labels = [sheet.cell(row, 1).value for row in range(3, 7)]
    assert labels == [spec.STUDENT_LABEL, spec.INSTITUTION_LABEL, spec.EMAIL_LABEL, spec.OFFER_LABEL]
    assert sheet["B6"].number_format == "yyyy-mm-dd"
    assert validation_for(sheet, "B6").type == "date"


def test_start_here_rows_fit_their_wrapped_text(default_book: openpyxl.Workbook) -> None:
    sheet = default_book[spec.START_SHEET]
    width = sheet.column_dimensions["B"].width
    for row in range(8, sheet.max_row + 1):
        text = sheet.cell(row, 2).value
        if sheet.cell(row, 2).alignment.wrap_text and text:
            # At most one character a unit of width, 15 points a line.
            lines = -(-len(text) // int(width))
            assert sheet.row_dimensions[row].height >= 15 * lines, text


def test_one_font_family_throughout(default_book: openpyxl.Workbook) -> None:
    names = {cell.font.name for sheet in default_book.worksheets for row in sheet.iter_rows(max_row=40)
             for cell in row if cell.value is not None}
    assert names == {"Calibri"}


def test_start_here_values_blank_when_not_given(tmp_path: Path, runner: CliRunner) -> None:
    result = run(runner, "new", tmp_path / "t.xlsx")
    assert result.exit_code == 0, result.output
    values = start_values(openpyxl.load_workbook(tmp_path / "t.xlsx"))
    assert values[spec.STUDENT_LABEL] is None and values[spec.INSTITUTION_LABEL] is None


def test_names_that_look_like_formulas_stay_text(tmp_path: Path, runner: CliRunner) -> None:
    name = '=HYPERLINK("http://example.com","x")'
    result = run(runner, "new", tmp_path / "t.xlsx", "--student", name)
    assert result.exit_code == 0, result.output
    cell = openpyxl.load_workbook(tmp_path / "t.xlsx")[spec.START_SHEET]["B3"]
    assert cell.value == name and cell.data_type == "s"


def test_dashboard_labels_and_formats(default_book: openpyxl.Workbook) -> None:
    sheet = default_book[spec.DASHBOARD_SHEET]
    rows = {row[0].value: row[1] for row in sheet.iter_rows(min_col=1, max_col=2) if row[0].value}
    for figure in DASHBOARD_FIGURES:
        label = figure.label_for(Config().policy)
        assert str(rows[label].value).startswith("="), label
        assert rows[label].number_format == figure.number_format
    assert "TODAY()+14" in rows["Due in the next 14 days"].value
    assert rows["Response rate"].number_format.endswith("%")
    assert "TODAY()" in rows["Overdue now"].value


def test_config_adds_list_values_columns_colours_and_policy(configured: tuple[openpyxl.Workbook, Config]) -> None:
    workbook, config = configured
    lists = workbook[spec.LISTS_SHEET]
    channel_letter = column_of(lists, spec.LIST_TITLES["channel"])
    channels = [lists[f"{channel_letter}{r}"].value for r in range(2, lists.max_row + 1)]
    assert [c for c in channels if c] == list(config.list_values("channel"))
    assert "WhatsApp" in channels
    touchpoints = workbook[spec.TOUCHPOINTS_SHEET]
    dv = validation_for(touchpoints, f"{column_of(touchpoints, 'Channel')}2")
    assert dv.formula1.endswith(f"${len(config.list_values('channel')) + 1}")

    contacts = workbook[spec.CONTACTS_SHEET]
    found = headers(contacts)
    assert found[len(spec.CONTACT_COLUMNS)] == "Graduation year"
    assert not contacts.column_dimensions[column_of(contacts, "Graduation year")].hidden
    assert headers(touchpoints)[len(spec.TOUCHPOINT_COLUMNS)] == "Follow-up idea"
    assert contacts["A1"].fill.fgColor.rgb.endswith("7A0019")

    schedule = contacts[f"{column_of(contacts, f'Schedule due {AUTO_SUFFIX}')}2"].value
    assert '"Job interview",7,10)' in schedule and "60,90)" in schedule
    assert ",14)" not in schedule and "120" not in schedule
    values = start_values(workbook)
    assert values[spec.INSTITUTION_LABEL] == "Northfield University Career Center"
    text = " ".join(str(c.value) for row in workbook[spec.START_SHEET].iter_rows() for c in row if c.value)
    assert "10 days after the thank-you" in text and "every 90 days" in text


def test_business_days_use_workday_and_holidays(tmp_path: Path, runner: CliRunner) -> None:
    config_path = tmp_path / "sheetkit.toml"
    config_path.write_text('[policy]\nbusiness_days = true\nholidays = ["2026-12-25", "2027-01-01"]\n')
    result = run(runner, "new", tmp_path / "t.xlsx", "--config", config_path)
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx")
    contacts = workbook[spec.CONTACTS_SHEET]
    # Intervals in calendar days; the due date moves to the next working day.
    due = contacts[f"{column_of(contacts, 'Next follow-up due')}2"].value
    assert "WORKDAY(SMALL(" in due and "-1,1,Holidays)" in due
    holidays = workbook.defined_names["Holidays"].attr_text
    sheet_name, cells = holidays.split("!")
    assert sheet_name == spec.LISTS_SHEET
    first = cells.split(":")[0].replace("$", "")
    assert workbook[spec.LISTS_SHEET][first].value.date().isoformat() == "2026-12-25"
    assert "moves to the next working day" in " ".join(
        str(c.value) for r in workbook[spec.START_SHEET].iter_rows() for c in r)


# --- writing safely --------------------------------------------------------------------

def test_refuses_to_overwrite_without_force(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(b"precious")
    result = run(runner, "new", path)
    assert result.exit_code == 1, result.output
    assert "--force" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert path.read_bytes() == b"precious"


@pytest.mark.parametrize("name", ["out.csv", "tracker.xls", "tracker"])
def test_refuses_a_name_that_is_not_xlsx(tmp_path: Path, runner: CliRunner, name: str) -> None:
    result = run(runner, "new", tmp_path / name)
    assert result.exit_code == 1, result.output
    stem = name.split(".")[0]
    assert result.stderr.strip() == (f"Error: {tmp_path / name}: a tracker must be an .xlsx file; "
                                     f"name it {stem}.xlsx"), result.output
    assert list(tmp_path.iterdir()) == []


def test_force_replaces(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(b"old")
    result = run(runner, "new", path, "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(path).sheetnames == SHEET_ORDER
    assert result.stdout.strip() == str(path) and result.stderr == ""


def test_stdout_is_the_path_and_the_hint_goes_to_stderr(tmp_path: Path, runner: CliRunner) -> None:
    path = tmp_path / "tracker.xlsx"
    result = run(runner, "new", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}\n"
    assert "sheetkit report" in result.stderr


@pytest.mark.parametrize("args", [
    [],
    ["--out-dir", "x"],
    ["--roster", "{roster}"],
    ["{out}", "--roster", "{roster}", "--out-dir", "x"],
    ["--roster", "{roster}", "--out-dir", "x", "--student", "Sam"],
])
def test_usage_errors_exit_2(tmp_path: Path, runner: CliRunner, args: list[str]) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("Name\nSam Lee\n")
    filled = [a.format(roster=roster, out=tmp_path / "t.xlsx") for a in args]
    result = run(runner, "new", *filled)
    assert result.exit_code == 2, result.output
    assert list(tmp_path.iterdir()) == [roster]


def test_every_command_has_help(runner: CliRunner) -> None:
    for name, command in cli.commands.items():
        result = run(runner, name, "--help")
        assert result.exit_code == 0, result.output
        assert command.help and command.help.strip().splitlines()[0].endswith("."), name
        assert "Example:" in result.stdout and "sheetkit " in result.stdout.split("Example:")[1], name


# --- rosters ---------------------------------------------------------------------------

def write_roster(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_roster_writes_one_personalised_workbook_each(tmp_path: Path, runner: CliRunner) -> None:
    roster = write_roster(tmp_path / "class.csv",
                          "Student name,Email\nSam Lee,sam@example.edu\nZoë Álvarez,\nSam Lee,sam2@example.edu\n"
                          "李小龍,li@example.edu\n")
    out = tmp_path / "trackers"
    result = run(runner, "new", "--roster", roster, "--out-dir", out, "--institution", "Northfield")
    assert result.exit_code == 0, result.output
    names = ["sam-lee.xlsx", "zoe-alvarez.xlsx", "sam-lee-2.xlsx", "李小龍.xlsx"]
    assert result.stdout.splitlines() == [str(out / n) for n in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert "[4/4]" in result.stderr
    values = start_values(openpyxl.load_workbook(out / "sam-lee-2.xlsx"))
    assert values[spec.STUDENT_LABEL] == "Sam Lee"
    assert values[spec.INSTITUTION_LABEL] == "Northfield"
    assert values["Email"] == "sam2@example.edu"
    assert start_values(openpyxl.load_workbook(out / "zoe-alvarez.xlsx"))[spec.STUDENT_LABEL] == "Zoë Álvarez"


@pytest.mark.parametrize("header", ["Name", "STUDENT", "student name", "Full Name"])
def test_roster_name_headers(tmp_path: Path, header: str) -> None:
    roster = write_roster(tmp_path / "r.csv", f"Id,{header}\n7,Ana Ruiz\n")
    assert [s.name for s in read_roster(roster)] == ["Ana Ruiz"]


def test_roster_first_and_last_name_columns_semicolons_and_windows_encoding(tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "r.csv", "First name;Last name;E-mail\nJosé;Núñez;jn@example.edu\n\n;;\n",
                          encoding="cp1252")
    (student,) = read_roster(roster)
    assert (student.row, student.name, student.email, student.file_name) == (
        2, "José Núñez", "jn@example.edu", "jose-nunez.xlsx")


@pytest.mark.parametrize(("text", "fragment"), [
    ("Name,Email\nSam Lee,sam@x.edu\n,blank@x.edu\n", "row 3: the student's name is blank"),
    ("Name,Email\nSam Lee,not-an-address\n", "row 2: 'not-an-address' is not an email address"),
    ("Name,Email\nLee, Sam,sam@x.edu\n", "row 2 has 3 cells but the header has 2"),
    ("Email,Phone\nsam@x.edu,1\n", "no column of student names"),
    ("Name\n\n", "no students below the header row"),
    ("", "the roster is empty"),
])
def test_bad_roster_is_one_line_naming_file_and_row(tmp_path: Path, runner: CliRunner, text: str,
                                                     fragment: str) -> None:
    roster = write_roster(tmp_path / "class.csv", text)
    out = tmp_path / "out"
    result = run(runner, "new", "--roster", roster, "--out-dir", out)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(roster) in lines[0] and fragment in lines[0], result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_roster_refuses_existing_files_before_writing_any(tmp_path: Path, runner: CliRunner) -> None:
    roster = write_roster(tmp_path / "class.csv", "Name\nAna Ruiz\nSam Lee\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sam-lee.xlsx").write_bytes(b"kept")
    result = run(runner, "new", "--roster", roster, "--out-dir", out)
    assert result.exit_code == 1 and "--force" in result.stderr, result.output
    assert sorted(p.name for p in out.iterdir()) == ["sam-lee.xlsx"]
    assert (out / "sam-lee.xlsx").read_bytes() == b"kept"
    result = run(runner, "new", "--roster", roster, "--out-dir", out, "--force", "-q")
    assert result.exit_code == 0 and result.stderr == "", result.output
    assert openpyxl.load_workbook(out / "sam-lee.xlsx").sheetnames == SHEET_ORDER


@pytest.mark.parametrize(("name", "stem"), [
    ("Sam Lee", "sam-lee"),
    ("  Zoë   O'Brien-Álvarez ", "zoe-o-brien-alvarez"),
    ("Søren Kierkegaard", "soren-kierkegaard"),
    ("Straße", "strasse"),
    ("../../etc/passwd", "etc-passwd"),
    ("C:\\Users\\Public", "c-users-public"),
    ("Con", "con-student"),
    ("lpt1", "lpt1-student"),
    ("...", "student"),
    ("Ελένη Παπαδοπούλου", "ελένη-παπαδοπούλου"),
    ("x" * 200, "x" * 60),
])
def test_safe_file_stems(name: str, stem: str) -> None:
    assert safe_file_stem(name) == stem
    assert "/" not in stem and "\\" not in stem


def test_unique_file_names_ignore_case_and_avoid_clashing_with_numbered_names() -> None:
    assert unique_file_names(["Sam Lee", "SAM LEE", "Sam Lee 2", "sam-lee"]) == [
        "sam-lee.xlsx", "sam-lee-2.xlsx", "sam-lee-2-2.xlsx", "sam-lee-3.xlsx"]


def test_template_copies_match_a_direct_build(tmp_path: Path) -> None:
    template = TrackerTemplate.build(Config(), institution="A & B <College>")
    path = tmp_path / "copy.xlsx"
    path.write_bytes(template.render("Sam <Lee> & Co", ""))
    copy = openpyxl.load_workbook(path)
    values = start_values(copy)
    assert values[spec.STUDENT_LABEL] == "Sam <Lee> & Co"
    assert values[spec.INSTITUTION_LABEL] == "A & B <College>"
    assert values["Email"] in (None, "")
    direct = build_workbook(Config(), student="Sam <Lee> & Co", institution="A & B <College>")
    assert copy.sheetnames == direct.sheetnames
    for name in (spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET, spec.DASHBOARD_SHEET):
        assert headers(copy[name]) == headers(direct[name])
        assert copy[name]["N2"].value == direct[name]["N2"].value
