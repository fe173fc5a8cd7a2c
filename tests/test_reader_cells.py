"""Cells as the reader takes them: each distinct value understood once, problems at every cell.

These tests pin the cases where that could go wrong: blank rows made of 0,
FALSE or spaces, the same bad value in many rows, TRUE standing next to 1
(equal as dict keys), unknown and oddly spaced names, error cells, damaged
cells, and a random sheet against a plain cell-by-cell reading written here.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from builders import CONTACT_HEADERS, TOUCHPOINT_HEADERS, contact, touch, write_tracker
from sheetkit.config import Config, Reading
from sheetkit.errors import UnreadableWorkbook
from sheetkit.model import Tracker
from sheetkit.reading import read_tracker
from sheetkit.reading.dates import parse_date_cell
from sheetkit.spec import CONTACT_COLUMNS, LISTS, TOUCHPOINT_COLUMNS

D = dt.date


def _problems(tracker: Tracker) -> list[tuple[str, str, str, str]]:
    return [(p.severity, p.sheet, p.cell, p.message) for p in tracker.problems]


# --------------------------------------------------------------------------- blank rows


#: Markers written by openpyxl, then turned into text of spaces (kept with xml:space="preserve").
SPACES = {"@SPACES@": "   ", "@TAB@": " \t ", "@NEWLINE@": "\n"}


def _with_spaces(path: Path) -> Path:
    """The workbook with each marker cell holding only whitespace, as typed in Excel."""
    spaced = path.with_name("spaced-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(spaced, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            for marker, spaces in SPACES.items():
                data = data.replace(f"<t>{marker}</t>".encode(), f'<t xml:space="preserve">{spaces}</t>'.encode())
            target.writestr(info.filename, data)
    return spaced


def test_rows_holding_only_zero_false_or_spaces(tmp_path: Path) -> None:
    path = _with_spaces(write_tracker(
        tmp_path / "t.xlsx",
        [
            contact("Ann"),
            {"Organization": 0},  # row 3: 0 is something: an error, the row has details but no name
            {"Title": "@SPACES@", "Date met": "@TAB@"},  # row 4: spaces only: a blank row
            {"Notes": False},  # row 5: FALSE is something
            {"Phone": 0.0, "Notes": "@TAB@"},  # row 6: 0.0 is something
            {"Name": "@SPACES@", "Industry": "@NEWLINE@", "Status": "@SPACES@"},  # row 7: blank
            contact("Bob", organization=0, notes=False, title="@SPACES@"),  # row 8
            {"Name": "@TAB@", "Email": "x@example.org"},  # row 9: details, and a name of spaces
        ],
        [
            touch(D(2026, 11, 2), "Ann"),
            {"Notes": "@SPACES@", "Date": "@NEWLINE@"},  # row 3: blank
            {"Notes": False},  # row 4: no date, no contact
            {"Got reply": 0},  # row 5
            touch(D(2026, 11, 3), "Bob"),  # row 6
        ],
    ))
    tracker = read_tracker(path)
    assert tracker.contacts["row"].tolist() == [2, 8]
    assert tracker.contacts["organization"].tolist() == [None, "0"]
    assert tracker.contacts["notes"].tolist() == [None, "FALSE"]
    assert tracker.contacts["title"].tolist() == [None, None]
    nameless = [p.cell for p in tracker.problems if "no name" in p.message]
    assert nameless == ["A3", "A5", "A6", "A9"]
    assert tracker.touchpoints["row"].tolist() == [2, 4, 5, 6]
    errors = [(p.cell, p.message.split(";")[0]) for p in tracker.errors if p.sheet == "Touchpoints"]
    assert errors == [
        ("B4", "this touchpoint has no contact"),
        ("A4", "this touchpoint has no date, so it is left out of the follow-ups"),
        ("B5", "this touchpoint has no contact"),
        ("A5", "this touchpoint has no date, so it is left out of the follow-ups"),
    ]
    assert tracker.touchpoints["got_reply"].tolist() == [None, None, "No", None]


def test_formula_only_and_trailing_blank_rows_are_dropped_in_a_big_sheet(tmp_path: Path) -> None:
    contacts = [contact(f"Person {i}", date_met=D(2026, 1, 1) + dt.timedelta(days=i % 300)) for i in range(300)]
    path = write_tracker(tmp_path / "t.xlsx", contacts)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    for row in range(2, 700):
        sheet.cell(row=row, column=14, value=f'=IF(A{row}="","",1)')
    sheet["A150"].value = None  # a gap inside the data: the row keeps its details, loses its name
    sheet.cell(row=699, column=2, value="   ")
    workbook.save(path)
    tracker = read_tracker(path)
    assert len(tracker.contacts) == 299
    assert tracker.contacts["row"].tolist() == [r for r in range(2, 302) if r != 150]
    assert [p.cell for p in tracker.errors] == ["A150"]


# --------------------------------------------------------------------------- the same value in many rows


def test_a_bad_date_in_many_rows_is_reported_at_each_cell(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact(f"P{i}", date_met="sometime", thank_you_sent="sometime" if i % 2 else D(2026, 11, 2))
         for i in range(5)],
    )
    tracker = read_tracker(path)
    cells = [(p.cell, p.message) for p in tracker.errors]
    bad = "'sometime' is not a date sheetkit understands; type it as YYYY-MM-DD, e.g. 2026-11-10"
    # Column by column (Date met is K, Thank-you sent L), row by row within each.
    assert cells == [(f"K{r}", f"Date met: {bad}") for r in range(2, 7)] + [
        (f"L{r}", f"Thank-you sent: {bad}") for r in (3, 5)
    ]
    assert tracker.contacts["thank_you_sent"].isna().tolist() == [False, True, False, True, False]


def test_sixty_bad_touchpoint_dates_are_each_reported_once(tmp_path: Path) -> None:
    """Past 50 problems, every bad cell used to be reported twice (once as "no date")."""
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann")], [touch("soon", "Ann") for _ in range(60)])
    tracker = read_tracker(path)
    cells = [p.cell for p in tracker.errors]
    assert cells == [f"A{row}" for row in range(2, 62)]
    assert all("'soon' is not a date" in p.message for p in tracker.errors)


@pytest.mark.parametrize("order", [(True, 1, 1.0, False, 0), (1, True, 0, False, 0.0)])
def test_true_and_1_are_told_apart_in_text_and_date_columns(tmp_path: Path, order: tuple[Any, ...]) -> None:
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact(f"P{i}", phone=value, date_met=value) for i, value in enumerate(order)],
    )
    tracker = read_tracker(path)
    shown = {True: "TRUE", False: "FALSE"}
    expected = [shown[v] if isinstance(v, bool) else str(int(v)) for v in order]
    assert tracker.contacts["phone"].tolist() == expected
    messages = [p.message for p in tracker.errors]
    assert messages == [f"Date met: {parse_date_cell(v).problem}" for v in order]
    assert len(set(messages)) == 4  # TRUE, FALSE, 1 and 0 each say what they are


def test_choice_column_with_1_and_true_keeps_each_as_typed(tmp_path: Path) -> None:
    # 1 and TRUE are one dict key to Python; each is understood as what it is, and neither is a channel.
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann")],
        [touch(True, "Ann", channel=1, notes=True), touch(D(2026, 11, 2), "Ann", channel=True, notes=1)],
    )
    tracker = read_tracker(path)
    assert tracker.touchpoints["channel"].tolist() == ["1", "TRUE"]
    assert tracker.touchpoints["notes"].tolist() == ["TRUE", "1"]
    warnings = [(p.cell, p.message.split(";")[0]) for p in tracker.problems if "Channel choices" in p.message]
    assert warnings == [("C2", "'1' is not one of the Channel choices"), ("C3", "'TRUE' is not one of the Channel choices")]
    assert tracker.problems[0].message == "Date: holds TRUE, not a date; type the date, e.g. 2026-11-10"


def test_unknown_dropdown_values_counted_per_value_at_their_first_row(tmp_path: Path) -> None:
    # Case aside, 'whatsapp' is 'WhatsApp': one value, as names and choices are compared everywhere.
    channels = ["WhatsApp", "Email", "Signal", "whatsapp", "WhatsApp"]
    touches = [touch(D(2026, 11, day), "Ann", channel=c) for day, c in enumerate(channels, 1)]
    tracker = read_tracker(write_tracker(tmp_path / "t.xlsx", [contact("Ann")], touches))
    warnings = [(p.cell, p.message[:45]) for p in tracker.problems]
    assert warnings == [
        ("C2", "'WhatsApp' is not one of the Channel choices "),
        ("C4", "'Signal' is not one of the Channel choices; i"),
    ]
    assert "(in 3 rows, first here)" in tracker.problems[0].message


# --------------------------------------------------------------------------- names


def test_unknown_names_each_row_warned_spacing_and_case_ignored(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Alice Ng"), contact("Bob  Li "), contact("alice ng"), contact("Zoë\u00a0Müller")],
        [
            touch(D(2026, 11, 1), " ALICE   NG"),
            touch(D(2026, 11, 2), "Alic Ng"),
            touch(D(2026, 11, 3), "bob li"),
            touch(D(2026, 11, 4), "Alic Ng"),
            touch(D(2026, 11, 5), "zoë müller"),
            touch(D(2026, 11, 6), "alic\tng"),
            touch(D(2026, 11, 7), "Nobody"),
        ],
    )
    tracker = read_tracker(path)
    assert tracker.contacts["key"].tolist() == ["alice ng", "bob li", "alice ng", "zoë müller"]
    assert tracker.touchpoints["contact_key"].tolist() == ["alice ng", None, "bob li", None, "zoë müller", None, None]
    duplicate = [p for p in tracker.problems if "already in row 2" in p.message]
    assert [p.cell for p in duplicate] == ["A4"]
    unknown = [(p.cell, p.message.split(";")[1].strip()) for p in tracker.problems if "not a name" in p.message]
    assert unknown == [
        ("B3", "did you mean 'Alice Ng'? fix the spelling or add the contact"),
        ("B5", "did you mean 'Alice Ng'? fix the spelling or add the contact"),
        ("B7", "did you mean 'Alice Ng'? fix the spelling or add the contact"),
        ("B8", "fix the spelling or add the contact"),
    ]


# --------------------------------------------------------------------------- error cells and tables


def test_error_cells_are_reported_once_and_read_as_blank(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann", title="#N/A")],
        [touch("#REF!", "Ann"), touch(D(2026, 11, 2), "Ann", notes="#DIV/0!")],
    )
    tracker = read_tracker(path)
    assert _problems(tracker) == [
        ("warning", "Contacts", "C2",
         "Title holds the spreadsheet error #N/A and is read as blank; fix the formula or type the value"),
        ("error", "Touchpoints", "A2",
         "Date: holds the spreadsheet error #REF!; fix the formula or type the date itself"),
        ("warning", "Touchpoints", "I3",
         "Notes holds the spreadsheet error #DIV/0! and is read as blank; fix the formula or type the value"),
    ]
    assert tracker.contacts["title"].tolist() == [None]
    assert tracker.touchpoints["date"].isna().tolist() == [True, False]


def test_columns_dtypes_and_index(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann", date_met=D(2026, 11, 1), status="done"), contact("Bob", referred_by="ann")],
        [touch(D(2026, 11, 2), "Ann", direction=None), touch("2026-11-03", "Bob", direction="in")],
    )
    tracker = read_tracker(path)
    contacts, touchpoints = tracker.contacts, tracker.touchpoints
    typed = [c.key for c in CONTACT_COLUMNS if c.kind != "formula"]
    assert list(contacts.columns) == ["row", *typed, "key", "referred_by_key"]
    assert list(touchpoints.columns) == ["row", *[c.key for c in TOUCHPOINT_COLUMNS], "contact_key"]
    for frame, columns in ((contacts, CONTACT_COLUMNS), (touchpoints, TOUCHPOINT_COLUMNS)):
        assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
        assert frame["row"].dtype == "int64"
        for column in columns:
            if column.kind != "formula":
                assert frame[column.key].dtype == ("datetime64[ns]" if column.kind == "date" else object)
    assert contacts["status"].tolist() == ["Closed", "Active"]
    assert contacts["referred_by_key"].tolist() == [None, "ann"]
    assert touchpoints["direction"].tolist() == ["Sent", "Received"]
    assert touchpoints["date"].tolist() == [pd.Timestamp("2026-11-02"), pd.Timestamp("2026-11-03")]
    assert [p.message[:35] for p in tracker.problems] == ["Direction is blank in 1 row (first "]


def test_a_sheet_without_data_rows_keeps_the_old_shape(tmp_path: Path) -> None:
    tracker = read_tracker(write_tracker(tmp_path / "t.xlsx", []))
    assert tracker.contacts.empty and tracker.touchpoints.empty
    # pandas types an empty "row" column as it types []: unchanged from the cell-by-cell reader.
    assert tracker.contacts["row"].dtype == pd.DataFrame({"row": []})["row"].dtype
    assert tracker.contacts["date_met"].dtype == "datetime64[ns]" and tracker.contacts["name"].dtype == object


# --------------------------------------------------------------------------- against a cell-by-cell reading


def _random_tracker(path: Path, seed: int) -> Path:
    """Every kind of cell python-calamine gives, in every kind of column, blank rows between."""
    rng = random.Random(seed)
    names = ["Ann Lee", "Bob Stone", "ann  lee", " Carla Diaz ", "Zoë Müller"]
    odd: list[Any] = [None, "", " ", "\t", 0, 0.0, False, True, 1, 1.0, 2.5, 46336, 46336.0, 60, -3,
                      D(2026, 11, 10), dt.datetime(2026, 11, 10, 9, 30), D(1970, 1, 1), dt.time(9, 30),
                      "2026-11-10", "11/10/2026", "10 Nov 2026", "2026-02-30", "sometime", "None", "  padded  ", *SPACES]

    def cell(kind: str, choices: str | None) -> Any:
        if rng.random() < 0.4:
            return rng.choice(odd)
        if kind == "date":
            return D(2026, rng.randint(1, 12), rng.randint(1, 28))
        if kind == "choice" and choices:
            return rng.choice([*LISTS[choices], "weird", "OUT", "e-mail"])
        return rng.choice(names) if kind == "contact" or rng.random() < 0.3 else f"text {rng.randint(0, 9)}"

    workbook = openpyxl.Workbook()
    for sheet, columns in ((workbook.active, CONTACT_COLUMNS), (workbook.create_sheet(), TOUCHPOINT_COLUMNS)):
        sheet.title = "Contacts" if columns is CONTACT_COLUMNS else "Touchpoints"
        sheet.append([c.header for c in columns])
        for _ in range(120):
            if rng.random() < 0.1:
                sheet.append([rng.choice([None, "", *SPACES]) for _ in columns])
            else:
                sheet.append([None if c.kind == "formula" else cell(c.kind, c.choices) for c in columns])
    workbook.save(path)
    return _with_spaces(path)


def _text(value: Any) -> str | None:
    """What a person sees in one cell of a text column: the text as typed (None when blank), a whole
    number without '.0', TRUE/FALSE, a date as YYYY-MM-DD."""
    if value is None or (type(value) is str and not value.strip()):
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("seed", range(6))
def test_cells_match_a_cell_by_cell_reading(tmp_path: Path, seed: int) -> None:
    path = _random_tracker(tmp_path / "t.xlsx", seed)
    tracker = read_tracker(path)
    workbook = CalamineWorkbook.from_path(str(path))
    for sheet, columns, frame in (("Contacts", CONTACT_COLUMNS, tracker.contacts),
                                  ("Touchpoints", TOUCHPOINT_COLUMNS, tracker.touchpoints)):
        grid = workbook.get_sheet_by_name(sheet).to_python()
        typed = [(index, c) for index, c in enumerate(columns) if c.kind != "formula"]
        # A row is data when a typed-in cell holds something (0 and FALSE do, spaces do not) ...
        filled = [r for r in range(1, len(grid)) if any(_text(grid[r][i]) is not None for i, _ in typed)]
        # ... and a contact needs a name besides (the others are errors, after the date problems).
        kept = [r for r in filled if sheet == "Touchpoints" or _text(grid[r][0]) is not None]
        assert frame["row"].tolist() == [r + 1 for r in kept]
        expected_problems = []
        for index, column in typed:
            if column.kind == "date":
                results = [parse_date_cell(grid[r][index]) for r in filled]
                expected_problems += [f"{column.header}: {r.problem}" for r in results if r.problem]
                got = [None if pd.isna(v) else v.date() for v in frame[column.key]]
                assert got == [parse_date_cell(grid[r][index]).value for r in kept], column.key
            elif column.kind in ("text", "contact"):
                assert frame[column.key].tolist() == [_text(grid[r][index]) for r in kept], column.key
        date_problems = [p.message for p in tracker.problems
                         if p.sheet == sheet and p.severity == "error" and p.message.split(":")[0] in
                         {c.header for c in columns if c.kind == "date"} and "spreadsheet error" not in p.message]
        assert date_problems == expected_problems


def _sample(tmp_path: Path) -> Path:
    return write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann", date_met=D(2026, 11, 1)), contact("Bob", date_met="x")],
        [touch(D(2026, 11, 2), "Ann"), touch("y", "Bobby"), touch(D(2026, 11, 3), "Bob", direction=None)],
        student=" Jo ",
    )


def test_the_sample_problems_in_reading_order(tmp_path: Path) -> None:
    tracker = read_tracker(_sample(tmp_path))
    assert tracker.student == "Jo"
    assert [p.cell for p in tracker.problems] == ["K3", "A3", "B3", "D4"]


def _damage(path: Path, part: str, cell: bytes) -> Path:
    damaged = path.with_name(f"damaged-{part.rsplit('/', 1)[-1]}.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = re.sub(rb'<c r="A2"[^>]*?(/>|>.*?</c>)', cell, data, count=1)
            target.writestr(info.filename, data)
    return damaged


@pytest.mark.parametrize("sheet", ["sheet2", "sheet3"])  # Contacts, Touchpoints (Start Here is sheet1)
def test_damaged_cells_are_one_line(tmp_path: Path, sheet: str) -> None:
    path = _damage(_sample(tmp_path), f"xl/worksheets/{sheet}.xml", b'<c r="A2" t="n"><v>abc</v></c>')
    with pytest.raises(UnreadableWorkbook) as raised:
        read_tracker(path)
    assert str(raised.value) == (f"{path}: is damaged or incomplete (Parse float error: invalid float literal); "
                                 "open it in Excel or LibreOffice and save a new copy")


def test_both_sheets_damaged_reports_contacts_first(tmp_path: Path) -> None:
    path = _damage(_sample(tmp_path), "xl/worksheets/sheet3.xml", b'<c r="A2" t="s"><v>999</v></c>')
    path = _damage(path, "xl/worksheets/sheet2.xml", b'<c r="A2" t="n"><v>abc</v></c>')
    with pytest.raises(UnreadableWorkbook, match="Parse float error"):
        read_tracker(path)


def test_headers_as_the_builder_writes_them() -> None:
    # The random trackers above rely on the builder's header order being the spec's.
    assert CONTACT_HEADERS == [c.header for c in CONTACT_COLUMNS]
    assert TOUCHPOINT_HEADERS == [c.header for c in TOUCHPOINT_COLUMNS]


def test_day_first_goes_through_the_distinct_values(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact(f"P{i}", date_met="03/04/2026") for i in range(3)])
    assert read_tracker(path).contacts["date_met"].tolist() == [pd.Timestamp("2026-03-04")] * 3
    day_first = read_tracker(path, Config(reading=Reading(day_first=True)))
    assert day_first.contacts["date_met"].tolist() == [pd.Timestamp("2026-04-03")] * 3


def test_start_here_gives_student_institution_email_and_offer(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann")], student="Jo Park")
    workbook = openpyxl.load_workbook(path)
    start = workbook["Start Here"]
    start.append(["Institution", "Northfield"])
    start.append(["Email", " jo@example.edu "])
    start.append(["Offer accepted on", "2026-12-01"])
    workbook.save(path)
    tracker = read_tracker(path)
    assert (tracker.student, tracker.institution, tracker.email, tracker.offer_accepted_on) == (
        "Jo Park", "Northfield", "jo@example.edu", D(2026, 12, 1))
