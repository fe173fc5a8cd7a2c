"""Exceptions for problems with the user's data or files, and the Problem record.

Every message says what is wrong and how to fix it, in one line; the command
line maps these (and only these) to exit code 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


class SheetkitError(Exception):
    """A problem with the user's data or files (exit code 1)."""


class ConfigError(SheetkitError):
    """The TOML config file is missing, malformed or has unknown keys."""


class UnreadableWorkbook(SheetkitError):
    """A file that cannot be read as a tracker workbook at all."""


class OutputError(SheetkitError):
    """An output cannot be written where asked (exists, is the input, no permission)."""


class RosterError(SheetkitError):
    """A roster CSV for `sheetkit new --roster` has a bad row or no name column."""


@dataclass(frozen=True)
class Problem:
    """Something in a workbook that could not be understood as typed.

    ``cell`` is an A1 address (``"J7"``) or ``""`` for the whole sheet or file.
    """

    severity: Severity
    sheet: str
    cell: str
    message: str

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "sheet": self.sheet, "cell": self.cell, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message}"
