"""The workbook's live formulas, computed by real LibreOffice, agree with the follow-up rules.

One LibreOffice launch recalculates three workbooks built by sheetkit and filled
in code: one on the default (calendar-day) policy with dates relative to
today, because the formulas use TODAY(); one on a business-day policy with
holidays and fixed dates; and one whose contacts exercise every rule of
DOMAIN.md, checked against `sheetkit report` as of today. Expected dates are
worked out by hand below. Gnumeric (`ssconvert --recalc`) must compute the same.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from libreoffice import recalculate_all
from sheetkit import spec
from sheetkit.config import Config, Policy
from sheetkit.workbook import DASHBOARD_FIGURES, build_workbook, workbook_bytes

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


def received(when: dt.date, who: str, purpose: str = "Other", **more: Any) -> dict[str, Any]:
    return {"date": when, "contact": who, "direction": "Received", "channel": "Email", "purpose": purpose, **more}


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
    # The agreed date is met by their message on -9; the second follow-up counts from it: -9 + 28.
    Person("Sam Satisfied", day(19), {"date_met": day(-30), "agreed_next": day(-10)},
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
                         holidays=(dt.date(2025, 12, 25), dt.date(2026, 1, 1)))
# Intervals stay in calendar days; a due date on a weekend or holiday moves to the next working day.
BUSINESS_PEOPLE = [
    # Wed 24 Dec 2025 + 1 = Thu 25 Dec, a holiday: Fri 26 Dec.
    Person("Holly Holiday", dt.date(2025, 12, 26), {"date_met": dt.date(2025, 12, 24)}),
    # Thanked Mon 22 Dec + 10 = Thu 1 Jan 2026, a holiday: Fri 2 Jan.
    Person("Wendy Workday", dt.date(2026, 1, 2),
           {"date_met": dt.date(2025, 12, 19), "thank_you_sent": dt.date(2025, 12, 22)}),
    # Thank-you due Tue 23 Dec, held 7 days after a send on Thu 25 Dec: Thu 1 Jan, a holiday: Fri 2 Jan.
    Person("Sid Spacing", dt.date(2026, 1, 2), {"date_met": dt.date(2025, 12, 22)},
           [sent(dt.date(2025, 12, 25), "Sid Spacing")]),
    # Fri 2 Jan 2026 + 1 = Sat 3 Jan: Mon 5 Jan.
    Person("Wes Weekend", dt.date(2026, 1, 5), {"date_met": dt.date(2026, 1, 2)}),
]


def fill(path: Path, config: Config, people: list[Person], offer_accepted_on: dt.date | None = None) -> None:
    """Build a workbook with sheetkit and type the people and their touchpoints into it."""
    workbook = build_workbook(config, student="Test Student")
    if offer_accepted_on:
        start = workbook[spec.START_SHEET]
        assert start["A6"].value == spec.OFFER_LABEL
        start["B6"] = offer_accepted_on
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
    path.write_bytes(workbook_bytes(workbook))  # shared formulas, as `sheetkit new` writes them


def as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    assert isinstance(value, dt.datetime), f"expected a date, got {value!r}"
    return value.date()


# Every rule of DOMAIN.md, one contact each where possible (default policy).
AGREEMENT_PEOPLE = [
    # Cool-off: the last 3 messages unanswered, so keep in touch every 240 days: -150 + 240.
    Person("Cora Cooloff", day(90), {"date_met": day(-200)},
           [sent(day(-199), "Cora Cooloff", "Thank-you"), sent(day(-185), "Cora Cooloff"),
            sent(day(-150), "Cora Cooloff", "Update")]),
    # A referrer: Rex (whom Rita referred) was met on -10, so Rita hears how it went on -3,
    # before her own keep in touch (-57 + 120). One next step: the earlier.
    Person("Rita Referrer", day(-3), {"date_met": day(-100)},
           [sent(day(-99), "Rita Referrer", "Thank-you"), sent(day(-85), "Rita Referrer", got_reply="Yes"),
            sent(day(-57), "Rita Referrer", got_reply="Yes")]),
    Person("Rex Referred", day(5), {"date_met": day(-10), "referred_by": "Rita Referrer", "how_met": "Referral"},
           [sent(day(-9), "Rex Referred", "Thank-you")]),
    # The named date is later than the first follow-up (-19 + 14 = -5): the cadence waits for it.
    Person("Lena Later", day(10), {"date_met": day(-20), "agreed_next": day(10)},
           [sent(day(-19), "Lena Later", "Thank-you")]),
    # The named date comes first.
    Person("Ada Agreed", day(2), {"date_met": day(-5), "agreed_next": day(2)},
           [sent(day(-4), "Ada Agreed", "Thank-you")]),
    # A thank-you is still due while a named date is pending.
    Person("Theo Thanks", day(-2), {"date_met": day(-3), "agreed_next": day(20)}),
    Person("Carl Closed", None, {"date_met": day(-30), "status": "Closed"}),
    # They asked on -3: a reply is due the next day, before the second follow-up (-25 + 28).
    Person("Hannah Question", day(-2), {"date_met": day(-40)},
           [sent(day(-39), "Hannah Question", "Thank-you"), sent(day(-25), "Hannah Question"),
            received(day(-3), "Hannah Question", "Question")]),
    # Paused with a named date: due on that date, and nothing else.
    Person("Jamal Paused", day(30), {"date_met": day(-90), "agreed_next": day(30), "status": "Paused"}),
    # Four unanswered messages in a row: nothing more is due.
    Person("Stella Stop", None, {"date_met": day(-200)},
           [sent(day(-199), "Stella Stop", "Thank-you"), sent(day(-185), "Stella Stop"),
            sent(day(-157), "Stella Stop"), sent(day(-60), "Stella Stop", "Update")]),
    # Latest rated reply Warm: keep in touch every 60 days: -57 + 60.
    Person("Wanda Warm", day(3), {"date_met": day(-100)},
           [sent(day(-99), "Wanda Warm", "Thank-you", got_reply="Yes"), sent(day(-85), "Wanda Warm"),
            sent(day(-57), "Wanda Warm", got_reply="Yes", reply_date=day(-55), reply_quality="Warm")]),
    # A brief reply to the first follow-up: no second one; keep in touch, cooled: -15 + 240.
    Person("Bree Brief", day(225), {"date_met": day(-30)},
           [sent(day(-29), "Bree Brief", "Thank-you"),
            sent(day(-15), "Bree Brief", got_reply="Yes", reply_quality="Brief")]),
    # A job interview: ask about the status a week after the thank-you: -9 + 7.
    Person("Jo Interview", day(-2), {"date_met": day(-10), "how_met": "Job interview"},
           [sent(day(-9), "Jo Interview", "Thank-you")]),
    # Not met, one unanswered request: a nudge a week later.
    Person("Nell Nudge", day(-3), {"how_met": "Cold outreach"}, [sent(day(-10), "Nell Nudge", "Meeting request")]),
    # Not met, two unanswered requests: let it rest.
    Person("Nora Rest", None, {"how_met": "Cold outreach"},
           [sent(day(-20), "Nora Rest", "Meeting request"), sent(day(-12), "Nora Rest", "Meeting request")]),
    # Ivy's referral acted on (Ian written to on -3, not met yet): thank Ivy within 2 days, before her
    # keep in touch (-17 + 120); Ian gets the nudge on -3 + 7.
    Person("Ivy Introducer", day(-1), {"date_met": day(-60)},
           [sent(day(-59), "Ivy Introducer", "Thank-you", got_reply="Yes"),
            sent(day(-45), "Ivy Introducer", got_reply="Yes"), sent(day(-17), "Ivy Introducer", got_reply="Yes")]),
    Person("Ian Introduced", day(4), {"referred_by": "Ivy Introducer", "how_met": "Referral"},
           [sent(day(-3), "Ian Introduced", "Meeting request")]),
    # Thanks said at the meeting itself is not the note: still due the day after.
    Person("Pia Inperson", day(-4), {"date_met": day(-5)},
           [{**sent(day(-5), "Pia Inperson", "Thank-you"), "channel": "In person"}]),
    # Answering their message (-20) on -19 is not the first follow-up: -29 + 14 = -15, held to -19 + 7.
    Person("Rhea Reply", day(-12), {"date_met": day(-30)},
           [sent(day(-29), "Rhea Reply", "Thank-you"), received(day(-20), "Rhea Reply"), sent(day(-19), "Rhea Reply")]),
    # A second meeting (Purpose Meeting) on -2 gets its own thank-you on -1.
    Person("Mo Meeting", day(-1), {"date_met": day(-60)},
           [sent(day(-59), "Mo Meeting", "Thank-you", got_reply="Yes"), sent(day(-45), "Mo Meeting", got_reply="Yes"),
            sent(day(-17), "Mo Meeting", got_reply="Yes"),
            {**received(day(-2), "Mo Meeting", "Meeting"), "channel": "In person"}]),
    # A warm reply from someone not met: thank them (-6 + 1), held to 7 days after the request (-10).
    Person("Wes Warmreply", day(-3), {"how_met": "Cold outreach"},
           [sent(day(-10), "Wes Warmreply", "Meeting request"), received(day(-6), "Wes Warmreply", reply_quality="Warm")]),
    # A touchpoint dated tomorrow has not happened: the thank-you is still due.
    Person("Fay Future", day(-1), {"date_met": day(-2)}, [sent(day(1), "Fay Future", "Thank-you")]),
]
# Overdue on the sheet: Rita, Theo, Hannah, Jo, Nell, Ivy, Pia, Rhea, Mo, Wes, Fay.
AGREEMENT_OVERDUE = 11

# Offer accepted on -10 (Start Here): everyone who helped is owed a note within 7 days, unless written to since.
OFFER_ON = day(-10)
OFFER_PEOPLE = [
    # Met: tell and thank by -3, before her keep in touch (-57 + 120).
    Person("Olga Offer", day(-3), {"date_met": day(-100)},
           [sent(day(-99), "Olga Offer", "Thank-you", got_reply="Yes"), sent(day(-85), "Olga Offer", got_reply="Yes"),
            sent(day(-57), "Olga Offer", got_reply="Yes")]),
    # Written to since the offer (-5, the first follow-up after -99): the second follow-up, -5 + 28.
    Person("Otto Told", day(23), {"date_met": day(-100)},
           [sent(day(-99), "Otto Told", "Thank-you"), sent(day(-5), "Otto Told", "Update")]),
    # Never met and referred nobody: only the nudge (-3 + 7).
    Person("Sven Stranger", day(4), {"how_met": "Cold outreach"}, [sent(day(-3), "Sven Stranger", "Meeting request")]),
    # Paused is not active: nothing.
    Person("Pam Paused", None, {"date_met": day(-100), "status": "Paused"}),
]

CONFIGS = {"calendar": Config(), "business": Config(policy=BUSINESS_POLICY), "agreement": Config(),
           "offer": Config()}
PEOPLE = {"calendar": CALENDAR_PEOPLE + [DUPLICATE], "business": BUSINESS_PEOPLE, "agreement": AGREEMENT_PEOPLE,
          "offer": OFFER_PEOPLE}


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two workbooks as typed in, before any program computed their formulas."""
    folder = tmp_path_factory.mktemp("formulas")
    for name, config in CONFIGS.items():
        fill(folder / f"{name}.xlsx", config, PEOPLE[name], OFFER_ON if name == "offer" else None)
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
    assert "Due in the next 14 days" in values
    for figure in DASHBOARD_FIGURES:
        expected = EXPECTED_DASHBOARD[figure.key]
        label = figure.label_for(Policy())
        assert values[label] == pytest.approx(expected), label


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




