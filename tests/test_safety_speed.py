"""The fast paths of inspect_workbook find exactly what the plain code finds.

Big sheets are inflated by a background thread in pieces, and numpy surveys
the pieces while the rest inflates: it answers the byte searches (``<!``,
``t="e"``, a prefixed cell) and proves cell tags ordinary, leaving every tag
it cannot prove to the verification regex. Here the fast path is forced on
with tiny thresholds, pieces and blocks (so piece and block boundaries fall
everywhere) and compared with the plain path on hostile variations of an
ordinary sheet: each variation must be caught, and caught the same way.
"""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetkit import safety
from sheetkit.config import Reading
from sheetkit.errors import UnreadableWorkbook
from sheetkit.safety import inspect_workbook
from xml_mutations import mutate_tags

np = pytest.importorskip("numpy")
if not hasattr(np, "bitwise_count"):  # pragma: no cover - the fast path needs numpy 2
    pytest.skip("the numpy survey needs numpy >= 2.0", allow_module_level=True)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TOUCHPOINTS = "xl/worksheets/sheet2.xml"

#: Thresholds that send every sheet down the fast path, in tiny pieces, blocks and chunks.
FAST = {
    "_VECTOR_BYTES": 0,
    "_PREFETCH_BYTES": 0,
    "_PIECE_INPUT": 97,
    "_SURVEY_BLOCK": 4096,
    "_PROOF_CHUNK": 50,
}
#: Thresholds that keep every sheet on the plain path.
PLAIN = {"_VECTOR_BYTES": 1 << 62, "_PREFETCH_BYTES": 1 << 62}


# --------------------------------------------------------------------------- building workbooks


def _cell(reference: str, value: str | int) -> str:
    if isinstance(value, int):
        return f'<c r="{reference}" s="1" t="n"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{value}</t></is></c>'


def tracker_sheet(rows: int = 400) -> bytes:
    """A Touchpoints-like sheet as the bench trackers write it: inline strings and styled dates."""
    headers = ["Date", "Contact", "Channel", "Direction", "Purpose", "Got reply", "Reply date", "Quality", "Notes"]
    body = ['<row r="1">' + "".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(headers)) + "</row>"]
    for r in range(2, rows + 1):
        cells = [_cell(f"A{r}", 45000 + r), _cell(f"B{r}", f"Person {r}"), _cell(f"C{r}", "Email")]
        if r % 3:
            cells.append(_cell(f"D{r}", "Sent"))
        if r % 5 == 0:
            cells.append(_cell(f"G{r}", 45001 + r))
        cells.append(_cell(f"I{r}", f"Note number {r}, with a few words."))
        body.append(f'<row r="{r}">' + "".join(cells) + "</row>")
    return (
        f'<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><sheetData>{"".join(body)}</sheetData>'
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
    ).encode()


def workbook(path: Path, sheets: dict[str, bytes], extra: dict[str, bytes] | None = None) -> Path:
    """A minimal .xlsx with the given sheets (sheet1.xml, sheet2.xml, ... in order)."""
    names = list(sheets)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
        ).encode(),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>'
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, 1))
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Relationships>"
        ).encode(),
    }
    parts.update({f"xl/worksheets/sheet{i}.xml": xml for i, xml in enumerate(sheets.values(), 1)})
    parts.update(extra or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return path


def contacts_sheet() -> bytes:
    return tracker_sheet(40).replace(b"Date", b"Name")


def tracker(path: Path, touchpoints: bytes) -> Path:
    return workbook(path, {"Contacts": contacts_sheet(), "Touchpoints": touchpoints})


def row_span(xml: bytes, number: int) -> tuple[int, int]:
    start = xml.index(b'<row r="%d"' % number)
    return start, xml.index(b"</row>", start) + len(b"</row>")


def in_row(number: int, change: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    """A change to one row of a sheet."""

    def apply(xml: bytes) -> bytes:
        start, end = row_span(xml, number)
        return xml[:start] + change(xml[start:end]) + xml[end:]

    return apply


def append_rows(rows: bytes) -> Callable[[bytes], bytes]:
    return lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>")


# --------------------------------------------------------------------------- fast against plain


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], Any]], tuple[Any, Any]]]:
    """Run a function on the fast path and on the plain path; return both results."""

    def both(function: Callable[[], Any]) -> tuple[Any, Any]:
        results = []
        for thresholds in (FAST, PLAIN):
            with monkeypatch.context() as patch:
                for name, value in thresholds.items():
                    patch.setattr(safety, name, value)
                results.append(function())
        return results[0], results[1]

    yield both


