"""The follow-up engine: from a tracker's tables to what is due, for whom, and why.

It implements DOMAIN.md's policy ("Default follow-up policy" and "Reading the
relationship") with every interval taken from :class:`~sheetkit.config.Policy`
and every rule's wording from :data:`~sheetkit.rules.RULE_TABLE`. The code is
plain Python: touchpoints are grouped by contact once, then each contact is
worked out on its own, the way an adviser would read their row (a student has
tens to hundreds of contacts; 100,000 take a couple of seconds).

Words used below:

* a **message** is a touchpoint that is not a meeting; a **meeting** is a
  touchpoint with Purpose Meeting or one in person or on a video call (thanks
  said there is not the thank-you note, and it does not count for spacing);
* an outgoing message is **replied** when Got reply is Yes, or when a Received
  touchpoint from the same contact is dated on or after it and before the
  contact's next later-dated outgoing touch;
* an outgoing message is an **answer** (not a follow-up) when the contact's
  previous message was theirs, received at most ``spacing_days`` before.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import pandas as pd

from sheetkit.config import Policy
from sheetkit.errors import Problem
from sheetkit.model import Followup, Tracker
from sheetkit.rules import JOB_INTERVIEW_CHANNELS, RULE_TABLE, days
from sheetkit.spec import (
    CLOSED_STATUSES,
    CONTACT_COLUMNS,
    CONTACTS_SHEET,
    STATES,
    TOUCHPOINT_COLUMNS,
    TOUCHPOINTS_SHEET,
    cell_address,
)

#: "Switch it up": card -> email -> voicemail -> LinkedIn -> call (then text), round again; each follow-up takes
#: the next usable channel after the one used before it.
CHANNEL_ROTATION: tuple[str, ...] = ("Handwritten card", "Email", "Voicemail", "LinkedIn", "Phone call", "Text message")
#: What a channel needs in the contact's row to be usable.
CHANNEL_NEEDS: dict[str, str] = {
    "Email": "email",
    "Phone call": "phone",
    "Voicemail": "phone",
    "Text message": "phone",
    "LinkedIn": "linkedin",
}
PHONE_CHANNELS = frozenset({"Phone call", "Voicemail"})
MEETING_CHANNELS = frozenset({"In person", "Video call"})
MEETING_PURPOSE = "Meeting"
#: Their messages that put a reply due.
ASKING_PURPOSES = frozenset({"Question", "Meeting request"})
#: Messages that expect no answer (shown as "no reply expected", never cool a warm contact off).
ONE_WAY_PURPOSES = frozenset({"Thank-you", "Update", "Article or resource", "Referral update"})
JOB_INTERVIEW = "Job interview"
#: The rules that wait while an agreed date is pending.
CADENCE_RULES = frozenset({"first-follow-up", "second-follow-up", "keep-in-touch", "nudge"})
WARMTH_LEVELS: tuple[str, ...] = ("Booster", "Obligate", "Curmudgeon", "unknown")
NO_CHANNEL_HINT = "add an email address, phone number or LinkedIn profile to reach them"
#: Unanswered messages (each given a fair wait) before a contact counts as not replying.
_SILENT_AFTER = 2
#: Ties on the due date go to the rule first in the rule table.
_RULE_ORDER = {name: i for i, name in enumerate(RULE_TABLE)}
#: Column numbers in the contract's order, for the address of a problem's cell.
_CONTACT_COLUMN = {column.key: number for number, column in enumerate(CONTACT_COLUMNS, 1)}
_TOUCHPOINT_COLUMN = {column.key: number for number, column in enumerate(TOUCHPOINT_COLUMNS, 1)}


@dataclass(slots=True)
class Touch:
    """One counted touchpoint: a known contact, dated on or before the report's as-of date."""

    row: int
    day: dt.date
    sent: bool
    channel: str | None
    purpose: str | None
    quality: str | None
    got_reply: bool
    reply_date: dt.date | None
    #: Purpose Meeting, or in person / on a video call on a meeting day: a meeting, not a message
    #: (set with the contact's meeting days, in :func:`_read_relationship`).
    meeting: bool = False
    #: Index (in :attr:`Engine.contacts`) of the contact it belongs to.
    owner: int = -1
    replied: bool = False
    reply_on: dt.date | None = None
    #: An outgoing message answering theirs: not a follow-up.
    answer: bool = False

    @property
    def days_to_reply(self) -> int | None:
        return (self.reply_on - self.day).days if self.reply_on is not None and self.reply_on >= self.day else None


@dataclass(slots=True)
class Deadline:
    """A rule that came due in the past (or was done early): for the on-time figure."""

    rule: str
    due: dt.date
    done_on: dt.date | None


