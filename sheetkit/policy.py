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

The work is vectorised with pandas (group-bys and as-of merges), so the cost
grows with the number of rows, not with a Python loop over every touchpoint.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sheetkit.config import Policy
from sheetkit.reader import Tracker
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


@dataclass(frozen=True)
class Followup:
    """One follow-up due for one contact under one rule."""

    contact: str
    organization: str | None
    rule: str
    due: dt.date
    days_overdue: int
    state: str
    why: str
    suggested_channel: str
    contact_row: int
    #: For referrer updates: the referred contact the update is about.
    about: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "contact": self.contact,
            "organization": self.organization,
            "rule": self.rule,
            "due": self.due.isoformat(),
            "days_overdue": self.days_overdue,
            "state": self.state,
            "why": self.why,
            "suggested_channel": self.suggested_channel,
        }


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


class _Calendar:
    """Adds policy days to dates, in calendar or business days (the sheet's WORKDAY)."""

    def __init__(self, policy: Policy) -> None:
        self.business = policy.business_days
        self.holidays = np.array(policy.holidays, dtype="datetime64[D]")

    def add(self, dates: pd.Series, days: int | np.ndarray) -> pd.Series:
        values = dates.to_numpy(dtype="datetime64[D]")
        missing = np.isnat(values)
        if self.business:
            safe = np.where(missing, np.datetime64("2000-01-03"), values)
            shifted = np.busday_offset(safe, days, roll="backward", holidays=self.holidays)
            # WORKDAY(start, 0) is the start itself, even on a weekend.
            shifted = np.where(np.asarray(days) == 0, safe, shifted)
        else:
            shifted = values + np.asarray(days).astype("timedelta64[D]")
        shifted = np.where(missing, np.datetime64("NaT"), shifted)
        return pd.Series(shifted.astype("datetime64[ns]"), index=dates.index)


def run_policy(tracker: Tracker, policy: Policy, as_of: dt.date) -> Engine:
    """Work out every follow-up due in ``tracker`` as of ``as_of``."""
    calendar = _Calendar(policy)
    contacts = tracker.contacts.copy()
    touches = tracker.touchpoints
    touches = touches[touches["contact_key"].notna() & touches["date"].notna()].copy()
    # Each contact name counts once: touchpoints belong to the first row with that name.
    contacts["primary"] = ~contacts["key"].duplicated()
    sends = _sends_with_replies(touches)
    facts = _contact_facts(contacts, touches, sends, policy)
    contacts = contacts.join(facts, on="key")
    cadence = _cadence(contacts, policy, calendar)
    contacts = pd.concat([contacts, cadence], axis=1)
    contacts["warmth"] = _warmth(contacts, policy)
    items = _items(contacts, policy, calendar, as_of)
    next_due = _next_due(items, contacts)
    contacts = contacts.join(next_due, on="key")
    followups = _followups(items, contacts, as_of, policy)
    return Engine(as_of=as_of, policy=policy, followups=followups, contacts=contacts, sends=sends, touchpoints=touches)


def _sends_with_replies(touches: pd.DataFrame) -> pd.DataFrame:
    """Outgoing touchpoints with whether, when and how fast they were answered."""
    sends = touches[touches["direction"] == "Sent"].copy()
    received = touches[touches["direction"] == "Received"]
    sent_days = sends[["contact_key", "date"]].drop_duplicates().sort_values("date")
    if len(received) and len(sent_days):
        answered = pd.merge_asof(
            received[["contact_key", "date"]].sort_values("date").rename(columns={"date": "received_on"}),
            sent_days.rename(columns={"date": "sent_on"}),
            left_on="received_on",
            right_on="sent_on",
            by="contact_key",
            direction="backward",
        ).dropna(subset=["sent_on"])
        first_answer = answered.groupby(["contact_key", "sent_on"])["received_on"].min()
        first_answer.name = "answered_on"
        sends = sends.join(first_answer, on=["contact_key", "date"])
    else:
        sends["answered_on"] = pd.Series(pd.NaT, index=sends.index, dtype="datetime64[ns]")
    sends["replied"] = (sends["got_reply"] == "Yes") | sends["answered_on"].notna()
    reply_on = sends["reply_date"].where(sends["reply_date"].notna(), sends["answered_on"])
    sends["reply_on"] = reply_on.where(sends["replied"])
    delay = (sends["reply_on"] - sends["date"]).dt.days
    sends["days_to_reply"] = delay.where(delay >= 0)
    return sends


def _per_event(events: pd.DataFrame, per_contact: pd.Series) -> pd.Series:
    """A per-contact date spread over the events of that contact (NaT where it has none)."""
    if per_contact.empty:
        return pd.Series(pd.NaT, index=events.index, dtype="datetime64[ns]")
    return events["contact_key"].map(per_contact).astype("datetime64[ns]")


