"""A student's report: the tracker read, the policy run, the statistics computed.

:func:`build_report` returns a :class:`Report`; :mod:`sheetkit.render` turns it
into HTML, XLSX or JSON, and :mod:`sheetkit.cohort` summarises many of them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sheetkit import __version__
from sheetkit.config import Config
from sheetkit.errors import Problem
from sheetkit.model import Followup, Tracker
from sheetkit.policy import Advice, Engine, run_policy
from sheetkit.reading import read_tracker
from sheetkit.rules import plural
from sheetkit.stats import THANK_YOU_BENCHMARKS, compute_stats

REPORT_SCHEMA = "sheetkit.report/1"

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
        """The workbook's problems: the reader's, then the engine's (dates that cannot be right, badgering)."""
        return self.tracker.problems + self.engine.problems

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def advice(self) -> list[Advice]:
        """Notes about whole contacts: let it rest, mark Closed or Paused."""
        return self.engine.advice

    def by_state(self, state: str) -> list[Followup]:
        return [f for f in self.engine.followups if f.state == state]

    def contact_columns(self) -> dict[str, list[Any]]:
        """The JSON contract's contact fields as columns, in the contract's order (contacts in sheet order),
        dates as YYYY-MM-DD, blanks as None."""
        contacts = self.engine.contacts
        return {
            "name": [p.name for p in contacts],
            "organization": [p.organization for p in contacts],
            "status": [p.status for p in contacts],
            "date_met": [iso_date(p.date_met) for p in contacts],
            "last_outgoing": [iso_date(p.last_outgoing) for p in contacts],
            "last_reply": [iso_date(p.last_reply) for p in contacts],
            "sent": [p.sent for p in contacts],
            "replies": [p.replies for p in contacts],
            "next_due": [iso_date(p.next_due) for p in contacts],
            "rule": [p.next_rule for p in contacts],
            "warmth": [p.warmth for p in contacts],
        }

    def contact_rows(self) -> list[dict[str, Any]]:
        """One dict per contact (sheet order) with the JSON contract's keys, dates as YYYY-MM-DD."""
        columns = self.contact_columns()
        return [dict(zip(columns, values)) for values in zip(*columns.values())]

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
            "advice": [a.to_json() for a in self.advice],
        }


def iso_date(day: dt.date | None) -> str | None:
    """A date as YYYY-MM-DD, as every JSON output writes it; None stays None."""
    return None if day is None else day.isoformat()


def summary_line(report: Report) -> str:
    """'3 overdue, 2 due in the next 14 days, response rate 43% (12 of 28 sent)', for the terminal.

    "Soon" is the policy's one window, in the words every output uses (:func:`sheetkit.render.soon_text`).
    """
    from sheetkit.render import percent, soon_text

    stats = report.stats
    errors = len(report.errors)
    problems = f"; {plural(errors, 'error')} in the workbook (run sheetkit check)" if errors else ""
    return (
        f"{stats['overdue']} overdue, {stats['upcoming']} due {soon_text(report.config.policy)}, response rate "
        f"{percent(stats['response_rate'])} ({stats['replied']} of {stats['sent']} sent){problems}"
    )


def build_report(path: Path, config: Config, as_of: dt.date) -> Report:
    """Read ``path`` and work out its follow-ups and statistics as of ``as_of``."""
    tracker = read_tracker(path, config)
    engine = run_policy(tracker, config.policy, as_of)
    return Report(source=path, as_of=as_of, config=config, tracker=tracker, engine=engine, stats=compute_stats(engine))