@dataclass(slots=True)
class ContactFacts:
    """What the engine found for one Contacts row (sheet order); duplicates of a name share the first row's facts."""

    name: str
    organization: str | None
    status: str
    row: int
    key: str | None
    primary: bool
    how_met: str | None
    #: Date met as typed (shown in the report).
    date_met: dt.date | None
    #: Date met as the engine counts it: blank when it cannot be right (more than a year ahead).
    met_on: dt.date | None = None
    thank_you_sent: dt.date | None = None
    agreed_next: dt.date | None = None
    email: str | None = None
    phone: str | None = None
    linkedin: str | None = None
    best_way: str | None = None
    #: Index of the referrer's row in :attr:`Engine.contacts`, if any.
    referrer: int | None = None
    touches: list[Touch] = field(default_factory=list)
    #: The messages the student sent (meetings left out), by date.
    outgoing: list[Touch] = field(default_factory=list)
    #: They have sent a Question or Meeting request (a reply may be due).
    asked: bool = False
    meetings: list[dt.date] = field(default_factory=list)
    thanked_on: dt.date | None = None
    #: The date the thank-you for the latest meeting fell (falls) due.
    thank_you_due: dt.date | None = None
    last_outgoing: dt.date | None = None
    last_reply: dt.date | None = None
    last_channel: str | None = None
    sent: int = 0
    replies: int = 0
    latest_quality: str | None = None
    #: The latest reply rated Warm (the day the rating counts from).
    last_warm_reply: dt.date | None = None
    warmth: str = "unknown"
    gone_quiet: bool = False
    cool_off: bool = False
    #: Nothing more is due: four unanswered messages in a row, or two unanswered requests to someone not met.
    resting: bool = False
    #: What the report advises about the contact as a whole (let it rest, mark Closed or Paused).
    advice: str | None = None
    next_due: dt.date | None = None
    next_rule: str | None = None
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def first_name(self) -> str:
        return (self.name.split() or [self.name])[0]

    @property
    def open(self) -> bool:
        """Anything at all may be due: Active and not resting."""
        return self.status not in CLOSED_STATUSES and not self.resting


@dataclass(frozen=True)
class Advice:
    """A note about a contact as a whole (no follow-up row): "let it rest", "mark Closed or Paused"."""

    contact: str
    contact_row: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"contact": self.contact, "contact_row": self.contact_row, "advice": self.text}


@dataclass
class Engine:
    """The result of running the policy over a tracker.

    ``followups``: at most one per contact, overdue first (most overdue first),
    then by due date. ``contacts``: one :class:`ContactFacts` per Contacts row,
    sheet order. ``touches``: the counted touchpoints by date (sheet order
    within a day). ``problems``: what the engine found wrong with dates and habits
    (future dates, badgering...).
    """

    as_of: dt.date
    policy: Policy
    followups: list[Followup]
    contacts: list[ContactFacts]
    touches: list[Touch]
    problems: list[Problem]
    advice: list[Advice]

    @cached_property
    def sends(self) -> list[Touch]:
        """Every counted outgoing touchpoint (meetings included, as the response rate always counted them)."""
        return [t for t in self.touches if t.sent]


class Calendar:
    """Due dates from intervals: calendar days, moved to the next working day when ``business_days`` is on."""

    def __init__(self, policy: Policy) -> None:
        self.business = policy.business_days
        self.holidays = frozenset(policy.holidays)
        #: (day, count) -> due date: a year of days and a handful of intervals, asked for many times over.
        self._after: dict[tuple[dt.date, int], dt.date] = {}

    def after(self, day: dt.date, count: int) -> dt.date:
        due = self._after.get((day, count))
        if due is None:
            later = day + dt.timedelta(days=count)
            due = self._after[day, count] = self.working(later)
        return due

    def working(self, day: dt.date) -> dt.date:
        """``day`` itself, or with business days on, the next day that is no weekend or holiday."""
        return self.weekday(day) if self.business else day

    def weekday(self, day: dt.date) -> dt.date:
        """The next day (``day`` included) off the weekend, and off the holidays with business days on."""
        while day.weekday() >= 5 or (self.business and day in self.holidays):
            day += dt.timedelta(days=1)
        return day


@dataclass(slots=True)
class _Item:
    """A rule due for one contact, before the one-next-step choice."""

    rule: str
    due: dt.date
    why: str
    about: str | None = None
    #: Channels that suit this item, best first (falls back to any usable channel).
    channels: tuple[str, ...] = ()
    #: The rotation continues after this channel (``after_last``: after the last one used with them)...
    after: str | None = None
    after_last: bool = True
    #: ...and skips these while another is usable ("in another form").
    avoid: frozenset[str | None] = frozenset()
    #: Ordering of offer-thanks notes: the referral chain first.
    rank: int = 0
    #: Follow-ups: only a message sent after this day (the thank-you's, the first follow-up's) settles it.
    after_day: dt.date | None = None
    #: The channel to suggest (chosen in :func:`_next_step`).
    channel: str | None = None


