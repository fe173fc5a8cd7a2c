"""Reading a class roster (CSV) for `sheetkit new --roster`, and naming each student's file.

A roster needs a name column (Name, Student, Student name or Full name; or
First name + Last name); an Email column is optional. Every problem is a
:class:`RosterError` naming the file and the row, and saying how to fix it::

    Name,Email
    Sam Lee,sam@example.edu
    Zoë Álvarez,
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sheetkit.errors import RosterError
from sheetkit.spec import normalize_label

NAME_HEADERS = ("name", "student", "student name", "full name", "student full name")
FIRST_NAME_HEADERS = ("first name", "given name", "first")
LAST_NAME_HEADERS = ("last name", "surname", "family name", "last")
EMAIL_HEADERS = ("email", "e mail", "email address", "student email", "mail")

WORKBOOK_SUFFIX = ".xlsx"
#: Longest file stem written, in UTF-8 bytes (file systems count bytes: 255 for a whole name),
#: before any "-2" that keeps names unique; 60 ASCII letters, or 30 in Greek, or 20 in Chinese.
MAX_STEM_BYTES = 60
#: Names Windows refuses as file names, whatever the extension.
RESERVED_STEMS = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)
#: Letters that Unicode does not decompose into an ASCII base letter.
_ASCII_SPELLINGS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NOT_ASCII_WORD = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class RosterStudent:
    """One student of a roster; ``row`` is the spreadsheet row (the header is row 1)."""

    row: int
    name: str
    email: str
    file_name: str


def read_roster(path: Path) -> list[RosterStudent]:
    """Students of a roster CSV, each with a safe file name unique within the roster.

    Rows that are entirely empty are skipped; any other row without a name is an error.
    """
    rows = _csv_rows(path)
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise RosterError(f"{path}: the roster is empty; put a header row such as 'Name,Email' "
                          "first, then one student per row")
    headers = [normalize_label(cell) for cell in rows[0]]
    name_at = _find(headers, NAME_HEADERS)
    first_at, last_at = _find(headers, FIRST_NAME_HEADERS), _find(headers, LAST_NAME_HEADERS)
    email_at = _find(headers, EMAIL_HEADERS)
    if name_at is None and (first_at is None or last_at is None):
        found = ", ".join(repr(cell.strip()) for cell in rows[0] if cell.strip())
        raise RosterError(f"{path}: no column of student names (headers found: {found}); "
                          "name the column 'Name' (or 'Student', 'Full name', or 'First name' and 'Last name')")

    students: list[tuple[int, str, str]] = []
    for row_number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        where = f"{path}: row {row_number}"
        if any(cell.strip() for cell in cells[len(headers):]):
            raise RosterError(f"{where} has {len(cells)} cells but the header has {len(headers)}; "
                              'put quotes around a value that contains a comma, e.g. "Lee, Sam"')
        if name_at is not None:
            name = _cell(cells, name_at)
        else:
            name = f"{_cell(cells, first_at)} {_cell(cells, last_at)}".strip()
        name = " ".join(name.split())
        if not name:
            raise RosterError(f"{where}: the student's name is blank; type the name or delete the row")
        if _CONTROL.search(name):
            raise RosterError(f"{where}: the name {name!r} contains control characters; retype it as plain text")
        email = _cell(cells, email_at)
        if email and ("@" not in email or any(c.isspace() for c in email)):
            raise RosterError(f"{where}: '{email}' is not an email address; correct it or leave the cell empty")
        students.append((row_number, name, email))
    if not students:
        raise RosterError(f"{path}: no students below the header row; add one student per row")

    file_names = unique_file_names(name for _, name, _ in students)
    return [RosterStudent(row, name, email, file_name)
            for (row, name, email), file_name in zip(students, file_names, strict=True)]


def safe_file_stem(name: str) -> str:
    """A file name stem that is safe on every system: lower-case, ASCII where possible, no separators.

    >>> safe_file_stem("Zoë O'Brien-Álvarez")
    'zoe-o-brien-alvarez'
    >>> safe_file_stem("李小龍")
    '李小龍'
    >>> safe_file_stem("../../etc/passwd")
    'etc-passwd'
    """
    # NFKC first, so that styled letters (𝔄, ｆｕｌｌ-width) are plain letters before case is folded.
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name).casefold().translate(_ASCII_SPELLINGS))
    stem = _NOT_ASCII_WORD.sub("-", folded.encode("ascii", "ignore").decode("ascii")).strip("-")
    if not stem:
        # Nothing left in ASCII (a name in another script): keep its letters, joined by dashes.
        stem = _NOT_WORD.sub("-", unicodedata.normalize("NFKC", name.casefold())).strip("-")
    stem = stem.encode("utf-8")[:MAX_STEM_BYTES].decode("utf-8", "ignore").rstrip("-") or "student"
    return f"{stem}-student" if stem in RESERVED_STEMS else stem


def unique_file_names(names: Iterable[str]) -> list[str]:
    """One file name per name, in order; repeats get ``-2``, ``-3``... (compared ignoring case).

    >>> unique_file_names(["Sam Lee", "Sam Lee", "sam  lee"])
    ['sam-lee.xlsx', 'sam-lee-2.xlsx', 'sam-lee-3.xlsx']
    """
    taken: set[str] = set()
    #: The last number given to each stem, so that n repeats of one name take n steps, not n².
    last_number: dict[str, int] = {}
    file_names = []
    for name in names:
        stem = safe_file_stem(name)
        candidate, counter = stem, last_number.get(stem.casefold(), 1)
        while candidate.casefold() in taken:
            counter += 1
            candidate = f"{stem}-{counter}"
        last_number[stem.casefold()] = counter
        taken.add(candidate.casefold())
        file_names.append(candidate + WORKBOOK_SUFFIX)
    return file_names


def _csv_rows(path: Path) -> list[list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"{path}: cannot read the roster ({exc.strerror}); check the path and permissions") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV (Comma delimited)" on Windows writes this code page.
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise RosterError(f"{path}: not readable as text; save the roster as 'CSV UTF-8'") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise RosterError(f"{path}: not a valid CSV file ({exc}); save it again as CSV from your spreadsheet") from None


def _find(headers: list[str], accepted: tuple[str, ...]) -> int | None:
    for wanted in accepted:
        if wanted in headers:
            return headers.index(wanted)
    return None


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()
