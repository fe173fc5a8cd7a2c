"""Cells to tables: a filled-in tracker read into the two tidy tables of a :class:`Tracker`.

The workbook is first inspected (:mod:`sheetkit.reading.limits`), its cells
read with python-calamine, and what the cells alone do not say (formulas,
links, merged cells, an Excel Table's totals row, rich text) taken from the
sheet XML (:mod:`sheetkit.reading.sheet_xml`), so each cell reads as the
spreadsheet program shows it to the student. Columns are found by header
(an exact header wins over an alias wherever it stands), sheets by name,
loosely. Every figure sheetkit reports is computed from the typed-in columns;
the workbook's own formula columns are never trusted.

Whatever cannot be understood becomes a :class:`~sheetkit.errors.Problem` with
its sheet and cell, never a crash and never a silently wrong figure.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd
from python_calamine import CalamineError, PasswordError, XmlError, ZipError

from sheetkit.config import Config
from sheetkit.errors import Problem, Severity, UnreadableWorkbook
from sheetkit.model import Tracker
from sheetkit.reading.dates import parse_date_cell
from sheetkit.reading.limits import WorkbookSource, damaged, inspect_workbook
from sheetkit.reading.names import NameHints, fold_name, preview
from sheetkit.reading.sheet_xml import SharedStrings, SheetFacts, sheet_facts
from sheetkit.spec import (
    AUTO_SUFFIX,
    CONTACTS,
    CONTACTS_SHEET,
    EMAIL_LABEL,
    INSTITUTION_LABEL,
    OFFER_LABEL,
    SHEET_ALIASES,
    START_SHEET,
    STUDENT_LABEL,
    TOUCHPOINTS,
    TOUCHPOINTS_SHEET,
    VALUE_ALIASES,
    Column,
    SheetSpec,
    cell_address,
    normalize_label,
)

#: How many rows from the top may hold titles before the header row.
HEADER_SEARCH_ROWS = 10
#: A date more than this many years after the tracker's typical year is taken for a typo (2062 for 2026).
YEAR_TYPO_GAP = 2
#: Columns whose cell may be a link; the link's target is the value.
LINK_COLUMNS = ("email", "linkedin")


def read_tracker(path: Path, config: Config | None = None) -> Tracker:
    """Read a tracker workbook; raise :class:`UnreadableWorkbook` if it cannot be a tracker.

    Problems that leave the rest readable (a bad date, an unknown name) are
    collected on ``Tracker.problems`` instead.
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
    grids = _read_grids(source, [contacts_name, touchpoints_name, start_name])
    problems: list[Problem] = list(source.problems)
    reader = _SheetReader(source, config, problems)
    contacts = reader.contacts(contacts_name, grids[0])
    touchpoints = None
    if touchpoints_name is None:
        problems.append(
            Problem("error", TOUCHPOINTS_SHEET, "",
                    f"no Touchpoints sheet (sheets present: {_quoted(names)}); add one with the headers "
                    "Date, Contact, Channel, Direction, Purpose so follow-ups can be counted")
        )
    else:
        touchpoints = reader.touchpoints(touchpoints_name, grids[1], contacts)
    reader.check_years()
    start = _start_fields(grids[2], source, config)
    return Tracker(
        path=path,
        contacts=_frame(CONTACTS, contacts, ("key", "referred_by_key")),
        touchpoints=_frame(TOUCHPOINTS, touchpoints, ("contact_key",)),
        problems=problems,
        student=start.get(STUDENT_LABEL),
        institution=start.get(INSTITUTION_LABEL),
        email=start.get(EMAIL_LABEL),
        offer_accepted_on=start.get(OFFER_LABEL),
        contacts_sheet=contacts_name,
        touchpoints_sheet=touchpoints_name,
    )


@dataclass
class _Grid:
    """A sheet's cells as python-calamine gives them, with what the XML adds."""

    rows: list[list[Any]]
    row_offset: int  # sheet row number of grid row 0, minus 1
    col_offset: int  # sheet column number of grid column 0, minus 1
    facts: SheetFacts = field(default_factory=SheetFacts)

    def cell(self, row: int, column: int) -> Any:
        """The cell at 1-based sheet ``row`` and ``column`` ("" outside the grid)."""
        r, c = row - self.row_offset - 1, column - self.col_offset - 1
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return ""

    def set(self, row: int, column: int, value: Any) -> None:
        """Put ``value`` at 1-based sheet ``row`` and ``column``, when that is inside the grid."""
        r, c = row - self.row_offset - 1, column - self.col_offset - 1
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            self.rows[r][c] = value


