"""Reading a filled-in tracker back into two tidy tables.

The workbook is first inspected by :mod:`sheetkit.safety` (zip limits, entity
tricks, stray far-away cells), then its cells are read with python-calamine and
shaped into pandas DataFrames. Columns are found by header name (case, spacing
and common aliases ignored), sheets by name, loosely. Every figure sheetkit
reports is computed from the typed-in columns; formula results in the file are
never trusted, since files saved by openpyxl carry none.

Whatever cannot be understood becomes a :class:`~sheetkit.errors.Problem` with
its sheet and cell, never a crash and never a silently wrong figure.

Reading runs in two phases, so a caller can overlap the first with other work
(``import pandas``, say)::

    raw = load_grids(path, config)       # inspect, parse, number the cells: no pandas, no numpy
    tracker = shape_tracker(raw)         # numbered cells -> DataFrames and problems

    future = start_reading(path, config) # the first phase in a background thread
    tracker = shape_tracker(future.result())

:func:`read_tracker` does both. Each data sheet's cells are numbered by distinct
value as soon as they are read (one C-level pass, in memory order, and the cells
are let go); then each distinct value is understood once (a channel typed in
50,000 rows is one value) and spread back to the rows with numpy. Problems are
rare, so their rows are found with masks and only those are walked in Python,
in the order the cell-by-cell reader reported them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
import os
import re
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress
from operator import itemgetter, not_
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sheetkit.config import Config
from sheetkit.dates import parse_date_cell
from sheetkit.errors import Problem, UnreadableWorkbook
from sheetkit.model import Tracker
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

if TYPE_CHECKING:  # pandas and numpy are imported where the cells are shaped, never by `import sheetkit.reader`
    from concurrent.futures import Future

    import numpy as np
    import pandas as pd

#: How many rows from the top may hold titles before the header row.
HEADER_SEARCH_ROWS = 10
#: Helper columns the builder adds end with this; they are never read as data.
AUTO_SUFFIX = "(auto)"
#: Data sheets up to this many columns wide are coded row by row while they are read.
CODED_WIDTH = 64
#: Workbooks at least this big on disk have their Contacts and Touchpoints sheets parsed in two
#: threads at once, given two CPUs (python-calamine lets go of the GIL while it parses). Measured:
#: a 200 KB tracker reads in 45 ms instead of 60, one of 30 KB (100 contacts) is better read in one go.
THREADED_BYTES = 150_000


class _Index(dict):  # type: ignore[type-arg]
    """value -> its number among the distinct values, in order of first sight.

    ``map(index.__getitem__, cells)`` turns a column into codes at C speed, with
    one small Python call per distinct value; each distinct value is then
    understood once and the results spread back with ``uniques[codes]``. Keys
    compare as dict keys do: ``1``, ``1.0`` and ``True`` are one key, the first
    seen standing for all.
    """

    __slots__ = ()

    def __missing__(self, key: Any) -> int:
        number = self[key] = len(self)
        return number


@dataclass
class _Grid:
    """A sheet's cells as python-calamine gives them: ``rows`` of cells, or, for a coded data
    sheet, every cell's number among the sheet's distinct values, row by row (see :meth:`code`)."""

    rows: list[list[Any]]
    row_offset: int
    col_offset: int
    codes: array[int] | None = None  # row by row, ``width`` to a row, ``height`` rows
    distinct: list[Any] | None = None  # the distinct values, by code
    width: int = 0
    height: int = 0
    zero_one: list[int] = field(default_factory=list)  # the codes of keys equal to 0 or 1

    def code(self) -> None:
        """Number the cells, in one pass over them in the order they lie in memory, and let the
        cells go, keeping the header rows and the first of each distinct value.

        ``1``, ``1.0`` and ``True`` are one key; where 0 or 1 is among the values, the cells
        are kept too, so that they can be read one by one where it matters (TRUE is not 1).
        A ragged or very wide grid is left as it is (and read column by column).
        """
        rows = self.rows
        width = len(rows[0]) if rows else 0
        if not rows or width > CODED_WIDTH or min(map(len, rows)) != width or max(map(len, rows)) != width:
            return
        index = _Index()
        codes = list(map(index.__getitem__, chain.from_iterable(rows)))
        self.codes = array("q", codes)
        del codes
        self.distinct = list(index)
        self.width, self.height = width, len(rows)
        self.zero_one = [index[key] for key in (0, 1) if key in index]
        if not self.zero_one:
            self.rows = rows[:HEADER_SEARCH_ROWS]


@dataclass
class RawTracker:
    """A tracker's cells as python-calamine read them: the first phase of :func:`read_tracker`.

    Made by :func:`load_grids` (no pandas needed); :func:`shape_tracker` turns it
    into a :class:`Tracker`, dropping each grid as soon as it is converted, so a
    ``RawTracker`` can be shaped once.
    """

    path: Path
    config: Config
    source: WorkbookSource
    sheet_names: list[str]
    contacts_sheet: str
    touchpoints_sheet: str | None
    contacts: _Grid | None
    touchpoints: _Grid | None
    start: _Grid | None


def read_tracker(path: Path, config: Config | None = None) -> Tracker:
    """Read a tracker workbook; raise :class:`UnreadableWorkbook` if it cannot be a tracker.

    Problems that leave the rest readable (a bad date, an unknown name) are
    collected on ``Tracker.problems`` instead.
    """
    return shape_tracker(load_grids(path, config))


def load_grids(path: Path, config: Config | None = None) -> RawTracker:
    """Inspect the workbook and read the cells of its Contacts, Touchpoints and Start Here sheets.

    Raises :class:`UnreadableWorkbook` for a file that cannot be a tracker, as
    :func:`read_tracker` does. Imports no pandas (nor numpy, but for what
    :func:`~sheetkit.safety.inspect_workbook` may use).
    """
    config = config or Config()
    source = inspect_workbook(path, config.reading)
    names = [sheet.name for sheet in source.sheets]
    contacts_name = _find_sheet(names, CONTACTS_SHEET)
    touchpoints_name = _find_sheet(names, TOUCHPOINTS_SHEET)
    if contacts_name is None:
        raise UnreadableWorkbook(
            f"{path}: no Contacts sheet, so this is not a sheetkit tracker (sheets present: "
            f"{_quoted(names)}); make one with `sheetkit new`, or rename the sheet of people to 'Contacts'"
        )
    start_name = _find_sheet(names, START_SHEET)
    from python_calamine import CalamineError, PasswordError, XmlError, ZipError

    try:
        with _PAUSED_GC:  # to_python makes a list per row; collecting them all the while is wasted time
            if touchpoints_name is not None and _file_size(source) >= THREADED_BYTES and _cpus() > 1:
                contacts_grid, touchpoints_grid, start_grid = _parse_in_two_threads(
                    source, contacts_name, touchpoints_name, start_name
                )
            else:
                contacts_grid, touchpoints_grid, start_grid = _parse(
                    source, (contacts_name, True), (touchpoints_name, True), (start_name, False)
                )
    except (CalamineError, PasswordError, XmlError, ZipError) as exc:
        # Inspection passed, but the cells themselves cannot be parsed (malformed XML and the like).
        raise damaged(path, str(exc)) from None
    return RawTracker(path, config, source, names, contacts_name, touchpoints_name,
                      contacts_grid, touchpoints_grid, start_grid)


def start_reading(path: Path, config: Config | None = None) -> Future[RawTracker]:
    """Run :func:`load_grids` in a background thread; ``.result()`` gives the :class:`RawTracker`
    or raises what :func:`load_grids` raised."""
    from concurrent.futures import Future

    future: Future[RawTracker] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(load_grids(path, config))
        except BaseException as exc:  # handed to the caller of .result()
            future.set_exception(exc)

    threading.Thread(target=run, name="sheetkit-read", daemon=True).start()
    return future


def shape_tracker(raw: RawTracker) -> Tracker:
    """Shape the cells of :func:`load_grids` into a :class:`Tracker` (the second phase of :func:`read_tracker`).

    The grids are taken out of ``raw`` as they are converted, to keep memory down.
    """
    if raw.contacts is None:
        raise ValueError("this RawTracker has already been shaped; load the grids again")
    with _PAUSED_GC:
        problems: list[Problem] = list(raw.source.problems)
        reader = _SheetReader(raw.source, raw.config, problems)
        grid, raw.contacts = raw.contacts, None
        contacts = reader.contacts(raw.contacts_sheet, grid)
        del grid
        if raw.touchpoints_sheet is None or raw.touchpoints is None:
            problems.append(
                Problem(
                    "error",
                    TOUCHPOINTS_SHEET,
                    "",
                    f"no Touchpoints sheet (sheets present: {_quoted(raw.sheet_names)}); add one with the headers "
                    "Date, Contact, Channel, Direction, Purpose so follow-ups can be counted",
                )
            )
            touchpoints = reader.empty_touchpoints()
        else:
            grid, raw.touchpoints = raw.touchpoints, None
            touchpoints = reader.touchpoints(raw.touchpoints_sheet, grid, contacts)
            del grid
        student, institution = _start_fields(raw.start)
    return Tracker(
        path=raw.path,
        contacts=contacts,
        touchpoints=touchpoints,
        problems=problems,
        student=student,
        institution=institution,
        contacts_sheet=raw.contacts_sheet,
        touchpoints_sheet=raw.touchpoints_sheet,
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


# ---- phase one: cells ---------------------------------------------------------------------


def _grid(workbook: Any, sheet: str, coded: bool) -> _Grid:
    data = workbook.get_sheet_by_name(sheet)
    start = data.start or (0, 0)
    grid = _Grid(data.to_python(), start[0], start[1])
    del data  # python-calamine's own copy of the cells
    if coded:
        grid.code()
    return grid


def _parse(source: WorkbookSource, *sheets: tuple[str | None, bool]) -> list[_Grid | None]:
    """The grids of ``sheets``, (name, coded) pairs, in order (``None`` for a sheet that is not
    there), read with one workbook object."""
    workbook = source.open_calamine()
    try:
        return [_grid(workbook, sheet, coded) if sheet else None for sheet, coded in sheets]
    finally:
        workbook.close()


def _parse_in_two_threads(
    source: WorkbookSource, contacts: str, touchpoints: str, start: str | None
) -> list[_Grid | None]:
    """Touchpoints parsed in a second thread while this one parses Contacts and Start Here.

    Each thread opens its own workbook object (one is not safe to share). Errors
    are raised as the one-thread read would raise them: Contacts' first, then
    Touchpoints', then Start Here's.
    """
    found: dict[str, Any] = {}

    def parse_touchpoints() -> None:
        try:
            found["grid"] = _parse(source, (touchpoints, True))[0]
        except BaseException as exc:  # re-raised below, in order
            found["error"] = exc

    thread = threading.Thread(target=parse_touchpoints, name="sheetkit-touchpoints", daemon=True)
    thread.start()
    try:
        contacts_grid = _parse(source, (contacts, True))[0]
    except BaseException:
        thread.join()
        raise
    start_error: BaseException | None = None
    start_grid = None
    try:
        start_grid = _parse(source, (start, False))[0] if start else None
    except BaseException as exc:
        start_error = exc
    thread.join()
    if "error" in found:
        raise found.pop("error")
    if start_error is not None:
        raise start_error
    return [contacts_grid, found.pop("grid"), start_grid]


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _file_size(source: WorkbookSource) -> int:
    try:
        return os.stat(source.path).st_size
    except OSError:
        return 0


class _PausedGC:
    """``with _PAUSED_GC:`` turns the cyclic garbage collector off, and back on when the last user leaves.

    Reading makes hundreds of thousands of row lists that all live until they are
    converted; the collector would walk them again and again for nothing. Nothing
    here makes reference cycles, and reference counting still frees everything.
    Safe across threads: it is switched back on only if it was on when the first
    user came in.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._was_enabled:
                gc.enable()