def outcome(path: Path, reading: Reading = Reading()) -> tuple[Any, ...]:
    """Everything inspection decides about a file: its sources' fields, or its one-line error."""
    try:
        source = inspect_workbook(path, reading)
    except UnreadableWorkbook as exc:
        return ("unreadable", str(exc))
    copy = None
    if source._sanitised is not None:  # zip timestamps differ from run to run: compare the parts
        with zipfile.ZipFile(io.BytesIO(source._sanitised)) as archive:
            copy = {info.filename: archive.read(info) for info in archive.infolist()}
    return (source.sheets, source.date1904, source.problems, source.error_cells, copy)


HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "ordinary": lambda xml: xml,
    "stray-XFD1048576": append_rows(b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'),
    "stray-A1048576": append_rows(b'<row r="1048576"><c r="A1048576"><v>42</v></c></row>'),
    "far-right-in-the-middle": in_row(200, lambda row: row.replace(b"</row>", b'<c r="ZZ200"><v>7</v></c></row>')),
    "far-right-first-in-row": in_row(201, lambda row: row.replace(b'<c r="A201"', b'<c r="ZZ201"><v>7</v></c><c r="A201"')),
    # The header ends in column I (9), so columns up to 9 + 51 = BH (60) are near; BI (61) is far.
    "column-at-the-far-limit": in_row(150, lambda row: row.replace(b"</row>", b'<c r="BH150"><v>7</v></c></row>')),
    "column-past-the-far-limit": in_row(150, lambda row: row.replace(b"</row>", b'<c r="BI150"><v>7</v></c></row>')),
    "three-letter-column": in_row(150, lambda row: row.replace(b"</row>", b'<c r="AAB150"><v>7</v></c></row>')),
    "row-out-of-range-early": in_row(3, lambda row: row.replace(b"</row>", b'<c r="C999999"><v>1</v></c></row>')),
    "row-beyond-the-last": in_row(399, lambda row: row.replace(b'r="B399"', b'r="B401"')),
    "row-zero": in_row(100, lambda row: row.replace(b'r="B100"', b'r="B0"')),
    "leading-zero": in_row(100, lambda row: row.replace(b'r="B100"', b'r="B0100"')),
    "eight-digits": in_row(100, lambda row: row.replace(b'r="B100"', b'r="B12345678"')),
    "row-tag-out-of-order": in_row(250, lambda row: row.replace(b'<row r="250"', b'<row r="3"')),
    "row-tag-far-away": in_row(250, lambda row: row.replace(b'<row r="250"', b'<row r="900000"')),
    "row-tag-without-r": in_row(250, lambda row: row.replace(b'<row r="250"', b"<row")),
    "lowercase-reference": in_row(120, lambda row: row.replace(b'r="A120"', b'r="a120"')),
    "lowercase-far": append_rows(b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>'),
    "prefixed-cell": in_row(120, lambda row: row.replace(b"</row>", b'<x:c r="XFD120"><x:v>1</x:v></x:c></row>')),
    "prefix-in-text": in_row(120, lambda row: row.replace(b"</t>", b" see:c here</t>", 1)),
    "error-cell": in_row(300, lambda row: row.replace(b"</row>", b'<c r="H300" t="e"><v>#REF!</v></c></row>')),
    "error-cell-far": in_row(300, lambda row: row.replace(b"</row>", b'<c r="ZZ300" t="e"><v>#N/A</v></c></row>')),
    "error-type-in-text": in_row(300, lambda row: row.replace(b"</t>", b' t="e" </t>', 1)),
    "quoted-e-in-text": in_row(300, lambda row: row.replace(b"</t>", b' say "e" </t>', 1)),
    "comment": in_row(220, lambda row: b"<!-- a note -->" + row),
    "comment-then-far": append_rows(b'<!-- n --><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
    "end-tag-in-comment": append_rows(b'<row r="1048576"><c r="XFD1048576"><!-- </c> --><v>1</v></c></row>'),
    "cdata": in_row(220, lambda row: row.replace(b"<t>", b"<t><![CDATA[a]]>", 1)),
    "bang-in-text": in_row(390, lambda row: row.replace(b"</t>", b" wow!</t>", 1)),
    "doctype": lambda xml: b'<!DOCTYPE worksheet [<!ENTITY a "b">]>' + xml,
    "cell-without-r": in_row(260, lambda row: row.replace(b"</row>", b"<c><v>3</v></c></row>")),
    "cell-without-r-far-down": append_rows(b'<row r="1048576"><c><v>1</v></c><c><v>2</v></c></row>'),
    "duplicate-r": in_row(260, lambda row: row.replace(b'<c r="B260"', b'<c r="B260" r="XFD260"')),
    "duplicate-r-after-tab": in_row(260, lambda row: row.replace(b'<c r="B260"', b'<c r="B260"\tr="XFD1048576"')),
    "attributes-reordered": in_row(260, lambda row: row.replace(b'<c r="A260" s="1" t="n">', b'<c s="1" t="n" r="A260">')),
    "attributes-reordered-far": append_rows(b'<row r="1048576"><c t="n" s="0" r="XFD1048576"><v>1</v></c></row>'),
    "single-quotes": in_row(260, lambda row: row.replace(b'<c r="B260" t="inlineStr">', b"<c r='B260' t='inlineStr'>")),
    "spaces-around-equals": in_row(260, lambda row: row.replace(b'<c r="B260"', b'<c r = "B260" ')),
    "angle-in-attribute": in_row(260, lambda row: row.replace(b'<c r="B260"', b'<c r="B260" s=">" r="XFD1048576"')),
    "r-in-attribute-name": in_row(260, lambda row: row.replace(b' t="inlineStr">', b' t="inlineStr" xr:uid="1">', 1)),
    "unknown-ending-everywhere": lambda xml: xml.replace(b' t="inlineStr">', b' t="inlineStr" cm="1">'),
    "long-ending": in_row(260, lambda row: row.replace(b' t="inlineStr">', b' s="12345" t="inlineStr" cm="1" vm="2">', 1)),
    "self-closing-styled-far": in_row(260, lambda row: row.replace(b"</row>", b'<c r="ZZ260" s="3"/></row>')),
    "tab-before-r": in_row(260, lambda row: row.replace(b'<c r="B260"', b'<c\tr="B260"')),
    "newline-before-r-far": append_rows(b'<row r="1048576"><c\nr="XFD1048576"><v>1</v></c></row>'),
    "cell-before-sheet-data": lambda xml: xml.replace(b"<sheetData>", b'<c r="XFD1"><v>1</v></c><sheetData>'),
    "cell-after-sheet-data": lambda xml: xml.replace(b"</sheetData>", b'</sheetData><c r="XFD9"><v>1</v></c>'),
    "cell-inside-a-value": in_row(260, lambda row: row.replace(b"<v>", b'<v><c r="XFD1"/>', 1)),
    "tag-never-closed": lambda xml: xml[: xml.index(b"</sheetData>")] + b'<row r="401"><c r="A401" s="1',
    "cut-in-half": lambda xml: xml[: len(xml) // 2],
    "block-far-below": append_rows(
        b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c><c r="B%d"><v>2</v></c></row>' % (r, r, r) for r in range(30_000, 31_200))
    ),
    "few-rows-far-below": append_rows(
        b"".join(b'<row r="%d"><c r="B%d"><v>%d</v></c></row>' % (r, r, r) for r in range(500_000, 500_030))
    ),
    "wide-header": lambda xml: xml.replace(b"</row>", b'<c r="CZ1" t="inlineStr"><is><t>wide</t></is></c></row>', 1),
    "rich-text-tags": in_row(260, lambda row: row.replace(b"<t>", b"<r><rPr><color rgb=\"FF0000\"/><charset val=\"0\"/></rPr><t>", 1).replace(b"</t>", b"</t></r>", 1)),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_variations_are_judged_the_same_on_both_paths(
    tmp_path: Path, paths: Callable[..., tuple[Any, Any]], case: str
) -> None:
    path = tracker(tmp_path / f"{case}.xlsx", HOSTILE[case](tracker_sheet()))
    for reading in (Reading(), Reading(max_cells=4_000)):
        fast, plain = paths(lambda: outcome(path, reading))
        assert fast == plain


@pytest.mark.parametrize(
    ("case", "cell"),
    [
        ("stray-XFD1048576", "XFD1048576"),
        ("stray-A1048576", "A1048576"),
        ("far-right-in-the-middle", "ZZ200"),
        ("far-right-first-in-row", "ZZ201"),
        ("column-past-the-far-limit", "BI150"),
        ("three-letter-column", "AAB150"),
        ("row-out-of-range-early", "C999999"),
        ("lowercase-far", "XFD1048576"),
        ("prefixed-cell", "XFD120"),
        ("duplicate-r", "XFD260"),
        ("duplicate-r-after-tab", "XFD1048576"),
        ("attributes-reordered-far", "XFD1048576"),
        ("angle-in-attribute", "XFD1048576"),
        ("newline-before-r-far", "XFD1048576"),
        ("comment-then-far", "XFD1048576"),
        ("end-tag-in-comment", "XFD1048576"),
        ("error-cell-far", "ZZ300"),
    ],
)
def test_the_fast_path_sets_the_stray_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, cell: str) -> None:
    for name, value in FAST.items():
        monkeypatch.setattr(safety, name, value)
    source = inspect_workbook(tracker(tmp_path / "hostile.xlsx", HOSTILE[case](tracker_sheet())))
    assert source.sanitised
    assert [problem.cell for problem in source.problems] == [cell]
    with zipfile.ZipFile(io.BytesIO(source._sanitised or b"")) as copy:
        assert cell.encode() not in copy.read(TOUCHPOINTS).upper()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("error-cell", {"H300": "#REF!"}),
        ("error-cell-far", {"ZZ300": "#N/A"}),
        ("error-type-in-text", {}),
    ],
)
def test_error_cells_are_found_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, expected: dict[str, str]
) -> None:
    for name, value in FAST.items():
        monkeypatch.setattr(safety, name, value)
    source = inspect_workbook(tracker(tmp_path / "errors.xlsx", HOSTILE[case](tracker_sheet())))
    assert source.error_cells == {"Touchpoints": expected}