def test_offer_accepted_brings_a_note_to_everyone_who_helped(computed: dict[str, openpyxl.Workbook]) -> None:
    shown = due_dates(computed["offer"])
    assert [(name, due) for name, due, _ in shown.values()] == [(p.name, p.expected_due) for p in OFFER_PEOPLE]


def test_agreement_workbook_follows_every_rule(computed: dict[str, openpyxl.Workbook]) -> None:
    shown = due_dates(computed["agreement"])
    for row, person in enumerate(AGREEMENT_PEOPLE, start=2):
        name, due, _ = shown[row]
        assert (name, due) == (person.name, person.expected_due)


@pytest.fixture(scope="module")
def report(filled: dict[str, Path]) -> dict[str, Any]:
    from sheetkit.report import build_report

    return build_report(filled["agreement"], CONFIGS["agreement"], TODAY).to_json()


def earliest_due(report: dict[str, Any], name: str) -> dt.date | None:
    """The report's next step for ``name``: the earliest due of its follow-ups."""
    dues = [dt.date.fromisoformat(f["due"]) for f in report["followups"] if f["contact"] == name]
    return min(dues, default=None)


@pytest.mark.parametrize("person", [pytest.param(person, id=person.name) for person in AGREEMENT_PEOPLE])
def test_sheet_agrees_with_the_report(computed: dict[str, openpyxl.Workbook], report: dict[str, Any],
                                      person: Person) -> None:
    """Same workbook, same day: the sheet's Next follow-up due is the report's earliest due for the contact."""
    shown = {name: due for name, due, _ in due_dates(computed["agreement"]).values()}
    assert shown[person.name] == earliest_due(report, person.name)