_PAUSED_GC = _PausedGC()


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


# ---- phase two: cells to tables -----------------------------------------------------------


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


def _codes(values: Any, count: int) -> tuple[np.ndarray, _Index]:
    import numpy as np

    index = _Index()
    return np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=count), index


class _Factorizer:
    """A table's data rows, column by column: ``column(j)`` gives the codes of column ``j``, its
    distinct values (``distinct[codes]`` are the cells) and whether 0/1 and FALSE/TRUE, equal as
    dict keys, could be standing in for each other there.

    The grid is normally coded already (:meth:`_Grid.code`); a ragged or very wide one is coded
    here, a column at a time.
    """

    def __init__(self, grid: _Grid, first: int) -> None:
        import numpy as np

        self.flat: np.ndarray | None = None
        self.body: list[list[Any]] | None = None
        if grid.codes is not None:
            assert grid.distinct is not None
            self.count = max(grid.height - first, 0)
            self.width = grid.width if self.count else 0
            # Column by column from here on: the table is turned round once, a cache-sized block at
            # a time, and then each column lies contiguous.
            rows = np.frombuffer(grid.codes, dtype=np.int64).reshape(grid.height, grid.width)[first:]
            self.flat = np.empty((grid.width, self.count), dtype=np.int64)
            for block in range(0, self.count, 8192):
                self.flat[:, block:block + 8192] = rows[block:block + 8192].T
            self.distinct = _objects(grid.distinct)
            self.zero_one = grid.zero_one
            if grid.zero_one:  # the cells themselves were kept for these
                self.body = grid.rows[first:]
        else:
            self.body = grid.rows[first:]
            self.count = len(self.body)
            self.width = max(map(len, self.body), default=0)

    def column(self, j: int, own_keys: bool = False) -> tuple[np.ndarray, list[Any], bool]:
        import numpy as np

        if self.flat is None or own_keys:
            assert self.body is not None
            codes, index = _codes(map(itemgetter(j), self.body), self.count)
            return codes, list(index), 0 in index or 1 in index
        column = self.flat[j]
        seen = np.bincount(column, minlength=len(self.distinct)).astype(bool)
        present = np.flatnonzero(seen)
        renumber = np.zeros(len(self.distinct), dtype=np.intp)
        renumber[present] = np.arange(len(present))
        return renumber[column], self.distinct[present].tolist(), any(seen[code] for code in self.zero_one)

    def cell(self, row: int, j: int) -> Any:
        """The cell itself where it was kept, else the distinct value it equals (the same to
        every reading of it, 0/1 and FALSE/TRUE aside, and those are kept)."""
        if self.body is not None:
            return self.body[row][j]
        assert self.flat is not None
        return self.distinct[self.flat[j, row]]