def run_policy(tracker: Tracker, policy: Policy, as_of: dt.date) -> Engine:
    """Work out the one next step per contact in ``tracker`` as of ``as_of``."""
    calendar = Calendar(policy)
    problems: list[Problem] = []
    people = _contacts(tracker, as_of, problems)
    index = {p.key: i for i, p in enumerate(people) if p.primary}
    touches = _touches(tracker, index, as_of, problems)
    for touch in touches:
        people[touch.owner].touches.append(touch)  # in date order already
    items: dict[int, list[_Item]] = defaultdict(list)
    for i, person in enumerate(people):
        if person.primary:
            _read_relationship(person, policy, as_of)
            items[i].extend(_own_items(person, policy, calendar, as_of))
            _warn_badgering(person, tracker, policy, problems)
    _referral_items(people, items, calendar, policy, as_of)
    _offer_items(people, items, tracker.offer_accepted_on, as_of, calendar, policy)
    ranked: list[tuple[int, Followup]] = []
    for i, pending in items.items():
        person = people[i]
        eligible = pending if person.open else [
            item for item in pending if item.rule == "agreed-date" and person.status == "Paused" and not person.resting]
        if eligible:
            ranked.append(_next_step(person, eligible, as_of, policy, calendar))
    state_order = {state: i for i, state in enumerate(STATES)}
    ranked.sort(key=lambda pair: (state_order[pair[1].state], -pair[1].days_overdue, pair[1].due, pair[0],
                                  pair[1].contact_row))
    followups = [followup for _, followup in ranked]
    for i, person in enumerate(people):
        if not person.primary:
            people[i] = _copy_facts(people[index[person.key]], person)
    advice = [Advice(p.name, p.row, p.advice) for p in people if p.primary and p.advice]
    return Engine(as_of=as_of, policy=policy, followups=followups, contacts=people, touches=touches,
                  problems=problems, advice=advice)


# ---- reading the tables ------------------------------------------------------------------


def _values(frame: pd.DataFrame, key: str) -> list[Any]:
    """A column as Python values, blanks (NaN, empty text) as None; a missing column as all None."""
    if key not in frame:
        return [None] * len(frame)
    values = frame[key].to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return [value or None for value in values.tolist()]


def _dates(frame: pd.DataFrame, key: str) -> list[dt.date | None]:
    if key not in frame:
        return [None] * len(frame)
    return frame[key].to_numpy(dtype="datetime64[D]").astype(object).tolist()



def _contacts(tracker: Tracker, as_of: dt.date, problems: list[Problem]) -> list[ContactFacts]:
    frame = tracker.contacts
    sheet = tracker.contacts_sheet or CONTACTS_SHEET
    rows = [int(r) for r in frame["row"].tolist()] if len(frame) else []
    keys = _values(frame, "key")
    people: list[ContactFacts] = []
    seen: set[Any] = set()
    too_far = as_of + dt.timedelta(days=365)
    for row, key, name, organization, status, how_met, date_met, thank_you_sent, agreed_next, email, phone, \
            linkedin, best_way, referred_by in zip(
            rows, keys, _values(frame, "name"), _values(frame, "organization"), _values(frame, "status"),
            _values(frame, "how_met"), _dates(frame, "date_met"), _dates(frame, "thank_you_sent"),
            _dates(frame, "agreed_next"), _values(frame, "email"), _values(frame, "phone"),
            _values(frame, "linkedin"), _values(frame, "best_way"), _values(frame, "referred_by")):
        met_on = date_met
        if date_met is not None and date_met > too_far:
            met_on = None
            problems.append(Problem("error", sheet, cell_address(_CONTACT_COLUMN["date_met"], row),
                                    f"Date met {date_met.isoformat()} is more than a year after {as_of.isoformat()}; "
                                    "check the year (it is left out until fixed)"))
        if how_met == "Referral" and referred_by is None:
            problems.append(Problem("warning", sheet, cell_address(_CONTACT_COLUMN["referred_by"], row),
                                    "How we met is Referral but Referred by is blank; type who introduced you, "
                                    "so they can be thanked and kept up to date"))
        people.append(ContactFacts(
            name=str(name), organization=organization, status=status or "Active", row=row, key=key,
            primary=key not in seen, how_met=how_met, date_met=date_met, met_on=met_on, thank_you_sent=thank_you_sent,
            agreed_next=agreed_next, email=email, phone=phone,
            linkedin=linkedin, best_way=best_way,
        ))
        seen.add(key)
    index = {p.key: i for i, p in enumerate(people) if p.primary}
    for person, referrer_key in zip(people, _values(frame, "referred_by_key")):
        referrer = index.get(referrer_key) if referrer_key is not None else None
        if referrer is not None and people[referrer].key != person.key:
            person.referrer = referrer
    return people