def test_the_fast_path_refuses_a_doctype_and_a_grid_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST.items():
        monkeypatch.setattr(safety, name, value)
    doctype = tracker(tmp_path / "dtd.xlsx", HOSTILE["doctype"](tracker_sheet()))
    with pytest.raises(UnreadableWorkbook, match="XML entity declarations"):
        inspect_workbook(doctype)
    block = tracker(tmp_path / "block.xlsx", HOSTILE["block-far-below"](tracker_sheet()))
    with pytest.raises(UnreadableWorkbook, match="spans 31,199 rows"):
        inspect_workbook(block, Reading(max_cells=100_000))


def test_ordinary_sheets_are_proven_without_the_regex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The speed is real: an ordinary sheet's tags are all proven, so the regex never scans it."""
    for name, value in FAST.items():
        monkeypatch.setattr(safety, name, value)
    found: list[list[int] | None] = []
    original = safety._unusual_candidates

    def record(*args: Any) -> list[int] | None:
        found.append(original(*args))
        return found[-1]

    monkeypatch.setattr(safety, "_unusual_candidates", record)
    monkeypatch.setattr(safety, "_whole_layout", lambda xml: pytest.fail("the whole sheet was tokenized"))
    source = inspect_workbook(tracker(tmp_path / "plain.xlsx", tracker_sheet()))
    assert source.problems == [] and not source.sanitised
    assert found == [[], []]  # both sheets, every tag proven
    found.clear()
    inspect_workbook(tracker(tmp_path / "odd.xlsx", HOSTILE["unknown-ending-everywhere"](tracker_sheet())))
    assert found == [[], []]  # endings it had not seen are learned, once the regex's own rule accepts them