class _Coded:
    """A converted text or choice column: ``uniques[codes]``, kept apart until the DataFrame is made."""

    __slots__ = ("codes", "uniques")

    def __init__(self, codes: np.ndarray, uniques: np.ndarray) -> None:
        self.codes = codes  # intp, one per row
        self.uniques = uniques  # object: the converted distinct values (str or None)

    def blank_uniques(self) -> np.ndarray:
        import numpy as np

        return np.equal(self.uniques, None)

    def take(self, rows: np.ndarray) -> _Coded:
        return _Coded(self.codes[rows], self.uniques)

    def values(self) -> np.ndarray:
        return self.uniques[self.codes]


def _blank_column(count: int) -> _Coded:
    import numpy as np

    return _Coded(np.zeros(count, dtype=np.intp), _objects([None]))


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-d object array of ``values``, whatever they are."""
    import numpy as np

    return np.fromiter(values, dtype=object, count=len(values))


#: int64 day numbers stand for dates while a date column is converted: NaT is the smallest
#: int64 (as numpy has it), a cell that holds something that is not a date the next one up.
_NAT = -(2**63)
_NOT_A_DATE = _NAT + 1
_UNIX_DAY = dt.date(1970, 1, 1).toordinal()


@dataclass
class _Cells:
    """A data sheet's typed-in columns, converted (:class:`_Coded` text and choices, int64 day
    numbers for dates), and the kept rows' indices below the header."""

    columns: dict[str, Any]
    body_rows: np.ndarray  # int64
    first_row: int  # grid row of body index 0
    empty: bool  # no data rows at all (the "row" column is then float64, as pandas makes it of [])

    def take(self, rows: np.ndarray) -> None:
        self.columns = {key: values[rows] if not isinstance(values, _Coded) else values.take(rows)
                        for key, values in self.columns.items()}
        self.body_rows = self.body_rows[rows]