def _touches(tracker: Tracker, index: dict[Any, int], as_of: dt.date,
             problems: list[Problem]) -> list[Touch]:
    """The counted touchpoints, by date (sheet order within a day).

    A touchpoint or reply dated after ``as_of`` has not happened yet: a warning, and it counts for nothing.
    """
    frame = tracker.touchpoints
    sheet = tracker.touchpoints_sheet or TOUCHPOINTS_SHEET
    rows = frame["row"].tolist()
    owners = [index.get(key) for key in frame["contact_key"].tolist()]
    days = _dates(frame, "date")
    known = [(i, day, owner) for i, (owner, day) in enumerate(zip(owners, days))
             if owner is not None and day is not None]
    for i, day, _ in known:
        if day > as_of:
            problems.append(Problem("warning", sheet, cell_address(_TOUCHPOINT_COLUMN["date"], rows[i]),
                                    f"dated {day.isoformat()}, after {as_of.isoformat()}: it has not happened yet, "
                                    "so it counts for nothing until then; check the year"))
    directions, channels, purposes, got_replies, reply_dates, qualities = (
        _values(frame, "direction"), _values(frame, "channel"), _values(frame, "purpose"),
        _values(frame, "got_reply"), _dates(frame, "reply_date"), _values(frame, "reply_quality"))
    touches: list[Touch] = []
    # sorted() is stable: sheet order within a day.
    for i, day, owner in sorted(known, key=lambda touch: touch[1]):
        if day > as_of:
            continue
        row, reply_date, answered, quality = rows[i], reply_dates[i], got_replies[i] == "Yes", qualities[i]
        if reply_date is not None and reply_date > as_of:
            problems.append(Problem("warning", sheet, cell_address(_TOUCHPOINT_COLUMN["reply_date"], row),
                                    f"Reply date {reply_date.isoformat()} is after {as_of.isoformat()}: "
                                    "not counted as a reply until then; check the year"))
            reply_date, answered, quality = None, False, None
        elif reply_date is not None and reply_date < day:
            problems.append(Problem("error", sheet, cell_address(_TOUCHPOINT_COLUMN["reply_date"], row),
                                    f"Reply date {reply_date.isoformat()} is before the message it answers "
                                    f"({day.isoformat()}); check both dates"))
            reply_date, answered, quality = None, False, None
        touches.append(Touch(
            row=row, day=day, sent=directions[i] != "Received", channel=channels[i], purpose=purposes[i],
            quality=quality, got_reply=answered, reply_date=reply_date, owner=owner,
        ))
    return touches


# ---- one contact -------------------------------------------------------------------------


def _read_relationship(p: ContactFacts, policy: Policy, as_of: dt.date) -> None:
    """Replies, meetings, warmth, cool-off and the stopping rules for one contact (touches sorted by day)."""
    touches = p.touches
    # Meeting days: Date met (a meeting ahead puts its thank-you in view) and every touchpoint whose
    # Purpose is Meeting.
    meetings = {t.day for t in touches if t.purpose == MEETING_PURPOSE}
    if p.met_on is not None:
        meetings.add(p.met_on)
    p.meetings = sorted(meetings)
    outgoing = p.outgoing
    sends: list[Touch] = []
    received: list[Touch] = []
    theirs: dt.date | None = None  # the day of the latest message, while that message is theirs
    for t in touches:
        # In person or on the video call on a meeting day is the meeting itself, not a message.
        t.meeting = t.purpose == MEETING_PURPOSE or (t.channel in MEETING_CHANNELS and t.day in meetings)
        if not t.sent:
            received.append(t)
            if not t.meeting:
                theirs = t.day
                p.asked = p.asked or _asks(t)
            continue
        sends.append(t)
        if not t.meeting:
            outgoing.append(t)
            t.answer = theirs is not None and (t.day - theirs).days <= policy.spacing_days
            theirs = None
    # Each received touch answers the latest day on or before it with a message of yours.
    out_days = sorted({t.day for t in outgoing})
    first_answer: dict[dt.date, dt.date] = {}
    for t in received:
        at = bisect.bisect_right(out_days, t.day) - 1
        if at >= 0:
            first_answer.setdefault(out_days[at], t.day)
    reply_days = [t.day for t in received]
    # A rating counts with its reply: on a received message, or on a message of yours that was answered.
    rated = [(t.day, t.quality) for t in received if t.quality]
    replied: list[Touch] = []
    for t in sends:
        answered = first_answer.get(t.day)
        if answered is None and meetings:
            # Meeting them after the message (before your next one) answers it too.
            next_message = bisect.bisect_right(out_days, t.day)
            until = out_days[next_message] if next_message < len(out_days) else dt.date.max
            next_meeting = bisect.bisect_right(p.meetings, t.day)
            if next_meeting < len(p.meetings) and p.meetings[next_meeting] < until:
                answered = p.meetings[next_meeting]
        # A conversation in person or on video is answered by nature.
        t.replied = t.got_reply or answered is not None or t.channel in MEETING_CHANNELS
        if t.replied:
            t.reply_on = t.reply_date or answered
            replied.append(t)
            if t.reply_on:
                reply_days.append(t.reply_on)
            if t.quality:
                rated.append((t.reply_on or t.day, t.quality))
    p.sent, p.replies = len(sends), len(replied)
    if outgoing:
        p.last_outgoing, p.last_channel = outgoing[-1].day, outgoing[-1].channel
    p.last_reply = max(reply_days, default=None)
    p.latest_quality = max(rated)[1] if rated else None
    qualities = {quality for _, quality in rated}
    p.last_warm_reply = max((day for day, quality in rated if quality == "Warm"), default=None)

    requests = [t for t in outgoing if t.purpose not in ONE_WAY_PURPOSES]
    counted = requests if p.latest_quality == "Warm" else outgoing
    n = policy.cool_off_unanswered
    p.gone_quiet = n > 0 and len(counted) >= n and not any(t.replied for t in counted[-n:])
    p.cool_off = (p.gone_quiet or ("Brief" in qualities and "Warm" not in qualities)
                  or p.latest_quality == "Brief")
    p.warmth = _warmth(replied, qualities, outgoing, policy, as_of)

    streak = _unanswered_streak(outgoing)
    unanswered_requests = _unanswered_streak(requests)
    if policy.stop_unanswered and streak >= policy.stop_unanswered:
        p.resting = True
        p.advice = (f"No reply to your last {streak} messages: nothing more is due. "
                    "Mark them Paused (or Closed) and put your energy elsewhere")
    elif not p.meetings and policy.nudge_limit and unanswered_requests >= policy.nudge_limit:
        p.resting = True
        p.advice = f"{unanswered_requests} requests without an answer: let it rest, nothing more is due"
    if p.status == "Do not contact":
        p.warmth = "unknown"


