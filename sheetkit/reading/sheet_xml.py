"""What a sheet's XML says beyond the cell values python-calamine gives.

python-calamine reads each cell's stored value, and only that: an error cell
(``#REF!``) comes back blank, a formula without a stored result blank, a
hyperlink as its display text, a merged cell's covered rows blank, an Excel
Table's totals row as data, and rich text as its runs with their edge spaces
trimmed ("Carol" + " Diaz" -> "CarolDiaz"). This module reads those facts from
the XML the safety checks already inflated, with a few regex passes that only
run when the sheet holds the construct at all, so the reader can show the sheet
the way the spreadsheet program shows it to the student.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sheetkit.spec import column_letter

_PREFIX = rb"(?:[^\s/<>:]*:)?"
TEXT = re.compile(rb"<" + _PREFIX + rb"t(\s[^>]*)?>(.*?)</" + _PREFIX + rb"t\s*>", re.S)
VALUE = re.compile(rb"<" + _PREFIX + rb"v(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"v\s*>", re.S)
FORMULA = re.compile(rb"<" + _PREFIX + rb"f(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"f\s*>", re.S)
_INLINE_STRING = re.compile(rb"<" + _PREFIX + rb"is[\s/>]")
_PHONETIC = re.compile(rb"<" + _PREFIX + rb"rPh\b.*?</" + _PREFIX + rb"rPh\s*>", re.S)
_SHARED_STRING = re.compile(rb"<" + _PREFIX + rb"si(?:\s[^>]*)?(?:/>|>(.*?)</" + _PREFIX + rb"si\s*>)", re.S)
_ENTITY = re.compile(rb"&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);")
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
ATTRIBUTE = re.compile(rb"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")

#: The rest of a cell that starts with a formula, as every program writes it (``r`` first, ``<f>`` then
#: ``<v>``), after its column letters and row: the formula's attributes and text, its stored result's tag.
_FORMULA_CELL_REST = rb'[^>]*?(?<!/)>\s*<f\b([^>]*?)(?:/>|>(.*?)</f>)\s*(<v(?:\s[^>]*?)?(?<!/)>)?'
_SHARED_INDEX = re.compile(rb'\bsi="([0-9]+)"')
_ERROR_CELL = re.compile(rb"<c\s([^>]*?\bt=\"e\"[^>]*?)(?<!/)>(.*?)</c\s*>", re.S)
_ERROR_TYPE = re.compile(rb't="e"')
_RUN_START = re.compile(rb"<r[\s>]")
_INLINE_CELL = re.compile(rb"<c\s([^>]*?)(?<!/)>\s*<is>(.*?)</is>", re.S)
_SHARED_CELL = re.compile(rb"<c\s([^>]*?\bt=\"s\"[^>]*?)(?<!/)>\s*<v>\s*([0-9]+)\s*</v>", re.S)
_FORMULA_START = re.compile(rb"<f[\s/>]")
_TAG = re.compile(rb"<(hyperlink|mergeCell|tablePart|Relationship)\s([^>]*?)/?>")
#: Formulas whose result changes by itself (each time the sheet is opened or recalculated).
_VOLATILE = re.compile(r"\b(TODAY|NOW|RAND|RANDBETWEEN|RANDARRAY)\s*\(", re.I)
_HYPERLINK_FORMULA = re.compile(r'^\s*(?:_xlfn\.)?HYPERLINK\s*\(\s*"((?:[^"]|"")*)"', re.I)


def unescape(raw: bytes) -> str:
    """XML text to str: the five named entities and character references."""

    def replace(match: re.Match[bytes]) -> bytes:
        name = match[1]
        if name.startswith(b"#"):
            code = int(name[2:], 16) if name.startswith(b"#x") else int(name[1:])
            return chr(code).encode("utf-8", "replace") if code < 0x110000 else b""
        return _NAMED_ENTITIES[name].encode()

    return _ENTITY.sub(replace, raw).decode("utf-8", "replace")


def _runs(body: bytes) -> list[tuple[bool, str]]:
    """The ``<t>`` runs of a string item, phonetic guides left out: (space preserved?, text)."""
    return [(b"preserve" in (attributes or b""), unescape(text))
            for attributes, text in TEXT.findall(_PHONETIC.sub(b"", body))]


class SharedStrings:
    """The workbook's shared strings as spreadsheet programs show them, parsed when first needed."""

    def __init__(self, xml: bytes | None) -> None:
        self.xml = xml or b""
        self._strings: list[str] | None = None

    def get(self, index: int) -> str:
        if self._strings is None:
            self._strings = ["".join(text for _, text in _runs(match[1] or b""))
                             for match in _SHARED_STRING.finditer(self.xml)]
        return self._strings[index] if index < len(self._strings) else ""

    def trimmed_runs(self) -> dict[int, str]:
        """Index -> text as spreadsheet programs show it, for the rich-text strings python-calamine
        reads differently (see :func:`_shown_if_trimmed`)."""
        if not _RUN_START.search(self.xml):
            return {}
        found = {}
        for index, match in enumerate(_SHARED_STRING.finditer(self.xml)):
            shown = _shown_if_trimmed(match[1] or b"")
            if shown is not None:
                found[index] = shown
        return found