class _SheetReader:
    """Shapes the grids of the two data sheets into DataFrames, collecting problems."""

    def __init__(self, source: WorkbookSource, config: Config, problems: list[Problem]) -> None:
        self.source = source
        self.config = config
        self.problems = problems
        self.path = source.path

    # ---- locating the table -------------------------------------------------------------

    def _locate(self, spec: SheetSpec, sheet: str, grid: _Grid, required: Sequence[str]) -> _Table:
        lookup = _header_lookup(spec)
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

    def _cells(self, spec: SheetSpec, table: _Table, grid: _Grid) -> _Cells:
        """The typed-in columns of the table, converted, blank and formula-only rows dropped.

        Takes the grid (its cells and codes are let go). Date and choice problems
        are reported here, column by column, in row order.
        """
        import numpy as np

        first = table.header_row + 1
        cells = _Factorizer(grid, first)
        grid.rows, grid.codes, grid.distinct = [], None, None
        count, width = cells.count, cells.width
        typed = [(column, table.columns.get(column.key)) for column in spec.columns if column.kind != "formula"]
        columns: dict[str, Any] = {}
        for column, index in typed:
            if index is None or index >= width:  # no such column: blank throughout
                columns[column.key] = np.full(count, _NAT, np.int64) if column.kind == "date" else _blank_column(count)
            elif column.kind == "date":
                columns[column.key] = self._dates(column, cells, index, table, first)
            elif column.kind == "choice":
                columns[column.key] = self._choice(column, cells, index, table, first)
            else:
                columns[column.key] = _text(cells, index)
        del cells  # the cells not kept as distinct values go here
        # A row is data when any typed-in column holds something; formula results do not count.
        # A cell is blank exactly when its converted value is None / NaT (a date that is not one is
        # still _NOT_A_DATE here), and a column without blanks keeps every row.
        blanks = {key: (values == _NAT) if isinstance(values, np.ndarray) else values.blank_uniques()
                  for key, values in columns.items()}
        keep = None
        if count and all(mask.any() for mask in blanks.values()):
            filled = np.zeros(count, dtype=bool)
            for key, values in columns.items():
                if isinstance(values, _Coded):
                    filled |= ~blanks[key][values.codes]
                else:
                    filled |= ~blanks[key]
            if not filled.all():
                keep = np.flatnonzero(filled)
        for values in columns.values():
            if isinstance(values, np.ndarray):
                values[values == _NOT_A_DATE] = _NAT
        converted = _Cells(columns, np.arange(count, dtype=np.int64), first, empty=False)
        if keep is not None:
            converted.take(keep)
        converted.empty = len(converted.body_rows) == 0
        return converted

    def _choice(self, column: Column, cells: _Factorizer, index: int, table: _Table, first: int) -> _Coded:
        import numpy as np

        assert column.choices is not None
        allowed = self.config.list_values(column.choices)
        canonical = {normalize_label(v): v for v in allowed}
        for alias, target in VALUE_ALIASES.get(column.choices, {}).items():
            canonical.setdefault(alias, target)

        def understand(value: Any) -> str | None:
            text = _as_text(value)
            return None if text is None else canonical.get(normalize_label(text), text)

        # Each distinct value is understood once; the rows are walked again only if one is not a choice.
        codes, distinct, ambiguous = cells.column(index)
        if ambiguous:  # TRUE and 1 in the column: the first of them in this column stands for both, as ever
            codes, distinct, _ = cells.column(index, own_keys=True)
        results = list(map(understand, distinct))
        odd = {result for result in results
               if result is not None and result not in allowed and normalize_label(result) not in canonical}
        if odd:
            unknown: dict[str, list[int]] = {}
            is_odd = np.fromiter(map(odd.__contains__, results), dtype=bool, count=len(results))
            for row in np.flatnonzero(is_odd[codes]).tolist():
                unknown.setdefault(results[codes[row]], []).append(first + row)
            for text, grid_rows in unknown.items():
                times = f" (in {len(grid_rows)} rows, first here)" if len(grid_rows) > 1 else ""
                self.problems.append(
                    Problem("warning", table.sheet, table.address(grid_rows[0], column.key),
                            f"'{_preview(text)}' is not one of the {column.header} choices{times}; it is kept as typed, "
                            f"but no rule understands it. Pick one of: {', '.join(allowed)}")
                )
        return _Coded(codes, _objects(results))

    def _dates(self, column: Column, cells: _Factorizer, index: int, table: _Table, first: int) -> np.ndarray:
        """Day numbers since 1970 (int64; ``_NAT`` blank, ``_NOT_A_DATE`` where a problem was reported)."""
        import numpy as np

        date1904 = self.source.date1904
        day_first = self.config.reading.day_first

        def day(value: Any) -> int:
            result = parse_date_cell(value, date1904=date1904, day_first=day_first)
            if result.problem is not None:
                return _NOT_A_DATE
            return _NAT if result.value is None else result.value.toordinal() - _UNIX_DAY

        codes, distinct, _ = cells.column(index)
        unique_days = np.fromiter(map(day, distinct), dtype=np.int64, count=len(distinct))
        days = unique_days[codes]
        if (unique_days == _NOT_A_DATE).any():
            # Each such cell is parsed again on its own, so the message is its own (TRUE and 1 are one dict key).
            for row in np.flatnonzero(days == _NOT_A_DATE).tolist():
                result = parse_date_cell(cells.cell(row, index), date1904=date1904, day_first=day_first)
                if result.problem:
                    self.problems.append(
                        Problem("error", table.sheet, table.address(first + row, column.key),
                                f"{column.header}: {result.problem}")
                    )
                else:
                    days[row] = _NAT if result.value is None else result.value.toordinal() - _UNIX_DAY
        return days

    def _frame(self, spec: SheetSpec, table: _Table, cells: _Cells, extra: dict[str, Any]) -> pd.DataFrame:
        """The DataFrame of the converted cells, then the ``extra`` (object) columns."""
        import pandas as pd

        if cells.empty:
            row: Any = pd.Series([], dtype="float64")
        else:
            row = pd.Series(cells.body_rows + (cells.first_row + table.row_offset + 1), copy=False)
        data: dict[str, Any] = {"row": row}
        for column in spec.columns:
            if column.kind == "formula":
                continue
            values = cells.columns[column.key]
            if column.kind == "date":
                data[column.key] = pd.Series(values.view("datetime64[D]").astype("datetime64[ns]"), copy=False)
            else:
                # object dtype keeps None as None (pandas would turn it into NaN in a str column).
                data[column.key] = pd.Series(values.values(), dtype=object, copy=False)
        for key, values in extra.items():
            data[key] = pd.Series(values, dtype=object, copy=False)
        return pd.DataFrame(data, copy=False)

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
        import numpy as np

        table = self._locate(CONTACTS, sheet, grid, required=("name",))
        self._report_error_cells(CONTACTS, table)
        cells = self._cells(CONTACTS, table, grid)
        names: _Coded = cells.columns["name"]
        nameless = names.blank_uniques()[names.codes]
        if nameless.any():
            for index in np.flatnonzero(nameless).tolist():
                self.problems.append(
                    Problem("error", sheet, table.address(cells.first_row + int(cells.body_rows[index]), "name"),
                            "this row has details but no name; type the person's name, or clear the row")
                )
            cells.take(np.flatnonzero(~nameless))
            names = cells.columns["name"]
        row_list = (cells.body_rows + (cells.first_row + table.row_offset + 1)).tolist()
        keys = _Coded(names.codes, _objects(_name_keys_or_none(names.uniques.tolist()))).values()
        key_list = keys.tolist()
        first_row = dict(zip(key_list, row_list))
        if len(first_row) < len(key_list):
            name_column = column_letter(table.columns["name"] + table.col_offset + 1)
            first_row = {}
            for key, row in zip(key_list, row_list):
                if key in first_row:
                    self.problems.append(
                        Problem("warning", sheet, f"{name_column}{row}",
                                f"this name is already in row {first_row[key]}; touchpoints count for the first one. "
                                "Merge the two rows or tell them apart (e.g. add a middle initial)")
                    )
                else:
                    first_row[key] = row
        status: _Coded = cells.columns["status"]
        status.uniques = _objects([value if value else "Active" for value in status.uniques.tolist()])
        referred_by_key = self._match_names(cells.columns["referred_by"], row_list, table, "referred_by", first_row,
                                            lambda: names.values().tolist())
        return self._frame(CONTACTS, table, cells, {"key": keys, "referred_by_key": referred_by_key})

    def touchpoints(self, sheet: str, grid: _Grid, contacts: pd.DataFrame) -> pd.DataFrame:
        import numpy as np

        table = self._locate(TOUCHPOINTS, sheet, grid, required=("date", "contact"))
        self._report_error_cells(TOUCHPOINTS, table)
        cells = self._cells(TOUCHPOINTS, table, grid)
        row_list = (cells.body_rows + (cells.first_row + table.row_offset + 1)).tolist()
        known = dict.fromkeys(contacts["key"].tolist())
        contact: _Coded = cells.columns["contact"]
        contact_key = self._match_names(contact, row_list, table, "contact", known, lambda: contacts["name"].tolist())
        no_contact = contact.blank_uniques()[contact.codes]
        undated = cells.columns["date"] == _NAT
        contact_column = column_letter(table.columns["contact"] + table.col_offset + 1)
        date_column = column_letter(table.columns["date"] + table.col_offset + 1)
        for index in np.flatnonzero(no_contact | undated).tolist():
            row = row_list[index]
            if no_contact[index]:
                self.problems.append(
                    Problem("error", sheet, f"{contact_column}{row}",
                            "this touchpoint has no contact; pick the person's name from the list")
                )
            if undated[index] and not self._reported(sheet, table, "date", row):
                self.problems.append(
                    Problem("error", sheet, f"{date_column}{row}",
                            "this touchpoint has no date, so it is left out of the follow-ups; type the date it happened")
                )
        direction: _Coded = cells.columns["direction"]
        blank_uniques = direction.blank_uniques()
        blank_direction = blank_uniques[direction.codes]
        if blank_direction.any():
            first = row_list[int(np.flatnonzero(blank_direction)[0])]
            count = int(blank_direction.sum())
            address = f"{column_letter(table.columns.get('direction', 0) + table.col_offset + 1)}{first}"
            self.problems.append(
                Problem("warning", sheet, address,
                        f"Direction is blank in {count} row{'s' if count != 1 else ''} (first here); "
                        "counted as Sent. Choose Sent or Received")
            )
            direction.uniques = direction.uniques.copy()
            direction.uniques[blank_uniques] = "Sent"
        return self._frame(TOUCHPOINTS, table, cells, {"contact_key": contact_key})

    def empty_touchpoints(self) -> pd.DataFrame:
        import pandas as pd

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
        names: _Coded,
        rows: list[int],
        table: _Table,
        key: str,
        known: dict[str, Any],
        display: Callable[[], list[Any]],
    ) -> np.ndarray:
        """Fold names for matching against Contacts; an unknown one is a warning with the closest name.

        ``display()`` gives the names of Contacts, for the closest-name hint.
        """
        import numpy as np

        texts = names.uniques.tolist()
        matched = _objects(_name_keys_or_none(texts))
        found = np.fromiter(map(known.__contains__, matched), dtype=bool, count=len(matched))
        is_unknown = ~found & np.not_equal(matched, None)
        matched[~found] = None
        if not is_unknown[names.codes].any():
            return _Coded(names.codes, matched).values()
        unknown: dict[str, str | None] = {}
        close_names: _CloseNames | None = None
        column = column_letter(table.columns[key] + table.col_offset + 1)
        for index in np.flatnonzero(is_unknown[names.codes]).tolist():
            name = texts[names.codes[index]]
            folded = _name_key(name)
            if folded not in unknown:
                if close_names is None:
                    shown = display()
                    if set(map(type, shown)) <= {str}:
                        choices = list(dict.fromkeys(shown))
                    else:
                        choices = list(dict.fromkeys(n for n in shown if isinstance(n, str)))
                    close_names = _CloseNames(choices, cutoff=0.6)
                unknown[folded] = close_names.closest(name.strip())
            hint = f"did you mean '{unknown[folded]}'? " if unknown[folded] else ""
            self.problems.append(
                Problem("warning", table.sheet, f"{column}{rows[index]}",
                        f"'{_preview(name)}' is not a name in Contacts; {hint}fix the spelling or add the contact")
            )
        return _Coded(names.codes, matched).values()


