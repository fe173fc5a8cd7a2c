"""Reading a filled-in tracker back into two tidy tables.

The workbook is first inspected by :mod:`sheetkit.safety` (zip limits, entity
tricks, stray far-away cells), then its cells are read with python-calamine and
shaped into pandas DataFrames. Columns are found by header name (case, spacing
and common aliases ignored), sheets by name, loosely. Every figure sheetkit
reports is computed from the typed-in columns; formula results in the file are
never trusted, since files saved by openpyxl carry none.

Whatever cannot be understood becomes a :class:`~sheetkit.errors.Problem` with
its sheet and cell, never a crash and never a silently wrong figure.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sheetkit.config import Config
from sheetkit.dates import parse_date_cell
from sheetkit.errors import Problem, UnreadableWorkbook
from sheetkit.safety import WorkbookSource, damaged, inspect_workbook
from sheetkit.spec import (
    CONTACTS,
    CONTACTS_SHEET,
    INSTITUTION_LABEL,
    SHEET_ALIASES,
    START_SHEET,
    STUDENT_LABEL,
    TOUCHPOINTS,
    TOUCHPOINTS_SHEET,
    VALUE_ALIASES,
    Column,
    SheetSpec,
    column_letter,
    normalize_label,
)

#: How many rows from the top may hold titles before the header row.
HEADER_SEARCH_ROWS = 10
#: Helper columns the builder adds end with this; they are never read as data.
AUTO_SUFFIX = "(auto)"


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
    contacts_sheet: str = CONTACTS_SHEET
    touchpoints_sheet: str | None = TOUCHPOINTS_SHEET

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class _Table:
    """One data sheet located in the grid: which column index holds which spec column."""

    sheet: str
    header_row: int  # 0-based index into the grid
    columns: dict[str, int]  # spec key -> 0-based grid column
    extra: dict[str, int]  # header text -> grid column, for columns not in the spec
    row_offset: int  # sheet row number of grid row 0, minus 1
    col_offset: int  # sheet column number of grid column 0, minus 1

    def address(self, grid_row: int, key: str) -> str:
        return f"{column_letter(self.columns[key] + self.col_offset + 1)}{grid_row + self.row_offset + 1}"


def read_tracker(path: Path, config: Config | None = None) -> Tracker:
    """Read a tracker workbook; raise :class:`UnreadableWorkbook` if it cannot be a tracker.

    Problems that leave the rest readable (a bad date, an unknown name) are
    collected on ``Tracker.problems`` instead.
    """
    config = config or Config()
    source = inspect_workbook(path, config.reading)
    problems: list[Problem] = list(source.problems)
    names = [sheet.name for sheet in source.sheets]
    contacts_name = _find_sheet(names, CONTACTS_SHEET)
    touchpoints_name = _find_sheet(names, TOUCHPOINTS_SHEET)
    if contacts_name is None:
        raise UnreadableWorkbook(
            f"{path}: no Contacts sheet, so this is not a sheetkit tracker (sheets present: "
            f"{_quoted(names)}); make one with `sheetkit new`, or rename the sheet of people to 'Contacts'"
        )
    from python_calamine import CalamineError, PasswordError, XmlError, ZipError

    try:
        workbook = source.open_calamine()
        try:
            contacts_grid = _grid(workbook, contacts_name)
            touchpoints_grid = _grid(workbook, touchpoints_name) if touchpoints_name else None
            start_name = _find_sheet(names, START_SHEET)
            start_grid = _grid(workbook, start_name) if start_name else None
        finally:
            workbook.close()
    except (CalamineError, PasswordError, XmlError, ZipError) as exc:
        # Inspection passed, but the cells themselves cannot be parsed (malformed XML and the like).
        raise damaged(path, str(exc)) from None

    reader = _SheetReader(source, config, problems)
    contacts = reader.contacts(contacts_name, contacts_grid)
    if touchpoints_name is None or touchpoints_grid is None:
        problems.append(
            Problem(
                "error",
                TOUCHPOINTS_SHEET,
                "",
                f"no Touchpoints sheet (sheets present: {_quoted(names)}); add one with the headers "
                "Date, Contact, Channel, Direction, Purpose so follow-ups can be counted",
            )
        )
        touchpoints = reader.empty_touchpoints()
    else:
        touchpoints = reader.touchpoints(touchpoints_name, touchpoints_grid, contacts)
    student, institution = _start_fields(start_grid)
    return Tracker(
        path=path,
        contacts=contacts,
        touchpoints=touchpoints,
        problems=problems,
        student=student,
        institution=institution,
        contacts_sheet=contacts_name,
        touchpoints_sheet=touchpoints_name,
    )


def _find_sheet(names: Sequence[str], canonical: str) -> str | None:
    """The sheet that best answers to ``canonical``: exact, then folded, then an alias."""
    if canonical in names:
        return canonical
    folded = {normalize_label(name): name for name in reversed(names)}
    for alias in (normalize_label(canonical), *SHEET_ALIASES.get(canonical, ())):
        if alias in folded:
            return folded[alias]
    return None


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f"'{name}'" for name in names) or "none"


@dataclass
class _Grid:
    rows: list[list[Any]]
    row_offset: int
    col_offset: int


def _grid(workbook: Any, sheet: str) -> _Grid:
    data = workbook.get_sheet_by_name(sheet)
    start = data.start or (0, 0)
    return _Grid(data.to_python(), start[0], start[1])


def _start_fields(grid: _Grid | None) -> tuple[str | None, str | None]:
    """The student's and institution's names from the Start Here sheet's labelled cells."""
    found: dict[str, str | None] = {STUDENT_LABEL: None, INSTITUTION_LABEL: None}
    if grid is None:
        return None, None
    wanted = {normalize_label(label): label for label in found}
    for row in grid.rows[:20]:
        for index, cell in enumerate(row[:-1]):
            label = wanted.get(normalize_label(cell)) if isinstance(cell, str) else None
            value = row[index + 1]
            if label and found[label] is None and isinstance(value, str) and value.strip():
                found[label] = value.strip()
    return found[STUDENT_LABEL], found[INSTITUTION_LABEL]


