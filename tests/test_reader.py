"""Reading what people actually hand back: loose headers, odd dates, text that stays text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from builders import CONTACT_HEADERS, contact, touch, write_tracker
from sheetkit.config import Config, Reading
from sheetkit.errors import UnreadableWorkbook
from sheetkit.reading import read_tracker
from sheetkit.reading.dates import parse_date_cell
from sheetkit.report import build_report

D = dt.date


def test_reordered_renamed_columns_and_title_rows(tmp_path: Path) -> None:
    headers = ["Notes", "Met on", "Company", "Contact name", "Referred by"]
    rename = {"Date met": "Met on", "Organization": "Company", "Name": "Contact name"}
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann Lee", date_met=D(2026, 11, 1), organization="Acme", notes="coffee")],
        [touch(D(2026, 11, 2), "ann lee", purpose="Thank-you")],
        contact_headers=["Notes", "Date met", "Organization", "Name", "Referred by"],
        rename=rename,
        title_rows=["My networking log", ""],
    )
    tracker = read_tracker(path)
    row = tracker.contacts.iloc[0]
    assert (row["name"], row["organization"], row["notes"], row["date_met"].date()) == ("Ann Lee", "Acme", "coffee",
                                                                                        D(2026, 11, 1))
    assert row["row"] == 4
    assert tracker.touchpoints.iloc[0]["contact_key"] == "ann lee"
    missing = {p.message.split("'")[1] for p in tracker.problems if p.message.startswith("no '")}
    assert "Thank-you sent" in missing and "Status" in missing
    assert headers  # the sheet really used the renamed headers
    assert all(p.severity == "warning" for p in tracker.problems)


@pytest.mark.parametrize(
    ("typed", "day_first", "expected"),
    [
        ("2026-11-10", False, D(2026, 11, 10)),
        ("11/10/2026", False, D(2026, 11, 10)),
        ("11/10/2026", True, D(2026, 10, 11)),
        ("25/12/2026", False, D(2026, 12, 25)),
        ("10 November 2026", False, D(2026, 11, 10)),
        ("10-Nov-2026", False, D(2026, 11, 10)),
        ("Nov 10, 2026", False, D(2026, 11, 10)),
        (46336.0, False, D(2026, 11, 10)),
        (dt.datetime(2026, 11, 10, 14, 30), False, D(2026, 11, 10)),
    ],
)
def test_date_forms(typed: object, day_first: bool, expected: dt.date) -> None:
    assert parse_date_cell(typed, day_first=day_first).value == expected


@pytest.mark.parametrize("typed", ["#REF!", "#N/A", "next Tuesday", "2026-02-30", 60, 1.0, "1899-01-01", True])
def test_bad_dates_are_problems(typed: object) -> None:
    result = parse_date_cell(typed)
    assert result.value is None and result.problem


def test_1904_serials() -> None:
    assert parse_date_cell(44874.0, date1904=True).value == D(2026, 11, 10)


def test_bad_date_cell_is_reported_with_its_address(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann", date_met="sometime in May")])
    report = build_report(path, Config(), D(2026, 11, 22)).to_json()
    [problem] = [p for p in report["problems"] if p["severity"] == "error"]
    assert (problem["sheet"], problem["cell"]) == ("Contacts", "K2")
    assert "sometime in May" in problem["message"] and "YYYY-MM-DD" in problem["message"]
    assert report["followups"] == []


def test_text_stays_text(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("NA", phone="0123 456", notes="None", organization="null")])
    row = read_tracker(path).contacts.iloc[0]
    assert (row["name"], row["phone"], row["notes"], row["organization"]) == ("NA", "0123 456", "None", "null")


def test_blank_and_formula_only_rows_are_not_contacts(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_tracker(path, [contact("Ann", date_met=D(2026, 11, 1))])
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Contacts"]
    for row in range(3, 40):
        sheet.cell(row=row, column=14, value=f'=IF(A{row}="","",1)')
        sheet.cell(row=row, column=10).number_format = "yyyy-mm-dd"
    sheet.cell(row=5, column=2, value="   ")
    workbook.save(path)
    tracker = read_tracker(path)
    assert list(tracker.contacts["name"]) == ["Ann"]
    assert not tracker.errors


def test_row_with_details_but_no_name_is_an_error(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann"), {"Organization": "Orphan Inc"}])
    tracker = read_tracker(path)
    [error] = tracker.errors
    assert (error.sheet, error.cell) == ("Contacts", "A3")


def test_unknown_name_suggests_the_closest(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Alice Ng")], [touch(D(2026, 11, 1), "Alic Ng")])
    [warning] = read_tracker(path).problems
    assert warning.cell == "B2" and "did you mean 'Alice Ng'" in warning.message


def test_loose_sheet_names_and_value_aliases(tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "t.xlsx",
        [contact("Ann", date_met=D(2026, 11, 1))],
        [touch(D(2026, 11, 2), "Ann", direction="out", purpose="thank you", channel="e-mail", got_reply="y")],
        sheet_names=("contact list", "Interactions"),
    )
    tracker = read_tracker(path)
    row = tracker.touchpoints.iloc[0]
    assert (row["direction"], row["purpose"], row["channel"], row["got_reply"]) == ("Sent", "Thank-you", "Email", "Yes")
    assert not tracker.problems


def test_no_contacts_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = tmp_path / "budget.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Budget"
    workbook.create_sheet("Q3")
    workbook.save(path)
    with pytest.raises(UnreadableWorkbook, match=r"budget\.xlsx: no Contacts sheet.*'Budget', 'Q3'"):
        read_tracker(path)


def test_missing_touchpoints_sheet_is_an_error_but_contacts_still_read(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Contacts"
    sheet.append(CONTACT_HEADERS)
    sheet.append(["Ann"])
    workbook.save(path)
    tracker = read_tracker(path)
    assert len(tracker.contacts) == 1
    assert [p.sheet for p in tracker.errors] == ["Touchpoints"]
    assert "'Contacts'" in tracker.errors[0].message


def test_unknown_dropdown_value_is_kept_and_warned(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann")],
                         [touch(D(2026, 11, 2), "Ann", channel="Carrier pigeon"),
                          touch(D(2026, 11, 3), "Ann", channel="Carrier pigeon")])
    tracker = read_tracker(path)
    assert list(tracker.touchpoints["channel"]) == ["Carrier pigeon"] * 2
    [warning] = tracker.problems
    assert warning.cell == "C2" and "2 rows" in warning.message


def test_extra_config_list_values_are_understood(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann")], [touch(D(2026, 11, 2), "Ann", channel="WhatsApp")])
    config = Config(extra_list_values={"channel": ("WhatsApp",)})
    assert not read_tracker(path, config).problems


def test_statistics_on_a_hand_computed_tracker(tmp_path: Path) -> None:
    contacts = [
        contact("Ann", date_met=D(2026, 10, 1), how_met="Networking event"),
        contact("Bo", date_met=D(2026, 10, 5), how_met="Informational interview"),
        contact("Cy", date_met=D(2026, 10, 9), how_met="Informational interview", referred_by="Bo"),
    ]
    touches = [
        touch(D(2026, 10, 2), "Ann", purpose="Thank-you", channel="Email", got_reply="Yes", reply_date=D(2026, 10, 4)),
        touch(D(2026, 10, 8), "Bo", purpose="Thank-you", channel="Handwritten card"),
        touch(D(2026, 10, 20), "Bo", purpose="Follow-up", channel="Email"),
        touch(D(2026, 10, 26), "Bo", direction="Received", channel="Email"),
        touch(D(2026, 11, 1), "Ann", purpose="Follow-up", channel="LinkedIn"),
    ]
    stats = build_report(write_tracker(tmp_path / "t.xlsx", contacts, touches), Config(), D(2026, 11, 22)).stats
    assert (stats["contacts"], stats["meetings"], stats["sent"], stats["received"], stats["replied"]) == (3, 3, 4, 1, 2)
    assert stats["response_rate"] == 0.5
    assert stats["response_rate_by_channel"]["Email"] == {"sent": 2, "replied": 2, "rate": 1.0}
    assert stats["response_rate_by_channel"]["LinkedIn"] == {"sent": 1, "replied": 0, "rate": 0.0}
    assert stats["response_rate_by_how_met"]["Informational interview"] == {"sent": 2, "replied": 1, "rate": 0.5}
    assert stats["median_days_to_reply"] == 4.0  # 2 days (Ann) and 6 days (Bo)
    assert stats["thank_you_rate"] == 0.667 and stats["thank_you_within_1_day_rate"] == 0.333
    assert stats["referrals"] == 1 and stats["referral_tree"] == {"Bo": ["Cy"]}
    assert [w["week"] for w in stats["weekly_activity"]][:2] == ["2026-09-28", "2026-10-05"]
    assert sum(w["sent"] for w in stats["weekly_activity"]) == 4


def test_size_cap_is_configurable(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Ann")])
    assert len(read_tracker(path, Config(reading=Reading(max_uncompressed_mb=1))).contacts) == 1


def test_close_name_hint_agrees_with_difflib() -> None:
    """RapidFuzz's ratio is difflib's: the hints are the ones difflib gives, case aside."""
    import difflib

    from sheetkit.reading.names import NameHints

    names = ["Alice Ng", "Alicia Ng", "Bob Li", "Zoë Müller", "Ørjan Ås", "李小龙", "Ann", "Anne-Marie O'Neil"]
    words = ["Alic Ng", "Bobby Li", "Zoe Muller", "Orjan As", "李小", "Anne", "Marie", "xyz", "Ana"]
    expected = [next(iter(difflib.get_close_matches(word, names, n=1, cutoff=0.6)), None) for word in words]
    assert NameHints(names).closest(words) == expected
    assert NameHints(names).closest(["ALIC NG"]) == ["Alice Ng"]  # difflib would need the case right


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("  Aoife\u00a0O\u2019BRIEN ", "aoife o'brien"),  # no-break space, typographic apostrophe, case
        ("Ren\u0065\u0301\u200b Roy", "ren\u00e9 roy"),  # decomposed é, zero-width space
        ("\u201cBo\u201d\tLi", '"bo" li'),  # typographic quotes, a tab
        ("\ufb01fi", "fifi"),  # the ligature ﬁ is two letters
    ],
)
def test_fold_name(typed: str, folded: str) -> None:
    from sheetkit.reading.names import fold_name

    assert fold_name(typed) == folded


def test_a_hint_that_would_look_identical_names_the_hidden_character() -> None:
    from sheetkit.reading.names import NameHints

    [message] = NameHints(["Ann Lee"]).messages(["Ann\ue000 Lee"])
    assert message == ("'Ann\ue000 Lee' looks like 'Ann Lee' but contains an invisible character (U+E000); "
                       "retype the name or pick it from the list")
