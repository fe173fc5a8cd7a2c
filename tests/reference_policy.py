"""A plain, slow reference for the follow-up policy, for checking the engine.

Written from ``/work/shared/DOMAIN.md`` ("Default follow-up policy" and
"Reading the relationship") and the README's policy table, without looking at
``sheetkit/policy.py``: loops over contacts and touchpoints, ``datetime.date``
arithmetic, no numpy or pandas. It shares no code with the engine; it takes
the interval values from :class:`sheetkit.config.Policy` and the rule order
from :data:`sheetkit.spec.RULES`.

Where DOMAIN.md leaves a choice open, the comment marked ``READING:`` quotes the
sentence and says which reading this reference takes (the lead reconciles the
engine and the reference on exactly those points).

Entry points: :func:`followups` (every item, before one-next-step merging) and
:func:`next_steps` (one next step per contact, with ``also``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sheetkit.config import Policy
from sheetkit.spec import RULES

# Numbers DOMAIN.md gives that the round-one Policy has no key for.
REPLY_DAYS = 1  # "puts a reply due the next day"
NUDGE_DAYS = 7  # "gets a nudge a week later"
REST_AFTER_REQUESTS = 2  # "after two unanswered requests, let it rest"
WARM_KEEP_IN_TOUCH_DAYS = 60  # "worth a touch every couple of months (60 days)"
STOP_AFTER_UNANSWERED = 4  # "After four unanswered messages in a row, nothing more is due"
JOB_STATUS_CHECK_DAYS = 7  # "check on the status about a week later"
REFERRER_THANKS_DAYS = 2  # "thank the referrer within two days"
OFFER_THANKS_DAYS = 7  # "owed a short note within a week"

ACTIVE = "Active"
PAUSED = "Paused"
#: Statuses under which nothing at all is due.
CLOSED = {"Closed", "Do not contact"}

#: Purposes of messages that expect no answer (DOMAIN: "thank-yous, updates or articles (which expect no answer)";
#: the figures add "referral updates" to the one-way messages).
ONE_WAY = {"Thank-you", "Update", "Article or resource", "Referral update"}
#: Incoming purposes that put a reply due ("Purpose *Question* or *Meeting request*").
ASKING = {"Question", "Meeting request"}
#: Channels of the meeting itself: a thank-you said there is not the note.
AT_THE_MEETING = {"In person", "Video call"}

#: "switch it up": card -> email -> voicemail -> LinkedIn -> call, then round again.
#: READING: text message joins the rotation last (DOMAIN only says when it is *not* suggested).
ROTATION = ("Handwritten card", "Email", "Voicemail", "LinkedIn", "Phone call", "Text message")
PHONE_CHANNELS = {"Phone call", "Voicemail", "Text message"}
#: "A handwritten card suits a thank-you or a keep-in-touch, never a dated check."
CARD_RULES = {"thank-you", "keep-in-touch"}
#: "nothing is due within 7 days of the last outgoing touch, except an agreed date"; a reply is due
#: "whatever the spacing rule says". READING: offer-thanks is exempt too, as the contract's rule table says.
SPACING_EXEMPT = {"agreed-date", "reply", "offer-thanks"}


@dataclass
class Person:
    """One Contacts row, with the spec's keys."""

    name: str
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    linkedin: str | None = None
    best_way: str | None = None
    how_met: str | None = None
    referred_by: str | None = None
    date_met: dt.date | None = None
    thank_you_sent: dt.date | None = None
    agreed_next: dt.date | None = None
    status: str | None = None


@dataclass
class Touch:
    """One Touchpoints row, with the spec's keys."""

    date: dt.date
    contact: str
    direction: str = "Sent"
    channel: str | None = None
    purpose: str | None = None
    got_reply: str | None = None
    reply_date: dt.date | None = None
    reply_quality: str | None = None


