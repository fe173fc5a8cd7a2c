"""The follow-up engine: from a tracker's tables to what is due, for whom, and why.

It implements the default policy of DOMAIN.md with every interval taken from
:class:`~sheetkit.config.Policy`:

* **thank-you** — due ``thank_you_days`` after the meeting, until an outgoing
  touchpoint with purpose Thank-you on or after the meeting date, or a date in
  Thank-you sent.
* **first-follow-up** — due ``first_follow_up_days`` after the thank-you,
  until any outgoing touchpoint after it.
* **second-follow-up** — due ``second_follow_up_days`` after the first
  follow-up, until any outgoing touchpoint after that.
* **keep-in-touch** — due ``keep_in_touch_days`` after the last outgoing
  touch; doubled (``cool_off_factor``) for a contact in cool-off: the last
  ``cool_off_unanswered`` outgoing touches got no reply, or every rated reply
  was Brief. A contact without a meeting date but with outgoing touches is
  on this rule alone.
* **spacing** — no cadence date falls within ``spacing_days`` of the last
  outgoing touch.
* **agreed-date** — due on the date the contact named, until any touchpoint
  in either direction on or after it. When it is no later than the cadence
  date it replaces the cadence item; otherwise both are listed.
* **referrer-update** — due ``referrer_update_days`` after the meeting with a
  referred contact, on the referrer, until an outgoing touch to the referrer
  on or after that meeting.
* **closed** — Status Paused, Closed or Do not contact: nothing is due.

An outgoing touchpoint counts as **replied** when Got reply is Yes, or when a
Received touchpoint from the same contact is dated on or after it and before
the contact's next later-dated outgoing touch. The workbook's own formulas
implement the same definitions (all but cool-off and referrer updates).

The work is vectorised: contacts become integer codes, touchpoints are sorted
once by (contact, date), and every per-contact fact is a numpy reduction or a
binary search over that order. There is no Python loop over touchpoints, and
few enough array operations that a 100-contact tracker costs about a
millisecond (pandas' group-bys cost a fraction of a millisecond each in
overhead alone, which dominated small trackers and a cohort of them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sheetkit.config import Policy
from sheetkit.model import Followup, Tracker
from sheetkit.spec import CLOSED_STATUSES

#: The forms a follow-up can take, in the order they are suggested.
CHANNEL_ROTATION: tuple[str, ...] = (
    "Email",
    "Handwritten card",
    "LinkedIn",
    "Phone call",
    "Voicemail",
    "Text message",
)

WARMTH_LEVELS: tuple[str, ...] = ("Booster", "Obligate", "Curmudgeon", "unknown")


@dataclass
class EngineArrays:
    """The engine's working columns as numpy arrays, for statistics without pandas' per-call overhead.

    Per contact row: ``primary``, ``codes`` (one code per folded name), ``date_met`` and
    ``thanked_on`` (int64 day numbers, :data:`NAT` when blank), ``how_met``, ``name``,
    ``referrer_code`` (code of the referrer, -1 if none), ``gone_quiet``, ``warmth``;
    ``first_row`` maps a code to its first row. Per outgoing touchpoint (the rows
    of ``Engine.sends``): ``send_*``. Per counted touchpoint: ``touch_*``.
    """

    primary: np.ndarray
    codes: np.ndarray
    first_row: np.ndarray
    date_met: np.ndarray
    thanked_on: np.ndarray
    how_met: np.ndarray
    name: np.ndarray
    referrer_code: np.ndarray
    gone_quiet: np.ndarray
    warmth: np.ndarray
    send_codes: np.ndarray
    send_replied: np.ndarray
    send_channel: np.ndarray
    send_purpose: np.ndarray
    send_days_to_reply: np.ndarray
    touch_days: np.ndarray
    touch_sent: np.ndarray
    touch_received: np.ndarray


@dataclass
class Engine:
    """The result of running the policy over a tracker.

    ``followups`` is sorted overdue-first (most overdue first), then by due
    date. ``contacts`` is the per-contact summary (one row per contact, in
    sheet order); ``sends`` holds the outgoing touchpoints with ``replied``,
    ``reply_on`` and ``days_to_reply``.
    """

    as_of: dt.date
    policy: Policy
    followups: list[Followup]
    contacts: pd.DataFrame
    sends: pd.DataFrame
    touchpoints: pd.DataFrame
    arrays: EngineArrays



#: Dates are int64 day numbers (days since 1970-01-01) inside the engine; NaT is the smallest int64.
NAT = np.iinfo(np.int64).min
_BIG = np.iinfo(np.int64).max
#: (contact code, day) pairs are packed into one sortable int64: code * _SPAN + (day - _DAY0).
_DAY0 = -1_000_000  # before 0001-01-01 (day -719,162)
_SPAN = 4_000_000  # more than the days from _DAY0 to 9999-12-31 (day 2,932,896)


def _days(series: pd.Series) -> np.ndarray:
    """A datetime column as int64 day numbers, NaT as :data:`NAT`."""
    return series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").view(np.int64)


def _stamps(days: np.ndarray) -> np.ndarray:
    """Day numbers back to ``datetime64[ns]`` (NaT stays NaT)."""
    return days.view("datetime64[D]").astype("datetime64[ns]")


class _Calendar:
    """Adds policy days to dates, in calendar or business days (the sheet's WORKDAY)."""

    def __init__(self, policy: Policy) -> None:
        self.business = policy.business_days
        self.holidays = np.array(policy.holidays, dtype="datetime64[D]")

    def add(self, days: np.ndarray, offset: int | np.ndarray) -> np.ndarray:
        missing = days == NAT
        offset = np.asarray(offset, dtype=np.int64)
        if self.business:
            safe = np.where(missing, np.int64(10_959), days).view("datetime64[D]")  # 2000-01-03, a Monday
            shifted = np.busday_offset(safe, offset, roll="backward", holidays=self.holidays).view(np.int64)
            # WORKDAY(start, 0) is the start itself, even on a weekend.
            shifted = np.where(offset == 0, safe.view(np.int64), shifted)
        else:
            shifted = days + offset
        return np.where(missing, NAT, shifted)


class _Events:
    """Events (touchpoints) sorted by (contact code, day, sheet order), for per-contact reductions.

    ``index`` maps sorted position -> position in the unsorted arrays it was built from.
    """

    def __init__(self, codes: np.ndarray, days: np.ndarray, contacts: int) -> None:
        self.index = np.lexsort((days, codes))
        self.codes = codes[self.index]
        self.days = days[self.index]
        self.keys = self.codes * _SPAN + (self.days - _DAY0)
        self.contacts = contacts
        counts = np.bincount(self.codes, minlength=contacts)
        self.ends = np.cumsum(counts)
        self.starts = self.ends - counts

    def take(self, values: np.ndarray) -> np.ndarray:
        return values[self.index]

    def first_after(self, bounds: np.ndarray, inclusive: bool) -> np.ndarray:
        """Per contact, the earliest event day on/after (``inclusive``) or after its bound; NaT if none."""
        result = np.full(self.contacts, NAT, dtype=np.int64)
        codes = np.flatnonzero(bounds != NAT)
        if not len(codes) or not len(self.keys):
            return result
        wanted = codes * _SPAN + (bounds[codes] - _DAY0)
        found = np.searchsorted(self.keys, wanted, side="left" if inclusive else "right")
        hit = found < self.ends[codes]
        result[codes[hit]] = self.days[found[hit]]
        return result

    def last_of_each(self, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(codes, sorted positions) of each contact's last event (among ``mask``)."""
        return self._edge(mask, last=True)

    def first_of_each(self, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self._edge(mask, last=False)

    def _edge(self, mask: np.ndarray | None, last: bool) -> tuple[np.ndarray, np.ndarray]:
        positions = np.arange(len(self.codes)) if mask is None else np.flatnonzero(mask)
        codes = self.codes[positions]
        if last:
            edge = np.ones(len(codes), dtype=bool)
            edge[:-1] = codes[1:] != codes[:-1]
        else:
            edge = np.ones(len(codes), dtype=bool)
            edge[1:] = codes[1:] != codes[:-1]
        return codes[edge], positions[edge]

    def min_day(self, mask: np.ndarray | None = None) -> np.ndarray:
        codes, positions = self.first_of_each(mask)
        return _spread(self.contacts, codes, self.days[positions], NAT)

    def max_day(self, mask: np.ndarray | None = None) -> np.ndarray:
        codes, positions = self.last_of_each(mask)
        return _spread(self.contacts, codes, self.days[positions], NAT)

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        codes = self.codes if mask is None else self.codes[mask]
        return np.bincount(codes, minlength=self.contacts)


def _spread(size: int, codes: np.ndarray, values: np.ndarray, fill: Any) -> np.ndarray:
    """An array of ``size`` with ``values`` at ``codes`` and ``fill`` elsewhere."""
    dtype = object if fill is None else values.dtype
    result = np.full(size, fill, dtype=dtype)
    result[codes] = values
    return result


def _text(series: pd.Series) -> np.ndarray:
    """An object column with pandas' missing values (NaN) as None."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values


def run_policy(tracker: Tracker, policy: Policy, as_of: dt.date) -> Engine:
    """Work out every follow-up due in ``tracker`` as of ``as_of``."""
    calendar = _Calendar(policy)
    contacts = tracker.contacts
    keys = contacts["key"].to_numpy(dtype=object)
    codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    codes = codes.astype(np.int64)
    size = len(uniques)
    # Each contact name counts once: touchpoints belong to the first row with that name.
    first_row = np.zeros(size, dtype=np.int64)
    first_row[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    primary = np.zeros(len(codes), dtype=bool)
    primary[first_row] = True

    index = pd.Index(uniques)
    all_touches = tracker.touchpoints
    touch_codes = index.get_indexer(all_touches["contact_key"].to_numpy(dtype=object)).astype(np.int64)
    touch_days = _days(all_touches["date"])
    valid = (touch_codes >= 0) & (touch_days != NAT)
    touches = all_touches[valid] if not valid.all() else all_touches.copy()
    t = _Touches(touches, touch_codes[valid], touch_days[valid])
    sends, send = _sends_with_replies(t, size)
    facts = _contact_facts(contacts, first_row, t, send, size, policy)

    row = {name: values[codes] for name, values in facts.items()}
    row["date_met"] = _days(contacts["date_met"])
    row["agreed_next"] = _days(contacts["agreed_next"])
    row["status"] = contacts["status"].to_numpy(dtype=object)
    row["primary"] = primary
    row["referrer_code"] = index.get_indexer(contacts["referred_by_key"].to_numpy(dtype=object)).astype(np.int64)
    cadence = _cadence(row, policy, calendar)
    row.update(cadence)
    row["warmth"] = _warmth(row, policy)
    open_rows = primary & ~np.isin(row["status"], list(CLOSED_STATUSES))
    items = _items(row, open_rows, codes, first_row, contacts, policy, calendar)
    next_due, next_rule = _next_due(items, codes, size)

    columns: dict[str, Any] = {"primary": primary}
    for name in _FACT_COLUMNS:
        values = row[name]
        columns[name] = _stamps(values) if name in _DATE_FACTS else values
    columns["cadence_rule"] = row["cadence_rule"]
    columns["cadence_due"] = _stamps(row["cadence_due"])
    columns["spaced"] = row["spaced"]
    columns["warmth"] = row["warmth"]
    columns["next_due"] = _stamps(next_due[codes])
    columns["next_rule"] = next_rule[codes]
    out = pd.concat([contacts, pd.DataFrame(columns, index=contacts.index)], axis=1)
    followups = _followups(items, row, first_row, contacts, as_of, policy)
    arrays = EngineArrays(
        primary=primary, codes=codes, first_row=first_row, date_met=row["date_met"], thanked_on=row["thanked_on"],
        how_met=_text(contacts["how_met"]), name=contacts["name"].to_numpy(dtype=object),
        referrer_code=row["referrer_code"], gone_quiet=row["gone_quiet"], warmth=row["warmth"],
        send_codes=send.codes, send_replied=send.replied, send_channel=send.channel,
        send_purpose=_text(sends["purpose"]), send_days_to_reply=send.days_to_reply,
        touch_days=t.days, touch_sent=t.sent, touch_received=t.received,
    )
    return Engine(as_of=as_of, policy=policy, followups=followups, contacts=out, sends=sends, touchpoints=touches,
                  arrays=arrays)


@dataclass
class _Touches:
    """The counted touchpoints (a known contact and a date) as arrays, in sheet order."""

    frame: pd.DataFrame
    codes: np.ndarray
    days: np.ndarray

    def __post_init__(self) -> None:
        self.direction = self.frame["direction"].to_numpy(dtype=object)
        self.sent = self.direction == "Sent"
        self.received = self.direction == "Received"


@dataclass
class _Sends:
    """The outgoing touchpoints as arrays (sheet order) and sorted per contact."""

    codes: np.ndarray
    days: np.ndarray
    replied: np.ndarray
    reply_on: np.ndarray
    days_to_reply: np.ndarray
    channel: np.ndarray
    purpose: np.ndarray
    events: _Events


def _sends_with_replies(t: _Touches, size: int) -> tuple[pd.DataFrame, _Sends]:
    """Outgoing touchpoints with whether, when and how fast they were answered.

    A Received touchpoint answers the contact's latest outgoing day on or before it
    (an as-of match); each outgoing day takes its earliest answer.
    """
    position = np.flatnonzero(t.sent)
    codes, days = t.codes[position], t.days[position]
    frame = t.frame.iloc[position]
    answered = np.full(len(position), NAT, dtype=np.int64)
    received = np.flatnonzero(t.received)
    if len(received) and len(position):
        sent_keys = np.unique(codes * _SPAN + (days - _DAY0))
        received_keys = t.codes[received] * _SPAN + (t.days[received] - _DAY0)
        match = np.searchsorted(sent_keys, received_keys, side="right") - 1
        ok = match >= 0
        ok[ok] = sent_keys[match[ok]] // _SPAN == t.codes[received[ok]]
        first_answer = np.full(len(sent_keys), _BIG, dtype=np.int64)
        np.minimum.at(first_answer, match[ok], t.days[received[ok]])
        first_answer[first_answer == _BIG] = NAT
        answered = first_answer[np.searchsorted(sent_keys, codes * _SPAN + (days - _DAY0))]
    replied = (frame["got_reply"].to_numpy(dtype=object) == "Yes") | (answered != NAT)
    reply_date = _days(frame["reply_date"])
    reply_on = np.where(reply_date != NAT, reply_date, answered)
    reply_on = np.where(replied, reply_on, NAT)
    delay = (reply_on - days).astype(np.float64)
    days_to_reply = np.where((reply_on != NAT) & (reply_on >= days), delay, np.nan)
    sends = frame.assign(answered_on=_stamps(answered), replied=replied, reply_on=_stamps(reply_on),
                         days_to_reply=days_to_reply)
    send = _Sends(codes=codes, days=days, replied=replied, reply_on=reply_on, days_to_reply=days_to_reply,
                  channel=_text(frame["channel"]), purpose=frame["purpose"].to_numpy(dtype=object),
                  events=_Events(codes, days, size))
    return sends, send


#: Per-contact facts added to the contacts table, in column order.
_FACT_COLUMNS: tuple[str, ...] = (
    "sent", "replies", "last_outgoing", "last_channel", "median_days_to_reply", "received", "last_touch",
    "thank_you_channel", "unanswered_streak", "brief_replies", "warm_replies", "last_reply", "thanked_on",
    "first_follow_up_on", "second_follow_up_on", "first_follow_up_channel", "agreed_met_on", "gone_quiet",
    "cool_off",
)
_DATE_FACTS = frozenset({"last_outgoing", "last_touch", "last_reply", "thanked_on", "first_follow_up_on",
                         "second_follow_up_on", "agreed_met_on"})


def _first_text(events: _Events, values: np.ndarray, mask: np.ndarray | None, last: bool = False) -> np.ndarray:
    """Per contact, the first (or last) non-blank value among the sorted events in ``mask``."""
    present = np.array([v is not None for v in values], dtype=bool) if len(values) else np.zeros(0, dtype=bool)
    chosen = present if mask is None else present & mask
    codes, positions = events.last_of_each(chosen) if last else events.first_of_each(chosen)
    return _spread(events.contacts, codes, values[positions], None)


def _median_per_contact(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per contact code, the median of its non-NaN values (NaN if none)."""
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    order = np.lexsort((values, codes))
    codes, values = codes[order], values[order]
    counts = np.bincount(codes, minlength=size)
    starts = np.cumsum(counts) - counts
    result = np.full(size, np.nan)
    has = np.flatnonzero(counts)
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    result[has] = (values[low] + values[high]) / 2
    return result


def _contact_facts(contacts: pd.DataFrame, first_row: np.ndarray, t: _Touches, send: _Sends, size: int,
                   policy: Policy) -> dict[str, np.ndarray]:
    """Dates and counts per contact code: thank-you, follow-ups, last touches, cool-off."""
    events = send.events
    sorted_replied = events.take(send.replied)
    sorted_channel = events.take(send.channel)
    facts: dict[str, np.ndarray] = {
        "sent": events.count(),
        "replies": np.bincount(send.codes, weights=send.replied, minlength=size).astype(np.int64),
        "last_outgoing": events.max_day(),
        "last_channel": _first_text(events, sorted_channel, None, last=True),
        "median_days_to_reply": _median_per_contact(send.codes, send.days_to_reply, size),
    }
    received = t.received
    facts["received"] = np.bincount(t.codes[received], minlength=size)
    last_received = np.full(size, NAT, dtype=np.int64)
    np.maximum.at(last_received, t.codes[received], t.days[received])
    last_touch = np.full(size, NAT, dtype=np.int64)
    np.maximum.at(last_touch, t.codes, t.days)
    facts["last_touch"] = last_touch
    is_thanks = events.take(send.purpose) == "Thank-you"
    facts["thank_you_channel"] = _first_text(events, sorted_channel, is_thanks)
    # The last ``cool_off_unanswered`` outgoing touches of each contact, latest last.
    from_end = events.ends[events.codes] - 1 - np.arange(len(events.codes))
    tail = from_end < policy.cool_off_unanswered
    facts["unanswered_streak"] = np.bincount(events.codes[tail], weights=~sorted_replied[tail],
                                             minlength=size).astype(np.int64)
    quality = t.frame["reply_quality"].to_numpy(dtype=object)
    facts["brief_replies"] = np.bincount(t.codes[quality == "Brief"], minlength=size)
    facts["warm_replies"] = np.bincount(t.codes[quality == "Warm"], minlength=size)
    last_reply_on = np.full(size, NAT, dtype=np.int64)
    np.maximum.at(last_reply_on, send.codes, send.reply_on)
    facts["last_reply"] = np.maximum(last_received, last_reply_on)

    date_met = _days(contacts["date_met"])[first_row]
    thank_you_sent = _days(contacts["thank_you_sent"])[first_row]
    agreed_next = _days(contacts["agreed_next"])[first_row]
    thanks = _Events(events.codes[is_thanks], events.days[is_thanks], size)
    met = date_met != NAT
    from_touches = np.where(met, thanks.first_after(date_met, inclusive=True), thanks.min_day())
    facts["thanked_on"] = _earliest(from_touches, thank_you_sent)
    first = events.first_after(facts["thanked_on"], inclusive=False)
    facts["first_follow_up_on"] = first
    facts["second_follow_up_on"] = events.first_after(first, inclusive=False)
    on_first = (first[events.codes] == events.days) & (events.days != NAT)
    facts["first_follow_up_channel"] = _first_text(events, sorted_channel, on_first)
    everything = _Events(t.codes, t.days, size)
    facts["agreed_met_on"] = everything.first_after(agreed_next, inclusive=True)
    for count in ("sent", "received", "brief_replies", "warm_replies"):
        facts[count] = facts[count].astype(np.int64)
    silent = (facts["sent"] >= policy.cool_off_unanswered) & (facts["unanswered_streak"] >= policy.cool_off_unanswered)
    facts["gone_quiet"] = silent & (policy.cool_off_unanswered > 0)
    facts["cool_off"] = facts["gone_quiet"] | ((facts["brief_replies"] > 0) & (facts["warm_replies"] == 0))
    return facts


def _earliest(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise earliest of two day arrays, ignoring NaT."""
    return np.where(a == NAT, b, np.where(b == NAT, a, np.minimum(a, b)))


def _cadence(row: dict[str, np.ndarray], policy: Policy, calendar: _Calendar) -> dict[str, np.ndarray]:
    """The cadence rule each contact row is on and its due date, spacing applied."""
    met = row["date_met"] != NAT
    thanked = row["thanked_on"] != NAT
    first = row["first_follow_up_on"] != NAT
    second = row["second_follow_up_on"] != NAT
    wrote = row["last_outgoing"] != NAT
    keep_in_touch_days = np.where(row["cool_off"], policy.keep_in_touch_days * policy.cool_off_factor,
                                  policy.keep_in_touch_days)
    conditions = [
        ~met & wrote,
        met & ~thanked,
        met & thanked & ~first,
        met & thanked & first & ~second,
        met & thanked & first & second,
    ]
    rules = ["keep-in-touch", "thank-you", "first-follow-up", "second-follow-up", "keep-in-touch"]
    keep_in_touch = calendar.add(row["last_outgoing"], keep_in_touch_days)
    dues = [
        keep_in_touch,
        calendar.add(row["date_met"], policy.thank_you_days),
        calendar.add(row["thanked_on"], policy.first_follow_up_days),
        calendar.add(row["first_follow_up_on"], policy.second_follow_up_days),
        keep_in_touch,
    ]
    rule = np.select(conditions, rules, default="").astype(object)
    due = np.select(conditions, dues, default=NAT)
    spaced = calendar.add(row["last_outgoing"], policy.spacing_days)
    pushed = (due != NAT) & (spaced != NAT) & (spaced > due)
    return {"cadence_rule": rule, "cadence_due": np.where(pushed, spaced, due), "spaced": pushed}


def _warmth(row: dict[str, np.ndarray], policy: Policy) -> np.ndarray:
    """Booster (quick or warm replies), Obligate (late or brief), Curmudgeon (silent to 2+), else unknown."""
    replied = row["replies"] > 0
    quick = row["median_days_to_reply"] <= policy.quick_reply_days
    warm = row["warm_replies"] > 0
    brief = row["brief_replies"] > 0
    booster = replied & (warm | (quick & ~brief))
    curmudgeon = ~replied & (row["sent"] >= 2)
    return np.select([booster, replied, curmudgeon], ["Booster", "Obligate", "Curmudgeon"],
                     default="unknown").astype(object)


@dataclass
class _Items:
    """Every follow-up item: the row it is for (the referrer's, for updates), rule, due day, the referred row."""

    rows: np.ndarray
    rules: np.ndarray
    due: np.ndarray
    about: np.ndarray  # row of the referred contact, or -1

    def __len__(self) -> int:
        return len(self.rows)


def _items(row: dict[str, np.ndarray], open_rows: np.ndarray, codes: np.ndarray, first_row: np.ndarray,
           contacts: pd.DataFrame, policy: Policy, calendar: _Calendar) -> _Items:
    """Cadence items, then agreed dates, then referrer updates, each in sheet order."""
    agreed = row["agreed_next"]
    agreed_open = open_rows & (agreed != NAT) & (row["agreed_met_on"] == NAT)
    cadence_due = row["cadence_due"]
    replaced = agreed_open & (agreed <= cadence_due)
    cadence = np.flatnonzero(open_rows & (cadence_due != NAT) & ~replaced)
    agreed_rows = np.flatnonzero(agreed_open)
    updates, referrers, update_due = _referrer_updates(row, open_rows, codes, first_row, contacts, policy, calendar)
    return _Items(
        rows=np.concatenate([cadence, agreed_rows, referrers]).astype(np.int64),
        rules=np.concatenate([row["cadence_rule"][cadence], np.full(len(agreed_rows), "agreed-date", dtype=object),
                              np.full(len(referrers), "referrer-update", dtype=object)]),
        due=np.concatenate([cadence_due[cadence], agreed[agreed_rows], update_due]).astype(np.int64),
        about=np.concatenate([np.full(len(cadence) + len(agreed_rows), -1), updates]).astype(np.int64),
    )


def _referrer_updates(row: dict[str, np.ndarray], open_rows: np.ndarray, codes: np.ndarray, first_row: np.ndarray,
                      contacts: pd.DataFrame, policy: Policy,
                      calendar: _Calendar) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One item per referred contact met: tell the referrer how it went. (referred rows, referrer rows, due days)."""
    empty = np.zeros(0, dtype=np.int64)
    candidates = np.flatnonzero(row["primary"] & (row["date_met"] != NAT) & (row["referrer_code"] >= 0))
    if not len(candidates):
        return empty, empty, empty
    referrer_code = row["referrer_code"][candidates]
    referrer = first_row[referrer_code]
    keep = open_rows[referrer] & (referrer_code != codes[candidates])
    referred, referrer = candidates[keep], referrer[keep]
    last_to_referrer = row["last_outgoing"][referrer]
    met = row["date_met"][referred]
    # Satisfied by any outgoing touch to the referrer on or after the meeting.
    told = (last_to_referrer != NAT) & (last_to_referrer >= met)
    due = calendar.add(met, policy.referrer_update_days)
    spaced = calendar.add(last_to_referrer, policy.spacing_days)
    due = np.where((spaced != NAT) & (spaced > due), spaced, due)
    return referred[~told], referrer[~told], due[~told]


def _next_due(items: _Items, codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per contact code, the earliest item's due day and rule (the first listed on a tie)."""
    next_due = np.full(size, NAT, dtype=np.int64)
    next_rule = np.full(size, None, dtype=object)
    if not len(items):
        return next_due, next_rule
    item_codes = codes[items.rows]
    order = np.argsort(items.due, kind="stable")
    _, first = np.unique(item_codes[order], return_index=True)
    chosen = order[first]
    next_due[item_codes[chosen]] = items.due[chosen]
    next_rule[item_codes[chosen]] = items.rules[chosen]
    return next_due, next_rule


def _followups(items: _Items, row: dict[str, np.ndarray], first_row: np.ndarray, contacts: pd.DataFrame,
               as_of: dt.date, policy: Policy) -> list[Followup]:
    """Turn the item table into Followup records with their plain-words reasons.

    Sorted overdue first (most overdue first), then upcoming, then later, each by due
    date and sheet row; ties keep the item order (cadence, agreed date, referrer update).
    """
    if not len(items):
        return []
    late = np.int64((as_of - _EPOCH).days) - items.due
    state = np.where(late > 0, 0, np.where(-late <= policy.upcoming_days, 1, 2))
    days_overdue = np.where(late > 0, late, 0)
    sheet_rows = contacts["row"].to_numpy(dtype=np.int64)
    order = np.lexsort((sheet_rows[items.rows], items.due, -days_overdue, state))
    at, rules, due, about = items.rows[order], items.rules[order], items.due[order], items.about[order]
    names = contacts["name"].to_numpy(dtype=object)
    about_names = np.where(about >= 0, names[np.maximum(about, 0)], None)
    why = _why(rules, at, about, names, row, _text(contacts["how_met"]), policy)
    suggested = _suggest(rules, row["last_channel"][at], row["thank_you_channel"][at],
                         row["first_follow_up_channel"][at])
    return list(map(
        Followup,
        names[at].tolist(),
        _text(contacts["organization"])[at].tolist(),
        rules.tolist(),
        due.view("datetime64[D]").tolist(),
        days_overdue[order].tolist(),
        np.array(_STATES, dtype=object)[state[order]].tolist(),
        why.tolist(),
        suggested.tolist(),
        sheet_rows[at].tolist(),
        about_names.tolist(),
    ))


_STATES = ("overdue", "upcoming", "later")
_EPOCH = dt.date(1970, 1, 1)


def _iso(days: np.ndarray) -> np.ndarray:
    """Day numbers as YYYY-MM-DD text (formatted by numpy), '?' for a blank."""
    text = days.view("datetime64[D]").astype(str).astype(object)
    text[days == NAT] = "?"
    return text


def _why(rules: np.ndarray, at: np.ndarray, about: np.ndarray, names: np.ndarray, row: dict[str, np.ndarray],
         how_met: np.ndarray, policy: Policy) -> np.ndarray:
    """The reason each item is due, in plain words: one text pattern per rule, filled column-wise."""
    why = np.empty(len(rules), dtype=object)

    def fill(rule: str, pattern: str, *columns: np.ndarray) -> np.ndarray:
        chosen = rules == rule
        if chosen.any():
            why[chosen] = list(map(pattern.format, *(column[chosen] for column in columns)))
        return chosen

    where = {how: (f" at {_article(how.lower())}" if isinstance(how, str) and how not in ("Other", "Referral") else "")
             for how in dict.fromkeys(how_met[at].tolist())}
    places = np.array([where[how] for how in how_met[at].tolist()], dtype=object)
    thank_you = fill("thank-you", "Met {}{}; no thank-you yet", _iso(row["date_met"][at]), places)
    first = fill("first-follow-up", "Thanked {}; nothing sent since, so a first follow-up is due",
                 _iso(row["thanked_on"][at]))
    second = fill("second-follow-up", "First follow-up sent {}; time for a second, in another form",
                  _iso(row["first_follow_up_on"][at]))
    cooling = np.where(
        row["cool_off"][at],
        np.where(row["gone_quiet"][at],
                 f"; cooling off (no reply to the last {policy.cool_off_unanswered} messages), so the interval is "
                 f"{policy.keep_in_touch_days * policy.cool_off_factor} days",
                 f"; cooling off (their replies have been brief), so the interval is "
                 f"{policy.keep_in_touch_days * policy.cool_off_factor} days"),
        "",
    ).astype(object)
    keep = fill("keep-in-touch", "Last wrote {}; keep in touch every " + str(policy.keep_in_touch_days) + " days{}",
                _iso(row["last_outgoing"][at]), cooling)
    fill("agreed-date", "You agreed to be in touch again on {}; nothing heard since", _iso(row["agreed_next"][at]))
    referrer = rules == "referrer-update"
    if referrer.any():
        who = names[at[referrer]]
        why[referrer] = [
            f"{name} referred you to {referred}, whom you met {met}; tell {name.split()[0]} how it went"
            for name, referred, met in zip(who.tolist(), names[about[referrer]].tolist(),
                                           _iso(row["date_met"][about[referrer]]).tolist())
        ]
    held = (thank_you | first | second | keep) & row["spaced"][at]
    why[held] = why[held] + f" (held until {policy.spacing_days} days after your last message)"
    return why


def _article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def _suggest(rules: np.ndarray, last: np.ndarray, thank_you: np.ndarray, first_follow_up: np.ndarray) -> np.ndarray:
    """A channel unlike the last one used with each person (and, for follow-ups, unlike the earlier ones)."""
    first_rule = rules == "first-follow-up"
    second_rule = rules == "second-follow-up"
    avoid_thanks = first_rule | second_rule
    usable = [
        (last != channel) & ~(avoid_thanks & (thank_you == channel)) & ~(second_rule & (first_follow_up == channel))
        for channel in CHANNEL_ROTATION
    ]
    return np.select(usable, list(CHANNEL_ROTATION), default=CHANNEL_ROTATION[0]).astype(object)
