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
# Patterns for what most sheets lack are compiled on first use (``re`` keeps them); the cheap tests
# whether a sheet holds such a construct at all, and ATTRIBUTE, used per cell, are compiled here.
TEXT = rb"(?s)<" + _PREFIX + rb"t(\s[^>]*)?>(.*?)</" + _PREFIX + rb"t\s*>"
VALUE = rb"(?s)<" + _PREFIX + rb"v(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"v\s*>"
FORMULA = rb"(?s)<" + _PREFIX + rb"f(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"f\s*>"
_INLINE_STRING = rb"<" + _PREFIX + rb"is[\s/>]"
_PHONETIC = rb"(?s)<" + _PREFIX + rb"rPh\b.*?</" + _PREFIX + rb"rPh\s*>"
_SHARED_STRING = rb"(?s)<" + _PREFIX + rb"si(?:\s[^>]*)?(?:/>|>(.*?)</" + _PREFIX + rb"si\s*>)"
_ENTITY = rb"&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);"
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
ATTRIBUTE = re.compile(rb"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$"

#: The rest of a cell that starts with a formula, as every program writes it (``r`` first, ``<f>`` then
#: ``<v>``), after its column letters and row: the formula's attributes and text, its stored result's tag.
_FORMULA_CELL_REST = rb'[^>]*?(?<!/)>\s*<f\b([^>]*?)(?:/>|>(.*?)</f>)\s*(<v(?:\s[^>]*?)?(?<!/)>)?'
_SHARED_INDEX = rb'\bsi="([0-9]+)"'
_ERROR_CELL = rb"(?s)<c\s([^>]*?\bt=\"e\"[^>]*?)(?<!/)>(.*?)</c\s*>"
_ERROR_TYPE = re.compile(rb't="e"')
_RUN_START = re.compile(rb"<r[\s>]")
_INLINE_CELL = rb"(?s)<c\s([^>]*?)(?<!/)>\s*<is>(.*?)</is>"
_SHARED_CELL = rb"(?s)<c\s([^>]*?\bt=\"s\"[^>]*?)(?<!/)>\s*<v>\s*([0-9]+)\s*</v>"
_FORMULA_START = re.compile(rb"<f[\s/>]")
_TAG = rb"<(hyperlink|mergeCell|tablePart|Relationship)\s([^>]*?)/?>"
#: Formulas whose result changes by itself (each time the sheet is opened or recalculated).
_VOLATILE = r"(?i)\b(TODAY|NOW|RAND|RANDBETWEEN|RANDARRAY)\s*\("
_HYPERLINK_FORMULA = r'(?i)^\s*(?:_xlfn\.)?HYPERLINK\s*\(\s*"((?:[^"]|"")*)"'


def unescape(raw: bytes) -> str:
    """XML text to str: the five named entities and character references."""

    def replace(match: re.Match[bytes]) -> bytes:
        name = match[1]
        if name.startswith(b"#"):
            code = int(name[2:], 16) if name.startswith(b"#x") else int(name[1:])
            return chr(code).encode("utf-8", "replace") if code < 0x110000 else b""
        return _NAMED_ENTITIES[name].encode()

    return re.sub(_ENTITY, replace, raw).decode("utf-8", "replace")


def _runs(body: bytes) -> list[tuple[bool, str]]:
    """The ``<t>`` runs of a string item, phonetic guides left out: (space preserved?, text)."""
    return [(b"preserve" in (attributes or b""), unescape(text))
            for attributes, text in re.findall(TEXT, re.sub(_PHONETIC, b"", body))]


class SharedStrings:
    """The workbook's shared strings as spreadsheet programs show them, parsed when first needed."""

    def __init__(self, xml: bytes | None) -> None:
        self.xml = xml or b""
        self._strings: list[str] | None = None

    def get(self, index: int) -> str:
        if self._strings is None:
            self._strings = ["".join(text for _, text in _runs(match[1] or b""))
                             for match in re.finditer(_SHARED_STRING, self.xml)]
        return self._strings[index] if index < len(self._strings) else ""

    def trimmed_runs(self) -> dict[int, str]:
        """Index -> text as spreadsheet programs show it, for the rich-text strings python-calamine
        reads differently (see :func:`_shown_if_trimmed`)."""
        if not _RUN_START.search(self.xml):
            return {}
        found = {}
        for index, match in enumerate(re.finditer(_SHARED_STRING, self.xml)):
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
    if value := re.search(VALUE, content):
        raw = unescape(value[1]).strip()
        if kind == b"s" and raw.isdigit():
            return shared_strings.get(int(raw))
        if kind == b"b":
            return "TRUE" if raw == "1" else "FALSE"
        return raw
    if re.search(_INLINE_STRING, content):
        return "".join(text for _, text in _runs(content))
    if formula := re.search(FORMULA, content):
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
    match = re.match(_REFERENCE, address)
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
        return re.search(_VOLATILE, self.text) is not None

    def hyperlink_target(self) -> str | None:
        """The link of ``=HYPERLINK("https://...", "profile")``, when it is written out as text."""
        match = re.match(_HYPERLINK_FORMULA, self.text)
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
            if b"si=" in attributes and (index := re.search(_SHARED_INDEX, attributes)):
                text = shared.setdefault(index[1], text) if text else shared.get(index[1], b"")
            self.formulas[(int(digits), _column_number(letters_found))] = Formula(text, bool(result))


def sheet_facts(part: str, parts: Mapping[str, bytes], trimmed: Mapping[int, str] | None = None) -> SheetFacts:
    """Read the facts of the sheet stored in zip member ``part`` (``parts``: inflated members by
    lower-case name, as :class:`~sheetkit.reading.limits.WorkbookSource` keeps them; ``trimmed``:
    :meth:`SharedStrings.trimmed_runs`)."""
    xml = parts.get(part.lower(), b"")
    facts = SheetFacts(xml=xml)
    if _RUN_START.search(xml):
        for attributes, body in re.findall(_INLINE_CELL, xml):
            position = cell_position(_attributes(attributes).get("r", ""))
            shown = _shown_if_trimmed(body)
            if position is not None and shown is not None:
                facts.texts[position] = shown
    if trimmed:
        for attributes, index in re.findall(_SHARED_CELL, xml):
            position = cell_position(_attributes(attributes).get("r", ""))
            if position is not None and int(index) in trimmed:
                facts.texts[position] = trimmed[int(index)]
    if _ERROR_TYPE.search(xml):
        for attributes, body in re.findall(_ERROR_CELL, xml):
            position = cell_position(_attributes(attributes).get("r", ""))
            value = re.search(VALUE, body)
            if position is not None:
                facts.error_cells[position] = unescape(value[1]).strip() if value else "#ERROR"
    tail = xml[xml.rfind(b"</sheetData>") :]  # links, merges and tables are listed after the cells
    if b"<hyperlink" not in tail and b"<mergeCell" not in tail and b"<tablePart" not in tail:
        return facts
    folder, name = posixpath.split(part)
    relationships = {attrs.get("Id", ""): attrs for tag, raw in re.findall(_TAG, parts.get(
        f"{folder}/_rels/{name}.rels".lower(), b"")) if tag == b"Relationship" for attrs in [_attributes(raw)]}
    for tag, raw in re.findall(_TAG, tail):
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
            head = re.search(_TAG_TABLE, table)
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


_TAG_TABLE = rb"<(?:[^\s/<>:]*:)?table\s([^>]*)>"