class _SheetReader:
    """Shapes the grids of the two data sheets into DataFrames, collecting problems."""

    def __init__(self, source: WorkbookSource, config: Config, problems: list[Problem]) -> None:
        self.source = source
        self.config = config
        self.problems = problems
        self.path = source.path

    # ---- locating the table -------------------------------------------------------------

    def _locate(self, spec: SheetSpec, sheet: str, grid: _Grid, required: Sequence[str]) -> _Table:
        lookup = spec.header_lookup()
        best_row, best_hits = -1, 0
        for index, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS]):
            hits = len({lookup[key].key for key in map(_header_key, row) if key in lookup})
            if hits > best_hits:
                best_row, best_hits = index, hits
        if best_hits < min(2, len(spec.columns)):
            expected = ", ".join(c.header for c in spec.columns[:5])
            raise UnreadableWorkbook(
                f"{self.path}: sheet '{sheet}' has no header row in its first {HEADER_SEARCH_ROWS} rows; "
                f"the first row should hold headers such as {expected}"
            )
        columns: dict[str, int] = {}
        extra: dict[str, int] = {}
        table = _Table(sheet, best_row, columns, extra, grid.row_offset, grid.col_offset)
        for index, cell in enumerate(grid.rows[best_row]):
            text = _header_text(cell)
            if not text or text.endswith(AUTO_SUFFIX):
                continue
            column = lookup.get(normalize_label(text))
            if column is None:
                extra.setdefault(text, index)
            elif column.key in columns:
                where = f"{column_letter(index + grid.col_offset + 1)}{best_row + grid.row_offset + 1}"
                self.problems.append(
                    Problem("warning", sheet, where,
                            f"a second '{column.header}' column; only the first one is read. Rename or delete this one")
                )
            else:
                columns[column.key] = index
        for column in spec.columns:
            if column.key in columns or column.kind == "formula":
                continue
            header_cell = f"{column_letter(grid.col_offset + 1)}{best_row + grid.row_offset + 1}"
            if column.key in required:
                raise UnreadableWorkbook(
                    f"{self.path}: sheet '{sheet}' has no '{column.header}' column (header row {best_row + grid.row_offset + 1}); "
                    f"add a column headed '{column.header}'"
                )
            self.problems.append(
                Problem("warning", sheet, header_cell,
                        f"no '{column.header}' column; {_missing_effect(column)}. Add the column to use it")
            )
        return table

    # ---- cells to columns ---------------------------------------------------------------

    def _columns(self, spec: SheetSpec, table: _Table, grid: _Grid) -> tuple[dict[str, list[Any]], list[int]]:
        """The data rows of the table as raw column lists, blank and formula-only rows dropped."""
        body = grid.rows[table.header_row + 1:]
        width = max((len(r) for r in body), default=0)
        transposed = list(zip(*body)) if body else []
        raw: dict[str, list[Any]] = {}
        for column in spec.columns:
            index = table.columns.get(column.key)
            if column.kind == "formula":
                continue
            raw[column.key] = list(transposed[index]) if index is not None and index < width else [None] * len(body)
        data_keys = list(raw)
        # A row is data when any typed-in column holds something; formula results do not count.
        keep = [i for i, cells in enumerate(zip(*(raw[k] for k in data_keys))) if any(map(_filled, cells))]
        if len(keep) < len(body):
            for key in data_keys:
                column_cells = raw[key]
                raw[key] = [column_cells[i] for i in keep]
        rows = [table.header_row + 1 + i for i in keep]
        return raw, rows

    def _text(self, values: list[Any]) -> list[str | None]:
        # Text, the usual cell, is kept as typed without a call to _as_text (which would return it),
        # and equal texts share one object: a name in 50 touchpoints is held once, not 50 times.
        shared: dict[str, str] = {}
        return [shared.setdefault(v, v) if type(v) is str and v.strip() else _as_text(v) for v in values]

    def _choice(self, column: Column, values: list[Any], table: _Table, rows: list[int]) -> list[str | None]:
        assert column.choices is not None
        allowed = self.config.list_values(column.choices)
        canonical = {normalize_label(v): v for v in allowed}
        for alias, target in VALUE_ALIASES.get(column.choices, {}).items():
            canonical.setdefault(alias, target)
        # Each distinct value is understood once; the rows are walked again only if one is not a choice.
        cache: dict[Any, str | None] = {}
        for value in dict.fromkeys(values):
            text = _as_text(value)
            cache[value] = None if text is None else canonical.get(normalize_label(text), text)
        out = [cache[value] for value in values]
        odd = {result for result in cache.values()
               if result is not None and result not in allowed and normalize_label(result) not in canonical}
        unknown: dict[str, list[int]] = {}
        if odd:
            for grid_row, result in zip(rows, out):
                if result in odd:
                    unknown.setdefault(result, []).append(grid_row)
        for text, grid_rows in unknown.items():
            times = f" (in {len(grid_rows)} rows, first here)" if len(grid_rows) > 1 else ""
            self.problems.append(
                Problem("warning", table.sheet, table.address(grid_rows[0], column.key),
                        f"'{_preview(text)}' is not one of the {column.header} choices{times}; it is kept as typed, "
                        f"but no rule understands it. Pick one of: {', '.join(allowed)}")
            )
        return out

    def _dates(self, column: Column, values: list[Any], table: _Table, rows: list[int]) -> pd.Series:
        cache: dict[Any, Any] = {}
        parsed: list[dt.date | None] = []
        day_first = self.config.reading.day_first
        for grid_row, value in zip(rows, values):
            try:
                hit = cache.get(value, _MISSING)
            except TypeError:
                hit = _MISSING
            if hit is _MISSING:
                result = parse_date_cell(value, date1904=self.source.date1904, day_first=day_first)
                if result.problem is None:
                    try:
                        cache[value] = result.value
                    except TypeError:
                        pass
                hit = result.value
                if result.problem:
                    self.problems.append(
                        Problem("error", table.sheet, table.address(grid_row, column.key),
                                f"{column.header}: {result.problem}")
                    )
            parsed.append(hit)
        return pd.Series(pd.to_datetime(parsed), dtype="datetime64[ns]") if parsed else pd.Series([], dtype="datetime64[ns]")

    def _frame(self, spec: SheetSpec, table: _Table, raw: dict[str, list[Any]], rows: list[int]) -> pd.DataFrame:
        data: dict[str, Any] = {"row": [r + table.row_offset + 1 for r in rows]}
        for column in spec.columns:
            if column.kind == "formula":
                continue
            values = raw[column.key]
            if column.kind == "date":
                data[column.key] = self._dates(column, values, table, rows)
            elif column.kind == "choice":
                data[column.key] = pd.Series(self._choice(column, values, table, rows), dtype=object)
            else:
                # object dtype keeps None as None (pandas would turn it into NaN in a str column).
                data[column.key] = pd.Series(self._text(values), dtype=object)
        return pd.DataFrame(data)

    # ---- the two sheets -----------------------------------------------------------------

    def _report_error_cells(self, spec: SheetSpec, table: _Table) -> None:
        """Error cells (#REF!, #N/A...) read as blank by calamine: a problem at their address, never a silent blank."""
        errors = self.source.error_cells.get(table.sheet, {})
        if not errors:
            return
        by_column = {index: spec.column(key) for key, index in table.columns.items()}
        header_row = table.header_row + table.row_offset + 1
        for address, error in errors.items():
            letters = address.rstrip("0123456789")
            row = int(address[len(letters):])
            column = by_column.get(_column_number(letters) - table.col_offset - 1)
            if column is None or row <= header_row or column.kind == "formula":
                continue
            if column.kind == "date":
                self.problems.append(Problem("error", table.sheet, address,
                                             f"{column.header}: holds the spreadsheet error {error}; "
                                             "fix the formula or type the date itself"))
            else:
                self.problems.append(Problem("warning", table.sheet, address,
                                             f"{column.header} holds the spreadsheet error {error} and is read "
                                             "as blank; fix the formula or type the value"))

    def contacts(self, sheet: str, grid: _Grid) -> pd.DataFrame:
        table = self._locate(CONTACTS, sheet, grid, required=("name",))
        self._report_error_cells(CONTACTS, table)
        raw, rows = self._columns(CONTACTS, table, grid)
        frame = self._frame(CONTACTS, table, raw, rows)
        names = frame["name"]
        nameless = names.isna()
        for grid_row, row in zip(rows, nameless):
            if row:
                self.problems.append(
                    Problem("error", sheet, table.address(grid_row, "name"),
                            "this row has details but no name; type the person's name, or clear the row")
                )
        frame = frame[~nameless].reset_index(drop=True)
        frame["key"] = pd.Series([_name_key(n) for n in frame["name"]], dtype=object)
        first_row: dict[str, int] = {}
        for key, row in zip(frame["key"], frame["row"]):
            if key in first_row:
                self.problems.append(
                    Problem("warning", sheet, f"{column_letter(table.columns['name'] + table.col_offset + 1)}{row}",
                            f"this name is already in row {first_row[key]}; touchpoints count for the first one. "
                            "Merge the two rows or tell them apart (e.g. add a middle initial)")
                )
            else:
                first_row[key] = row
        frame["status"] = pd.Series([s if s else "Active" for s in frame["status"]], dtype=object)
        frame["referred_by_key"] = pd.Series(
            self._match_names(frame["referred_by"], frame["row"], table, "referred_by", first_row, frame["name"]),
            dtype=object,
        )
        return frame

    def touchpoints(self, sheet: str, grid: _Grid, contacts: pd.DataFrame) -> pd.DataFrame:
        table = self._locate(TOUCHPOINTS, sheet, grid, required=("date", "contact"))
        self._report_error_cells(TOUCHPOINTS, table)
        raw, rows = self._columns(TOUCHPOINTS, table, grid)
        frame = self._frame(TOUCHPOINTS, table, raw, rows)
        known = dict(zip(contacts["key"], contacts["row"]))
        frame["contact_key"] = pd.Series(
            self._match_names(frame["contact"], frame["row"], table, "contact", known, contacts["name"]), dtype=object
        )
        for row, undated, contact in zip(frame["row"], frame["date"].isna(), frame["contact"]):
            if contact is None:
                self.problems.append(
                    Problem("error", sheet, f"{column_letter(table.columns['contact'] + table.col_offset + 1)}{row}",
                            "this touchpoint has no contact; pick the person's name from the list")
                )
            if undated and not self._reported(sheet, table, "date", row):
                self.problems.append(
                    Problem("error", sheet, f"{column_letter(table.columns['date'] + table.col_offset + 1)}{row}",
                            "this touchpoint has no date, so it is left out of the follow-ups; type the date it happened")
                )
        blank_direction = frame["direction"].isna()
        if blank_direction.any():
            first = int(frame.loc[blank_direction, "row"].iloc[0])
            count = int(blank_direction.sum())
            address = f"{column_letter(table.columns.get('direction', 0) + table.col_offset + 1)}{first}"
            self.problems.append(
                Problem("warning", sheet, address,
                        f"Direction is blank in {count} row{'s' if count != 1 else ''} (first here); "
                        "counted as Sent. Choose Sent or Received")
            )
            frame.loc[blank_direction, "direction"] = "Sent"
        return frame

    def empty_touchpoints(self) -> pd.DataFrame:
        columns: dict[str, Any] = {"row": pd.Series([], dtype="int64")}
        for column in TOUCHPOINTS.columns:
            dtype = "datetime64[ns]" if column.kind == "date" else object
            columns[column.key] = pd.Series([], dtype=dtype)
        columns["contact_key"] = pd.Series([], dtype=object)
        return pd.DataFrame(columns)

    def _reported(self, sheet: str, table: _Table, key: str, row: int) -> bool:
        address = f"{column_letter(table.columns[key] + table.col_offset + 1)}{row}"
        return any(p.sheet == sheet and p.cell == address for p in self.problems[-50:])

    def _match_names(
        self,
        names: pd.Series,
        rows: pd.Series,
        table: _Table,
        key: str,
        known: dict[str, int],
        display: pd.Series,
    ) -> list[str | None]:
        """Fold names for matching against Contacts; an unknown one is a warning with the closest name."""
        matched: list[str | None] = []
        unknown: dict[str, str | None] = {}
        choices = list(dict.fromkeys(n for n in display if isinstance(n, str)))
        close_names: _CloseNames | None = None
        folded_names: dict[str, str] = {}
        for name, row in zip(names, rows):
            if name is None:
                matched.append(None)
                continue
            folded = folded_names.get(name)
            if folded is None:
                folded = folded_names[name] = _name_key(name)
            if folded in known:
                matched.append(folded)
                continue
            matched.append(None)
            if folded not in unknown:
                close_names = close_names or _CloseNames(choices, cutoff=0.6)
                unknown[folded] = close_names.closest(name.strip())
            hint = f"did you mean '{unknown[folded]}'? " if unknown[folded] else ""
            self.problems.append(
                Problem("warning", table.sheet, f"{column_letter(table.columns[key] + table.col_offset + 1)}{row}",
                        f"'{_preview(name)}' is not a name in Contacts; {hint}fix the spelling or add the contact")
            )
        return matched


