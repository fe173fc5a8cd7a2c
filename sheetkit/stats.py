"""Statistics, declared once.

Each :class:`Stat` has a JSON key, a label for people, a kind that tells the
renderers how to show it, and a function of the policy engine's result. HTML,
XLSX, JSON, the terminal summary and the cohort view all walk :data:`STATS`,
so they list the same figures in the same order (as csvkit's ``csvstat`` does).

A rate is computed as a :class:`Ratio` (numerator and denominator), so a
cohort can pool many students' figures (sum the parts, then divide) through
the same table; :func:`compute_stats` puts the rate itself under the stat's
key and the parts under ``"rate_parts"``.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter
from typing import Any, Literal

from sheetkit.policy import ONE_WAY_PURPOSES, WARMTH_LEVELS, ContactFacts, Engine, Touch

StatKind = Literal["count", "rate", "days", "breakdown", "counts", "tree", "weekly"]

#: Benchmarks from the career-advice articles (see DOMAIN.md), as fractions.
THANK_YOU_BENCHMARKS: dict[str, float] = {
    "job_seekers_sending_thank_yous": 0.05,
    "thank_yous_after_formal_interviews_under": 0.25,
}

UNSPECIFIED = "(not given)"
#: The key of :func:`compute_stats`'s result that holds every rate's numerator and denominator.
RATE_PARTS = "rate_parts"


@dataclass(frozen=True)
class Ratio:
    """A rate as its parts: ``Ratio(3, 4).value == 0.75``; nothing to divide gives ``None``."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 3) if self.denominator else None

    def to_json(self) -> dict[str, int]:
        return {"numerator": self.numerator, "denominator": self.denominator}


def pooled(ratios: Iterable[Ratio]) -> Ratio:
    """Many students' rates pooled: the parts summed (replies over all sends), not an average of rates."""
    parts = list(ratios)
    return Ratio(sum(r.numerator for r in parts), sum(r.denominator for r in parts))


@dataclass(frozen=True)
class Stat:
    key: str
    label: str
    kind: StatKind
    compute: Callable[[Engine], Any]
    note: str = ""


def _people(engine: Engine) -> list[ContactFacts]:
    return [p for p in engine.contacts if p.primary]


def _met(engine: Engine) -> list[ContactFacts]:
    return [p for p in _people(engine) if p.met_on is not None]


def _by_touch(sends: list[Touch], attribute: str) -> tuple[Counter[Any], Counter[Any]]:
    """Sends and replies per value of the touchpoints' ``attribute`` (counted in C: a few values, many sends)."""
    labels = list(map(attrgetter(attribute), sends))
    return Counter(labels), Counter(compress(labels, map(attrgetter("replied"), sends)))


def _by_how_met(engine: Engine) -> tuple[Counter[Any], Counter[Any]]:
    """Sends and replies per How we met, from each contact's own counts (every send is one contact's)."""
    sent: Counter[Any] = Counter()
    replied: Counter[Any] = Counter()
    for p in _people(engine):
        if p.sent:
            sent[p.how_met] += p.sent
            replied[p.how_met] += p.replies
    return sent, replied