# --------------------------------------------------------------------------- the background thread


def _patch_directory(data: bytes, name: str, **fields: int) -> bytes:
    """Rewrite a member's CRC or size in the central directory."""
    patched = bytearray(data)
    offsets = {"crc": 16, "size": 24}
    position = 0
    while (position := bytes(patched).find(b"PK\x01\x02", position)) >= 0:
        length = int.from_bytes(patched[position + 28 : position + 30], "little")
        if bytes(patched[position + 46 : position + 46 + length]) == name.encode():
            for field, value in fields.items():
                patched[position + offsets[field] : position + offsets[field] + 4] = value.to_bytes(4, "little")
        position += 4
    return bytes(patched)


@pytest.mark.parametrize(
    ("broken", "fields", "message"),
    [
        ([TOUCHPOINTS], {"crc": 1}, "part 'xl/worksheets/sheet2.xml' fails its CRC check"),
        ([TOUCHPOINTS], {"size": 5}, "part 'xl/worksheets/sheet2.xml' does not match its recorded size"),
        (["xl/styles.xml", TOUCHPOINTS], {"crc": 1}, "part 'xl/styles.xml' fails its CRC check"),
        (["xl/worksheets/sheet1.xml", TOUCHPOINTS], {"crc": 1}, "part 'xl/worksheets/sheet1.xml' fails"),
    ],
)
def test_damaged_parts_are_reported_in_order(
    tmp_path: Path, paths: Callable[..., tuple[Any, Any]], broken: list[str], fields: dict[str, int], message: str
) -> None:
    """Sheets inflate ahead of their turn, but their errors still come in the plain order."""
    path = workbook(
        tmp_path / "damaged.xlsx",
        {"Contacts": contacts_sheet(), "Touchpoints": tracker_sheet()},
        {"xl/styles.xml": b'<styleSheet xmlns="%s"/>' % MAIN.encode()},
    )
    data = path.read_bytes()
    for name in broken:
        data = _patch_directory(data, name, **fields)
    path.write_bytes(data)
    fast, plain = paths(lambda: outcome(path))
    assert fast == plain and fast[0] == "unreadable" and message in fast[1]


