"""The workbook's live formulas, computed by real LibreOffice, agree with the follow-up rules.

One LibreOffice launch recalculates two workbooks built by sheetkit and filled
in code: one on the default (calendar-day) policy with dates relative to
today, because the formulas use TODAY(), and one on a business-day policy
with holidays and fixed dates. Expected dates are worked out by hand below.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from libreoffice import recalculate_all
from sheetkit import spec
from sheetkit.config import Config, Policy
from sheetkit.workbook import DASHBOARD_FIGURES, build_workbook

pytestmark = pytest.mark.libreoffice

TODAY = dt.date.today()


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


@dataclass
class Person:
    """A contact, its touchpoints, and the Next follow-up due the formulas must show."""

    name: str
    expected_due: dt.date | None
    fields: dict[str, Any] = field(default_factory=dict)
    touches: list[dict[str, Any]] = field(default_factory=list)


def sent(when: dt.date, who: str, purpose: str = "Follow-up", **more: Any) -> dict[str, Any]:
    return {"date": when, "contact": who, "direction": "Sent", "channel": "Email", "purpose": purpose, **more}


def received(when: dt.date, who: str) -> dict[str, Any]:
    return {"date": when, "contact": who, "direction": "Received", "channel": "Email", "purpose": "Other"}


# Default policy: thank-you 1 day, first follow-up 14, second 28, keep in touch 120, spacing 7.
CALENDAR_PEOPLE = [
    Person("Thea Thanks", day(-2), {"date_met": day(-3)}),  # thank-you due the day after meeting
    Person("Fiona First", day(-5), {"date_met": day(-20)},  # thanked (name typed in lower case): 1st follow-up
           [sent(day(-19), "fiona first", "Thank-you", got_reply="Yes")]),
    Person("Kai Card", day(5), {"date_met": day(-10), "thank_you_sent": day(-9)}),  # Thank-you sent column
    Person("Sol Second", day(3), {"date_met": day(-40)},  # second follow-up
           [sent(day(-39), "Sol Second", "Thank-you"), sent(day(-25), "Sol Second")]),
    Person("Kip Keep", day(-30), {"date_met": day(-200)},  # keep in touch after the second follow-up
           [sent(day(-199), "Kip Keep", "Thank-you"), received(day(-198), "Kip Keep"),
            sent(day(-185), "Kip Keep"), sent(day(-150), "Kip Keep", "Update", got_reply="Yes")]),
    Person("Ada Agreed", day(2), {"date_met": day(-5), "agreed_next": day(2)},  # agreed date before cadence (+10)
           [sent(day(-4), "Ada Agreed", "Thank-you")]),
    Person("Sam Satisfied", day(8), {"date_met": day(-30), "agreed_next": day(-10)},  # agreed date met by a reply
           [sent(day(-29), "Sam Satisfied", "Thank-you"), sent(day(-20), "Sam Satisfied"),
            received(day(-9), "Sam Satisfied")]),
    Person("Spencer Spacing", day(5), {"date_met": day(-3)},  # thank-you due -2, held to 7 days after a send
           [sent(day(-2), "Spencer Spacing", "Follow-up")]),
    Person("Eve Early", day(-5), {"date_met": day(-10)},  # a thank-you before the meeting does not count
           [sent(day(-12), "Eve Early", "Thank-you")]),
    Person("Tess Today", day(0), {"date_met": day(-1)}),  # due today: not overdue, due soon
    Person("Paula Paused", None, {"date_met": day(-30), "status": "Paused"}),
    Person("Carl Closed", None, {"date_met": day(-30), "thank_you_sent": day(-29), "status": "Closed"}),
    Person("Dana Dnc", None, {"date_met": day(-30), "status": "Do not contact"}),
    Person("Nina Nomeet", day(-10), {}, [sent(day(-130), "Nina Nomeet", "Update")]),  # keep in touch only
    Person("Quinn Quiet", None, {}),  # no meeting, no message: nothing due
    Person("Ann Agreedonly", day(20), {"agreed_next": day(20)}),  # an agreed date alone
]
# The same name again further down: its row shows nothing, as in the Python engine.
DUPLICATE = Person("Thea Thanks", None, {"date_met": day(-60)})

EXPECTED_DASHBOARD = {
    "contacts": 16,
    "meetings": 13,
    # Sends: Fiona 1, Sol 2, Kip 3, Ada 1, Sam 2, Spencer 1, Eve 1, Nina 1.
    "touchpoints_sent": 12,
    # Fiona (Got reply), Kip's thank-you (reply before the next send) and update (Got reply), Sam's -20.
    "replies": 4,
    "response_rate": 4 / 12,
    # Met and thanked: Fiona, Kai, Sol, Kip, Ada, Sam, Carl.
    "thank_you_rate": 7 / 13,
    "overdue": 5,  # Thea, Fiona, Kip, Eve, Nina
    "due_soon": 5,  # Kai, Sol, Ada, Spencer, Tess
}

BUSINESS_POLICY = Policy(business_days=True, first_follow_up_days=10,
                         holidays=(dt.date(2026, 12, 25), dt.date(2027, 1, 1)))
BUSINESS_PEOPLE = [
    # Thu 24 Dec + 1 working day, skipping the 25th and the weekend: Mon 28 Dec.
    Person("Holly Holiday", dt.date(2026, 12, 28), {"date_met": dt.date(2026, 12, 24)}),
    # Thanked Mon 28 Dec + 10 working days, skipping 1 Jan: Tue 12 Jan.
    Person("Wendy Workday", dt.date(2027, 1, 12),
           {"date_met": dt.date(2026, 12, 24), "thank_you_sent": dt.date(2026, 12, 28)}),
    # Thank-you due Thu 31 Dec, but a send that day holds it 7 working days: Tue 12 Jan.
    Person("Sid Spacing", dt.date(2027, 1, 12), {"date_met": dt.date(2026, 12, 30)},
           [sent(dt.date(2026, 12, 31), "Sid Spacing")]),
]


def fill(path: Path, config: Config, people: list[Person]) -> None:
    """Build a workbook with sheetkit and type the people and their touchpoints into it."""
    workbook = build_workbook(config, student="Test Student")
    contacts, touchpoints = workbook[spec.CONTACTS_SHEET], workbook[spec.TOUCHPOINTS_SHEET]
    contact_at = {c.key: i for i, c in enumerate(spec.CONTACT_COLUMNS, start=1)}
    touch_at = {c.key: i for i, c in enumerate(spec.TOUCHPOINT_COLUMNS, start=1)}
    touch_row = 2
    for row, person in enumerate(people, start=2):
        contacts.cell(row, contact_at["name"], person.name)
        for key, value in person.fields.items():
            contacts.cell(row, contact_at[key], value)
        for touch in person.touches:
            for key, value in touch.items():
                touchpoints.cell(touch_row, touch_at[key], value)
            touch_row += 1
    workbook.save(path)


def as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    assert isinstance(value, dt.datetime), f"expected a date, got {value!r}"
    return value.date()


CONFIGS = {"calendar": Config(), "business": Config(policy=BUSINESS_POLICY)}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two workbooks as typed in, before any program computed their formulas."""
    folder = tmp_path_factory.mktemp("formulas")
    people = {"calendar": CALENDAR_PEOPLE + [DUPLICATE], "business": BUSINESS_PEOPLE}
    for name, config in CONFIGS.items():
        fill(folder / f"{name}.xlsx", config, people[name])
    return {name: folder / f"{name}.xlsx" for name in CONFIGS}