def _breakdown(tallies: tuple[Counter[Any], Counter[Any]],
               one_way: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """Value -> {"sent", "replied", "rate"}, most-sent first (then most replied, then by name), from the sends and
    replies per value (a blank value is shown as :data:`UNSPECIFIED`).

    Values in ``one_way`` expect no answer: their rate is ``None`` and ``no_reply_expected`` is true.
    """
    sent: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for counts, tally in zip((sent, answered), tallies):
        for label, count in tally.items():
            counts[UNSPECIFIED if label is None else str(label)] += count
    order = sorted(sent, key=lambda name: (-sent[name], -answered[name], name))
    result: dict[str, dict[str, Any]] = {}
    for name in order:
        expected = name not in one_way
        result[name] = {"sent": sent[name], "replied": answered[name],
                        "rate": Ratio(answered[name], sent[name]).value if expected else None}
        if not expected:
            result[name]["no_reply_expected"] = True
    return result


def response_rate(engine: Engine) -> Ratio:
    """Sent touchpoints that got a reply, over all sent touchpoints (as it always was)."""
    sends = engine.sends
    return Ratio(sum(t.replied for t in sends), len(sends))


def people_replied_rate(engine: Engine) -> Ratio:
    """People written to who replied at least once: persistence with one person does not lower it."""
    written = [p for p in _people(engine) if p.sent]
    return Ratio(sum(1 for p in written if p.replies or any(not t.sent for t in p.touches)), len(written))


def on_time_rate(engine: Engine) -> Ratio:
    """Thank-yous, follow-ups and replies done by their due date, over those that have come due (or were done)."""
    deadlines = [d for p in _people(engine) for d in p.deadlines if d.done_on is not None or d.due < engine.as_of]
    return Ratio(sum(1 for d in deadlines if d.done_on is not None and d.done_on <= d.due), len(deadlines))


def _thank_you_due(engine: Engine) -> list[ContactFacts]:
    """Met contacts whose thank-you is already due (or was sent): the fair denominator for the thank-you rate."""
    return [p for p in _met(engine)
            if p.thanked_on is not None or (p.thank_you_due is not None and p.thank_you_due < engine.as_of)]


def thank_you_rate(engine: Engine) -> Ratio:
    due = _thank_you_due(engine)
    return Ratio(sum(1 for p in due if p.thanked_on is not None), len(due))


def thanked_within(engine: Engine) -> Ratio:
    """Thanked within ``thank_you_days`` of the (latest) meeting, over the meetings whose thank-you is due."""
    due = _thank_you_due(engine)
    quick = [p for p in due if p.thanked_on is not None and p.meetings
             and (p.thanked_on - p.meetings[-1]).days <= engine.policy.thank_you_days]
    return Ratio(len(quick), len(due))


def _median_days(engine: Engine) -> float | None:
    waits = [wait for t in engine.sends if (wait := t.days_to_reply) is not None]
    return float(statistics.median(waits)) if waits else None


def _referral_tree(engine: Engine) -> dict[str, list[str]]:
    """Referrer's name -> the names of the contacts they referred, in sheet order."""
    tree: dict[str, list[str]] = {}
    for p in _people(engine):
        if p.referrer is not None:
            tree.setdefault(engine.contacts[p.referrer].name, []).append(p.name)
    return tree


def _weekly(engine: Engine) -> list[dict[str, Any]]:
    """Touchpoints per week (weeks start on Monday), gaps filled with zeros."""
    if not engine.touches:
        return []
    per_day = Counter((t.day, t.sent) for t in engine.touches)
    monday = {day: day - dt.timedelta(days=day.weekday()) for day, _ in per_day}
    first, last = min(monday.values()), max(monday.values())
    sent: Counter[dt.date] = Counter()
    received: Counter[dt.date] = Counter()
    for (day, was_sent), count in per_day.items():
        (sent if was_sent else received)[monday[day]] += count
    weeks = [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    return [{"week": week.isoformat(), "sent": sent[week], "received": received[week]} for week in weeks]


def _warmth(engine: Engine) -> dict[str, int]:
    counts = Counter(p.warmth for p in _people(engine))
    return {level: counts.get(level, 0) for level in WARMTH_LEVELS}


def _count_state(state: str) -> Callable[[Engine], int]:
    return lambda engine: sum(1 for f in engine.followups if f.state == state)


STATS: tuple[Stat, ...] = (
    Stat("contacts", "Contacts", "count", lambda e: len(_people(e))),
    Stat("meetings", "Meetings (contacts with a date met)", "count", lambda e: len(_met(e))),
    Stat("sent", "Touchpoints sent", "count", lambda e: len(e.sends)),
    Stat("received", "Touchpoints received", "count", lambda e: sum(1 for t in e.touches if not t.sent)),
    Stat("replied", "Sent touchpoints that got a reply", "count", lambda e: response_rate(e).numerator),
    Stat("response_rate", "Response rate", "rate", response_rate),
    Stat("people_replied_rate", "People who replied", "rate", people_replied_rate,
         note="Of the people you wrote to, how many answered at least once."),
    Stat("on_time_rate", "Follow-ups done on time", "rate", on_time_rate,
         note="Thank-yous, follow-ups and replies sent by their due date."),
    Stat("response_rate_by_channel", "Response rate by channel", "breakdown",
         lambda e: _breakdown(_by_touch(e.sends, "channel"))),
    Stat("response_rate_by_purpose", "Response rate by purpose", "breakdown",
         lambda e: _breakdown(_by_touch(e.sends, "purpose"), ONE_WAY_PURPOSES),
         note="Thank-yous, updates, articles and referral updates expect no reply."),
    Stat("response_rate_by_how_met", "Response rate by how you met", "breakdown",
         lambda e: _breakdown(_by_how_met(e))),
    Stat("median_days_to_reply", "Median days to a reply", "days", _median_days),
    Stat("thank_you_rate", "Thank-you rate (meetings thanked)", "rate", thank_you_rate,
         note="Counts meetings whose thank-you is already due. About 5% of job seekers send thank-yous; "
              "under 25% do even after a formal interview."),
    Stat("thank_you_within_1_day_rate", "Thanked within a day", "rate", thanked_within),
    Stat("gone_quiet", "Contacts gone quiet (no reply to the last messages)", "count",
         lambda e: sum(1 for p in _people(e) if p.gone_quiet)),
    Stat("overdue", "Follow-ups overdue", "count", _count_state("overdue")),
    Stat("upcoming", "Follow-ups coming up", "count", _count_state("upcoming")),
    Stat("referrals", "Referrals gained", "count", lambda e: sum(1 for p in _people(e) if p.referrer is not None)),
    Stat("referral_tree", "Who referred whom", "tree", _referral_tree),
    Stat("warmth", "Contacts by how they reply", "counts", _warmth,
         note="Booster: quick or warm replies. Obligate: late or brief. Curmudgeon: no reply to two or more "
              "messages after a fair wait. Never given to Do not contact."),
    Stat("weekly_activity", "Weekly activity", "weekly", _weekly),
)


def compute_stats(engine: Engine) -> dict[str, Any]:
    """Every statistic, keyed and ordered as :data:`STATS`; rates as numbers, their parts under :data:`RATE_PARTS`."""
    values: dict[str, Any] = {}
    parts: dict[str, dict[str, int]] = {}
    for stat in STATS:
        value = stat.compute(engine)
        if isinstance(value, Ratio):
            parts[stat.key] = value.to_json()
            value = value.value
        values[stat.key] = value
    values[RATE_PARTS] = parts
    return values