def _shown_if_trimmed(body: bytes) -> str | None:
    """The text of a rich-text string whose runs start or end with a space that the file does not
    mark ``xml:space="preserve"`` (Gnumeric writes them so): python-calamine trims each such run
    ("Carol" + " Diaz" -> "CarolDiaz"), where every spreadsheet program shows "Carol Diaz"."""
    runs = _runs(body)
    if len(runs) < 2:
        return None
    shown = "".join(text for _, text in runs)
    return shown if "".join(text if kept else text.strip() for kept, text in runs) != shown else None


def cell_text(content: bytes, kind: bytes, shared_strings: SharedStrings) -> str:
    """The text of a ``<c>`` element's content, as the user would recognise it."""
    if value := VALUE.search(content):
        raw = unescape(value[1]).strip()
        if kind == b"s" and raw.isdigit():
            return shared_strings.get(int(raw))
        if kind == b"b":
            return "TRUE" if raw == "1" else "FALSE"
        return raw
    if _INLINE_STRING.search(content):
        return "".join(text for _, text in _runs(content))
    if formula := FORMULA.search(content):
        return "=" + unescape(formula[1])
    return ""


def _attributes(raw: bytes) -> dict[str, str]:
    """A tag's attributes by local name (``r:id`` -> ``id``)."""
    found = {}
    for match in ATTRIBUTE.finditer(raw):
        value = match[2] if match[2] is not None else match[3]
        found[match[1].decode("latin-1").rsplit(":", 1)[-1]] = unescape(value)
    return found


def _column_number(letters: bytes) -> int:
    """``b"AB"`` -> 28."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def cell_position(address: str) -> tuple[int, int] | None:
    """``"AB12"`` -> (12, 28), 1-based row and column; None when it is not a cell address."""
    match = _REFERENCE.match(address)
    if match is None:
        return None
    return int(match[2]), _column_number(match[1].upper().encode())


def _range(ref: str) -> tuple[int, int, int, int] | None:
    """``"K2:L3"`` -> (first row, first column, last row, last column)."""
    first, _, last = ref.partition(":")
    start, end = cell_position(first), cell_position(last or first)
    if start is None or end is None:
        return None
    return min(start[0], end[0]), min(start[1], end[1]), max(start[0], end[0]), max(start[1], end[1])


@dataclass(frozen=True)
class Formula:
    """A formula cell: its text (without ``=``, as stored) and whether the file stores its result."""

    stored: bytes
    has_result: bool

    @property
    def text(self) -> str:
        return unescape(self.stored)

    @property
    def volatile(self) -> bool:
        """TODAY(), NOW(), RAND()...: a result that changes by itself."""
        return _VOLATILE.search(self.text) is not None

    def hyperlink_target(self) -> str | None:
        """The link of ``=HYPERLINK("https://...", "profile")``, when it is written out as text."""
        match = _HYPERLINK_FORMULA.match(self.text)
        return match[1].replace('""', '"') if match else None


@dataclass
class SheetFacts:
    """What one sheet's XML says beyond its cell values; positions are 1-based (row, column)."""

    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], Formula] = field(default_factory=dict)
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: Rows an Excel Table marks as its header or totals rows: never data.
    table_rows: set[int] = field(default_factory=set)
    #: Rich text python-calamine trims, as spreadsheet programs show it.
    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    xml: bytes = field(default=b"", repr=False)

    def load_formulas(self, columns: Iterable[int]) -> None:
        """Find the formula cells of the given (1-based) columns: a workbook from `sheetkit new`
        holds thousands of formulas in helper columns that nobody types in, and they are skipped."""
        if not _FORMULA_START.search(self.xml):
            return
        letters = b"|".join(column_letter(column).encode() for column in sorted(set(columns)))
        shared: dict[bytes, bytes] = {}  # a shared formula's text, given once, by its index
        for letters_found, digits, attributes, text, result in re.findall(
                rb'<c r="(' + letters + rb')([0-9]{1,7})"' + _FORMULA_CELL_REST, self.xml, re.S):
            if b"si=" in attributes and (index := _SHARED_INDEX.search(attributes)):
                text = shared.setdefault(index[1], text) if text else shared.get(index[1], b"")
            self.formulas[(int(digits), _column_number(letters_found))] = Formula(text, bool(result))