def _read_grids(source: WorkbookSource, sheets: Sequence[str | None]) -> list[_Grid | None]:
    """The cells of ``sheets`` (None for a sheet that is not there), read with one workbook object."""
    part_of = {sheet.name: sheet.part for sheet in source.sheets}
    trimmed = SharedStrings(source.parts.get("xl/sharedstrings.xml")).trimmed_runs()
    workbook = source.open_calamine()
    grids: list[_Grid | None] = []
    try:
        for name in sheets:
            if name is None:
                grids.append(None)
                continue
            data = workbook.get_sheet_by_name(name)
            start = data.start or (0, 0)
            grid = _Grid(data.to_python(), start[0], start[1], sheet_facts(part_of[name], source.parts, trimmed))
            for (row, column), text in grid.facts.texts.items():
                grid.set(row, column, text)
            grids.append(grid)
    except (CalamineError, PasswordError, XmlError, ZipError) as exc:
        # Inspection passed, but the cells themselves cannot be parsed (malformed XML and the like).
        raise damaged(source.path, str(exc)) from None
    finally:
        workbook.close()
    return grids


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


def _start_fields(grid: _Grid | None, source: WorkbookSource, config: Config) -> dict[str, Any]:
    """Start Here's labelled cells: the student's and institution's names and email (text), and the
    date the student accepted an offer."""
    labels = (STUDENT_LABEL, INSTITUTION_LABEL, EMAIL_LABEL, OFFER_LABEL)
    found: dict[str, Any] = {}
    if grid is None:
        return found
    wanted = {normalize_label(label): label for label in labels}
    for row in grid.rows[:20]:
        for index, cell in enumerate(row[:-1]):
            label = wanted.get(normalize_label(cell)) if isinstance(cell, str) else None
            value = row[index + 1]
            if label is None or label in found:
                continue
            if label == OFFER_LABEL:
                parsed = parse_date_cell(value, date1904=source.date1904, day_first=config.reading.day_first)
                if parsed.value is not None:
                    found[label] = parsed.value
            elif isinstance(value, str) and value.strip():
                found[label] = value.strip()
    return found


@dataclass
class _Table:
    """One data sheet located in its grid: which sheet column holds which spec column."""

    sheet: str
    header_row: int  # sheet row of the header
    columns: dict[str, int]  # spec key -> 1-based sheet column
    grid: _Grid

    def address(self, row: int, key: str) -> str:
        return cell_address(self.columns[key], row)


@dataclass
class _Columns:
    """A data sheet's typed-in columns as values (key -> one value per kept row), and those rows."""

    table: _Table
    rows: list[int]  # sheet rows
    values: dict[str, list[Any]]

    def keep(self, mask: list[bool]) -> None:
        """Keep only the rows where ``mask`` is true."""
        self.rows = list(compress(self.rows, mask))
        self.values = {key: list(compress(values, mask)) for key, values in self.values.items()}