@dataclass
class Item:
    """One follow-up due, and what an outgoing message must be to settle it."""

    contact: str
    rule: str
    due: dt.date
    channel: str
    about: str | None = None
    #: The message must be dated strictly after this day ...
    after: dt.date | None = None
    #: ... or on or after this one.
    on_or_after: dt.date | None = None
    #: A message answering the contact's question does not settle it (the first follow-up).
    not_by_an_answer: bool = False


@dataclass
class Step:
    """The one next step for a contact: the earliest item and every other rule that message settles."""

    contact: str
    rule: str
    due: dt.date
    channel: str
    also: tuple[str, ...] = ()
    about: str | None = None


def fold(name: str | None) -> str:
    """A name as matched between sheets: case and spacing ignored."""
    return " ".join((name or "").split()).casefold()


@dataclass
class _Row:
    """A touchpoint that has happened, with its sheet order (to order touches on the same day)."""

    order: int
    touch: Touch

    @property
    def key(self) -> tuple[dt.date, int]:
        return (self.touch.date, self.order)


@dataclass
class _History:
    """Everything that has happened with one contact up to the as-of date."""

    person: Person
    as_of: dt.date
    rows: list[_Row] = field(default_factory=list)

    # ---- what happened -------------------------------------------------------------------

    @property
    def meetings(self) -> list[dt.date]:
        """Meeting days: Date met and every touchpoint whose Purpose is Meeting (either direction).

        READING: "Dates that have not happened yet ... satisfy nothing": a Date met after the
        as-of date is not a meeting yet.
        """
        days = [r.touch.date for r in self.rows if r.touch.purpose == "Meeting"]
        if self.person.date_met is not None and self.person.date_met <= self.as_of:
            days.append(self.person.date_met)
        return sorted(set(days))

    @property
    def sent(self) -> list[_Row]:
        """The student's messages, oldest first.

        READING: a touchpoint whose Purpose is Meeting is the meeting, not a message the
        student sent, whatever its Direction; so is an In person or Video call touchpoint on a
        meeting day ("on the video call itself"): it neither thanks nor holds the spacing rule.
        """
        meetings = set(self.meetings)
        return [
            r for r in self.rows
            if _outgoing(r.touch) and r.touch.purpose != "Meeting"
            and not (r.touch.channel in AT_THE_MEETING and r.touch.date in meetings)
        ]

    @property
    def received(self) -> list[_Row]:
        return [r for r in self.rows if not _outgoing(r.touch)]

    def last_sent(self) -> _Row | None:
        sent = self.sent
        return sent[-1] if sent else None

    def last_outgoing_day(self) -> dt.date | None:
        """The last day the student reached out: a message, or the Thank-you sent column."""
        days = [r.touch.date for r in self.sent]
        column = self.person.thank_you_sent
        if column is not None and column <= self.as_of:
            days.append(column)
        return max(days) if days else None

    def replied(self, message: _Row) -> bool:
        """Did the contact answer this message?

        README: replied when Got reply is Yes, or a Received touchpoint is dated on or after
        it and before the next later-dated outgoing one. DOMAIN: a reply dated after the
        as-of date or before its message satisfies nothing.
        READING: meeting the contact after the message (before the next one) is an answer too,
        and an In person or Video call touch is a conversation, answered by nature: it never
        counts as an unanswered message.
        """
        touch = message.touch
        if touch.channel in AT_THE_MEETING:
            return True
        if touch.got_reply == "Yes" and self._reply_date_ok(touch):
            return True
        later = [r.touch.date for r in self.sent if r.touch.date > touch.date]
        until = min(later) if later else dt.date.max
        if any(touch.date <= r.touch.date < until for r in self.received):
            return True
        return any(touch.date < day < until for day in self.meetings)

    def answered_on(self, message: _Row) -> dt.date | None:
        """The day of their first message answering ``message`` (README's definition of replied), if any."""
        touch = message.touch
        later = [r.touch.date for r in self.sent if r.touch.date > touch.date]
        until = min(later) if later else dt.date.max
        return min((r.touch.date for r in self.received if touch.date <= r.touch.date < until), default=None)

    def _reply_date_ok(self, touch: Touch) -> bool:
        return touch.reply_date is None or touch.date <= touch.reply_date <= self.as_of

    def rating(self, message: _Row) -> str | None:
        """Brief or Warm, for a reply that counts."""
        touch = message.touch
        if touch.reply_quality and self.replied(message) and self._reply_date_ok(touch):
            return touch.reply_quality
        return None

    def latest_rating(self) -> str | None:
        rated = [self.rating(r) for r in self.sent if self.rating(r)]
        return rated[-1] if rated else None

    def unanswered_in_a_row(self, messages: list[_Row]) -> int:
        count = 0
        for message in reversed(messages):
            if self.replied(message):
                break
            count += 1
        return count

    def asked(self) -> list[_Row]:
        """Messages that asked something (not thank-yous, updates, articles, referral updates).

        READING: a message with no Purpose, Follow-up or Other counts as asking something.
        """
        return [r for r in self.sent if r.touch.purpose not in ONE_WAY]

    # ---- the states DOMAIN names ---------------------------------------------------------

    @property
    def warm(self) -> bool:
        """"A contact whose latest rated reply is *Warm*"."""
        return self.latest_rating() == "Warm"

    def cooled(self, policy: Policy) -> bool:
        """Cool-off: the last 3 outgoing touches got no reply, or the replies are rated Brief.

        For a warm contact "cool-off counts only messages that asked something".
        READING: "whose replies are rated Brief" means every rated reply is Brief (the README's words).
        """
        messages = self.asked() if self.warm else self.sent
        if self.unanswered_in_a_row(messages) >= policy.cool_off_unanswered:
            return True
        ratings = [self.rating(r) for r in self.sent if self.rating(r)]
        return bool(ratings) and all(rating == "Brief" for rating in ratings)

    def stopped(self) -> bool:
        """"After four unanswered messages in a row, nothing more is due."

        READING: every message counts here, one-way ones included, warm contact or not (DOMAIN
        narrows only cool-off for warm contacts).
        """
        return self.unanswered_in_a_row(self.sent) >= STOP_AFTER_UNANSWERED

    def resting(self) -> bool:
        """Not met, and the last two requests went unanswered: "let it rest".

        READING: a request is a message that asked something; "two unanswered requests" are the
        last two requests, counted in a row.
        """
        return not self.meetings and self.unanswered_in_a_row(self.asked()) >= REST_AFTER_REQUESTS

    def silent(self) -> bool:
        """Nothing at all is due for this contact (stopped, or resting).

        READING: "nothing more is due" and "let it rest" cover every rule, agreed date and
        referrer notes included.
        """
        return self.stopped() or self.resting()

    def thank_you(self) -> tuple[dt.date, str | None] | None:
        """The day (and channel) of the thank-you for the latest meeting, if sent.

        Table: "an outgoing touchpoint whose purpose is Thank-you on or after the meeting date,
        or a date in the contact's Thank-you sent column". DOMAIN: "A thank-you in person or on
        the video call itself does not satisfy the thank-you rule; a call or voicemail later
        that day does." READING: an In person or Video call thank-you on a meeting day is the
        meeting itself (see :attr:`sent`); on a later day it counts. Only the latest meeting
        needs its thank-you.
        """
        meeting = self.meetings[-1]
        found = [(r.touch.date, r.order, r.touch.channel) for r in self.sent
                 if r.touch.purpose == "Thank-you" and r.touch.date >= meeting]
        column = self.person.thank_you_sent
        if column is not None and meeting <= column <= self.as_of:
            found.append((column, 1 << 30, None))
        if not found:
            return None
        day, _, channel = min(found)
        return day, channel

    def questions(self) -> list[_Row]:
        """Their messages that asked something.

        READING: a question asked In person or on a Video call was answered in that conversation.
        """
        return [r for r in self.received if r.touch.purpose in ASKING and r.touch.channel not in AT_THE_MEETING]

    def is_answer(self, message: _Row, policy: Policy) -> bool:
        """A message of the student's that answers one of theirs.

        READING (the README's policy section, as the workbook's formulas read it): a message
        is an answer when the touch just before it (meetings aside) is one of theirs, of any
        purpose, no more than ``spacing_days`` earlier.
        """
        return self.answers_on(message.key, message.touch.date, policy)

    def answers_on(self, key: tuple[dt.date, int], day: dt.date, policy: Policy) -> bool:
        """Would a message at ``key`` (sent on ``day``) answer theirs? See :meth:`is_answer`."""
        sent = {id(r) for r in self.sent}
        conversation = [r for r in self.rows if id(r) in sent or r in self.received and r.touch.purpose != "Meeting"]
        before = [r for r in conversation if r.key < key]
        if not before or id(before[-1]) in sent:
            return False
        return (day - before[-1].touch.date).days <= policy.spacing_days

    def unanswered_questions(self) -> list[_Row]:
        """Questions no later message of the student's and no meeting on or after them settles."""
        return [
            q for q in self.questions()
            if not any(r.key > q.key for r in self.sent) and not any(day >= q.touch.date for day in self.meetings)
        ]

    def agreed_met_on(self) -> dt.date | None:
        """The first day a touch met the agreed date, if one has.

        Table: "any touchpoint (either direction) on or after that date". DOMAIN: "An incoming
        message never counts as the student keeping their own promise." READING: an incoming
        Question or Meeting request does not meet the agreed date (they are asking; the reply
        does); any other touch does, a conversation in which they asked included, and so does a
        meeting on or after the date.
        """
        agreed = self.person.agreed_next
        assert agreed is not None
        asks = {id(r) for r in self.questions()}
        days = [r.touch.date for r in self.rows if r.touch.date >= agreed and id(r) not in asks]
        days += [day for day in self.meetings if day >= agreed]
        return min(days) if days else None


