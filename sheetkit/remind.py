"""Reminders: a report's due follow-ups as calendar events (RFC 5545 iCalendar).

:func:`plan_reminders` picks, from the follow-ups the policy engine found,
every one that is overdue (placed on the as-of date, so it shows up today) or
due within the next ``days`` days (placed on its due date), and gathers what a
reminder or a message draft needs about the contact. :func:`render_calendar`
turns that plan into an ``.ics`` file with the ``icalendar`` library.

Each event's UID is a hash of the tracker's owner (the student's name, else
the file's stem), the contact's folded name, the rule and, for referrer
updates, the referred contact; re-running with a later as-of date therefore
yields the same UIDs, and re-importing the file updates events instead of
adding copies. SEQUENCE grows with the as-of date so calendars accept the
update; DTSTAMP and LAST-MODIFIED are the time the file was written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import icalendar
import pandas as pd

from sheetkit import __version__
from sheetkit.model import Followup
from sheetkit.output import GENERATOR_MARK
from sheetkit.reading.names import fold_name
from sheetkit.render import cell_text
from sheetkit.report import Report
from sheetkit.rules import RULE_TABLE, plural

#: ``PRODID`` of every calendar sheetkit writes; :func:`sheetkit.output.is_sheetkit_output` looks for it.
PRODID = f"-//{GENERATOR_MARK}//sheetkit {__version__}//EN"

#: Length of a timed reminder (``--time``) and how long before it the alarm goes off.
TIMED_LENGTH = dt.timedelta(minutes=15)
TIMED_ALARM = dt.timedelta(minutes=-15)
#: An all-day reminder's alarm: 09:00 on the day (relative to the day's start, as Apple Calendar writes it).
ALL_DAY_ALARM = dt.timedelta(hours=9)


# SEQUENCE counts days from here to the as-of date, so a later run always supersedes an earlier one.
_SEQUENCE_EPOCH = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class ContactCard:
    """What a reminder or a message draft needs to know about one contact.

    ``notes`` is their Notes cell on the Contacts sheet (what you talked about,
    what you promised). ``replied``: they have answered at least one message.
    ``introduced``: the contacts they referred you to, in sheet order.
    """

    name: str
    organization: str | None
    title: str | None
    email: str | None
    phone: str | None
    linkedin: str | None
    how_met: str | None
    date_met: dt.date | None
    row: int
    notes: str | None
    replied: bool = False
    introduced: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reminder:
    """One follow-up placed on a calendar day, with a UID that stays the same across runs."""

    followup: Followup
    #: The day of the event: the due date, or the as-of date for an overdue follow-up.
    on: dt.date
    uid: str
    contact: ContactCard
    #: For referrer updates: the referred contact the update is about.
    about: ContactCard | None = None

    @property
    def overdue(self) -> bool:
        return self.followup.state == "overdue"

    @property
    def title(self) -> str:
        """'Thank Alice Ng (Acme)', 'Update Bob Roe (Acme) about Carol Diaz', ..."""
        who = self.contact.name
        if self.contact.organization:
            who += f" ({self.contact.organization})"
        about = self.about.name if self.about else (self.followup.about or "")
        return RULE_TABLE[self.followup.rule].title.format(who=who, about=about)


@dataclass(frozen=True)
class ReminderPlan:
    """The reminders of one tracker as of one date, overdue first, then by due date."""

    report: Report
    owner: str
    reminders: list[Reminder]

    @property
    def as_of(self) -> dt.date:
        return self.report.as_of

    @property
    def overdue(self) -> list[Reminder]:
        return [r for r in self.reminders if r.overdue]

    @property
    def upcoming(self) -> list[Reminder]:
        return [r for r in self.reminders if not r.overdue]


def plan_reminders(report: Report, days: int) -> ReminderPlan:
    """The report's follow-ups that are overdue or due within ``days`` days of its as-of date."""
    if days < 0:
        raise ValueError(f"days must be zero or more, not {days}")
    horizon = report.as_of + dt.timedelta(days=days)
    cards = _contact_cards(report)
    by_name = {fold_name(card.name): card for card in reversed(list(cards.values()))}
    owner = report.tracker.student or report.source.stem
    reminders: list[Reminder] = []
    for followup in report.followups:
        if followup.state != "overdue" and followup.due > horizon:
            continue
        reminders.append(
            Reminder(
                followup=followup,
                on=report.as_of if followup.state == "overdue" else followup.due,
                uid=reminder_uid(owner, followup),
                contact=cards[followup.contact_row],
                about=by_name.get(fold_name(followup.about)) if followup.about else None,
            )
        )
    return ReminderPlan(report=report, owner=owner, reminders=reminders)


def reminder_uid(owner: str, followup: Followup) -> str:
    """A UID for one contact and rule (and referred contact), independent of dates.

    Names are compared as the reader matches them (:func:`~sheetkit.reading.names.fold_name`).
    """
    parts = (fold_name(owner), fold_name(followup.contact), followup.rule, fold_name(followup.about or ""))
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{GENERATOR_MARK}"


