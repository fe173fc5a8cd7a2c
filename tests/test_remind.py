"""`sheetkit remind`: the calendar holds exactly the report's due follow-ups, and imports cleanly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from builders import contact, touch, write_tracker
from sheetkit.cli import cli
from sheetkit.config import Config
from sheetkit.model import Followup
from sheetkit.output import is_sheetkit_output
from sheetkit.remind import plan_reminders, reminder_uid, render_calendar
from sheetkit.report import build_report
from sheetkit.rules import RULE_TABLE
from sheetkit.spec import RULES
from staged import row_of, staged

D = dt.date
AS_OF = D(2026, 11, 22)
GENERATED = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)


def scenario(path: Path) -> Path:
    """One contact per rule: overdue, upcoming within 30 days, later, and closed."""
    contacts = [
        contact("Alice Ng", organization="Acme", how_met="Informational interview", date_met=D(2026, 11, 10),
                email="alice@acme.example", phone="555 0100", linkedin="https://linkedin.com/in/alice-ng",
                notes="Advised me to learn SQL first"),
        contact("Bob Roe", organization="Globex", date_met=D(2026, 11, 1)),
        contact("Carol Diaz", organization="Initech", referred_by="Bob Roe", date_met=D(2026, 11, 18),
                thank_you_sent=D(2026, 11, 19)),
        contact("Dan Wu", date_met=D(2026, 9, 1)),
        contact("Eve Ode", organization="Umbrella", date_met=D(2026, 11, 5), agreed_next=D(2026, 12, 10)),
        contact("Frank Li", date_met=D(2026, 11, 15), status="Closed"),
    ]
    touches = [
        touch(D(2026, 11, 2), "Bob Roe", channel="Email", purpose="Thank-you"),
        touch(D(2026, 11, 12), "Bob Roe", channel="Phone call", purpose="Follow-up"),  # next step: the update
        touch(D(2026, 9, 2), "Dan Wu", channel="Email", purpose="Thank-you"),
        touch(D(2026, 9, 15), "Dan Wu", channel="LinkedIn", purpose="Follow-up"),
        touch(D(2026, 10, 20), "Dan Wu", channel="Phone call", purpose="Follow-up"),
        touch(D(2026, 11, 6), "Eve Ode", channel="Handwritten card", purpose="Thank-you"),
    ]
    return write_tracker(path, contacts, touches, student="Sam Lee")


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return scenario(tmp_path / "tracker.xlsx")


def calendar_for(tracker: Path, as_of: dt.date = AS_OF, days: int = 30, at: dt.time | None = None
                 ) -> icalendar.Calendar:
    plan = plan_reminders(build_report(tracker, Config(), as_of), days)
    return icalendar.Calendar.from_ical(render_calendar(plan, at=at, generated=GENERATED))


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    found = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs must be unique within a file"
    return found


def expected(tracker: Path, as_of: dt.date, days: int) -> list[Followup]:
    report = build_report(tracker, Config(), as_of)
    horizon = as_of + dt.timedelta(days=days)
    return [f for f in report.followups if f.state == "overdue" or f.due <= horizon]


@pytest.mark.parametrize("days", [0, 5, 30, 400])
def test_one_event_per_due_followup_on_the_right_day(tracker: Path, days: int) -> None:
    due = expected(tracker, AS_OF, days)
    found = events(calendar_for(tracker, days=days))
    assert len(found) == len(due)
    for followup in due:
        event = found[reminder_uid("Sam Lee", followup)]
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start == (AS_OF if followup.state == "overdue" else followup.due), followup
        assert not isinstance(start, dt.datetime) and end == start + dt.timedelta(days=1)
        assert event["DTSTART"].params.get("VALUE") == "DATE"


def test_scenario_covers_overdue_upcoming_and_later(tracker: Path) -> None:
    rules = {(f.contact, f.rule, f.state, f.due) for f in build_report(tracker, Config(), AS_OF).followups}
    # Eve's agreed date is past the report's 14-day "upcoming" window but within remind's 30 days.
    assert {("Alice Ng", "thank-you", "overdue", D(2026, 11, 11)),
            ("Eve Ode", "agreed-date", "later", D(2026, 12, 10))} <= rules
    [dan] = [due for name, rule, state, due in rules if name == "Dan Wu"]
    assert dan > AS_OF + dt.timedelta(days=30)
    titles = {str(e["SUMMARY"]) for e in calendar_for(tracker).walk("VEVENT")}
    assert "Thank Alice Ng (Acme)" in titles
    assert "Get back to Eve Ode (Umbrella) (agreed date)" in titles
    assert not any("Dan Wu" in t or "Frank Li" in t for t in titles), titles


def test_required_properties_and_alarms(tracker: Path) -> None:
    calendar = calendar_for(tracker)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]).startswith("-//sheetkit//")
    for event in calendar.walk("VEVENT"):
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "SEQUENCE"):
            assert name in event, name
        assert str(event["UID"]).endswith("@sheetkit")
        assert event.decoded("DTSTAMP") == GENERATED
        [alarm] = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY" and str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])
        assert alarm.decoded("TRIGGER") == dt.timedelta(hours=9)


def test_description_says_why_how_and_where_to_reach_them(tracker: Path) -> None:
    [alice] = [e for e in calendar_for(tracker).walk("VEVENT") if str(e["SUMMARY"]).startswith("Thank Alice")]
    text = str(alice["DESCRIPTION"])
    assert "due 2026-11-11 (11 days overdue)" in text
    assert "Met 2026-11-10 at an informational interview; no thank-you yet" in text
    assert "Suggested channel: Email" in text
    for detail in ("alice@acme.example", "555 0100", "https://linkedin.com/in/alice-ng", "row 2 of tracker.xlsx"):
        assert detail in text


def test_every_rule_has_its_title_and_the_description_says_what_else_and_how(tracker: Path) -> None:
    report = build_report(tracker, Config(), AS_OF)

    def step(name: str, rule: str, channel: str | None = "Email", about: str | None = None,
             also: tuple[str, ...] = ()) -> Followup:
        return Followup(name, None, rule, D(2026, 11, 23), 0, "upcoming", "Why it is due", channel,  # type: ignore[arg-type]
                        row_of(report, name), about=about, also=also)

    followups = [
        step("Alice Ng", "reply", None),
        step("Bob Roe", "nudge"),
        step("Bob Roe", "referrer-thanks", about="Carol Diaz"),
        step("Bob Roe", "referrer-update", about="Carol Diaz", also=("keep-in-touch",)), step("Dan Wu", "offer-thanks"),
    ]
    plan = plan_reminders(staged(report, followups), 30)
    found = {str(e["SUMMARY"]): str(e["DESCRIPTION"])
             for e in icalendar.Calendar.from_ical(render_calendar(plan, generated=GENERATED)).walk("VEVENT")}
    assert sorted(found) == ["Nudge Bob Roe (Globex) about your request", "Reply to Alice Ng (Acme)",
                             "Tell Dan Wu about your new job",
                             "Thank Bob Roe (Globex) for the introduction to Carol Diaz",
                             "Update Bob Roe (Globex) about Carol Diaz"]
    reply = found["Reply to Alice Ng (Acme)"]
    assert reply.startswith("Reply, due 2026-11-23.\nWhy it is due.\nNo way to reach them is recorded yet.\n"), reply
    # What else the message settles is in its reason (the engine writes it there), said once.
    assert "Also settles" not in found["Update Bob Roe (Globex) about Carol Diaz"]
    assert "Suggested channel: Email." in found["Tell Dan Wu about your new job"]


def test_uids_stable_with_later_as_of_and_sequence_grows(tracker: Path) -> None:
    first, second = calendar_for(tracker, AS_OF), calendar_for(tracker, AS_OF + dt.timedelta(days=9))
    before = {str(e["SUMMARY"]): str(e["UID"]) for e in first.walk("VEVENT")}
    after = {str(e["SUMMARY"]): str(e["UID"]) for e in second.walk("VEVENT")}
    shared = before.keys() & after.keys()
    assert "Thank Alice Ng (Acme)" in shared
    assert {title: before[title] for title in shared} == {title: after[title] for title in shared}
    assert int(second.walk("VEVENT")[0]["SEQUENCE"]) > int(first.walk("VEVENT")[0]["SEQUENCE"])


def test_time_gives_timed_floating_events_with_a_15_minute_alarm(tracker: Path) -> None:
    for event in calendar_for(tracker, at=dt.time(9, 0)).walk("VEVENT"):
        start = event.decoded("DTSTART")
        assert isinstance(start, dt.datetime) and start.time() == dt.time(9, 0) and start.tzinfo is None
        assert event.decoded("DTEND") - start == dt.timedelta(minutes=15)
        assert event.walk("VALARM")[0].decoded("TRIGGER") == dt.timedelta(minutes=-15)


def test_every_rule_has_a_title() -> None:
    assert set(RULE_TABLE) == set(RULES)


def test_uid_falls_back_to_the_file_stem_without_a_student(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "maya.xlsx", [contact("Ann Lo", date_met=D(2026, 11, 20))])
    [reminder] = plan_reminders(build_report(path, Config(), AS_OF), 30).reminders
    assert reminder.uid == reminder_uid("MAYA", reminder.followup)


names = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(str.strip)


@given(owner=names, name=names, rule=st.sampled_from(RULES))
def test_uid_ignores_dates_case_and_spacing(owner: str, name: str, rule: str) -> None:
    followup = Followup(name, None, rule, AS_OF, 0, "upcoming", "", "Email", 2)
    later = Followup("  " + "  ".join(name.split()) + " ", "Org", rule, AS_OF + dt.timedelta(days=40), 3,
                     "overdue", "why", "LinkedIn", 9)
    assert reminder_uid(owner, followup) == reminder_uid(owner.casefold(), later)
    assert reminder_uid(owner, followup) != reminder_uid(owner + "x", followup)


# ---- the command ------------------------------------------------------------------------------------------


def invoke(runner: CliRunner, *args: Any) -> Any:
    return runner.invoke(cli, [str(a) for a in args])


def test_cli_writes_beside_the_tracker(runner: CliRunner, tracker: Path) -> None:
    result = invoke(runner, "remind", tracker, "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    written = tracker.with_name("tracker-reminders.ics")
    assert is_sheetkit_output(written)
    calendar = icalendar.Calendar.from_ical(written.read_bytes())
    assert len(calendar.walk("VEVENT")) == len(expected(tracker, AS_OF, 30)), result.output
    assert "overdue" in result.stderr and result.stdout == "", result.output


def test_cli_stdout_days_and_time(runner: CliRunner, tracker: Path) -> None:
    result = invoke(runner, "remind", tracker, "--as-of", "2026-11-22", "--days", "5", "--time", "9:30",
                    "-o", "-", "--quiet")
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical(result.stdout)
    starts = [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]
    assert len(starts) == len(expected(tracker, AS_OF, 5)) and starts, result.output
    assert all(s.time() == dt.time(9, 30) for s in starts)
    assert result.stderr == "", result.output


def test_cli_refuses_a_file_it_did_not_write_but_refreshes_its_own(runner: CliRunner, tracker: Path) -> None:
    mine = tracker.with_name("tracker-reminders.ics")
    assert invoke(runner, "remind", tracker, "--as-of", "2026-11-22").exit_code == 0
    result = invoke(runner, "remind", tracker, "--as-of", "2026-11-29")
    assert result.exit_code == 0, result.output

    other = tracker.with_name("holidays.ics")
    other.write_text("BEGIN:VCALENDAR\r\nPRODID:-//Someone else//EN\r\nEND:VCALENDAR\r\n")
    result = invoke(runner, "remind", tracker, "--as-of", "2026-11-22", "-o", other)
    assert result.exit_code == 1 and "--force" in result.output, result.output
    assert "Someone else" in other.read_text()
    result = invoke(runner, "remind", tracker, "--as-of", "2026-11-22", "-o", other, "--force")
    assert result.exit_code == 0 and is_sheetkit_output(other), result.output
    assert is_sheetkit_output(mine)


def test_cli_never_writes_over_the_tracker(runner: CliRunner, tracker: Path) -> None:
    before = tracker.read_bytes()
    result = invoke(runner, "remind", tracker, "-o", tracker, "--force")
    assert result.exit_code == 1 and "input" in result.output, result.output
    assert tracker.read_bytes() == before


@pytest.mark.parametrize("bad", ["9", "25:00", "nine", "09:00:00"])
def test_cli_rejects_a_bad_time(runner: CliRunner, tracker: Path, bad: str) -> None:
    result = invoke(runner, "remind", tracker, "--time", bad, "-o", "-")
    assert result.exit_code == 2 and "HH:MM" in result.output, result.output


def test_cli_help_has_an_example(runner: CliRunner) -> None:
    result = invoke(runner, "remind", "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout and "--drafts" in result.stdout, result.output