def _outgoing(touch: Touch) -> bool:
    """Sent, or a blank Direction (the reader counts blank as Sent)."""
    return touch.direction != "Received"


# ---- the calendar -------------------------------------------------------------------------


def _working_day(day: dt.date, policy: Policy) -> dt.date:
    """With business days on, the due date moves to the next weekday that is not a holiday."""
    if not policy.business_days:
        return day
    while day.weekday() >= 5 or day in policy.holidays:
        day += dt.timedelta(days=1)
    return day


def _not_a_weekend_call(day: dt.date, channel: str, policy: Policy) -> dt.date:
    """"Calls and voicemails are never due on a weekend" (in any mode)."""
    if channel in ("Phone call", "Voicemail"):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        day = _working_day(day, policy)
    return day


# ---- channels -----------------------------------------------------------------------------


def _usable(channel: str, rule: str, history: _History) -> bool:
    """DOMAIN: "Email needs an address, a phone channel a number, LinkedIn a profile. A handwritten
    card suits a thank-you or a keep-in-touch"; "a text message is not suggested to someone met once";
    a job interview's thank-you is "by email (a card may follow, never instead)".

    READING: a card also needs a meeting (the sheet has no postal address; after a meeting the
    student has one), and a text message needs two meetings or more.
    """
    person = history.person
    if channel == "Email":
        return bool(person.email)
    if channel in PHONE_CHANNELS:
        return bool(person.phone) and (channel != "Text message" or len(history.meetings) >= 2)
    if channel == "LinkedIn":
        return bool(person.linkedin)
    if channel == "Handwritten card":
        job_thanks = rule == "thank-you" and person.how_met == "Job interview"
        return rule in CARD_RULES and bool(history.meetings) and not job_thanks
    return False