def _asks(t: Touch) -> bool:
    """Their Question or Meeting request by message (one asked in person or on video was answered there)."""
    return not t.sent and not t.meeting and t.purpose in ASKING_PURPOSES and t.channel not in MEETING_CHANNELS


def _unanswered_streak(messages: list[Touch]) -> int:
    """How many of the last messages in a row got no reply."""
    streak = 0
    for t in reversed(messages):
        if t.replied:
            break
        streak += 1
    return streak


def _warmth(replied: list[Touch], qualities: set[str], outgoing: list[Touch], policy: Policy, as_of: dt.date) -> str:
    """Booster (quick or warm replies), Obligate (late or brief), Curmudgeon (silent after a fair wait), else unknown.

    ``replied``: the sends that got a reply; ``qualities``: the reply qualities rated with a reply.
    """
    if replied:
        waits = [wait for t in replied if (wait := t.days_to_reply) is not None]
        quick = bool(waits) and statistics.median(waits) <= policy.quick_reply_days
        return "Booster" if "Warm" in qualities or (quick and "Brief" not in qualities) else "Obligate"
    waited_since = as_of - dt.timedelta(days=policy.fair_wait_days)
    waited = [t for t in outgoing if t.day <= waited_since]
    return "Curmudgeon" if len(waited) >= _SILENT_AFTER else "unknown"


def _own_items(p: ContactFacts, policy: Policy, calendar: Calendar, as_of: dt.date) -> list[_Item]:
    """The rules due for one contact about themselves (referrals and offers land on others later)."""
    if p.status in ("Closed", "Do not contact"):
        return []
    touches = p.touches
    outgoing = p.outgoing
    items: list[_Item] = []
    agreed_on = p.agreed_next
    agreed_met_on: dt.date | None = None
    if agreed_on is not None:
        # Kept by a message of yours, a meeting, or anything from them that asks nothing (a question asked
        # in person or on video was answered there), on or after the date.
        kept_on = min([next((t.day for t in touches if t.day >= agreed_on and (t.sent or not _asks(t))), dt.date.max),
                       next((day for day in p.meetings if agreed_on <= day <= as_of), dt.date.max)])
        agreed_met_on = None if kept_on == dt.date.max else kept_on
        if agreed_met_on is None:
            items.append(_Item("agreed-date", calendar.working(agreed_on),
                               RULE_TABLE["agreed-date"].reason.format(agreed=agreed_on.isoformat())))
    if p.asked:
        items.extend(_reply_items(p, touches, policy, calendar))
    if p.meetings:
        items.extend(_met_items(p, outgoing, agreed_met_on, policy, calendar, as_of))
    else:
        items.extend(_unmet_items(p, outgoing, agreed_met_on, policy, calendar, as_of))
    if agreed_on is not None and agreed_met_on is None:
        items = [item for item in items if item.rule not in CADENCE_RULES]
    return [_spaced(item, p, policy, calendar, as_of) for item in items]


def _reply_items(p: ContactFacts, touches: list[Touch], policy: Policy, calendar: Calendar) -> list[_Item]:
    """Their Question or Meeting request, not yet answered by a later message of yours or a meeting."""
    for at, asked in enumerate(touches):
        if not _asks(asked):
            continue
        # Settled by any later message of yours, or by meeting them on or after the day they asked.
        settled_on = min([next((t.day for t in touches[at + 1:] if t.sent or t.meeting), dt.date.max),
                          next((day for day in p.meetings if day >= asked.day), dt.date.max)])
        done_on = None if settled_on == dt.date.max else settled_on
        due = calendar.after(asked.day, policy.reply_days)
        p.deadlines.append(Deadline("reply", due, done_on))
        if done_on is None:
            why = RULE_TABLE["reply"].reason.format(first_name=p.first_name, asked=asked.day.isoformat(),
                                                    purpose=str(asked.purpose).lower())
            # In the channel they asked in: the first of their unanswered asks' channels that is usable.
            asked_in = tuple(dict.fromkeys(t.channel for t in touches[at:] if _asks(t) and t.channel))
            return [_Item("reply", due, why, channels=asked_in)]
    return []