def sheet_facts(part: str, parts: Mapping[str, bytes], trimmed: Mapping[int, str] | None = None) -> SheetFacts:
    """Read the facts of the sheet stored in zip member ``part`` (``parts``: inflated members by
    lower-case name, as :class:`~sheetkit.reading.limits.WorkbookSource` keeps them; ``trimmed``:
    :meth:`SharedStrings.trimmed_runs`)."""
    xml = parts.get(part.lower(), b"")
    facts = SheetFacts(xml=xml)
    if _RUN_START.search(xml):
        for attributes, body in _INLINE_CELL.findall(xml):
            position = cell_position(_attributes(attributes).get("r", ""))
            shown = _shown_if_trimmed(body)
            if position is not None and shown is not None:
                facts.texts[position] = shown
    if trimmed:
        for attributes, index in _SHARED_CELL.findall(xml):
            position = cell_position(_attributes(attributes).get("r", ""))
            if position is not None and int(index) in trimmed:
                facts.texts[position] = trimmed[int(index)]
    if _ERROR_TYPE.search(xml):
        for attributes, body in _ERROR_CELL.findall(xml):
            position = cell_position(_attributes(attributes).get("r", ""))
            value = VALUE.search(body)
            if position is not None:
                facts.error_cells[position] = unescape(value[1]).strip() if value else "#ERROR"
    tail = xml[xml.rfind(b"</sheetData>") :]  # links, merges and tables are listed after the cells
    if b"<hyperlink" not in tail and b"<mergeCell" not in tail and b"<tablePart" not in tail:
        return facts
    folder, name = posixpath.split(part)
    relationships = {attrs.get("Id", ""): attrs for tag, raw in _TAG.findall(parts.get(
        f"{folder}/_rels/{name}.rels".lower(), b"")) if tag == b"Relationship" for attrs in [_attributes(raw)]}
    for tag, raw in _TAG.findall(tail):
        attributes = _attributes(raw)
        span = _range(attributes.get("ref", ""))
        if tag == b"hyperlink" and span is not None:
            target = relationships.get(attributes.get("id", ""), {}).get("Target")
            if target:
                facts.links[span[:2]] = target
        elif tag == b"mergeCell" and span is not None:
            facts.merged.append(span)
        elif tag == b"tablePart":
            target = relationships.get(attributes.get("id", ""), {}).get("Target", "")
            table = parts.get(posixpath.normpath(posixpath.join(folder, target)).lstrip("/").lower(), b"")
            head = _TAG_TABLE.search(table)
            if head is None:
                continue
            table_attributes = _attributes(head[1])
            table_span = _range(table_attributes.get("ref", ""))
            if table_span is None:
                continue
            headers = int(table_attributes.get("headerRowCount", "1") or 0)
            totals = int(table_attributes.get("totalsRowCount", "0") or 0)
            facts.table_rows.update(range(table_span[0], table_span[0] + headers))
            facts.table_rows.update(range(table_span[2] - totals + 1, table_span[2] + 1))
    return facts


_TAG_TABLE = re.compile(rb"<(?:[^\s/<>:]*:)?table\s([^>]*)>")