@pytest.fixture(scope="module")
def computed(filled: dict[str, Path], soffice: str) -> dict[str, openpyxl.Workbook]:
    results = {name: path.with_name(f"{name}-computed.xlsx") for name, path in filled.items()}
    recalculate_all([(filled[name], results[name]) for name in filled], soffice)
    return {name: openpyxl.load_workbook(path, data_only=True) for name, path in results.items()}


def due_dates(workbook: openpyxl.Workbook) -> dict[int, tuple[str, dt.date | None, Any]]:
    """Sheet row -> (name, Next follow-up due, Days overdue)."""
    sheet = workbook[spec.CONTACTS_SHEET]
    headers = [cell.value for cell in sheet[1]]
    name_col = headers.index("Name") + 1
    due_col = headers.index(spec.CONTACTS.column("next_due_formula").header) + 1
    overdue_col = headers.index(spec.CONTACTS.column("days_overdue_formula").header) + 1
    return {
        row: (sheet.cell(row, name_col).value, as_date(sheet.cell(row, due_col).value),
              sheet.cell(row, overdue_col).value)
        for row in range(2, sheet.max_row + 1)
        if sheet.cell(row, name_col).value
    }


def test_next_follow_up_due_follows_every_rule(computed: dict[str, openpyxl.Workbook]) -> None:
    shown = due_dates(computed["calendar"])
    for row, person in enumerate(CALENDAR_PEOPLE + [DUPLICATE], start=2):
        name, due, _ = shown[row]
        assert name == person.name
        assert due == person.expected_due, f"{person.name}: shown {due}, expected {person.expected_due}"


