"""`sheetkit check`: every problem in a tracker, as lines or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sheetkit.config import Config
from sheetkit.errors import Problem, UnreadableWorkbook
from sheetkit.reading import read_tracker


@dataclass
class CheckResult:
    source: Path
    problems: list[Problem] = field(default_factory=list)
    contacts: int = 0
    touchpoints: int = 0

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def lines(self) -> list[str]:
        return [f"{self.source}: {problem}" for problem in sorted(self.problems, key=_reading_order)]

    def summary(self) -> str:
        errors = sum(1 for p in self.problems if p.severity == "error")
        warnings = len(self.problems) - errors
        if not self.problems:
            return f"{self.source}: no problems ({self.contacts} contacts, {self.touchpoints} touchpoints)"
        return (f"{self.source}: {errors} error{'s' if errors != 1 else ''}, "
                f"{warnings} warning{'s' if warnings != 1 else ''}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "schema": "sheetkit.check/1",
                "source": str(self.source),
                "ok": self.ok,
                "contacts": self.contacts,
                "touchpoints": self.touchpoints,
                "problems": [p.to_json() for p in self.problems],
            },
            indent=2,
            ensure_ascii=False,
        )


def _reading_order(problem: Problem) -> tuple[str, int, int, str]:
    """Sheet, then row, then column: the order a person fixes things in."""
    letters = problem.cell.rstrip("0123456789")
    row = int(problem.cell[len(letters):] or 0)
    return (problem.sheet, row, len(letters), letters)


def check_tracker(path: Path, config: Config) -> CheckResult:
    """Read ``path`` and collect its problems; a file that is no tracker at all is one error."""
    try:
        tracker = read_tracker(path, config)
    except UnreadableWorkbook as exc:
        return CheckResult(path, [Problem("error", "", "", str(exc).removeprefix(f"{path}: "))])
    return CheckResult(path, tracker.problems, len(tracker.contacts), len(tracker.touchpoints))