def render_calendar(
    plan: ReminderPlan, *, at: dt.time | None = None, generated: dt.datetime | None = None
) -> bytes:
    """The plan as an iCalendar file: all-day events, or timed ones at ``at`` (floating local time).

    Floating time (no time zone) puts the event at ``at`` wherever the
    calendar is, which is what a personal reminder wants. ``generated`` (UTC,
    default now) becomes DTSTAMP and LAST-MODIFIED.
    """
    stamp = (generated or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _calendar_text(f"Follow-ups: {plan.owner}", one_line=True))
    sequence = (plan.as_of - _SEQUENCE_EPOCH).days
    for reminder in plan.reminders:
        calendar.add_component(_event(reminder, plan, at, stamp, sequence))
    return calendar.to_ical()


def _event(reminder: Reminder, plan: ReminderPlan, at: dt.time | None, stamp: dt.datetime,
           sequence: int) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", reminder.uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", sequence)
    event.add("summary", _calendar_text(reminder.title, one_line=True))
    if at is None:
        event.add("dtstart", reminder.on)
        event.add("dtend", reminder.on + dt.timedelta(days=1))
        trigger = ALL_DAY_ALARM
    else:
        start = dt.datetime.combine(reminder.on, at)
        event.add("dtstart", start)
        event.add("dtend", start + TIMED_LENGTH)
        trigger = TIMED_ALARM
    event.add("description", _calendar_text(describe(reminder, plan)))
    # A reminder, not a meeting: it should not block the day as busy.
    event.add("transp", "TRANSPARENT")
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _calendar_text(reminder.title, one_line=True))
    alarm.add("trigger", trigger)
    event.add_component(alarm)
    return event


#: What a calendar's text may not hold (RFC 5545's control characters, C1 controls that some
#: importers reject, and lone surrogates that cannot be written as UTF-8); tabs and line breaks
#: are handled apart.
_NOT_CALENDAR_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?|\n")


def _calendar_text(value: str, *, one_line: bool = False) -> icalendar.vText:
    r"""A TEXT value with control characters removed; line breaks kept (escaped by icalendar as ``\n``),
    or made spaces for a one-line value (a title, the calendar's name).

    >>> _calendar_text("Sam\x1b[2J\r\nLee", one_line=True).to_ical()
    b'Sam[2J Lee'
    """
    text = _LINE_BREAK.sub(" " if one_line else "\n", _NOT_CALENDAR_TEXT.sub("", value))
    return icalendar.vText(text.replace("\t", " ") if one_line else text)


def describe(reminder: Reminder, plan: ReminderPlan) -> str:
    """An event's description: the rule and due date, why, what else it settles, the channel, how to reach them."""
    followup = reminder.followup
    due = f"{RULE_TABLE[followup.rule].label}, due {followup.due.isoformat()}"
    if reminder.overdue:
        due += f" ({plural(followup.days_overdue, 'day')} overdue)"
    lines = [due + ".", followup.why + "."]
    if followup.suggested_channel:
        lines.append(f"Suggested channel: {followup.suggested_channel}.")
    else:
        lines.append("No way to reach them is recorded yet.")
    contact = reminder.contact
    for label, value in (("Email", contact.email), ("Phone", contact.phone), ("LinkedIn", contact.linkedin)):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(f"Contacts row {contact.row} of {plan.report.source.name}.")
    return "\n".join(lines)


def _contact_cards(report: Report) -> dict[int, ContactCard]:
    """A card per Contacts row: their details and notes, whether they have replied, whom they introduced."""
    contacts = report.tracker.contacts
    replied = {fold_name(row["name"]) for row in report.contact_rows() if row["replies"]}
    introduced: dict[str, list[str]] = {}
    for name, referrer in zip(contacts["name"], contacts["referred_by_key"]):
        if isinstance(referrer, str):
            introduced.setdefault(referrer, []).append(name)
    cards: dict[int, ContactCard] = {}
    for person in contacts.to_dict("records"):
        cards[int(person["row"])] = ContactCard(
            name=person["name"],
            organization=_text(person["organization"]),
            title=_text(person["title"]),
            email=_text(person["email"]),
            phone=_text(person["phone"]),
            linkedin=_text(person["linkedin"]),
            how_met=_text(person["how_met"]),
            date_met=None if pd.isna(person["date_met"]) else person["date_met"].date(),
            row=int(person["row"]),
            notes=_text(person["notes"]),
            replied=fold_name(person["name"]) in replied,
            introduced=tuple(introduced.get(person["key"], ())),
        )
    return cards


def _text(value: Any) -> str | None:
    """A cell's text as typed, line breaks kept (notes are quoted in drafts); None for a blank."""
    return cell_text(value, one_line=False) or None