def _rotate(rule: str, history: _History, after: str | None, avoid: frozenset[str | None] = frozenset(),
            allowed: frozenset[str] | None = None) -> str:
    """The next usable channel after ``after`` in the switch-it-up rotation.

    READING: with no previous channel (or one outside the rotation, e.g. In person) the rotation
    starts at Email. A channel in ``avoid`` is skipped while another is usable; with one usable
    channel, it is the suggestion; with none, nothing ("").
    """
    start = ROTATION.index(after) + 1 if after in ROTATION else ROTATION.index("Email")
    order = ROTATION[start:] + ROTATION[:start]
    usable = [c for c in order if _usable(c, rule, history) and (allowed is None or c in allowed)]
    if not usable:
        return ""
    preferred = [c for c in usable if c not in avoid and c != after]
    return preferred[0] if preferred else usable[0]


def _channel_of(row: _Row | None) -> str | None:
    return row.touch.channel if row else None


def _suggest(rule: str, history: _History, *, thank_you_channel: str | None = None,
             first_channel: str | None = None) -> str:
    """The channel for one follow-up. "When the workbook records it (*Best way to reach*), that is
    the channel" — READING: for every rule but a reply, whether or not its address is filled in; a
    reply goes "in the channel they used" when that is usable (the specific rule wins)."""
    person = history.person
    last = _channel_of(history.last_sent())
    if rule == "reply":
        # READING: the channel of their earliest unanswered question that is usable (a question
        # asked by card, then by email, is answered by email).
        for row in history.unanswered_questions():
            theirs = row.touch.channel
            if theirs and _usable(theirs, rule, history):
                return theirs
    if person.best_way:
        return person.best_way
    job = person.how_met == "Job interview"
    if rule == "thank-you":
        # READING: "Email is fine; a handwritten card stands out": email first, within a day; a card
        # when there is no address; for a job interview "by email". With neither usable, the
        # switch-it-up rotation on from the last message, as for every other follow-up.
        for channel in ("Email", "Handwritten card"):
            if _usable(channel, rule, history):
                return channel
        return _rotate(rule, history, last)
    if rule == "first-follow-up":
        # "in another form" than the thank-you; a job interview's status check "by email or phone".
        if job and (_usable("Email", rule, history) or _usable("Phone call", rule, history)):
            return _rotate(rule, history, thank_you_channel, allowed=frozenset({"Email", "Phone call"}))
        return _rotate(rule, history, thank_you_channel)
    if rule == "second-follow-up":
        # "a third channel": neither the thank-you's nor the first follow-up's, rotating on from the
        # last message (READING: a later message on the first follow-up's day counts as the last).
        return _rotate(rule, history, last, avoid=frozenset({thank_you_channel, first_channel}))
    if rule == "offer-thanks" and _usable("Email", rule, history):
        return "Email"  # "one short 'tell and thank' note ..., by email"
    return _rotate(rule, history, last)