def test_days_overdue_counts_from_today(computed: dict[str, openpyxl.Workbook]) -> None:
    for name, due, overdue in due_dates(computed["calendar"]).values():
        if due is not None and due < TODAY:
            assert overdue == (TODAY - due).days, name
        else:
            assert overdue in (None, ""), f"{name}: due {due}, Days overdue shows {overdue!r}"


def test_dashboard_figures(computed: dict[str, openpyxl.Workbook]) -> None:
    sheet = computed["calendar"][spec.DASHBOARD_SHEET]
    values = {row[0].value: row[1].value for row in sheet.iter_rows(min_col=1, max_col=2) if row[0].value}
    for figure in DASHBOARD_FIGURES:
        expected = EXPECTED_DASHBOARD[figure.key]
        assert values[figure.label] == pytest.approx(expected), figure.label


def test_business_days_skip_weekends_and_holidays(computed: dict[str, openpyxl.Workbook]) -> None:
    shown = due_dates(computed["business"])
    for row, person in enumerate(BUSINESS_PEOPLE, start=2):
        name, due, _ = shown[row]
        assert (name, due) == (person.name, person.expected_due)


def test_empty_rows_compute_to_nothing(computed: dict[str, openpyxl.Workbook]) -> None:
    contacts = computed["calendar"][spec.CONTACTS_SHEET]
    headers = [cell.value for cell in contacts[1]]
    due_col = headers.index(spec.CONTACTS.column("next_due_formula").header) + 1
    last = contacts.max_row
    assert last >= 501
    assert {contacts.cell(row, due_col).value for row in range(40, last + 1)} <= {None, ""}
    errors = [
        f"{sheet.title}!{cell.coordinate}={cell.value}"
        for sheet in computed["calendar"].worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.startswith("#")
    ]
    assert errors == []


@pytest.mark.parametrize("name", list(CONFIGS))
def test_formulas_agree_with_the_python_engine(computed: dict[str, openpyxl.Workbook], filled: dict[str, Path],
                                               name: str) -> None:
    """Same workbook, same day: the sheet's dates and Dashboard equal `sheetkit report`'s engine."""
    from sheetkit.policy import run_policy
    from sheetkit.reading import read_tracker
    from sheetkit.stats import compute_stats

    engine = run_policy(read_tracker(filled[name], CONFIGS[name]), CONFIGS[name].policy, TODAY)
    contacts = engine.contacts
    assert not contacts["cool_off"].any(), "cool-off lengthens the engine's dates only; keep it out of this data"
    cadence_or_agreed = {
        int(row): (None if due is None or due != due else due.date())
        for row, due, rule, primary in zip(contacts["row"], contacts["next_due"], contacts["next_rule"],
                                           contacts["primary"], strict=True)
        if primary and rule != "referrer-update"
    }
    shown = due_dates(computed[name])
    assert {row: shown[row][1] for row in cadence_or_agreed} == cadence_or_agreed
    if name == "calendar":
        stats = compute_stats(engine)
        dashboard = {row[0].value: row[1].value for row in computed[name][spec.DASHBOARD_SHEET].iter_rows(max_col=2)}
        for figure, stat in (("Contacts", "contacts"), ("Meetings", "meetings"), ("Touchpoints sent", "sent"),
                             ("Replies", "replied"), ("Response rate", "response_rate"),
                             ("Thank-you rate", "thank_you_rate")):
            assert dashboard[figure] == pytest.approx(stats[stat], abs=0.001), figure
