"""`sheetkit check`: every problem in a tracker, as lines or JSON."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from sheetkit.config import Config
from sheetkit.errors import Problem, UnreadableWorkbook, printable
from sheetkit.policy import run_policy
from sheetkit.reading import read_tracker
from sheetkit.rules import plural


@dataclass
class CheckResult:
    source: Path
    problems: list[Problem] = field(default_factory=list)
    contacts: int = 0
    touchpoints: int = 0

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def ordered(self) -> list[Problem]:
        """The problems in reading order, the reader's and the engine's mixed."""
        return sorted(self.problems, key=Problem.reading_order)

    def lines(self) -> list[str]:
        return [f"{self.source}: {problem}" for problem in self.ordered()]

    def summary(self) -> str:
        errors = sum(1 for p in self.problems if p.severity == "error")
        warnings = len(self.problems) - errors
        if not self.problems:
            return (f"{self.source}: no problems ({plural(self.contacts, 'contact')}, "
                    f"{plural(self.touchpoints, 'touchpoint')})")
        return f"{self.source}: {plural(errors, 'error')}, {plural(warnings, 'warning')}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "schema": "sheetkit.check/1",
                "source": printable(str(self.source)),  # a name that is not UTF-8 as \xNN, not a bad byte
                "ok": self.ok,
                "contacts": self.contacts,
                "touchpoints": self.touchpoints,
                "problems": [p.to_json() for p in self.ordered()],
            },
            indent=2,
            ensure_ascii=False,
        )


def check_tracker(path: Path, config: Config, as_of: dt.date) -> CheckResult:
    """Read ``path`` and collect its problems as of ``as_of``: the reader's, then the policy engine's
    (dates that cannot be right, badgering), so check lists what ``sheetkit report`` shows.

    A file that is no tracker at all is one error.
    """
    try:
        tracker = read_tracker(path, config)
    except UnreadableWorkbook as exc:
        return CheckResult(path, [Problem("error", "", "", str(exc).removeprefix(f"{path}: "))])
    engine = run_policy(tracker, config.policy, as_of)
    return CheckResult(path, tracker.problems + engine.problems, len(tracker.contacts), len(tracker.touchpoints))
