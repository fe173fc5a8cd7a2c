"""A student's report: the tracker read, the policy run, the statistics computed.

:func:`build_report` returns a :class:`Report`; :mod:`sheetkit.render` turns it
into HTML, XLSX or JSON, and :mod:`sheetkit.cohort` summarises many of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sheetkit import __version__
from sheetkit.config import Config
from sheetkit.errors import Problem
from sheetkit.model import Followup, Tracker
from sheetkit.policy import Engine, run_policy
from sheetkit.reading import read_tracker
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

    def contact_columns(self) -> dict[str, list[Any]]:
        """The JSON contract's contact fields as columns (sheet order), dates as YYYY-MM-DD, blanks as None."""
        contacts = self.engine.contacts
        return {
            "name": contacts["name"].tolist(),
            "organization": _plain(contacts["organization"]),
            "status": _plain(contacts["status"]),
            "date_met": _iso(contacts["date_met"]),
            "last_outgoing": _iso(contacts["last_outgoing"]),
            "last_reply": _iso(contacts["last_reply"]),
            "sent": contacts["sent"].to_numpy(dtype=np.int64).tolist(),
            "replies": contacts["replies"].to_numpy(dtype=np.int64).tolist(),
            "next_due": _iso(contacts["next_due"]),
            "rule": _plain(contacts["next_rule"]),
            "warmth": _plain(contacts["warmth"]),
        }

    def contact_rows(self) -> list[dict[str, Any]]:
        """One dict per contact (sheet order) with the JSON contract's keys, dates as YYYY-MM-DD."""
        columns = self.contact_columns()
        return [dict(zip(CONTACT_FIELDS, values)) for values in zip(*(columns[key] for key in CONTACT_FIELDS))]

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


def _iso(series: pd.Series) -> list[str | None]:
    """Dates as YYYY-MM-DD text, NaT as None; each distinct day is formatted once."""
    days = series.to_numpy(dtype="datetime64[D]")
    distinct, where = np.unique(days, return_inverse=True)
    text = distinct.astype(str).astype(object)
    text[np.isnat(distinct)] = None
    return text[where].tolist()


def _plain(series: pd.Series) -> list[Any]:
    """An object column as a list, pandas' NaN as None."""
    values = series.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values.tolist()


def build_report(path: Path, config: Config, as_of: dt.date) -> Report:
    """Read ``path`` and work out its follow-ups and statistics as of ``as_of``."""
    tracker = read_tracker(path, config)
    engine = run_policy(tracker, config.policy, as_of)
    return Report(source=path, as_of=as_of, config=config, tracker=tracker, engine=engine, stats=compute_stats(engine))
