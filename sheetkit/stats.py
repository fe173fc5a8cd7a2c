"""Statistics, declared once.

Each :class:`Stat` has a JSON key, a label for people, a kind that tells the
renderers how to show it, and a function of the policy engine's result. HTML,
XLSX, JSON, the terminal summary and the cohort view all walk :data:`STATS`,
so they list the same figures in the same order (as csvkit's ``csvstat`` does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from sheetkit.policy import WARMTH_LEVELS, Engine

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


def _met(engine: Engine) -> pd.DataFrame:
    contacts = engine.contacts
    return contacts[contacts["primary"] & contacts["date_met"].notna()]


def _breakdown(sends: pd.DataFrame, by: pd.Series) -> dict[str, dict[str, Any]]:
    """Value -> {"sent", "replied", "rate"}, most-sent first."""
    if sends.empty:
        return {}
    groups = sends["replied"].groupby(by.fillna(UNSPECIFIED).astype(str))
    table = pd.DataFrame({"sent": groups.size(), "replied": groups.sum()}).sort_values(
        ["sent", "replied"], ascending=False, kind="stable"
    )
    return {
        str(value): {"sent": int(row.sent), "replied": int(row.replied), "rate": _rate(int(row.replied), int(row.sent))}
        for value, row in table.iterrows()
    }


def _by_how_met(engine: Engine) -> dict[str, dict[str, Any]]:
    how = engine.contacts[engine.contacts["primary"]].set_index("key")["how_met"]
    return _breakdown(engine.sends, engine.sends["contact_key"].map(how))


def _median_days(engine: Engine) -> float | None:
    days = engine.sends["days_to_reply"].dropna()
    return float(days.median()) if len(days) else None


def _thank_you_rate(engine: Engine) -> float | None:
    met = _met(engine)
    return _rate(int(met["thanked_on"].notna().sum()), len(met))


def _within_a_day(engine: Engine) -> float | None:
    met = _met(engine)
    delay = (met["thanked_on"] - met["date_met"]).dt.days
    return _rate(int(delay.le(engine.policy.thank_you_days).sum()), len(met))


def _referral_tree(engine: Engine) -> dict[str, list[str]]:
    """Referrer's name -> the names of the contacts they referred, in sheet order."""
    contacts = engine.contacts[engine.contacts["primary"]]
    names = contacts.set_index("key")["name"]
    referred = contacts[contacts["referred_by_key"].isin(names.index)]
    tree: dict[str, list[str]] = {}
    for referrer_key, name in zip(referred["referred_by_key"], referred["name"]):
        tree.setdefault(str(names[referrer_key]), []).append(str(name))
    return tree


def _weekly(engine: Engine) -> list[dict[str, Any]]:
    """Touchpoints per week (weeks start on Monday), gaps filled with zeros."""
    touches = engine.touchpoints
    if touches.empty:
        return []
    week = touches["date"].dt.to_period("W-SUN").dt.start_time
    counts = pd.crosstab(week, touches["direction"])
    weeks = pd.date_range(counts.index.min(), counts.index.max(), freq="7D")
    counts = counts.reindex(weeks, fill_value=0)
    sent = counts["Sent"] if "Sent" in counts else pd.Series(0, index=weeks)
    received = counts["Received"] if "Received" in counts else pd.Series(0, index=weeks)
    return [
        {"week": day.date().isoformat(), "sent": int(s), "received": int(r)}
        for day, s, r in zip(weeks, sent, received)
    ]


def _warmth(engine: Engine) -> dict[str, int]:
    contacts = engine.contacts[engine.contacts["primary"]]
    counts = contacts["warmth"].value_counts()
    return {level: int(counts.get(level, 0)) for level in WARMTH_LEVELS}


def _count_state(state: str) -> Callable[[Engine], int]:
    return lambda engine: sum(1 for f in engine.followups if f.state == state)


STATS: tuple[Stat, ...] = (
    Stat("contacts", "Contacts", "count", lambda e: int(e.contacts["primary"].sum())),
    Stat("meetings", "Meetings (contacts with a date met)", "count", lambda e: len(_met(e))),
    Stat("sent", "Touchpoints sent", "count", lambda e: len(e.sends)),
    Stat("received", "Touchpoints received", "count",
         lambda e: int((e.touchpoints["direction"] == "Received").sum())),
    Stat("replied", "Sent touchpoints that got a reply", "count", lambda e: int(e.sends["replied"].sum())),
    Stat("response_rate", "Response rate", "rate", lambda e: _rate(int(e.sends["replied"].sum()), len(e.sends))),
    Stat("response_rate_by_channel", "Response rate by channel", "breakdown",
         lambda e: _breakdown(e.sends, e.sends["channel"])),
    Stat("response_rate_by_purpose", "Response rate by purpose", "breakdown",
         lambda e: _breakdown(e.sends, e.sends["purpose"])),
    Stat("response_rate_by_how_met", "Response rate by how you met", "breakdown", _by_how_met),
    Stat("median_days_to_reply", "Median days to a reply", "days", _median_days),
    Stat("thank_you_rate", "Thank-you rate (meetings thanked)", "rate", _thank_you_rate,
         note="About 5% of job seekers send thank-yous; under 25% do even after a formal interview."),
    Stat("thank_you_within_1_day_rate", "Thanked within a day", "rate", _within_a_day),
    Stat("gone_quiet", "Contacts gone quiet (no reply to the last messages)", "count",
         lambda e: int((e.contacts["primary"] & e.contacts["gone_quiet"]).sum())),
    Stat("overdue", "Follow-ups overdue", "count", _count_state("overdue")),
    Stat("upcoming", "Follow-ups due in the next two weeks", "count", _count_state("upcoming")),
    Stat("referrals", "Referrals gained", "count",
         lambda e: int((e.contacts["primary"] & e.contacts["referred_by_key"].notna()).sum())),
    Stat("referral_tree", "Who referred whom", "tree", _referral_tree),
    Stat("warmth", "Contacts by how they reply", "counts", _warmth,
         note="Booster: quick or warm replies. Obligate: late or brief. Curmudgeon: no reply to two or more."),
    Stat("weekly_activity", "Weekly activity", "weekly", _weekly),
)


def compute_stats(engine: Engine) -> dict[str, Any]:
    """Every statistic, keyed and ordered as :data:`STATS`."""
    return {stat.key: stat.compute(engine) for stat in STATS}