def test_corrupt_deflate_stream_in_a_big_sheet(tmp_path: Path, paths: Callable[..., tuple[Any, Any]]) -> None:
    path = tracker(tmp_path / "flipped.xlsx", tracker_sheet())
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(TOUCHPOINTS)
    start = info.header_offset + 30 + len(TOUCHPOINTS)
    for offset in (40, info.compress_size // 2, info.compress_size - 5):
        flipped = bytearray(data)
        flipped[start + offset] ^= 0x5A
        path.write_bytes(bytes(flipped))
        fast, plain = paths(lambda: outcome(path))
        assert fast == plain


def test_a_stored_big_sheet(tmp_path: Path, paths: Callable[..., tuple[Any, Any]]) -> None:
    path = tmp_path / "stored.xlsx"
    tracker(tmp_path / "deflated.xlsx", HOSTILE["stray-XFD1048576"](tracker_sheet()))
    with zipfile.ZipFile(tmp_path / "deflated.xlsx") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info), zipfile.ZIP_STORED)
    fast, plain = paths(lambda: outcome(path))
    assert fast == plain and [problem.cell for problem in fast[2]] == ["XFD1048576"]


# --------------------------------------------------------------------------- the survey and the proof


def _survey(xml: bytes, cuts: list[int]) -> safety._Survey | None:
    scanner = safety._Scanner.start()
    assert scanner is not None
    position = 0
    for cut in sorted(set(cuts)) + [len(xml)]:
        if cut > position and scanner is not None:
            scanner = scanner.feed(xml[position:cut])
            position = cut
    assert scanner is not None
    return scanner.finish(xml)


_FRAGMENTS = st.sampled_from(
    [b"<c", b"<c ", b"<c>", b"<c/", b'<c r="', b"<row", b'<row r="1">', b"</row>", b'r="A1"', b't="e"', b't="', b'"e"',
     b"e", b'"', b"t", b"=", b":c ", b":c\t", b":c>", b":", b"<!", b"<!--", b"!", b"<", b"c", b">", b"A", b"7", b" ", b"x" * 70]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=60), st.lists(st.integers(0, 600), max_size=8), st.sampled_from([8, 64, 4096]))
def test_the_survey_answers_the_byte_searches_exactly(fragments: list[bytes], cuts: list[int], block: int) -> None:
    xml = b"".join(fragments)
    previous = safety._SURVEY_BLOCK
    safety._SURVEY_BLOCK = block
    try:
        survey = _survey(xml, cuts)
    finally:
        safety._SURVEY_BLOCK = previous
    assert survey is not None
    assert survey.bang == xml.find(b"<!")
    assert survey.error_type == (b't="e"' in xml)
    assert survey.prefixed == (safety._PREFIXED_CELL.search(xml) is not None)