def _first_after(events: pd.DataFrame, bounds: pd.Series, inclusive: bool) -> pd.Series:
    """Per contact key, the earliest event date after (or on) that contact's bound."""
    bound = _per_event(events, bounds)
    later = (events["date"] >= bound) if inclusive else (events["date"] > bound)
    chosen = events.loc[later, ["contact_key", "date"]]
    return chosen.groupby("contact_key", sort=False)["date"].min()


def _contact_facts(contacts: pd.DataFrame, touches: pd.DataFrame, sends: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Dates and counts per contact key: thank-you, follow-ups, last touches, cool-off.

    Few, wide group-bys rather than many narrow ones: for a tracker of a hundred
    contacts pandas' per-call overhead, not the data, is the cost.
    """
    primary = contacts[contacts["primary"]].set_index("key")
    ordered = sends.sort_values("date", kind="stable")
    by_contact = ordered.groupby("contact_key", sort=False)
    outgoing = by_contact.agg(
        sent=("date", "size"),
        replies=("replied", "sum"),
        last_outgoing=("date", "max"),
        last_channel=("channel", "last"),
        last_reply_on=("reply_on", "max"),
        median_days_to_reply=("days_to_reply", "median"),
    )
    received = touches[touches["direction"] == "Received"]
    incoming = received.groupby("contact_key", sort=False).agg(received=("date", "size"),
                                                               last_received=("date", "max"))
    last_touch = touches.groupby("contact_key", sort=False)["date"].max().rename("last_touch")
    thanks = ordered[ordered["purpose"] == "Thank-you"]
    thanks_by_contact = thanks.groupby("contact_key", sort=False).agg(
        thanked_no_meeting=("date", "min"), thank_you_channel=("channel", "first")
    )
    tail = by_contact.tail(policy.cool_off_unanswered)
    unanswered = (~tail["replied"]).groupby(tail["contact_key"], sort=False).sum().rename("unanswered_streak")
    rated = touches.loc[touches["reply_quality"].isin(("Brief", "Warm")), ["contact_key", "reply_quality"]]
    quality = rated.groupby(["contact_key", "reply_quality"]).size().unstack(fill_value=0)
    quality = quality.reindex(columns=["Brief", "Warm"], fill_value=0).rename(
        columns={"Brief": "brief_replies", "Warm": "warm_replies"})
    facts = pd.concat([outgoing, incoming, last_touch, thanks_by_contact, unanswered, quality],
                      axis=1).reindex(primary.index)

    facts["last_reply"] = facts[["last_received", "last_reply_on"]].max(axis=1)
    met = primary["date_met"].notna()
    from_touches = _first_after(thanks, primary["date_met"], inclusive=True).reindex(facts.index)
    from_touches = from_touches.where(met, facts["thanked_no_meeting"])
    facts["thanked_on"] = pd.concat([from_touches, primary["thank_you_sent"]], axis=1).min(axis=1)
    facts["first_follow_up_on"] = _first_after(ordered, facts["thanked_on"], inclusive=False)
    facts["second_follow_up_on"] = _first_after(ordered, facts["first_follow_up_on"], inclusive=False)
    firsts = ordered[ordered["date"] == _per_event(ordered, facts["first_follow_up_on"])]
    facts["first_follow_up_channel"] = firsts.groupby("contact_key", sort=False)["channel"].first()
    facts["agreed_met_on"] = _first_after(touches, primary["agreed_next"], inclusive=True)
    for count in ("sent", "replies", "received", "unanswered_streak", "brief_replies", "warm_replies"):
        facts[count] = facts[count].fillna(0).astype(int)
    silent = (facts["sent"] >= policy.cool_off_unanswered) & (facts["unanswered_streak"] >= policy.cool_off_unanswered)
    facts["gone_quiet"] = silent & (policy.cool_off_unanswered > 0)
    facts["cool_off"] = facts["gone_quiet"] | ((facts["brief_replies"] > 0) & (facts["warm_replies"] == 0))
    return facts.drop(columns=["last_received", "last_reply_on", "thanked_no_meeting"])


def _cadence(contacts: pd.DataFrame, policy: Policy, calendar: _Calendar) -> pd.DataFrame:
    """The cadence rule each contact is on and its due date, spacing applied."""
    met = contacts["date_met"].notna()
    thanked = contacts["thanked_on"].notna()
    first = contacts["first_follow_up_on"].notna()
    second = contacts["second_follow_up_on"].notna()
    wrote = contacts["last_outgoing"].notna()
    keep_in_touch_days = np.where(contacts["cool_off"], policy.keep_in_touch_days * policy.cool_off_factor,
                                  policy.keep_in_touch_days)
    conditions = [
        ~met & wrote,
        met & ~thanked,
        met & thanked & ~first,
        met & thanked & first & ~second,
        met & thanked & first & second,
    ]
    rules = ["keep-in-touch", "thank-you", "first-follow-up", "second-follow-up", "keep-in-touch"]
    dues = [
        calendar.add(contacts["last_outgoing"], keep_in_touch_days),
        calendar.add(contacts["date_met"], policy.thank_you_days),
        calendar.add(contacts["thanked_on"], policy.first_follow_up_days),
        calendar.add(contacts["first_follow_up_on"], policy.second_follow_up_days),
        calendar.add(contacts["last_outgoing"], keep_in_touch_days),
    ]
    rule = np.select(conditions, rules, default="")
    due = pd.Series(np.select(conditions, [d.to_numpy() for d in dues], default=np.datetime64("NaT")),
                    index=contacts.index, dtype="datetime64[ns]")
    spaced = calendar.add(contacts["last_outgoing"], policy.spacing_days)
    pushed = due.notna() & spaced.notna() & (spaced > due)
    return pd.DataFrame(
        {
            "cadence_rule": rule,
            "cadence_due": due.where(~pushed, spaced),
            "spaced": pushed,
        },
        index=contacts.index,
    )


def _warmth(contacts: pd.DataFrame, policy: Policy) -> pd.Series:
    """Booster (quick or warm replies), Obligate (late or brief), Curmudgeon (silent to 2+), else unknown."""
    replied = contacts["replies"] > 0
    quick = contacts["median_days_to_reply"].le(policy.quick_reply_days)
    warm = contacts["warm_replies"] > 0
    brief = contacts["brief_replies"] > 0
    booster = replied & (warm | (quick & ~brief))
    curmudgeon = ~replied & (contacts["sent"] >= 2)
    return pd.Series(
        np.select([booster, replied, curmudgeon], ["Booster", "Obligate", "Curmudgeon"], default="unknown"),
        index=contacts.index,
    )


def _open(contacts: pd.DataFrame) -> pd.Series:
    return contacts["primary"] & ~contacts["status"].isin(CLOSED_STATUSES)


def _items(contacts: pd.DataFrame, policy: Policy, calendar: _Calendar, as_of: dt.date) -> pd.DataFrame:
    """Every follow-up item as a table: key, rule, due, and what the why-text needs."""
    active = contacts[_open(contacts)]
    agreed_open = active["agreed_next"].notna() & active["agreed_met_on"].isna()
    cadence = active[active["cadence_due"].notna()]
    cadence_replaced = agreed_open.reindex(cadence.index) & (active["agreed_next"].reindex(cadence.index)
                                                             <= cadence["cadence_due"])
    cadence = cadence[~cadence_replaced]
    frames = [
        pd.DataFrame({"key": cadence["key"], "rule": cadence["cadence_rule"], "due": cadence["cadence_due"],
                      "about": None}),
    ]
    agreed = active[agreed_open]
    frames.append(pd.DataFrame({"key": agreed["key"], "rule": "agreed-date", "due": agreed["agreed_next"],
                                "about": None}))
    frames.append(_referrer_updates(contacts, policy, calendar))
    items = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
        pd.DataFrame({"key": pd.Series([], dtype=object), "rule": pd.Series([], dtype=object),
                      "due": pd.Series([], dtype="datetime64[ns]"), "about": pd.Series([], dtype=object)})
    items["due"] = items["due"].astype("datetime64[ns]")
    return items


def _referrer_updates(contacts: pd.DataFrame, policy: Policy, calendar: _Calendar) -> pd.DataFrame:
    """One item per referred contact met: tell the referrer how it went."""
    referred = contacts[contacts["primary"] & contacts["referred_by_key"].notna() & contacts["date_met"].notna()]
    referrers = contacts[_open(contacts)].set_index("key")
    referred = referred[referred["referred_by_key"].isin(referrers.index)
                        & (referred["referred_by_key"] != referred["key"])]
    if referred.empty:
        return pd.DataFrame(columns=["key", "rule", "due", "about"])
    referrer = referrers.loc[referred["referred_by_key"]]
    last_to_referrer = referrer["last_outgoing"].to_numpy()
    met = referred["date_met"].to_numpy()
    # Satisfied by any outgoing touch to the referrer on or after the meeting.
    told = (~np.isnat(last_to_referrer)) & (last_to_referrer >= met)
    due = calendar.add(referred["date_met"], policy.referrer_update_days)
    spaced = calendar.add(pd.Series(last_to_referrer, index=referred.index), policy.spacing_days)
    due = due.where(~(spaced.notna() & (spaced > due)), spaced)
    keep = ~told
    return pd.DataFrame({"key": referred["referred_by_key"][keep], "rule": "referrer-update", "due": due[keep],
                         "about": referred["key"][keep]})


def _next_due(items: pd.DataFrame, contacts: pd.DataFrame) -> pd.DataFrame:
    if items.empty:
        return pd.DataFrame({"next_due": pd.Series([], dtype="datetime64[ns]"), "next_rule": pd.Series([], dtype=object)})
    first = items.sort_values(["due"], kind="stable").drop_duplicates("key")
    return first.set_index("key")[["due", "rule"]].rename(columns={"due": "next_due", "rule": "next_rule"})


def _state(due: dt.date, as_of: dt.date, policy: Policy) -> str:
    if due < as_of:
        return "overdue"
    if (due - as_of).days <= policy.upcoming_days:
        return "upcoming"
    return "later"


def _followups(items: pd.DataFrame, contacts: pd.DataFrame, as_of: dt.date, policy: Policy) -> list[Followup]:
    """Turn the item table into Followup records with their plain-words reasons."""
    if items.empty:
        return []
    people = contacts[contacts["primary"]].set_index("key")
    needed = ["name", "organization", "row", "how_met", "date_met", "thanked_on", "first_follow_up_on",
              "last_outgoing", "agreed_next", "cool_off", "gone_quiet", "spaced", "last_channel",
              "thank_you_channel", "first_follow_up_channel"]
    rows = items.join(people[needed], on="key")
    rows = rows.join(people[["name", "date_met"]].add_prefix("about_"), on="about")
    result: list[Followup] = []
    columns = list(rows.columns)
    # Column lists zipped into records: the same values as to_dict("records"), several times sooner.
    for values in zip(*(rows[column].tolist() for column in columns)):
        item = dict(zip(columns, values))
        due = item["due"].date()
        state = _state(due, as_of, policy)
        result.append(
            Followup(
                contact=item["name"],
                organization=item["organization"],
                rule=item["rule"],
                due=due,
                days_overdue=(as_of - due).days if state == "overdue" else 0,
                state=state,
                why=_why(item, policy),
                suggested_channel=_suggest(item),
                contact_row=int(item["row"]),
                about=item["about_name"] if isinstance(item["about"], str) else None,
            )
        )
    order = {"overdue": 0, "upcoming": 1, "later": 2}
    result.sort(key=lambda f: (order[f.state], -f.days_overdue, f.due, f.contact_row))
    return result


def _day(value: Any) -> str:
    return value.date().isoformat() if not pd.isna(value) else "?"


def _why(person: dict[str, Any], policy: Policy) -> str:
    """The reason an item is due, in plain words."""
    rule = person["rule"]
    if rule == "thank-you":
        how = person["how_met"]
        where = f" at {_article(how.lower())}" if isinstance(how, str) and how not in ("Other", "Referral") else ""
        text = f"Met {_day(person['date_met'])}{where}; no thank-you yet"
    elif rule == "first-follow-up":
        text = f"Thanked {_day(person['thanked_on'])}; nothing sent since, so a first follow-up is due"
    elif rule == "second-follow-up":
        text = f"First follow-up sent {_day(person['first_follow_up_on'])}; time for a second, in another form"
    elif rule == "keep-in-touch":
        text = f"Last wrote {_day(person['last_outgoing'])}; keep in touch every {policy.keep_in_touch_days} days"
        if person["cool_off"]:
            reason = (f"no reply to the last {policy.cool_off_unanswered} messages" if person["gone_quiet"]
                      else "their replies have been brief")
            text += (f"; cooling off ({reason}), so the interval is "
                     f"{policy.keep_in_touch_days * policy.cool_off_factor} days")
    elif rule == "agreed-date":
        return f"You agreed to be in touch again on {_day(person['agreed_next'])}; nothing heard since"
    else:
        return (f"{person['name']} referred you to {person['about_name']}, whom you met "
                f"{_day(person['about_date_met'])}; "
                f"tell {person['name'].split()[0]} how it went")
    if person["spaced"] and rule != "agreed-date":
        text += f" (held until {policy.spacing_days} days after your last message)"
    return text


def _article(phrase: str) -> str:
    return ("an " if phrase[:1] in "aeiou" else "a ") + phrase


def _suggest(person: dict[str, Any]) -> str:
    """A channel unlike the last one used with this person (and, for follow-ups, unlike the earlier ones)."""
    avoid = {person["last_channel"]}
    rule = person["rule"]
    if rule == "first-follow-up":
        avoid.add(person["thank_you_channel"])
    elif rule == "second-follow-up":
        avoid.update({person["thank_you_channel"], person["first_follow_up_channel"]})
    for channel in CHANNEL_ROTATION:
        if channel not in avoid:
            return channel
    return CHANNEL_ROTATION[0]