# ---- the rules ----------------------------------------------------------------------------


def _due(rule: str, raw: dt.date, history: _History, policy: Policy, channel: str) -> dt.date:
    """Spacing, then working days, then no calls at weekends.

    Spacing: "nothing is due within 7 days of the last outgoing touch" (due on the 7th day at the
    earliest). READING: the Thank-you sent column counts as an outgoing touch here.
    """
    day = raw
    last = history.last_outgoing_day()
    if rule not in SPACING_EXEMPT and last is not None:
        day = max(day, last + dt.timedelta(days=policy.spacing_days))
    day = _working_day(day, policy)
    return _not_a_weekend_call(day, channel, policy)


def _item(rule: str, raw: dt.date, history: _History, policy: Policy, channel: str, *, about: str | None = None,
          after: dt.date | None = None, on_or_after: dt.date | None = None, not_by_an_answer: bool = False) -> Item:
    return Item(history.person.name, rule, _due(rule, raw, history, policy, channel), channel, about, after,
                on_or_after, not_by_an_answer)


#: The cadence's starting day, moved to the touch that met the agreed date when that is later.
Anchor = Callable[[dt.date], dt.date]


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _keep_in_touch_days(history: _History, policy: Policy, slower: bool = False) -> int:
    """120 days; 60 for a warm contact; doubled while cooling off (or after a Brief reply)."""
    days = WARM_KEEP_IN_TOUCH_DAYS if history.warm else policy.keep_in_touch_days
    if slower or history.cooled(policy):
        days *= policy.cool_off_factor
    return days


