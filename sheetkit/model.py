"""The things sheetkit's layers hand each other: a tracker read into tables, and the follow-ups due.

The reader produces a :class:`Tracker`; the policy engine turns it into
:class:`Followup` items; the renderers, ``remind`` and ``cohort`` consume both.
Keeping them here lets the engine not import the reader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from sheetkit.errors import Problem
from sheetkit.spec import CONTACTS_SHEET, TOUCHPOINTS_SHEET


@dataclass
class Tracker:
    """A tracker workbook as tables.

    ``contacts`` has one row per contact with the keys of
    :data:`~sheetkit.spec.CONTACT_COLUMNS` (dates as ``datetime64``, missing
    values as ``None``/``NaT``) plus ``row`` (the sheet row), ``key`` (the name
    folded for matching) and ``referred_by_key``. ``touchpoints`` likewise,
    with ``contact_key`` (``None`` when the name matches no contact).
    """

    path: Path
    contacts: pd.DataFrame
    touchpoints: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    student: str | None = None
    institution: str | None = None
    #: The student's email from Start Here (filled from a roster), if any.
    email: str | None = None
    #: Start Here's "Offer accepted on" date, if the student has recorded one.
    offer_accepted_on: dt.date | None = None
    contacts_sheet: str = CONTACTS_SHEET
    touchpoints_sheet: str | None = TOUCHPOINTS_SHEET

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass(slots=True)
class Followup:
    """One follow-up due for one contact under one rule.

    Not ``frozen``: a frozen dataclass sets each field through ``object.__setattr__``,
    five times the cost of this one's constructor, and a report can hold 100,000 of them.
    Treat it as read-only (``dataclasses.replace`` makes an altered copy).
    """

    contact: str
    organization: str | None
    rule: str
    due: dt.date
    days_overdue: int
    state: str
    why: str
    #: A channel the student can use with this person; ``None`` when the sheet has no way to reach
    #: them (``why`` then says what to add).
    suggested_channel: str | None
    contact_row: int
    #: For referrer updates and thanks: the referred contact the message is about.
    about: str | None = None
    #: The other rules this one message also settles (one next step per contact).
    also: tuple[str, ...] = ()

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
            "also": list(self.also),
        }