def overdue_now(workbook: openpyxl.Workbook) -> Any:
    sheet = workbook[spec.DASHBOARD_SHEET]
    return {row[0].value: row[1].value for row in sheet.iter_rows(min_col=1, max_col=2)}["Overdue now"]


def test_dashboard_counts_one_overdue_step_per_contact(computed: dict[str, openpyxl.Workbook]) -> None:
    assert overdue_now(computed["agreement"]) == AGREEMENT_OVERDUE


def test_dashboard_overdue_agrees_with_the_report(computed: dict[str, openpyxl.Workbook],
                                                  report: dict[str, Any]) -> None:
    assert overdue_now(computed["agreement"]) == sum(f["state"] == "overdue" for f in report["followups"])


@pytest.fixture(scope="module")
def gnumeric(filled: dict[str, Path], ssconvert: str) -> dict[str, openpyxl.Workbook]:
    """The same workbooks recalculated by Gnumeric (`ssconvert --recalc`)."""
    results = {}
    for name, path in filled.items():
        out = path.with_name(f"{name}-gnumeric.xlsx")
        subprocess.run([ssconvert, "--recalc", "--export-type=Gnumeric_Excel:xlsx2", str(path), str(out)],
                       check=True, capture_output=True, timeout=300)
        results[name] = openpyxl.load_workbook(out, data_only=True)
    return results


@pytest.mark.parametrize("name", list(CONFIGS))
def test_gnumeric_computes_the_same_dates(gnumeric: dict[str, openpyxl.Workbook],
                                          computed: dict[str, openpyxl.Workbook], name: str) -> None:
    sheet = gnumeric[name][spec.CONTACTS_SHEET]
    headers = [cell.value for cell in sheet[1]]
    due_col = headers.index(spec.CONTACTS.column("next_due_formula").header) + 1
    shown = [sheet.cell(row, due_col).value for row in range(2, sheet.max_row + 1)]
    assert [v for v in shown if isinstance(v, str) and v.startswith("#")] == []
    dates = {row: (name, due) for row, (name, due, _) in due_dates(gnumeric[name]).items()}
    assert dates == {row: (name, due) for row, (name, due, _) in due_dates(computed[name]).items()}