class _SheetReader:
    """Reads the two data sheets into :class:`_Columns`, collecting problems."""

    def __init__(self, source: WorkbookSource, config: Config, problems: list[Problem]) -> None:
        self.source = source
        self.config = config
        self.problems = problems
        #: The cells with a problem, so a blank date already explained is not reported again.
        self.reported: set[tuple[str, str]] = set()
        #: Every date column read, for the year-typo check.
        self.date_columns: list[tuple[_Columns, Column, int]] = []
        self.name_messages: dict[str, str] = {}
        self.folds: dict[str, str] = {}

    def problem(self, severity: Severity, sheet: str, cell: str, message: str) -> None:
        self.reported.add((sheet, cell))
        self.problems.append(Problem(severity, sheet, cell, message))

    # ---- locating the table -------------------------------------------------------------

    def _locate(self, spec: SheetSpec, sheet: str, grid: _Grid | None, required: Sequence[str]) -> _Table:
        lookup = spec.header_lookup()
        best_row, best_hits = -1, 0
        for index, row in enumerate(grid.rows[:HEADER_SEARCH_ROWS] if grid is not None else []):
            hits = len({lookup[key].key for key in map(_header_key, row) if key in lookup})
            if hits > best_hits:
                best_row, best_hits = index, hits
        path = self.source.path
        if grid is None or best_hits < min(2, len(spec.columns)):
            expected = ", ".join(c.header for c in spec.columns[:5])
            raise UnreadableWorkbook(
                f"{path}: sheet '{sheet}' has no header row in its first {HEADER_SEARCH_ROWS} rows; "
                f"the first row should hold headers such as {expected}"
            )
        header_row = best_row + grid.row_offset + 1
        table = _Table(sheet, header_row, {}, grid)
        headers = [(index + grid.col_offset + 1, normalize_label(text), text)
                   for index, text in enumerate(map(_header_text, grid.rows[best_row]))
                   if text and not text.endswith(AUTO_SUFFIX)]
        exact = {normalize_label(column.header): column for column in spec.columns}
        # An exact header wins wherever it stands: an alias beside it is the student's own column.
        present = {exact[label].key for _, label, _ in headers if label in exact}
        for number, label, text in headers:
            column = lookup.get(label)
            if column is None:
                continue
            if label not in exact and column.key in present:
                self.problem("warning", sheet, cell_address(number, header_row),
                             f"'{preview(text)}' is read as your own column, not as {column.header}, because the "
                             f"sheet has a '{column.header}' column too; if '{preview(text)}' was meant to be "
                             f"{column.header}, move its values into that column")
                continue
            if column.key in table.columns:
                self.problem("warning", sheet, cell_address(number, header_row),
                             f"a second '{column.header}' column; only the first one is read. "
                             "Rename or delete this one")
            else:
                table.columns[column.key] = number
        for column in spec.columns:
            if column.key in table.columns or column.kind == "formula":
                continue
            if column.key in required:
                raise UnreadableWorkbook(
                    f"{path}: sheet '{sheet}' has no '{column.header}' column (header row {header_row}); "
                    f"add a column headed '{column.header}'"
                )
            self.problem("warning", sheet, cell_address(grid.col_offset + 1, header_row),
                         f"no '{column.header}' column; {_missing_effect(column)}. Add the column to use it")
        return table

    # ---- cells to values ----------------------------------------------------------------

    def _columns(self, spec: SheetSpec, table: _Table) -> _Columns:
        """The typed-in columns below the header, blank rows and a Table's header and totals rows left out.

        Each column's distinct values are understood once (a channel typed in 500 rows is one
        value); problems are still reported at every cell that has one.
        """
        grid, facts = table.grid, table.grid.facts
        facts.load_formulas(table.columns.values())
        self._fill_merged(table)
        self._report_error_cells(spec, table)
        body = grid.rows[table.header_row - grid.row_offset:]
        plan = [(column, number) for column in spec.columns
                if column.kind != "formula" and (number := table.columns.get(column.key)) is not None]
        # python-calamine's rows all have the grid's width.
        columns = _Columns(table, list(range(table.header_row + 1, table.header_row + 1 + len(body))),
                           {column.key: list(map(itemgetter(number - grid.col_offset - 1), body))
                            for column, number in plan})
        if facts.table_rows:
            columns.keep([row not in facts.table_rows for row in columns.rows])
        pending = self._formulas_and_links(plan, table, columns.rows, columns.values)
        filled = [any(map(_typed, cells)) for cells in zip(*columns.values.values())]
        for position, (severity, address, message) in pending:
            if filled[position]:  # a formula alone, in a row nothing is typed in, is a template row
                self.problem(severity, table.sheet, address, message)
        if not all(filled):
            columns.keep(filled)
        for column, number in plan:
            columns.values[column.key] = self._understand(column, number, table, columns.rows,
                                                          columns.values[column.key])
            if column.kind == "date":
                self.date_columns.append((columns, column, number))
        for column in spec.columns:
            number = table.columns.get(column.key)
            if column.kind == "formula" and number is not None and any(c == number for _, c in facts.formulas):
                self._typed_over_formula(column, table, number, set(columns.rows))
        return columns

    def _formulas_and_links(self, plan: list[tuple[Column, int]], table: _Table, rows: list[int],
                            raw: dict[str, list[Any]]) -> list[tuple[int, tuple[Severity, str, str]]]:
        """Replace each data cell holding a formula or a link by what the report should read (blank
        for a formula whose value cannot be trusted); the problems of those, with their row positions."""
        facts = table.grid.facts
        by_number = {number: column for column, number in plan}
        cells = sorted({*facts.formulas, *facts.links})
        position_of = {row: position for position, row in enumerate(rows)} if cells else {}
        pending = []
        for row, number in cells:
            column, position = by_number.get(number), position_of.get(row)
            if column is None or position is None:
                continue
            value, problem = self._formula_or_link(column, table, row, number, raw[column.key][position])
            raw[column.key][position] = value
            if problem is not None:
                pending.append((position, problem))
        return pending

    def _understand(self, column: Column, number: int, table: _Table, rows: list[int], raw: list[Any]) -> list[Any]:
        """A column's cells as values: dates as :class:`datetime.date`, choices as their list value, the
        rest as text; None for blank. Date and choice problems are reported at their cells."""
        keys: list[Any] = raw
        distinct = dict.fromkeys(raw)
        typed = True in distinct or False in distinct  # TRUE and 1 are one dict key: then key by type too
        if typed:
            keys = list(zip(map(type, raw), raw))
            distinct = dict.fromkeys(keys)
        if column.kind == "date":
            day_first, date1904 = self.config.reading.day_first, self.source.date1904
            results = {key: parse_date_cell(key[1] if typed else key, date1904=date1904, day_first=day_first)
                       for key in distinct}
            if any(result.problem for result in results.values()):
                for row, key in zip(rows, keys):
                    if problem := results[key].problem:
                        self.problem("error", table.sheet, cell_address(number, row), f"{column.header}: {problem}")
            return list(map({key: result.value for key, result in results.items()}.__getitem__, keys))
        texts = {key: _as_text(key[1] if typed else key) for key in distinct}
        if column.kind == "choice":
            # Each text as the list value it stands for; a text that is none of the choices is kept as typed.
            assert column.choices is not None
            canonical = {_choice_key(value): value for value in self.config.list_values(column.choices)}
            for alias, target in VALUE_ALIASES.get(column.choices, {}).items():
                canonical.setdefault(alias, target)
            listed = {key: canonical.get(_choice_key(text)) for key, text in texts.items() if text is not None}
            odd = {key for key, value in listed.items() if value is None}
            if odd:
                self._report_unknown_choices(column, number, table, rows, keys, odd)
            texts = {key: listed.get(key) or text for key, text in texts.items()}
        return list(map(texts.__getitem__, keys))

    def _fill_merged(self, table: _Table) -> None:
        """A cell merged down over data rows fills each of them, as the student sees it; a merge across
        columns would be a guess, so it gets a warning naming the covered cells."""
        grid = table.grid
        for first_row, first_column, last_row, last_column in grid.facts.merged:
            if first_row <= table.header_row:  # a title or header merge: not data
                continue
            if first_column != last_column:
                self.problem("warning", table.sheet, cell_address(first_column + 1, first_row),
                             f"cells {cell_address(first_column, first_row)}:{cell_address(last_column, last_row)} "
                             "are merged across columns; only the first column is read. Unmerge them")
                continue
            value = grid.cell(first_row, first_column)
            for row in range(first_row + 1, last_row + 1):
                grid.set(row, first_column, value)

    def _formula_or_link(self, column: Column, table: _Table, row: int, number: int,
                         raw: Any) -> tuple[Any, tuple[Severity, str, str] | None]:
        """A data cell holding a formula or a link as the report should read it, and its problem."""
        facts = table.grid.facts
        formula = facts.formulas.get((row, number))
        if column.key in LINK_COLUMNS:
            link = (formula.hyperlink_target() if formula else None) or facts.links.get((row, number))
            if link:
                return (link.removeprefix("mailto:") if column.key == "email" else link), None
        if formula is None:
            return raw, None
        address = cell_address(number, row)
        if formula.volatile and column.kind == "date":
            return "", ("error", address, f"{column.header}: holds ={preview(formula.text)}, which changes by itself "
                                          "every day; type the date itself")
        if not formula.has_result:
            return "", ("error" if column.kind == "date" else "warning", address,
                        f"{column.header}: holds the formula ={preview(formula.text)} with no stored result, so its "
                        "value cannot be seen; open and save the file in Excel or LibreOffice, or type the value")
        return raw, None

    def _typed_over_formula(self, column: Column, table: _Table, number: int, rows: set[int]) -> None:
        """A value typed over one of the workbook's own formula columns: the report ignores it, so say so."""
        grid = table.grid
        index = number - grid.col_offset - 1
        for offset, cells in enumerate(grid.rows[table.header_row - grid.row_offset:]):
            row = table.header_row + 1 + offset
            if row in rows and _typed(cells[index]) and (row, number) not in grid.facts.formulas:
                self.problem("warning", table.sheet, cell_address(number, row),
                             f"a value is typed over the {column.header} formula; the report works it out from the "
                             "typed-in columns and ignores this value. Copy the formula back from the row above")

    def _report_unknown_choices(self, column: Column, number: int, table: _Table, rows: list[int],
                                keys: list[Any], odd: set[Any]) -> None:
        """One warning per value that is none of the column's choices (case and spacing aside), at its first row."""
        found: dict[str, list[int]] = {}
        for row, key in zip(rows, keys):
            if key in odd:
                found.setdefault(fold_name(_as_text(table.grid.cell(row, number)) or ""), []).append(row)
        choices = ", ".join(self.config.list_values(column.choices or ""))
        for where in found.values():
            text = _as_text(table.grid.cell(where[0], number)) or ""
            times = f" (in {len(where)} rows, first here)" if len(where) > 1 else ""
            self.problem("warning", table.sheet, cell_address(number, where[0]),
                         f"'{preview(text)}' is not one of the {column.header} choices{times}; it is kept as typed, "
                         f"but no rule understands it. Pick one of: {choices}")

    def _report_error_cells(self, spec: SheetSpec, table: _Table) -> None:
        """Error cells (#REF!, #N/A...) read as blank by calamine: a problem at their address, never a silent blank."""
        by_number = {number: spec.column(key) for key, number in table.columns.items()}
        for (row, number), error in sorted(table.grid.facts.error_cells.items()):
            column = by_number.get(number)
            if column is None or row <= table.header_row or column.kind == "formula":
                continue
            address = cell_address(number, row)
            if column.kind == "date":
                self.problem("error", table.sheet, address,
                             f"{column.header}: holds the spreadsheet error {error}; "
                             "fix the formula or type the date itself")
            else:
                self.problem("warning", table.sheet, address,
                             f"{column.header} holds the spreadsheet error {error} and is read as blank; "
                             "fix the formula or type the value")

    # ---- the two sheets -----------------------------------------------------------------

    def contacts(self, sheet: str, grid: _Grid | None) -> _Columns:
        table = self._locate(CONTACTS, sheet, grid, required=("name",))
        columns = self._columns(CONTACTS, table)
        nameless = [position for position, name in enumerate(columns.values["name"]) if name is None]
        for position in nameless:
            self.problem("error", sheet, table.address(columns.rows[position], "name"),
                         "this row has details but no name; type the person's name, or clear the row")
        if nameless:
            columns.keep([name is not None for name in columns.values["name"]])
        values = columns.values
        values["key"] = keys = [self.fold(name) for name in values["name"]]
        values["status"] = [status or "Active" for status in values["status"]] if "status" in values else []
        first_row: dict[str, int] = {}
        for row, key in zip(columns.rows, keys):
            if key in first_row:
                self.problem("warning", sheet, table.address(row, "name"),
                             f"this name is already in row {first_row[key]}; touchpoints count for the first one. "
                             "Merge the two rows or tell them apart (e.g. add a middle initial)")
            else:
                first_row[key] = row
        values["referred_by_key"] = self._match(columns, "referred_by", first_row, NameHints(values["name"], self.fold))
        return columns

    def touchpoints(self, sheet: str, grid: _Grid | None, contacts: _Columns) -> _Columns:
        table = self._locate(TOUCHPOINTS, sheet, grid, required=("date", "contact"))
        columns = self._columns(TOUCHPOINTS, table)
        values, rows = columns.values, columns.rows
        # Rows are compared by hash first, so that only the few that may be repeats are held as tuples.
        hashes = list(map(hash, zip(*values.values())))
        shared = {digest for digest, count in Counter(hashes).items() if count > 1}
        first_of: dict[tuple[Any, ...], int] = {}
        repeats = []
        for position, digest in enumerate(hashes):
            if digest not in shared:
                continue
            same = tuple(cells[position] for cells in values.values())
            if same in first_of:
                repeats.append(position)
                self.problem("warning", sheet, cell_address(table.grid.col_offset + 1, rows[position]),
                             f"this touchpoint repeats row {rows[first_of[same]]} exactly, so it counts once; "
                             "delete it if it was pasted twice")
            else:
                first_of[same] = position
        if repeats:
            repeated = set(repeats)
            columns.keep([position not in repeated for position in range(len(rows))])
            values, rows = columns.values, columns.rows
        known = dict.fromkeys(contacts.values["key"])
        values["contact_key"] = self._match(columns, "contact", known, NameHints(contacts.values["name"], self.fold))
        for row, name, date in zip(rows, values["contact"], values["date"]):
            if name is None:
                self.problem("error", sheet, table.address(row, "contact"),
                             "this touchpoint has no contact; pick the person's name from the list")
            if date is None and (sheet, table.address(row, "date")) not in self.reported:
                self.problem("error", sheet, table.address(row, "date"), "this touchpoint has no date, so it is "
                             "left out of the follow-ups; type the date it happened")
        if "direction" in values:
            blank = [row for row, direction in zip(rows, values["direction"]) if direction is None]
            if blank:
                self.problem("warning", sheet, table.address(blank[0], "direction"),
                             f"Direction is blank in {len(blank)} row{'s' if len(blank) != 1 else ''} (first here); "
                             "counted as Sent. Choose Sent or Received")
                values["direction"] = [direction or "Sent" for direction in values["direction"]]
        return columns

    def fold(self, name: str) -> str:
        """:func:`fold_name`, worked out once per distinct name."""
        folded = self.folds.get(name)
        if folded is None:
            folded = self.folds[name] = fold_name(name)
        return folded

    def _match(self, columns: _Columns, key: str, known: dict[str, Any], hints: NameHints) -> list[str | None]:
        """Each name of column ``key`` folded when it is a contact's, else None; an unknown name is a
        warning with the closest name."""
        if key not in columns.values:
            return [None] * len(columns.rows)
        names = columns.values[key]
        folds = {name: self.fold(name) for name in dict.fromkeys(names) if name is not None}
        folded = list(map(folds.get, names))
        unknown = {key: name.strip() for key, name in zip(folded, names)
                   if key and key not in known and key not in self.name_messages}
        self.name_messages.update(zip(unknown, hints.messages(list(unknown.values()))))
        for row, name in zip(columns.rows, folded):
            if name and name not in known:
                self.problem("warning", columns.table.sheet, columns.table.address(row, key), self.name_messages[name])
        return [name if name in known else None for name in folded]

    def check_years(self) -> None:
        """A year far after the tracker's typical year (2062 among dates of 2026) is a typo: an error at
        its cell, and the date is left out."""
        years = Counter(day.year for columns, column, _ in self.date_columns
                        for day in columns.values[column.key] if day is not None)
        if not years:
            return
        typical = sorted(years.elements())[(years.total() - 1) // 2]
        if max(years) <= typical + YEAR_TYPO_GAP:
            return
        for columns, column, number in self.date_columns:
            values = columns.values[column.key]
            for position, day in enumerate(values):
                if day is not None and day.year > typical + YEAR_TYPO_GAP:
                    self.problem("error", columns.table.sheet, cell_address(number, columns.rows[position]),
                                 f"{column.header}: the year {day.year} looks like a typo (the tracker's dates "
                                 f"are around {typical}); check the year")
                    values[position] = None


def _frame(spec: SheetSpec, columns: _Columns | None, extra: Sequence[str]) -> pd.DataFrame:
    """A sheet's DataFrame: ``row``, the typed-in columns (dates as datetime64[ns], the rest object
    with None for blank, a column the sheet lacks all blank), then the ``extra`` (object) columns."""
    rows = columns.rows if columns is not None else []
    values = columns.values if columns is not None else {}
    blank = [None] * len(rows)
    data: dict[str, Any] = {"row": pd.Series(rows, dtype="int64" if rows else "float64")}
    for column in spec.columns:
        if column.kind == "date":
            data[column.key] = pd.Series(values.get(column.key, blank), dtype="datetime64[ns]")
        elif column.kind != "formula":
            data[column.key] = pd.Series(values.get(column.key, blank), dtype=object)
    for key in extra:
        data[key] = pd.Series(values.get(key, blank), dtype=object)
    return pd.DataFrame(data)


def _choice_key(text: str) -> str:
    return normalize_label(fold_name(text))


def _typed(raw: Any) -> bool:
    """Whether a cell holds anything at all (a formula's stored result counts)."""
    return raw is not None and not (type(raw) is str and not raw.strip())


def _header_key(cell: Any) -> str:
    return normalize_label(cell) if isinstance(cell, str) else ""


def _header_text(cell: Any) -> str:
    return cell.strip() if isinstance(cell, str) else ""


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