def _own_items(history: _History, policy: Policy) -> list[Item]:
    """The rules about this contact alone (not referrals, not the offer)."""
    person = history.person
    status = person.status or ACTIVE
    items: list[Item] = []
    agreed_pending = False
    agreed_met: dt.date | None = None
    if person.agreed_next is not None:
        agreed_met = history.agreed_met_on()
        agreed_pending = agreed_met is None
        if agreed_pending:
            items.append(_item("agreed-date", person.agreed_next, history, policy,
                               _suggest("agreed-date", history), on_or_after=person.agreed_next))
    # "a Paused contact with an agreed date is due on that date, and nothing else".
    if status != ACTIVE:
        return items

    unanswered = history.unanswered_questions()
    if unanswered:
        items.append(_item("reply", unanswered[0].touch.date + _days(REPLY_DAYS), history, policy,
                           _suggest("reply", history), on_or_after=unanswered[0].touch.date))

    def anchor(day: dt.date) -> dt.date:
        # "Once a touchpoint meets the agreed date, the cadence counts from that touch."
        return max(day, agreed_met) if agreed_met is not None else day

    if history.meetings:
        items += _met_cadence(history, policy, agreed_pending, anchor)
    else:
        items += _not_met_cadence(history, policy, agreed_pending, anchor)
    return items


def _met_cadence(history: _History, policy: Policy, agreed_pending: bool, anchor: Anchor) -> list[Item]:
    """Thank-you, first and second follow-up, keep in touch: the current stage only.

    While an agreed date is pending "the cadence (first, second, keep in touch) waits for it ...
    a thank-you is still due".
    """
    meeting = history.meetings[-1]
    thanked = history.thank_you()
    if thanked is None:
        return [_item("thank-you", meeting + _days(policy.thank_you_days), history, policy,
                      _suggest("thank-you", history), on_or_after=meeting)]
    if agreed_pending:
        return []
    thank_day, thank_channel = thanked
    # "A message answering theirs does not use up the first follow-up."
    first = next((r for r in history.sent if r.touch.date > thank_day and not history.is_answer(r, policy)), None)
    if first is None:
        # Job interviews: "check on the status about a week later" (READING: a week after the thank-you).
        days = JOB_STATUS_CHECK_DAYS if history.person.how_met == "Job interview" else policy.first_follow_up_days
        channel = _suggest("first-follow-up", history, thank_you_channel=thank_channel)
        return [_item("first-follow-up", anchor(thank_day) + _days(days), history, policy, channel,
                      after=thank_day, not_by_an_answer=True)]
    # "After a *Brief* reply, skip the second follow-up and go to a slower keep-in-touch."
    # READING: "a Brief reply" is the latest rated reply; "slower" is the cooled (doubled) interval.
    brief = history.latest_rating() == "Brief"
    # "A reply inside a conversation is not a follow-up": the second one either.
    second = next((r for r in history.sent
                   if r.touch.date > first.touch.date and not history.is_answer(r, policy)), None)
    if second is None and not brief:
        channel = _suggest("second-follow-up", history, thank_you_channel=thank_channel,
                           first_channel=first.touch.channel)
        return [_item("second-follow-up", anchor(first.touch.date) + _days(policy.second_follow_up_days),
                      history, policy, channel, after=first.touch.date, not_by_an_answer=True)]
    return [_keep_in_touch(history, policy, anchor, slower=brief)]


def _keep_in_touch(history: _History, policy: Policy, anchor: Anchor, slower: bool = False) -> Item:
    last = history.last_outgoing_day()
    assert last is not None
    return _item("keep-in-touch", anchor(last) + _days(_keep_in_touch_days(history, policy, slower)),
                 history, policy, _suggest("keep-in-touch", history))