def _met_items(p: ContactFacts, outgoing: list[Touch], agreed_met_on: dt.date | None, policy: Policy,
               calendar: Calendar, as_of: dt.date) -> list[_Item]:
    """Thank-you, then first and second follow-up, then keep in touch, for someone met."""
    met = p.meetings[-1]
    job = p.how_met == JOB_INTERVIEW
    thanks = [t for t in outgoing if t.purpose == "Thank-you"]
    thank_days = _thank_days(p, thanks, as_of)
    p.thanked_on = next((day for day in thank_days if day >= met), None)
    p.thank_you_due = calendar.after(met, policy.thank_you_days)
    for meeting in p.meetings:
        if meeting <= as_of:
            p.deadlines.append(Deadline("thank-you", calendar.after(meeting, policy.thank_you_days),
                                        next((day for day in thank_days if day >= meeting), None)))
    if p.thanked_on is None:
        variant = "job" if job else ("meeting" if p.met_on is not None and met > p.met_on else None)
        template = RULE_TABLE["thank-you"].variants[variant] if variant else RULE_TABLE["thank-you"].reason
        why = template.format(met=met.isoformat(), where=_where(p.how_met))
        return [_Item("thank-you", p.thank_you_due, why, channels=JOB_INTERVIEW_CHANNELS["thank-you"] if job else ())]
    thank_channel = next((t.channel for t in thanks if t.day == p.thanked_on), None)
    follow_ups = [t for t in outgoing if t.day > p.thanked_on and not t.answer]
    first = follow_ups[0] if follow_ups else None
    second = next((t for t in follow_ups if first and t.day > first.day), None)
    first_days = policy.job_status_check_days if job else policy.first_follow_up_days
    p.deadlines.append(Deadline("first-follow-up", calendar.after(p.thanked_on, first_days),
                                first.day if first else None))
    if first is None:
        base = _later(p.thanked_on, agreed_met_on)
        template = RULE_TABLE["first-follow-up"].variants["job"] if job else RULE_TABLE["first-follow-up"].reason
        return [_Item("first-follow-up", calendar.after(base, first_days), template.format(thanked=p.thanked_on.isoformat()),
                      channels=JOB_INTERVIEW_CHANNELS["first-follow-up"] if job else (),
                      after=thank_channel, after_last=False, after_day=p.thanked_on)]
    if second is None and p.latest_quality != "Brief":
        p.deadlines.append(Deadline("second-follow-up", calendar.after(first.day, policy.second_follow_up_days), None))
        base = _later(first.day, agreed_met_on)
        return [_Item("second-follow-up", calendar.after(base, policy.second_follow_up_days),
                      RULE_TABLE["second-follow-up"].reason.format(first=first.day.isoformat()),
                      after=first.channel, after_last=False, avoid=frozenset({thank_channel}),
                      after_day=first.day)]
    if second is not None:
        p.deadlines.append(Deadline("second-follow-up", calendar.after(first.day, policy.second_follow_up_days),
                                    second.day))
    return [_keep_in_touch(p, agreed_met_on, policy, calendar)]


def _unmet_items(p: ContactFacts, outgoing: list[Touch], agreed_met_on: dt.date | None, policy: Policy,
                 calendar: Calendar, as_of: dt.date) -> list[_Item]:
    """Someone not met yet: thank a warm answer, nudge an unanswered request, else keep in touch (the
    nudge and keep in touch counted from the touch that met an agreed date, when that is later)."""
    items: list[_Item] = []
    thank_days = _thank_days(p, [t for t in outgoing if t.purpose == "Thank-you"], as_of)
    p.thanked_on = thank_days[0] if thank_days else None
    replied = p.last_warm_reply
    if replied is not None and not any(day >= replied for day in thank_days):
        why = RULE_TABLE["thank-you"].variants["warm"].format(first_name=p.first_name, replied=replied.isoformat())
        items.append(_Item("thank-you", calendar.after(replied, policy.thank_you_days), why))
    requests = [t for t in outgoing if t.purpose not in ONE_WAY_PURPOSES]
    if requests and not requests[-1].replied:
        last = requests[-1]
        why = RULE_TABLE["nudge"].reason.format(asked=last.day.isoformat())
        items.append(_Item("nudge", calendar.after(_later(last.day, agreed_met_on), policy.nudge_days), why))
    elif outgoing:
        items.append(_keep_in_touch(p, agreed_met_on, policy, calendar))
    return items


def _thank_days(p: ContactFacts, thanks: list[Touch], as_of: dt.date) -> list[dt.date]:
    """Every thank-you so far, by date: the Thank-you touchpoints, and the Thank-you sent column unless it is
    after ``as_of`` (a date that has not happened yet satisfies nothing)."""
    column = [p.thank_you_sent] if p.thank_you_sent is not None and p.thank_you_sent <= as_of else []
    return sorted([t.day for t in thanks] + column)


def _keep_in_touch(p: ContactFacts, agreed_met_on: dt.date | None, policy: Policy, calendar: Calendar) -> _Item:
    assert p.last_outgoing is not None or agreed_met_on is not None
    every = interval = policy.warm_keep_in_touch_days if p.latest_quality == "Warm" else policy.keep_in_touch_days
    cooling = ""
    if p.cool_off:
        interval *= policy.cool_off_factor
        reason = (f"no reply to the last {policy.cool_off_unanswered} messages" if p.gone_quiet
                  else "their replies have been brief")
        cooling = f"; cooling off ({reason}), so the interval is {interval} days"
    last = p.last_outgoing or agreed_met_on
    assert last is not None
    base = _later(last, agreed_met_on)
    why = RULE_TABLE["keep-in-touch"].reason.format(last=last.isoformat(), interval=every, cooling=cooling)
    return _Item("keep-in-touch", calendar.after(base, interval), why)