_HEADER_LOOKUPS: dict[str, tuple[SheetSpec, dict[str, Column]]] = {}


def _header_lookup(spec: SheetSpec) -> dict[str, Column]:
    """``spec.header_lookup()``, worked out once per spec."""
    cached = _HEADER_LOOKUPS.get(spec.name)
    if cached is None or cached[0] is not spec:
        cached = _HEADER_LOOKUPS[spec.name] = (spec, spec.header_lookup())
    return cached[1]


def _text(cells: _Factorizer, index: int) -> _Coded:
    """Column ``index`` as text: strings as typed (blank ones None), other cells as the text the
    user sees. Equal texts share one object: a name in 50 touchpoints is held once.
    """
    codes, uniques, ambiguous = cells.column(index)
    if ambiguous:
        # TRUE, 1 and 1.0 are one dict key, but TRUE reads "TRUE" and 1 reads "1": cell by cell, as typed.
        assert cells.body is not None
        codes, distinct = _codes(map(_text_value, map(itemgetter(index), cells.body)), cells.count)
        return _Coded(codes, _objects(list(distinct)))
    if set(map(type, uniques)) <= {str}:
        texts = uniques.copy()
        for blank in compress(range(len(uniques)), map(not_, map(str.strip, uniques))):
            texts[blank] = None
    else:
        texts = list(map(_text_value, uniques))
    return _Coded(codes, _objects(texts))