def _not_met_cadence(history: _History, policy: Policy, agreed_pending: bool, anchor: Anchor) -> list[Item]:
    """People not met yet: the warm-reply thank-you, the nudge, or keep in touch.

    READING: "Someone who answers with real help (a reply rated *Warm*) is thanked within a day,
    met or not" — for a met contact the meeting's thank-you already does this, so this reference
    applies it to people not met (as issue 16 says): a thank-you is due the day after the latest
    warm reply (its Reply date, or the message's date when blank) unless a Thank-you was sent on
    or after that day. READING: the nudge waits for a pending agreed date like the cadence does.
    """
    items: list[Item] = []
    warm = [r for r in history.sent if history.rating(r) == "Warm"]
    if warm:
        touch = warm[-1].touch
        day = touch.reply_date or history.answered_on(warm[-1]) or touch.date
        thanked = any(r.touch.purpose == "Thank-you" and r.touch.date >= day for r in history.sent)
        column = history.person.thank_you_sent
        if not thanked and not (column is not None and day <= column <= history.as_of):
            items.append(_item("thank-you", day + _days(policy.thank_you_days), history, policy,
                               _suggest("thank-you", history), on_or_after=day))
    if agreed_pending or not history.sent:
        return items
    requests = history.asked()
    if requests and not history.replied(requests[-1]):
        # "An unanswered request (no meeting yet) gets a nudge a week later, in another form".
        # READING: a later message that asks nothing (an update, a thank-you) is not the nudge;
        # the spacing rule holds the nudge to a week after that message.
        asked_on = requests[-1].touch.date
        items.append(_item("nudge", anchor(asked_on) + _days(NUDGE_DAYS), history, policy,
                           _suggest("nudge", history), after=asked_on))
        return items
    # "A contact with no meeting date but with messages sent is on keep-in-touch alone" (README).
    items.append(_keep_in_touch(history, policy, anchor))
    return items


def _histories(people: list[Person], touches: list[Touch], as_of: dt.date) -> dict[str, _History]:
    """One history per contact (the first row wins for a repeated name); touches after as-of left out."""
    histories: dict[str, _History] = {}
    for person in people:
        histories.setdefault(fold(person.name), _History(person, as_of))
    seen: set[tuple[object, ...]] = set()
    for order, touch in enumerate(touches):
        # READING (issue 17): a row pasted twice, the same in every column, counts once.
        row = tuple(vars(touch).values())
        if row in seen:
            continue
        seen.add(row)
        history = histories.get(fold(touch.contact))
        if history is not None and touch.date <= as_of:
            history.rows.append(_Row(order, touch))
    for history in histories.values():
        history.rows.sort(key=lambda r: r.key)
    return histories


def _can_receive(history: _History) -> bool:
    """Active and not silent: referrer notes and offer notes only go to such contacts."""
    return (history.person.status or ACTIVE) == ACTIVE and not history.silent()


def _referral_items(histories: dict[str, _History], policy: Policy) -> list[Item]:
    """Referrer update and referrer thanks, on the referrer's row.

    Table: referrer update "7 days after the first meeting with a contact that someone referred";
    satisfied by "an outgoing touchpoint to the referrer ... after that meeting". READING: on or
    after the meeting day (a note the same evening counts), as the round-one tests say.
    DOMAIN: "acting on an introduction (writing to the referred person before meeting them) is a
    moment to thank the referrer within two days". READING: the first message to the referred
    person before their first meeting (written or by phone: an In person or Video call touch is
    not "writing"); satisfied by any message to the referrer on or after it.
    """
    items: list[Item] = []
    for referred in histories.values():
        referrer = histories.get(fold(referred.person.referred_by))
        if referrer is None or referrer is referred or not _can_receive(referrer):
            continue
        first_meeting = referred.meetings[0] if referred.meetings else None
        to_referrer = [r.touch.date for r in referrer.sent]
        if first_meeting is not None and not any(day >= first_meeting for day in to_referrer):
            items.append(_item("referrer-update", first_meeting + _days(policy.referrer_update_days), referrer,
                               policy, _suggest("referrer-update", referrer), about=referred.person.name,
                               on_or_after=first_meeting))
        before = [r for r in referred.sent if r.touch.channel not in AT_THE_MEETING
                  and (first_meeting is None or r.touch.date < first_meeting)]
        if before and not any(day >= before[0].touch.date for day in to_referrer):
            wrote = before[0].touch.date
            items.append(_item("referrer-thanks", wrote + _days(REFERRER_THANKS_DAYS), referrer, policy,
                               _suggest("referrer-thanks", referrer), about=referred.person.name,
                               on_or_after=wrote))
    return items