def _later(day: dt.date, other: dt.date | None) -> dt.date:
    return day if other is None or other < day else other


def _spaced(item: _Item, p: ContactFacts, policy: Policy, calendar: Calendar, as_of: dt.date) -> _Item:
    """Nothing but the exempt rules is due within ``spacing_days`` of the last message to this person
    (the Thank-you sent column counts as one)."""
    last = max((day for day in (p.last_outgoing, p.thank_you_sent) if day is not None and day <= as_of),
               default=None)
    if RULE_TABLE[item.rule].spacing_exempt or last is None:
        return item
    held = calendar.after(last, policy.spacing_days)
    if held > item.due:
        item.due = held
        item.why += f" (held until {days(policy.spacing_days)} after your last message)"
    return item


def _where(how_met: str | None) -> str:
    if not how_met or how_met in ("Other", "Referral"):
        return ""
    phrase = how_met.lower()
    return f" at {'an' if phrase[:1] in 'aeiou' else 'a'} {phrase}"


def _warn_badgering(p: ContactFacts, tracker: Tracker, policy: Policy, problems: list[Problem]) -> None:
    """More than ``badgering_messages`` unanswered messages to one person within ``badgering_days``: a warning."""
    limit = policy.badgering_messages
    unanswered = [t for t in p.outgoing if not t.replied]
    if len(unanswered) <= limit:
        return
    for start in range(len(unanswered)):
        window = [t for t in unanswered[start:] if (t.day - unanswered[start].day).days < policy.badgering_days]
        if len(window) > limit:
            rows = ", ".join(str(t.row) for t in window)
            sheet = tracker.touchpoints_sheet or TOUCHPOINTS_SHEET
            problems.append(Problem("warning", sheet, cell_address(_TOUCHPOINT_COLUMN["date"], window[0].row),
                                    f"{len(window)} unanswered messages to {p.name} within {days(policy.badgering_days)}"
                                    f" (rows {rows}): persistence, not badgering; give them time to answer"))
            return


# ---- items that land on other contacts -----------------------------------------------------


def _referral_items(people: list[ContactFacts], items: dict[int, list[_Item]], calendar: Calendar,
                    policy: Policy, as_of: dt.date) -> None:
    """Tell the referrer how the meeting went; thank them when you act on their introduction."""
    for person in people:
        if not person.primary or person.referrer is None:
            continue
        referrer = people[person.referrer]
        to_referrer = [t.day for t in referrer.outgoing]
        met = person.meetings[0] if person.meetings else None
        if met is not None and not any(day >= met for day in to_referrer):
            why = RULE_TABLE["referrer-update"].reason.format(name=referrer.name, about=person.name,
                                                              met=met.isoformat(), first_name=referrer.first_name)
            items[person.referrer].append(_spaced(_Item("referrer-update", calendar.after(met, policy.referrer_update_days),
                                                        why, about=person.name), referrer, policy, calendar, as_of))
        # Writing (or calling) them, not talking in person or on video, before the first meeting.
        wrote = next((t.day for t in person.outgoing
                      if t.channel not in MEETING_CHANNELS and (met is None or t.day < met)), None)
        if wrote is not None and not any(day >= wrote for day in to_referrer):
            why = RULE_TABLE["referrer-thanks"].reason.format(about=person.name, wrote=wrote.isoformat(),
                                                              first_name=referrer.first_name)
            items[person.referrer].append(_spaced(_Item("referrer-thanks",
                                                        calendar.after(wrote, policy.referrer_thanks_days), why,
                                                        about=person.name), referrer, policy, calendar, as_of))


def _offer_items(people: list[ContactFacts], items: dict[int, list[_Item]], offer: dt.date | None, as_of: dt.date,
                 calendar: Calendar, policy: Policy) -> None:
    """Everyone who helped (the referral chain behind each job interview first, then everyone met) hears the news."""
    if offer is None or offer > as_of:
        return
    helped: dict[int, None] = {}  # an ordered set
    for interviewer, person in enumerate(people):
        if person.primary and person.how_met == JOB_INTERVIEW:
            # Up the Referred by chain, to someone already counted or back round to the interviewer.
            at = person.referrer
            while at is not None and at != interviewer and at not in helped:
                helped[at] = None
                at = people[at].referrer
    for i, p in enumerate(people):
        if p.primary and p.meetings and p.meetings[0] <= offer and p.how_met != JOB_INTERVIEW:
            helped.setdefault(i, None)
    for rank, i in enumerate(helped):
        person = people[i]
        if any(t.day >= offer for t in person.outgoing):
            continue
        why = RULE_TABLE["offer-thanks"].reason.format(offer=offer.isoformat(), first_name=person.first_name)
        items[i].append(_Item("offer-thanks", calendar.after(offer, policy.offer_thanks_days), why,
                              channels=RULE_TABLE["offer-thanks"].channels, rank=rank))


# ---- one next step -------------------------------------------------------------------------


def _answers_them(p: ContactFacts, day: dt.date, policy: Policy) -> bool:
    """Would a message sent on ``day`` answer theirs? It would when their message is the latest
    (meetings aside) and came within ``spacing_days`` before it, as a sent touch's ``answer`` is read."""
    latest = next((t for t in reversed(p.touches) if not t.meeting), None)
    return latest is not None and not latest.sent and (day - latest.day).days <= policy.spacing_days


