"""A student's report: the tracker read, the policy run, the statistics computed.

:func:`build_report` returns a :class:`Report`; :mod:`sheetkit.render` turns it
into HTML, XLSX or JSON, and :mod:`sheetkit.cohort` summarises many of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sheetkit import __version__
from sheetkit.config import Config
from sheetkit.errors import Problem
from sheetkit.policy import Engine, Followup, run_policy
from sheetkit.reader import Tracker, read_tracker
from sheetkit.stats import THANK_YOU_BENCHMARKS, compute_stats

REPORT_SCHEMA = "sheetkit.report/1"

#: Keys of each entry of the JSON "contacts" list (the contract), in order.
CONTACT_FIELDS: tuple[str, ...] = (
    "name",
    "organization",
    "status",
    "date_met",
    "last_outgoing",
    "last_reply",
    "sent",
    "replies",
    "next_due",
    "rule",
    "warmth",
)


@dataclass
class Report:
    source: Path
    as_of: dt.date
    config: Config
    tracker: Tracker
    engine: Engine
    stats: dict[str, Any]

    @property
    def followups(self) -> list[Followup]:
        return self.engine.followups

    @property
    def problems(self) -> list[Problem]:
        return self.tracker.problems

    def by_state(self, state: str) -> list[Followup]:
        return [f for f in self.engine.followups if f.state == state]

    def contact_rows(self) -> list[dict[str, Any]]:
        """One dict per contact (sheet order) with the JSON contract's keys, dates as YYYY-MM-DD."""
        contacts = self.engine.contacts
        frame = pd.DataFrame(
            {
                "name": contacts["name"],
                "organization": contacts["organization"],
                "status": contacts["status"],
                "date_met": _iso(contacts["date_met"]),
                "last_outgoing": _iso(contacts["last_outgoing"]),
                "last_reply": _iso(contacts["last_reply"]),
                "sent": contacts["sent"].fillna(0).astype(int),
                "replies": contacts["replies"].fillna(0).astype(int),
                "next_due": _iso(contacts["next_due"]),
                "rule": contacts["next_rule"].astype(object).where(contacts["next_rule"].notna(), None),
                "warmth": contacts["warmth"],
            }
        ).astype(object)
        frame = frame.where(frame.notna(), None)
        # Column lists zipped into records: the same values as to_dict("records"), several times sooner.
        columns = (frame[key].tolist() for key in CONTACT_FIELDS)
        return [dict(zip(CONTACT_FIELDS, values)) for values in zip(*columns)]

    def to_json(self) -> dict[str, Any]:
        """The ``sheetkit.report/1`` document."""
        return {
            "schema": REPORT_SCHEMA,
            "generator": f"sheetkit {__version__}",
            "source": str(self.source),
            "student": self.tracker.student,
            "institution": self.tracker.institution or self.config.branding.institution,
            "as_of": self.as_of.isoformat(),
            "policy": self.config.policy.to_json(),
            "followups": [f.to_json() for f in self.followups],
            "contacts": self.contact_rows(),
            "stats": self.stats,
            "benchmarks": THANK_YOU_BENCHMARKS,
            "problems": [p.to_json() for p in self.problems],
        }


def _iso(series: pd.Series) -> pd.Series:
    return series.dt.strftime("%Y-%m-%d").astype(object).where(series.notna(), None)


def build_report(path: Path, config: Config, as_of: dt.date) -> Report:
    """Read ``path`` and work out its follow-ups and statistics as of ``as_of``."""
    tracker = read_tracker(path, config)
    engine = run_policy(tracker, config.policy, as_of)
    return Report(source=path, as_of=as_of, config=config, tracker=tracker, engine=engine, stats=compute_stats(engine))