def _offer_items(histories: dict[str, _History], policy: Policy, offer: dt.date) -> list[Item]:
    """"When the student records the offer they accepted, everyone who helped (the referral chain
    first) is owed a short note within a week: tell them and thank them."

    READING: those who helped are every active contact met on or before the offer day, and
    everyone up the referral chain (Referred by, followed up) from a contact met at a Job
    interview; the interviewers themselves are the employer's side, not helpers, and are left
    out. A message on or after the offer day settles it.
    """
    helpers: list[_History] = [h for h in histories.values()
                               if h.person.how_met != "Job interview" and any(day <= offer for day in h.meetings)]
    for history in histories.values():
        if history.person.how_met != "Job interview":
            continue
        seen = {id(history)}
        up = histories.get(fold(history.person.referred_by))
        while up is not None and id(up) not in seen:
            seen.add(id(up))
            helpers.append(up)
            up = histories.get(fold(up.person.referred_by))
    items: list[Item] = []
    for history in {id(h): h for h in helpers}.values():
        if _can_receive(history) and not any(r.touch.date >= offer for r in history.sent):
            items.append(_item("offer-thanks", offer + _days(OFFER_THANKS_DAYS), history, policy,
                               _suggest("offer-thanks", history), on_or_after=offer))
    return items


def followups(people: list[Person], touches: list[Touch], policy: Policy, as_of: dt.date,
              offer_accepted_on: dt.date | None = None) -> list[Item]:
    """Every follow-up item due, before one-next-step merging."""
    histories = _histories(people, touches, as_of)
    items: list[Item] = []
    for history in histories.values():
        status = history.person.status or ACTIVE
        if status in CLOSED or history.silent():
            continue
        items += _own_items(history, policy)
    items += _referral_items(histories, policy)
    if offer_accepted_on is not None:
        items += _offer_items(histories, policy, offer_accepted_on)
    return items


def _settles(item: Item, day: dt.date, answer: bool) -> bool:
    """Would the one message, sent on ``day``, settle ``item``? (``answer``: it answers their question.)"""
    if item.not_by_an_answer and answer:
        return False
    if item.after is not None and not day > item.after:
        return False
    return item.on_or_after is None or day >= item.on_or_after


def next_steps(people: list[Person], touches: list[Touch], policy: Policy, as_of: dt.date,
               offer_accepted_on: dt.date | None = None) -> dict[str, Step]:
    """One next step per contact (by name as in Contacts).

    "of the rules due for a contact, the earliest is the next step, and it carries every reason
    that one message settles". READING: ties go to the rule first in the rule table; the message
    is sent on its due date, or today when overdue; it carries every reason, a thank-you included
    (a note to a referrer just met thanks them too), but it cannot meet a date still to come, and
    when it answers theirs (see :meth:`_History.is_answer`) it is not a follow-up ("A message
    answering theirs does not use up the first follow-up"). ``also`` lists the other rules it settles, once each,
    never the next step's own rule.
    """
    by_contact: dict[str, list[Item]] = {}
    for item in followups(people, touches, policy, as_of, offer_accepted_on):
        by_contact.setdefault(item.contact, []).append(item)
    histories = _histories(people, touches, as_of)
    steps: dict[str, Step] = {}
    for contact, items in by_contact.items():
        items.sort(key=lambda i: (i.due, RULES.index(i.rule)))
        first = items[0]
        day = max(first.due, as_of)
        history = histories.get(fold(contact))
        answer = history is not None and history.answers_on((day, 1 << 30), day, policy)
        also = sorted({i.rule for i in items[1:] if _settles(i, day, answer)} - {first.rule})
        steps[contact] = Step(contact, first.rule, first.due, first.channel, tuple(also), first.about)
    return steps
