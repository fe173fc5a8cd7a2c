"""Exceptions for problems with the user's data or files, and the Problem record.

Every message says what is wrong and how to fix it, in one line; the command
line maps these (and only these) to exit code 1.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from pathlib import Path
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


class TemplateError(SheetkitError):
    """A report or draft template (usually an override in --templates) cannot be loaded or rendered."""


#: What a terminal could act on: C0 and C1 controls (ESC starts escape sequences), DEL, the
#: bidirectional overrides and isolates that reorder what is shown, and the lone surrogates that
#: stand for a file name's undecodable bytes.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    r"""``text`` made safe for a terminal: every control character shown as an escape, never acted on.

    >>> printable("Sam\x1b]0;owned\x07 Lee\n")
    'Sam\\x1b]0;owned\\x07 Lee\\n'
    """
    return _UNPRINTABLE.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 in a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


#: Plain words for the operating system's errors people meet, and what to do about each.
_OS_REASONS = {
    errno.EACCES: "permission denied; check the file's and folder's permissions, or choose another place",
    errno.EPERM: "operation not permitted; check the file's and folder's permissions, or choose another place",
    errno.EROFS: "read-only file system; choose a place you can write to",
    errno.ENOSPC: "disk full (no space left on the device); free some space, or choose another place",
    errno.EDQUOT: "disk quota exceeded; free some space, or choose another place",
    errno.EFBIG: "file too large for this file system; choose another place",
    errno.ENAMETOOLONG: "file name too long for this file system; choose a shorter name",
    errno.ENOENT: "no such file or folder; check the path",
    errno.ENOTDIR: "a part of the path is not a folder; check the path",
    errno.EISDIR: "is a folder, not a file; give a file's name",
    errno.EEXIST: "already exists, and is not a folder; choose another name",
    errno.ELOOP: "too many levels of symbolic links (a symlink loop?); check the path",
    errno.EIO: "input/output error (a failing disk or network drive?); try again, or choose another place",
    errno.ENXIO: "no such device; give a regular file",
    errno.EMFILE: "too many open files; close some programs and try again",
    errno.ENOMEM: "out of memory",
}


def os_error_message(exc: OSError, path: Path | str | None = None) -> str:
    """One line for an operating-system error: the path, then the reason in plain words.

    ``path`` names the file the user knows (the output, not its temporary twin);
    by default the one the error names.

    >>> os_error_message(PermissionError(errno.EACCES, "Permission denied", "out.html"))
    "out.html: permission denied; check the file's and folder's permissions, or choose another place"
    """
    where = path if path is not None else exc.filename
    reason = _OS_REASONS.get(exc.errno or 0) or (exc.strerror or str(exc)).lower()
    return printable(f"{where}: {reason}" if where is not None else reason)


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

    def reading_order(self) -> tuple[str, int, int, str]:
        """Sheet, then row, then column: the order a person fixes things in (a sort key)."""
        letters = self.cell.rstrip("0123456789")
        return (self.sheet, int(self.cell[len(letters):] or 0), len(letters), letters)

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "sheet": self.sheet, "cell": self.cell, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return printable(f"{where}{self.severity}: {self.message}")