def _verification(far: int, lo: int, hi: int) -> re.Pattern[bytes]:
    """The regex _verify builds for a segment."""
    return re.compile(
        rb'<c(?! r="(?:'
        + safety._letters_range(1, far)
        + rb")(?:"
        + safety._digits_range(lo, hi)
        + rb""")"(?:[^<>"'r]++|"[^"]*+")*+>)[\t\r\n />]"""
    )


_TAG_PARTS = st.sampled_from(
    ["<c", " ", "\t", "r", "=", '"', "'", "A", "B", "Z", "a", "0", "1", "5", "9", ">", "/", "<", "s", "t", "e",
     ' r="', ' s="1"', ' t="n"', ' t="inlineStr"', ' cm="1"', ' r="XFD1048576"', ' s=">"', "<v>1</v></c>"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_TAG_PARTS, max_size=12).map("".join), min_size=1, max_size=12),
    st.integers(51, 800),
    st.integers(1, 2_000),
    st.integers(0, 3_000),
    st.integers(0, 200),
)
def test_a_proven_tag_never_matches_the_verification_regex(
    tags: list[str], far: int, lo: int, width: int, cut: int
) -> None:
    """The proof's rule is narrower than the regex's: wherever it proves a tag, the regex finds nothing."""
    hi = lo + width
    body = "".join(f'<c r="{safety._column_letters(1 + i % far)}{lo + i % (width + 1)}" t="n"><v>1</v></c>' + tag for i, tag in enumerate(tags))
    buffer = (body + "</row>" + " " * 64).encode()
    end = max(len(buffer) - cut, 0)
    offsets = np.array([m.start() for m in re.finditer(rb"<c[\t\r\n />]", buffer)], dtype=np.int64)
    tails: dict[bytes, tuple[int, ...]] = {}
    unproven = safety._prove_cells(np, buffer, offsets, far, lo, hi, end, tails)
    assert unproven is not None
    pattern = _verification(far, lo, hi)
    for offset in set(offsets.tolist()) - set(unproven):
        assert pattern.match(buffer, offset, end) is None, buffer[offset : offset + 40]


def _mutate(xml: bytes, rng: random.Random) -> bytes:
    strays = [
        b'<c r="XFD1048576"><v>1</v></c>', b'<c r="xfd1048576"><v>1</v></c>', b'<x:c r="ZZZ9"><v>1</v></x:c>',
        b"<c><v>3</v></c>", b'<c r="A9" r="XFD9"><v>1</v></c>', b'<row r="1048576">', b'<row r="40000">', b"<row>",
        b"</row>", b"<!-- </c> -->", b'<c r="Q0"><v>1</v></c>', b'<c r="BI7" t="e"><v>#REF!</v></c>', b't="e"',
        b'<c r="B7" s="1" cm="1"><v>1</v></c>', b'<c\tr="C4"/>', b":c ", b'<c r="A01"><v>1</v></c>', b"<c",
        b'<c r="AA5" s=">"><v>1</v></c>', b"<c r='B5'><v>1</v></c>", b'<c r="B5" xr:a="1"><v>1</v></c>',
    ]
    return mutate_tags(xml, rng, strays, rounds=5, cut_chance=0.3)


def _guard(xml: bytes, survey: safety._Survey | None, max_cells: int) -> tuple[Any, ...]:
    plain = (xml.find(b"<!") if survey is None else survey.bang) < 0
    try:
        guarded = safety._guard_sheet(xml, "S", safety._SharedStrings(None), max_cells, plain=plain, survey=survey)
    except safety._InvalidReference as exc:
        return ("invalid", str(exc))
    return (guarded.problems, guarded.xml, guarded.rows, guarded.columns)


def test_mangled_sheets_are_guarded_the_same_with_and_without_a_survey() -> None:
    rng = random.Random(20_250_101)
    base = tracker_sheet(300)
    for _ in range(120):
        xml = _mutate(base, rng)
        if safety._DOCTYPE.search(xml):
            continue
        survey = _survey(xml, [rng.randrange(len(xml) + 1) for _ in range(rng.randint(0, 12))])
        assert survey is not None
        for max_cells in (60_000_000, 5_000):
            assert _guard(xml, survey, max_cells) == _guard(xml, None, max_cells)