def _settles(item: _Item, day: dt.date, p: ContactFacts, policy: Policy) -> bool:
    """Does the one message, sent on ``day``, settle ``item`` too? Not an agreed date still to come (the
    date itself: a call put off a weekend or holiday is kept all the same by a message on the day), not a
    follow-up unless it comes after the message the follow-up follows, and an answer to their message is
    never a follow-up."""
    if item.rule == "agreed-date":
        return p.agreed_next is not None and p.agreed_next <= day
    if item.rule in ("first-follow-up", "second-follow-up"):
        return (item.after_day is None or day > item.after_day) and not _answers_them(p, day, policy)
    return True


def _next_step(p: ContactFacts, pending: list[_Item], as_of: dt.date, policy: Policy,
               calendar: Calendar) -> tuple[int, Followup]:
    """The earliest item is the message; the other rules it settles ride along in ``also``.

    Returns the item's rank among offer-thanks notes (0 otherwise) with the follow-up, for sorting.
    """
    for item in pending:
        item.channel = _channel(p, item)
        if item.channel in PHONE_CHANNELS:
            item.due = calendar.weekday(item.due)  # calls and voicemails are never due on a weekend
    pending = sorted(pending, key=lambda item: (item.due, _RULE_ORDER[item.rule]))
    chosen = pending[0]
    # Sent on its due date (or today, when overdue), the message also keeps an agreed date that has come.
    sent_on = max(chosen.due, as_of)
    settled = [item for item in pending[1:] if _settles(item, sent_on, p, policy)]
    also = tuple(dict.fromkeys(item.rule for item in settled if item.rule != chosen.rule))
    why = chosen.why + "".join(f". Also: {item.why}" for item in settled)
    channel = chosen.channel
    due = chosen.due
    if channel is None:
        why += f"; {NO_CHANNEL_HINT}"
    late = (as_of - due).days
    state = "overdue" if late > 0 else ("upcoming" if -late <= policy.upcoming_days else "later")
    p.next_due, p.next_rule = due, chosen.rule
    return chosen.rank, Followup(contact=p.name, organization=p.organization, rule=chosen.rule, due=due,
                                 days_overdue=max(late, 0), state=state, why=why, suggested_channel=channel,
                                 contact_row=p.row, about=chosen.about, also=also)


def usable_channels(p: ContactFacts, rule: str) -> list[str]:
    """The channels the sheet gives a way to use for ``rule``, in rotation order.

    A card only where the rule suits one and they were met (and never instead of a job interview's
    emailed thank-you); a text message only to someone met twice or more.
    """
    usable = []
    for channel in CHANNEL_ROTATION:
        if channel == "Handwritten card":
            job_thanks = rule == "thank-you" and p.how_met == JOB_INTERVIEW
            ok = RULE_TABLE[rule].card_ok and bool(p.meetings) and not job_thanks
        elif channel == "Text message":
            ok = p.phone is not None and len(p.meetings) > 1
        else:
            ok = getattr(p, CHANNEL_NEEDS[channel]) is not None
        if ok:
            usable.append(channel)
    return usable


def _channel(p: ContactFacts, item: _Item) -> str | None:
    """The channel to suggest: theirs for a reply, else Best way to reach when filled, else the rule's own
    choice (a thank-you by email, else a card; the offer note by email), else the rotation."""
    usable = usable_channels(p, item.rule)
    theirs = next((c for c in item.channels if c in usable), None) if item.rule == "reply" else None
    if theirs:
        return theirs
    if p.best_way:
        return p.best_way
    if item.rule == "thank-you":
        first = next((c for c in ("Email", "Handwritten card") if c in usable), None)
        if first:
            return first
    if item.rule == "offer-thanks" and "Email" in usable:
        return "Email"
    allowed = [c for c in usable if c in item.channels] if item.rule != "reply" else []
    return _rotate(allowed or usable, p.last_channel if item.after_last else item.after, item.avoid)


def _rotate(usable: list[str], after: str | None, avoid: frozenset[str | None]) -> str | None:
    """The next of ``usable`` after ``after`` in the rotation (from Email when ``after`` is outside it),
    skipping ``avoid`` and ``after`` itself while another is usable."""
    if not usable:
        return None
    start = CHANNEL_ROTATION.index(after) + 1 if after in CHANNEL_ROTATION else CHANNEL_ROTATION.index("Email")
    order = CHANNEL_ROTATION[start:] + CHANNEL_ROTATION[:start]
    ranked = [c for c in order if c in usable]
    return next((c for c in ranked if c not in avoid and c != after), ranked[0])


def _copy_facts(first: ContactFacts, duplicate: ContactFacts) -> ContactFacts:
    """A repeated name's row: its own cells, the first row's facts (touchpoints count for the first one)."""
    return replace(first, name=duplicate.name, organization=duplicate.organization, status=duplicate.status,
                   row=duplicate.row, primary=False, how_met=duplicate.how_met, date_met=duplicate.date_met,
                   met_on=duplicate.met_on, advice=None)
