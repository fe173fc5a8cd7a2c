"""The far-cell guard: values far outside a sheet's table are set aside before python-calamine reads it.

python-calamine allocates the whole rectangle from A1 to the farthest value and
aborts the process (uncatchable) when that is XFD1048576. Each sheet part is
scanned as bytes, without building a grid, for values far outside the table
(the rule is in :func:`guard_sheet`); those are set aside with a warning and
python-calamine gets a sanitised copy. The grid left is measured, so the caller
can refuse a sheet larger than ``[reading] max_cells``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from sheetkit.errors import Problem
from sheetkit.reading.sheet_xml import ATTRIBUTE, SharedStrings, cell_text
from sheetkit.spec import cell_address, column_letter

#: Excel's last row and column.
MAX_ROW = 1_048_576
MAX_COLUMN = 16_384
#: More than this many empty rows between two rows in use starts a new band of rows.
ROW_GAP = 10_000
#: Cells more than this many empty columns right of the header are far to the right.
FAR_COLUMNS = 50
#: The header is looked for in this many rows at the top of the sheet.
HEADER_ROWS = 10
#: A far band, or the far-right cells, holding at most this many values is set aside.
FEW_CELLS = 1_000
#: Stray values listed one by one per sheet; the rest are summed up in one warning.
LISTED_STRAYS = 20

_SAMPLE_STEP = 64 * 1024
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PREFIXED_CELL = re.compile(rb":c[\t\r\n />]")
_ANY_CELL = re.compile(rb"<c[\t\r\n />]")
_ROW_START = re.compile(rb'<row r="([0-9]{1,7})"')
# The start of a construct the tokenizer must step over or act on.
_TOKEN = re.compile(rb"<(?:(!--)|(!\[CDATA\[)|(\?)|(/?)(?:[^\s/<>:]*:)?(sheetData|row|c)(?=[\s/>]))")
_CONSTRUCT_ENDS = (b"-->", b"]]>", b"?>")
_TAG_REST = re.compile(rb"""((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_REFERENCE = re.compile(rb"([A-Za-z]*)([0-9]+)")


@dataclass
class _Cell:
    """One ``<c>`` element where python-calamine will place it (1-based row and column)."""

    row: int
    column: int
    start: int  # byte span of the whole element
    end: int
    content_start: int  # byte span between its start and end tags
    content_end: int
    kind: bytes  # the t attribute
    reference: bytes | None  # the r attribute, None when the cell has none
    row_tag: int | None  # index into _ExactScan.rows
    has_value: bool = False  # holds markup (a value, inline string or formula), so calamine may keep it


@dataclass
class _RowTag:
    row: int  # 1-based, as python-calamine numbers it
    start: int
    end: int | None  # end of its end tag, None while (or if never) closed
    cells: int = 0


@dataclass
class _ExactScan:
    """Every cell and row in a byte range, placed by a tokenizer that mirrors python-calamine."""

    cells: list[_Cell] = field(default_factory=list)
    rows: list[_RowTag] = field(default_factory=list)
    unreferenced: bool = False  # some cell has no r attribute


@dataclass
class _Segment:
    """A run of whole rows in the sheet XML with no gap of more than ROW_GAP between its row tags.

    Until ``exact`` is set the segment is *verified*: a regex has shown that
    every cell in it has an ordinary reference with a row in ``floor..hi`` and
    a column that is not far right, except in the rows in ``blocks``, which
    were tokenized instead.
    """

    start: int
    end: int
    lo: int
    hi: int
    floor: int
    exact: _ExactScan | None = None
    blocks: list[_ExactScan] = field(default_factory=list)

    def scans(self) -> list[_ExactScan]:
        return [self.exact] if self.exact is not None else self.blocks


@dataclass
class _Layout:
    """A sheet's rows as segments, with the column beyond which cells are far right."""

    segments: list[_Segment]
    far: int


@dataclass
class Guarded:
    """What guarding one sheet found."""

    problems: list[Problem]
    xml: bytes | None  # the sanitised sheet, or None when nothing was set aside
    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns


class InvalidReference(ValueError):
    """A cell reference python-calamine would reject or place beyond Excel's grid."""


class _NeedsWholeScan(Exception):
    """The regex verification cannot decide a sheet; it must be tokenized whole."""


def guard_sheet(
    xml: bytes,
    sheet: str,
    shared_strings: SharedStrings,
    max_cells: int,
    *,
    plain: bool,
) -> Guarded:
    """Find cells far outside a sheet's table, without building its grid, and set them aside.

    The rule. A row is *in use* when it has a ``<row>`` or ``<c>`` element; a
    *value* is a ``<c>`` element with content (python-calamine skips the rest).

    * Rows in use split into bands wherever more than ``ROW_GAP`` (10,000)
      empty rows separate two of them. The top band is the table and is always
      kept. A lower band holding at most ``FEW_CELLS`` (1,000) values is set
      aside; a bigger one is kept (and counts toward the grid).
    * The header's extent is the right end of the leftmost group of value
      columns in the first ``HEADER_ROWS`` (10) rows written in the sheet,
      groups split where more than ``FAR_COLUMNS`` (50) empty columns separate
      them. Cells more than 50 empty columns right of it are far right; if they hold at most
      ``FEW_CELLS`` values they are set aside.

    So a lone value in XFD1048576, in A1048576 below 200 rows of data, or in
    ZZ5 beside a table ending in column M is set aside; a real second block
    of data is not. The grid left is measured as last row x last column.

    Speed. Ordinary sheets (as Excel, LibreOffice, Google Sheets and openpyxl
    write them; ``plain`` means no comments or CDATA) are verified with a few
    compiled regex passes and no per-cell Python work (:func:`_fast_layout`);
    only unusual rows and far bands are tokenized. Anything else is tokenized
    whole (:func:`_scan_exact`), which is exact but far slower: measured on a
    1,000-contact tracker (2.5 MB of sheet XML), 0.28 s tokenized against 8 ms
    verified, where the whole report takes 0.37 s.
    """
    if plain and _PREFIXED_CELL.search(xml) is None:
        try:
            return _decide(xml, sheet, _fast_layout(xml), shared_strings, max_cells)
        except _NeedsWholeScan:
            pass
    return _decide(xml, sheet, _whole_layout(xml), shared_strings, max_cells)


def _whole_layout(xml: bytes) -> _Layout:
    scan = _scan_exact(xml, 0, len(xml), block=False)
    # An exact segment's rows come from its scan; lo, hi and floor only bound verified segments.
    segment = _Segment(start=0, end=len(xml), lo=1, hi=1, floor=1, exact=scan)
    return _Layout(segments=[segment], far=_far_column(scan))


def _fast_layout(xml: bytes) -> _Layout:
    """Verify an ordinary sheet with regexes, tokenizing only unusual rows.

    Row tags are sampled every 64 KiB; a jump of more than ``ROW_GAP`` rows
    between samples is resolved by reading every row tag in between, so the
    segments are exactly the runs of row tags without such a gap. Then one
    regex per segment checks every ``<c`` tag: ``r`` first, an uppercase
    reference whose row lies in the segment and whose column is not far right,
    and no other attribute that could be a second ``r``. Rows where it fails
    are tokenized. Raises :class:`_NeedsWholeScan` for what defeats this
    (cells without references, rows out of order, ...).
    """
    first = xml.find(b'<row r="')
    if first < 0:
        if _ANY_CELL.search(xml):
            raise _NeedsWholeScan
        return _Layout(segments=[], far=FAR_COLUMNS + 1)
    if _ANY_CELL.search(xml, 0, first):
        raise _NeedsWholeScan
    last = xml.rfind(b'<row r="')
    samples = [first]
    offset = first + _SAMPLE_STEP
    while offset < last:
        position = xml.find(b'<row r="', offset)
        if position > samples[-1]:
            samples.append(position)
        offset = position + _SAMPLE_STEP
    if samples[-1] != last:
        samples.append(last)
    rows = [_row_number_at(xml, position) for position in samples]
    gaps: list[tuple[int, int, int]] = []  # (position of the row after the gap, row before, row after)
    for index in range(len(samples) - 1):
        if rows[index + 1] < rows[index]:
            raise _NeedsWholeScan
        if rows[index + 1] - rows[index] - 1 > ROW_GAP:
            gaps.extend(_gaps_between(xml, samples[index], samples[index + 1], rows[index + 1]))
    segments = []
    start, lo = first, rows[0]
    for position, before, after in gaps:
        segments.append(_Segment(start=start, end=position, lo=lo, hi=before, floor=lo))
        start, lo = position, after
    segments.append(_Segment(start=start, end=len(xml), lo=lo, hi=rows[-1], floor=lo))
    if segments[0].lo - 1 <= ROW_GAP:
        segments[0].floor = 1
    header_end = first
    for _ in range(HEADER_ROWS):
        header_end = xml.find(b"<row", header_end + 1)
        if header_end < 0:
            header_end = len(xml)
            break
    far = _far_column(_scan_exact(xml, first, header_end, block=True))
    for segment in segments:
        _verify(xml, segment, far)
    return _Layout(segments=segments, far=far)


def _row_number_at(xml: bytes, position: int) -> int:
    match = _ROW_START.match(xml, position)
    if match is None or not 1 <= int(match[1]) <= MAX_ROW:
        raise _NeedsWholeScan
    return int(match[1])


def _gaps_between(xml: bytes, start: int, end: int, end_row: int) -> list[tuple[int, int, int]]:
    """Every gap of more than ROW_GAP rows between consecutive row tags from ``start`` to the row at ``end``."""
    matches = list(_ROW_START.finditer(xml, start, end))
    if xml.count(b"<row", start, end) != len(matches):
        raise _NeedsWholeScan
    tags = [(match.start(), int(match[1])) for match in matches] + [(end, end_row)]
    gaps = []
    for (_, row), (position, next_row) in itertools.pairwise(tags):
        if not row <= next_row <= MAX_ROW:
            raise _NeedsWholeScan
        if next_row - row - 1 > ROW_GAP:
            gaps.append((position, row, next_row))
    return gaps


def _verify(xml: bytes, segment: _Segment, far: int) -> None:
    """Check every cell tag of a segment with one regex; tokenize the rows where it fails."""
    unusual = re.compile(
        rb'<c(?! r="(?:'
        + _letters_range(1, far)
        + rb")(?:"
        + _digits_range(segment.floor, segment.hi)
        + rb""")"[^<>"'r]*+(?:"[^"]*+"[^<>"'r]*+)*+>)[\t\r\n />]"""
    )
    position = segment.start
    while match := unusual.search(xml, position, segment.end):
        row_start = xml.rfind(b"<row", segment.start, match.start())
        if row_start < 0:
            raise _NeedsWholeScan
        row_end = xml.find(b"<row", match.end(), segment.end)
        row_end = segment.end if row_end < 0 else row_end
        segment.blocks.append(_scan_exact(xml, row_start, row_end, block=True))
        position = row_end


def _scan_exact(xml: bytes, start: int, end: int, *, block: bool) -> _ExactScan:
    """Tokenize the cells and rows in ``xml[start:end]`` and place them as python-calamine does.

    python-calamine matches element local names (any prefix), takes a row's
    first ``r`` and a cell's last ``r``, numbers rows without ``r`` by counting
    ``</row>`` tags and cells without ``r`` by counting cells in the row, and
    skips everything inside a cell up to its first ``</c>``. It stops with an
    error at a tag that never ends, so the scan stops there too. A *block*
    scan starts at a row tag inside ``<sheetData>`` and raises
    :class:`_NeedsWholeScan` when a position depends on what came before it.
    """
    scan = _ExactScan()
    in_sheet_data = block
    row_index: int | None = None if block else 0  # 0-based, as python-calamine counts
    column_index = 0
    open_cell: _Cell | None = None
    open_row: int | None = None
    position = start
    while token := _TOKEN.search(xml, position, end):
        skipped = next((i for i in range(3) if token[i + 1] is not None), None)
        if skipped is not None:
            close = xml.find(_CONSTRUCT_ENDS[skipped], token.end(), end)
            if close < 0:
                break
            position = close + len(_CONSTRUCT_ENDS[skipped])
            continue
        rest = _TAG_REST.match(xml, token.end(), end)
        if rest is None:
            if block:
                raise _NeedsWholeScan
            break
        position = rest.end()
        closing, name, attributes = token[4] == b"/", token[5], rest[1]
        if open_cell is not None:
            if closing and name == b"c":
                open_cell.end, open_cell.content_end = rest.end(), token.start()
                open_cell.has_value = xml.find(b"<", open_cell.content_start, token.start()) >= 0
                open_cell = None
            continue
        self_closing = attributes.rstrip().endswith(b"/")
        if not in_sheet_data:
            in_sheet_data = name == b"sheetData" and not closing
            if in_sheet_data and self_closing:
                break
            continue
        if name == b"sheetData":
            if closing:
                break
        elif name == b"row":
            if not closing:
                reference = _attribute(attributes, b"r", last=False)
                if reference is not None:
                    row_index = _parse_reference(reference, need_column=False)[0] - 1
                elif row_index is None:
                    raise _NeedsWholeScan
                scan.rows.append(_RowTag(row=row_index + 1, start=token.start(), end=None))
                open_row = len(scan.rows) - 1
            if closing or self_closing:
                if open_row is not None:
                    scan.rows[open_row].end = rest.end()
                    open_row = None
                if row_index is not None:
                    row_index += 1
                column_index = 0
        elif not closing:
            reference = _attribute(attributes, b"r", last=True)
            if reference is not None:
                row, column = _parse_reference(reference, need_column=True)
            elif row_index is None or block:
                raise _NeedsWholeScan
            else:
                row, column = row_index + 1, column_index + 1
                scan.unreferenced = True
                if row > MAX_ROW or column > MAX_COLUMN:
                    raise InvalidReference(
                        f"(a cell without one lands in {cell_address(column, min(row, MAX_ROW + 1))})"
                    )
            cell = _Cell(
                row=row,
                column=column,
                start=token.start(),
                end=rest.end(),
                content_start=rest.end(),
                content_end=rest.end(),
                kind=_attribute(attributes, b"t", last=True) or b"",
                reference=reference,
                row_tag=open_row,
            )
            scan.cells.append(cell)
            if open_row is not None:
                scan.rows[open_row].cells += 1
            column_index = column
            if not self_closing:
                open_cell = cell
    if open_cell is not None:
        if block:
            raise _NeedsWholeScan
        open_cell.has_value = xml.find(b"<", open_cell.content_start, end) >= 0
    return scan


def _attribute(attributes: bytes, key: bytes, *, last: bool) -> bytes | None:
    found = None
    for match in ATTRIBUTE.finditer(attributes):
        if match[1] == key:
            found = match[2] if match[2] is not None else match[3]
            if not last:
                break
    return found


def _parse_reference(reference: bytes, *, need_column: bool) -> tuple[int, int]:
    """A reference such as ``AB12`` (any case) as 1-based (row, column); column 0 when absent."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        raise InvalidReference(repr(reference.decode("latin-1")))
    letters, digits = match.groups()
    row = int(digits)
    column = 0
    for letter in letters.upper():
        column = column * 26 + letter - 64
        if column > MAX_COLUMN:
            break
    if not 1 <= row <= MAX_ROW or column > MAX_COLUMN or (need_column and column < 1):
        raise InvalidReference(repr(reference.decode("latin-1")))
    return row, column


def _far_column(scan: _ExactScan) -> int:
    """The column beyond which cells are far right, from the header in the first rows of ``scan``.

    The header's extent is the right end of the leftmost group of value
    columns in the first ``HEADER_ROWS`` rows, where more than ``FAR_COLUMNS``
    empty columns split groups.
    """
    in_header = [cell for cell in scan.cells if cell.row_tag is not None and cell.row_tag < HEADER_ROWS]
    columns = sorted({cell.column for cell in in_header if cell.has_value})
    extent = 0
    for column in columns:
        if extent and column - extent - 1 > FAR_COLUMNS:
            break
        extent = column
    return min(extent + FAR_COLUMNS + 1, MAX_COLUMN)


def _decide(xml: bytes, sheet: str, layout: _Layout, shared_strings: SharedStrings, max_cells: int) -> Guarded:
    """Apply the band rule to a layout, set strays aside and measure the grid that remains."""
    bands = _bands(layout)
    pending = [s for s in layout.segments if s.exact is None and _band_index(bands, s.lo) > 0]
    while pending:
        for segment in pending:
            segment.exact, segment.blocks = _scan_exact(xml, segment.start, segment.end, block=True), []
        bands = _bands(layout)
        pending = [s for s in layout.segments if s.exact is None and _band_index(bands, s.lo) > 0]

    scans = [scan for segment in layout.segments for scan in segment.scans()]
    cells = [cell for scan in scans for cell in scan.cells]
    values_per_band = [0] * len(bands)
    for cell in cells:
        values_per_band[_band_index(bands, cell.row)] += cell.has_value
    set_aside = {band for band in range(1, len(bands)) if values_per_band[band] <= FEW_CELLS}
    strays = [cell for cell in cells if _band_index(bands, cell.row) in set_aside]
    kept = [cell for cell in cells if _band_index(bands, cell.row) not in set_aside]
    far_right = [cell for cell in kept if cell.column > layout.far]
    if sum(cell.has_value for cell in far_right) <= FEW_CELLS:
        strays.extend(far_right)
        kept = [cell for cell in kept if cell.column <= layout.far]

    kept_values = [cell for cell in kept if cell.has_value]
    verified = [s for s in layout.segments if s.exact is None]
    rows = max([s.hi for s in verified] + [cell.row for cell in kept_values], default=0)
    columns = max([cell.column for cell in kept_values], default=0)
    if verified:
        # Verified cells lie at most at `far`; measure exactly only when that bound matters.
        if rows * max(columns, layout.far) > max_cells:
            columns = max(columns, _widest_column(xml, verified, layout.far))
        else:
            columns = max(columns, layout.far)
    # Cells without content never reach python-calamine's grid; only values make a copy worth it.
    set_aside_values = any(cell.has_value for cell in strays)
    return Guarded(
        problems=_stray_problems(xml, sheet, strays, shared_strings),
        xml=_without(xml, scans, strays) if set_aside_values else None,
        rows=rows,
        columns=columns,
    )


def _bands(layout: _Layout) -> list[tuple[int, int]]:
    """Row ranges in use, merged wherever at most ROW_GAP empty rows separate them."""
    spans: list[tuple[int, int]] = []
    for segment in layout.segments:
        if segment.exact is None:
            spans.append((segment.lo, segment.hi))
        for scan in segment.scans():
            spans.extend((cell.row, cell.row) for cell in scan.cells)
            spans.extend((row.row, row.row) for row in scan.rows)
    bands: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if bands and lo - bands[-1][1] - 1 <= ROW_GAP:
            bands[-1] = (bands[-1][0], max(bands[-1][1], hi))
        else:
            bands.append((lo, hi))
    return bands


def _band_index(bands: list[tuple[int, int]], row: int) -> int:
    return max(bisect.bisect_right(bands, (row, MAX_ROW + 1)) - 1, 0)


def _widest_column(xml: bytes, segments: list[_Segment], far: int) -> int:
    """The right-most column of the cells in verified segments, all known to be at most ``far``.

    A binary search with one regex pass per step, run only when the bound
    ``far`` would make the grid look too large.
    """

    def any_from(column: int) -> bool:
        pattern = re.compile(rb'<c r="(?:' + _letters_range(column, far) + rb")[0-9]")
        return any(pattern.search(xml, segment.start, segment.end) for segment in segments)

    if not any_from(1):
        return 0
    low, high = 1, far
    while low < high:
        middle = (low + high + 1) // 2
        if any_from(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _stray_problems(xml: bytes, sheet: str, strays: list[_Cell], shared_strings: SharedStrings) -> list[Problem]:
    """One warning per stray value (the first LISTED_STRAYS), then one that sums up the rest."""
    values = sorted((cell for cell in strays if cell.has_value), key=lambda cell: (cell.row, cell.column))
    problems = []
    for cell in values[:LISTED_STRAYS]:
        preview = _preview(xml, cell, shared_strings)
        what = f"a stray value {preview!r}" if preview else "a stray empty value"
        problems.append(
            Problem(
                "warning",
                sheet,
                cell_address(cell.column, cell.row),
                f"{what} far outside the table was set aside; delete it, or move it into the table if it belongs there",
            )
        )
    if len(values) > LISTED_STRAYS:
        rest = values[LISTED_STRAYS:]
        problems.append(
            Problem(
                "warning",
                sheet,
                "",
                f"and {len(rest):,} more stray values far outside the table were set aside "
                f"({cell_address(rest[0].column, rest[0].row)} to {cell_address(rest[-1].column, rest[-1].row)})",
            )
        )
    return problems


def _without(xml: bytes, scans: list[_ExactScan], strays: list[_Cell]) -> bytes:
    """The sheet XML without the stray cells, and without the rows they leave empty.

    When some cell has no ``r`` attribute, python-calamine places it by
    counting the cells and rows before it, so removing elements could move
    it; then each stray becomes an empty ``<c r="..."/>`` instead, which keeps
    every count and holds no value.
    """
    if any(scan.unreferenced for scan in scans):
        edits = [
            (cell.start, cell.end, b'<c r="' + cell.reference + b'"/>' if cell.reference is not None else b"<c/>")
            for cell in strays
        ]
    else:
        removed: dict[int, int] = {}
        row_of: dict[int, _RowTag] = {}
        for scan in scans:
            for cell in scan.cells:
                if cell.row_tag is not None:
                    row_of[id(cell)] = scan.rows[cell.row_tag]
        for cell in strays:
            if id(cell) in row_of:
                removed[id(row_of[id(cell)])] = removed.get(id(row_of[id(cell)]), 0) + 1
        emptied = {
            id(row): row
            for scan in scans
            for row in scan.rows
            if row.end is not None and row.cells and removed.get(id(row)) == row.cells
        }
        edits = [(row.start, row.end, b"") for row in emptied.values() if row.end is not None]
        edits.extend(
            (cell.start, cell.end, b"")
            for cell in strays
            if id(cell) not in row_of or id(row_of[id(cell)]) not in emptied
        )
    parts = []
    position = 0
    for start, end, replacement in sorted(edits):
        parts.append(xml[position:start])
        parts.append(replacement)
        position = end
    parts.append(xml[position:])
    return b"".join(parts)


def _preview(xml: bytes, cell: _Cell, shared_strings: SharedStrings) -> str:
    """A short text for a stray cell's value, as the user would recognise it."""
    text = " ".join(cell_text(xml[cell.content_start : cell.content_end], cell.kind, shared_strings).split())
    return text if len(text) <= 40 else text[:39] + "…"


# --------------------------------------------------------------------------- range regexes


def _digits_range(lo: int, hi: int) -> bytes:
    """A regex alternation matching exactly the decimal numbers ``lo..hi`` (no leading zeros).

    Longer numbers come first, so a six-digit row never backtracks through
    the shorter alternatives.
    """
    branches = []
    for width in range(len(str(hi)), len(str(lo)) - 1, -1):
        low, high = max(lo, 10 ** (width - 1)), min(hi, 10**width - 1)
        if low <= high:
            branches.append(_fixed_width_range(str(low), str(high), "0123456789"))
    return "|".join(branches).encode("ascii")


def _letters_range(lo: int, hi: int) -> bytes:
    """A regex alternation matching exactly the uppercase letters of columns ``lo..hi``."""
    branches = []
    for width in range(len(column_letter(lo)), len(column_letter(hi)) + 1):
        low = max(lo, _first_column_of_width(width))
        high = min(hi, _first_column_of_width(width + 1) - 1)
        if low <= high:
            branches.append(_fixed_width_range(column_letter(low), column_letter(high), _LETTERS))
    return "|".join(branches).encode("ascii")


def _first_column_of_width(width: int) -> int:
    """The first column whose letters are ``width`` long: 1 (A), 27 (AA), 703 (AAA)."""
    first = 1
    for _ in range(width - 1):
        first = first * 26 + 1
    return first


def _fixed_width_range(low: str, high: str, symbols: str) -> str:
    """A regex for the strings of one length from ``low`` to ``high``, ordered as in ``symbols``."""
    if low == high:
        return low
    if len(low) == 1:
        return f"[{low}-{high}]"
    rest = len(low) - 1
    lowest, highest = symbols[0] * rest, symbols[-1] * rest
    if low[0] == high[0]:
        return f"{low[0]}(?:{_fixed_width_range(low[1:], high[1:], symbols)})"
    first, last = symbols.index(low[0]), symbols.index(high[0])
    branches = []
    if low[1:] != lowest:
        branches.append(f"{low[0]}(?:{_fixed_width_range(low[1:], highest, symbols)})")
        first += 1
    if high[1:] != highest:
        last -= 1
    if first <= last:
        head = symbols[first] if first == last else f"[{symbols[first]}-{symbols[last]}]"
        branches.append(f"{head}[{symbols[0]}-{symbols[-1]}]{{{rest}}}")
    if high[1:] != highest:
        branches.append(f"{high[0]}(?:{_fixed_width_range(lowest, high[1:], symbols)})")
    return "(?:" + "|".join(branches) + ")"