def _text_value(value: Any) -> str | None:
    if type(value) is str:
        return value if value.strip() else None
    return _as_text(value)


#: Whitespace other than the plain space.
_OTHER_SPACE = re.compile(r"[^\S ]")


def _name_keys(names: list[str]) -> list[str]:
    """``[_name_key(name) for name in names]``, at C speed for names already spaced one space apart.

    The names are joined with NUL and case-folded in one go; ``" ".join(name.split())``
    changes only names that start or end with a space, hold two in a row or hold
    other whitespace (tabs, line breaks, no-break spaces...), and those few are
    found with ``str.find`` and folded one by one.
    """
    joined = "\x00".join(names)
    if len(names) < 16 or joined.count("\x00") != len(names) - 1:
        return list(map(_name_key, names))
    keys = joined.casefold().split("\x00")
    odd: list[int] = []  # positions of spacing that folding changes
    for needle, shift in (("  ", 0), ("\x00 ", 1), (" \x00", 0)):
        at = joined.find(needle)
        while at >= 0:
            odd.append(at + shift)
            at = joined.find(needle, at + 1)
    if joined.startswith(" "):
        odd.append(0)
    if joined.endswith(" "):
        odd.append(len(joined) - 1)
    if not joined.replace("\x00", "-").isprintable():  # every whitespace character but the space is unprintable
        odd.extend(match.start() for match in _OTHER_SPACE.finditer(joined))
    if odd:
        import numpy as np

        ends = np.cumsum(np.fromiter(map(len, names), dtype=np.int64, count=len(names)) + 1)
        for index in set(np.searchsorted(ends, odd, side="right").tolist()):
            keys[index] = _name_key(names[index])
    return keys


