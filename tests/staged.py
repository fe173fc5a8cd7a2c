"""A real report whose follow-ups are set by the test, for showing rules the engine may not produce yet.

Only the report's public API is replaced (``followups`` and ``by_state``); the
tracker, contacts and statistics stay the real ones read from the workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sheetkit.model import Followup
from sheetkit.report import Report


@dataclass
class StagedReport(Report):
    staged: list[Followup] = field(default_factory=list)

    @property
    def followups(self) -> list[Followup]:
        return self.staged

    def by_state(self, state: str) -> list[Followup]:
        return [f for f in self.staged if f.state == state]


def staged(report: Report, followups: list[Followup]) -> StagedReport:
    """``report`` with exactly these follow-ups."""
    return StagedReport(source=report.source, as_of=report.as_of, config=report.config, tracker=report.tracker,
                        engine=report.engine, stats=report.stats, staged=followups)


def row_of(report: Report, name: str) -> int:
    """The Contacts sheet row of the contact called ``name``."""
    contacts = report.tracker.contacts
    [row] = contacts.loc[contacts["name"] == name, "row"].tolist()
    return int(row)
