"""Statistics, declared once.

Each :class:`Stat` has a JSON key, a label for people, a kind that tells the
renderers how to show it, and a function of the policy engine's result. HTML,
XLSX, JSON, the terminal summary and the cohort view all walk :data:`STATS`,
so they list the same figures in the same order (as csvkit's ``csvstat`` does).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sheetkit.config import Policy
from sheetkit.policy import NAT, WARMTH_LEVELS, Engine, EngineArrays

StatKind = Literal["count", "rate", "days", "breakdown", "counts", "tree", "weekly"]

#: Benchmarks from the career-advice articles (see DOMAIN.md), as fractions.
THANK_YOU_BENCHMARKS: dict[str, float] = {
    "job_seekers_sending_thank_yous": 0.05,
    "thank_yous_after_formal_interviews_under": 0.25,
}

UNSPECIFIED = "(not given)"


@dataclass(frozen=True)
class Stat:
    key: str
    label: str
    kind: StatKind
    compute: Callable[[Engine], Any]
    note: str = ""


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def _met(a: EngineArrays) -> np.ndarray:
    """Which contact rows are met contacts (the first row of a name, with a date met)."""
    return a.primary & (a.date_met != NAT)


def _breakdown(labels: np.ndarray, replied: np.ndarray) -> dict[str, dict[str, Any]]:
    """Value -> {"sent", "replied", "rate"}, most-sent first (then most replied, then by name)."""
    if not len(labels):
        return {}
    codes, uniques = pd.factorize(labels, use_na_sentinel=False)
    sent = np.bincount(codes, minlength=len(uniques)).tolist()
    answered = np.bincount(codes, weights=replied, minlength=len(uniques)).astype(np.int64).tolist()
    names = [UNSPECIFIED if value is None or value != value else str(value) for value in uniques]  # None or NaN
    order = sorted(range(len(names)), key=lambda i: (-sent[i], -answered[i], names[i]))
    return {names[i]: {"sent": sent[i], "replied": answered[i], "rate": _rate(answered[i], sent[i])} for i in order}


def _by_how_met(a: EngineArrays) -> dict[str, dict[str, Any]]:
    return _breakdown(a.how_met[a.first_row[a.send_codes]], a.send_replied)


def _median_days(a: EngineArrays) -> float | None:
    days = a.send_days_to_reply[~np.isnan(a.send_days_to_reply)]
    return float(np.median(days)) if len(days) else None


def _thank_you_rate(a: EngineArrays) -> float | None:
    met = _met(a)
    return _rate(int((met & (a.thanked_on != NAT)).sum()), int(met.sum()))


def _within_a_day(a: EngineArrays, policy: Policy) -> float | None:
    met = _met(a)
    quick = met & (a.thanked_on != NAT) & (a.thanked_on - a.date_met <= policy.thank_you_days)
    return _rate(int(quick.sum()), int(met.sum()))


def _referral_tree(a: EngineArrays) -> dict[str, list[str]]:
    """Referrer's name -> the names of the contacts they referred, in sheet order."""
    tree: dict[str, list[str]] = {}
    for at in np.flatnonzero(a.primary & (a.referrer_code >= 0)).tolist():
        tree.setdefault(str(a.name[a.first_row[a.referrer_code[at]]]), []).append(str(a.name[at]))
    return tree


def _weekly(a: EngineArrays) -> list[dict[str, Any]]:
    """Touchpoints per week (weeks start on Monday), gaps filled with zeros."""
    if not len(a.touch_days):
        return []
    monday = a.touch_days - (a.touch_days + 3) % 7  # day 0, 1970-01-01, was a Thursday
    first = int(monday.min())
    week = (monday - first) // 7
    weeks = int(week.max()) + 1
    sent = np.bincount(week[a.touch_sent], minlength=weeks).tolist()
    received = np.bincount(week[a.touch_received], minlength=weeks).tolist()
    start = dt.date(1970, 1, 1) + dt.timedelta(days=first)
    return [
        {"week": (start + dt.timedelta(weeks=i)).isoformat(), "sent": s, "received": r}
        for i, (s, r) in enumerate(zip(sent, received))
    ]


def _warmth(a: EngineArrays) -> dict[str, int]:
    counts = Counter(a.warmth[a.primary].tolist())
    return {level: counts.get(level, 0) for level in WARMTH_LEVELS}


def _count_state(state: str) -> Callable[[Engine], int]:
    return lambda engine: sum(1 for f in engine.followups if f.state == state)


STATS: tuple[Stat, ...] = (
    Stat("contacts", "Contacts", "count", lambda e: int(e.arrays.primary.sum())),
    Stat("meetings", "Meetings (contacts with a date met)", "count", lambda e: int(_met(e.arrays).sum())),
    Stat("sent", "Touchpoints sent", "count", lambda e: len(e.arrays.send_codes)),
    Stat("received", "Touchpoints received", "count", lambda e: int(e.arrays.touch_received.sum())),
    Stat("replied", "Sent touchpoints that got a reply", "count", lambda e: int(e.arrays.send_replied.sum())),
    Stat("response_rate", "Response rate", "rate",
         lambda e: _rate(int(e.arrays.send_replied.sum()), len(e.arrays.send_codes))),
    Stat("response_rate_by_channel", "Response rate by channel", "breakdown",
         lambda e: _breakdown(e.arrays.send_channel, e.arrays.send_replied)),
    Stat("response_rate_by_purpose", "Response rate by purpose", "breakdown",
         lambda e: _breakdown(e.arrays.send_purpose, e.arrays.send_replied)),
    Stat("response_rate_by_how_met", "Response rate by how you met", "breakdown", lambda e: _by_how_met(e.arrays)),
    Stat("median_days_to_reply", "Median days to a reply", "days", lambda e: _median_days(e.arrays)),
    Stat("thank_you_rate", "Thank-you rate (meetings thanked)", "rate", lambda e: _thank_you_rate(e.arrays),
         note="About 5% of job seekers send thank-yous; under 25% do even after a formal interview."),
    Stat("thank_you_within_1_day_rate", "Thanked within a day", "rate", lambda e: _within_a_day(e.arrays, e.policy)),
    Stat("gone_quiet", "Contacts gone quiet (no reply to the last messages)", "count",
         lambda e: int((e.arrays.primary & e.arrays.gone_quiet).sum())),
    Stat("overdue", "Follow-ups overdue", "count", _count_state("overdue")),
    Stat("upcoming", "Follow-ups due in the next two weeks", "count", _count_state("upcoming")),
    Stat("referrals", "Referrals gained", "count",
         lambda e: int((e.arrays.primary & (e.arrays.referrer_code >= 0)).sum())),
    Stat("referral_tree", "Who referred whom", "tree", lambda e: _referral_tree(e.arrays)),
    Stat("warmth", "Contacts by how they reply", "counts", lambda e: _warmth(e.arrays),
         note="Booster: quick or warm replies. Obligate: late or brief. Curmudgeon: no reply to two or more."),
    Stat("weekly_activity", "Weekly activity", "weekly", lambda e: _weekly(e.arrays)),
)


def compute_stats(engine: Engine) -> dict[str, Any]:
    """Every statistic, keyed and ordered as :data:`STATS`."""
    return {stat.key: stat.compute(engine) for stat in STATS}