def _name_keys_or_none(names: list[str | None]) -> list[str | None]:
    """:func:`_name_keys` of the names, None staying None."""
    if None not in names:
        return _name_keys(names)  # type: ignore[arg-type]
    present = [index for index, name in enumerate(names) if name is not None]
    keys: list[str | None] = [None] * len(names)
    for index, key in zip(present, _name_keys([names[i] for i in present])):  # type: ignore[misc]
        keys[index] = key
    return keys


class _CloseNames:
    """The answer of ``difflib.get_close_matches(word, names, n=1, cutoff)`` for many words, sooner.

    difflib scores every name in Python for every word: minutes for a few
    hundred misspellings among 100,000 contacts. Here each name's character
    counts are tabled once, ``quick_ratio`` (an upper bound of ``ratio``) is
    computed for all names at once with numpy, and difflib scores only the names
    whose bound could still beat the best score found, so the answer is the same.
    """

    #: Largest table of counts (names x distinct characters) kept dense; past it, one
    #: character's owners are counted at a time.
    DENSE_CELLS = 16_000_000

    def __init__(self, names: list[str], cutoff: float) -> None:
        import numpy as np

        self.names = names
        self.cutoff = cutoff
        self.lengths = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
        codes = np.frombuffer("".join(names).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        owners = np.repeat(np.arange(len(names)), self.lengths)
        present = np.zeros(0x110000, dtype=bool)
        present[codes] = True
        chars = np.flatnonzero(present)
        longest = int(self.lengths.max(initial=0))
        self.table: np.ndarray | None = None
        if len(chars) * len(names) <= self.DENSE_CELLS and longest < 65536:
            # table[c, n]: how many times character c is in name n, counted name by name (so the
            # counts are written in order) and turned round.
            self.rows = {chr(char): row for row, char in enumerate(chars.tolist())}
            row_of = np.zeros(0x110000, dtype=np.int32)
            row_of[chars] = np.arange(len(chars), dtype=np.int32)
            cells = owners * len(chars) + row_of[codes]
            self.table = np.empty((len(chars), len(names)), dtype=np.uint8 if longest < 256 else np.uint16)
            ends = np.cumsum(self.lengths)
            for first in range(0, len(names), 8192):  # a block of names at a time, to stay in the cache
                last = min(first + 8192, len(names))
                low, high = (ends[first - 1] if first else 0), ends[last - 1]
                counts = np.bincount(cells[low:high] - first * len(chars), minlength=(last - first) * len(chars))
                self.table[:, first:last] = counts.reshape(last - first, len(chars)).T
            return
        order = np.argsort(codes, kind="stable")
        self.owners = owners[order]
        # Each character's run in ``owners``, which is sorted by character.
        chars, starts = np.unique(codes[order], return_index=True)
        ends = [*starts[1:].tolist(), len(codes)]
        self.spans = {chr(char): (start, end) for char, start, end in zip(chars.tolist(), starts.tolist(), ends)}

    def _shared(self, word: str) -> np.ndarray:
        """Per name, the size of the multiset intersection of its characters with the word's."""
        import numpy as np

        if self.table is not None:
            ceiling = np.iinfo(self.table.dtype).max
            # The total is at most len(word): the narrowest type that holds it, for speed.
            total = np.zeros(len(self.names), dtype=next(t for t in (np.uint8, np.uint16, np.int64)
                                                         if len(word) <= np.iinfo(t).max))
            common = np.empty(len(self.names), dtype=self.table.dtype)
            for char, count in Counter(word).items():
                row = self.rows.get(char)
                if row is not None:
                    total += np.minimum(self.table[row], min(count, ceiling), out=common)
            return total
        shared = np.zeros(len(self.names), dtype=np.int64)
        for char, count in Counter(word).items():
            if char in self.spans:
                low, high = self.spans[char]
                shared += np.minimum(np.bincount(self.owners[low:high], minlength=len(self.names)), count)
        return shared

    def closest(self, word: str) -> str | None:
        import numpy as np

        shared = self._shared(word)
        bound = 2.0 * shared / (self.lengths + len(word))
        candidates = np.flatnonzero(bound >= self.cutoff)
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] | None = None
        for index in self._by_bound(candidates, bound[candidates]):
            if best is not None and bound[index] < best[0]:
                break
            name = self.names[index]
            matcher.set_seq1(name)
            # The same three tests, in the same order, as get_close_matches; ties go to the greater name.
            if (matcher.real_quick_ratio() >= self.cutoff and matcher.quick_ratio() >= self.cutoff
                    and matcher.ratio() >= self.cutoff):
                best = max(best, (matcher.ratio(), name)) if best else (matcher.ratio(), name)
        return best[1] if best else None

    @staticmethod
    def _by_bound(candidates: np.ndarray, bounds: np.ndarray, step: int = 64) -> Iterator[int]:
        """``candidates`` by bound, highest first, ties in their order: what a stable sort gives,
        sorted ``step`` at a time (with all ties of the last), as the search mostly stops early."""
        import numpy as np

        while len(candidates):
            if len(candidates) > step:
                lowest = np.partition(bounds, len(bounds) - step)[len(bounds) - step]
                chunk = bounds >= lowest
            else:
                chunk = np.ones(len(candidates), dtype=bool)
            yield from candidates[chunk][np.argsort(-bounds[chunk], kind="stable")].tolist()
            candidates, bounds = candidates[~chunk], bounds[~chunk]


def _column_number(letters: str) -> int:
    """Spreadsheet column letters -> 1-based number (A -> 1, AA -> 27)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


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