_MISSING = object()


class _CloseNames:
    """The answer of ``difflib.get_close_matches(word, names, n=1, cutoff)`` for many words, sooner.

    difflib scores every name in Python for every word: minutes for a few
    hundred misspellings among 100,000 contacts. Here the names' characters are
    indexed once, ``quick_ratio`` (an upper bound of ``ratio``) is computed for
    all names at once with numpy, and difflib scores only the names whose bound
    could still beat the best score found, so the answer is the same.
    """

    def __init__(self, names: list[str], cutoff: float) -> None:
        self.names = names
        self.cutoff = cutoff
        self.lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
        codes = np.frombuffer("".join(names).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        order = np.argsort(codes, kind="stable")
        self.owners = np.repeat(np.arange(len(names)), self.lengths)[order]
        # Each character's run in ``owners``, which is sorted by character.
        chars, starts = np.unique(codes[order], return_index=True)
        ends = [*starts[1:].tolist(), len(codes)]
        self.spans = {chr(char): (start, end) for char, start, end in zip(chars.tolist(), starts.tolist(), ends)}

    def closest(self, word: str) -> str | None:
        shared = np.zeros(len(self.names), dtype=np.int64)
        for char, count in Counter(word).items():
            if char in self.spans:
                low, high = self.spans[char]
                shared += np.minimum(np.bincount(self.owners[low:high], minlength=len(self.names)), count)
        bound = 2.0 * shared / (self.lengths + len(word))
        candidates = np.flatnonzero(bound >= self.cutoff)
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] | None = None
        for index in candidates[np.argsort(-bound[candidates], kind="stable")]:
            if best is not None and bound[index] < best[0]:
                break
            name = self.names[index]
            matcher.set_seq1(name)
            # The same three tests, in the same order, as get_close_matches; ties go to the greater name.
            if (matcher.real_quick_ratio() >= self.cutoff and matcher.quick_ratio() >= self.cutoff
                    and matcher.ratio() >= self.cutoff):
                best = max(best, (matcher.ratio(), name)) if best else (matcher.ratio(), name)
        return best[1] if best else None


def _column_number(letters: str) -> int:
    """Spreadsheet column letters -> 1-based number (A -> 1, AA -> 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _header_key(cell: Any) -> str:
    return normalize_label(cell) if isinstance(cell, str) else ""


def _header_text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else ""


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _as_text(value: Any) -> str | None:
    """A cell as the text the user sees: numbers without a spurious '.0', dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _preview(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _missing_effect(column: Column) -> str:
    effects = {
        "date_met": "no thank-you or follow-up cadence can be worked out",
        "thank_you_sent": "thank-yous are taken from Touchpoints only",
        "agreed_next": "agreed dates cannot be tracked",
        "status": "every contact counts as Active",
        "referred_by": "referrals cannot be tracked",
        "direction": "every touchpoint counts as Sent",
        "got_reply": "replies are taken from Received touchpoints only",
        "purpose": "thank-yous in Touchpoints cannot be recognised",
    }
    return effects.get(column.key, "it is treated as blank")
