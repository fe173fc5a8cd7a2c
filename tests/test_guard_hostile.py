"""Hostile variations of an ordinary sheet: each far value is set aside, each trick caught.

The sheet is a Touchpoints-like sheet as the bench trackers write it; each
variation changes a few bytes the way a hand-edited or hostile file would.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sheetkit.config import Reading
from sheetkit.errors import UnreadableWorkbook
from sheetkit.reading.limits import inspect_workbook
from sheetkit.reading.sheet_xml import sheet_facts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TOUCHPOINTS = "xl/worksheets/sheet2.xml"


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
            b'<?xml version="1.0" encoding="UTF-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
        ),
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
def test_every_variation_is_read_or_refused_in_one_line(tmp_path: Path, case: str) -> None:
    path = tracker(tmp_path / f"{case}.xlsx", HOSTILE[case](tracker_sheet()))
    for reading in (Reading(), Reading(max_cells=4_000)):
        try:
            source = inspect_workbook(path, reading)
        except UnreadableWorkbook as exc:
            assert "\n" not in str(exc) and str(exc).startswith(f"{path}: ")
        else:
            assert all(problem.severity == "warning" for problem in source.problems)


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
def test_the_stray_is_set_aside(tmp_path: Path, case: str, cell: str) -> None:
    source = inspect_workbook(tracker(tmp_path / "hostile.xlsx", HOSTILE[case](tracker_sheet())))
    assert source.sanitised
    assert [problem.cell for problem in source.problems] == [cell]
    with zipfile.ZipFile(io.BytesIO(source._sanitised or b"")) as copy:
        assert cell.encode() not in copy.read(TOUCHPOINTS).upper()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("error-cell", {(300, 8): "#REF!"}),
        ("error-cell-far", {(300, 702): "#N/A"}),
        ("error-type-in-text", {}),
    ],
)
def test_error_cells_are_found(tmp_path: Path, case: str, expected: dict[tuple[int, int], str]) -> None:
    source = inspect_workbook(tracker(tmp_path / "errors.xlsx", HOSTILE[case](tracker_sheet())))
    assert sheet_facts(TOUCHPOINTS, source.parts).error_cells == expected


def test_a_doctype_and_a_grid_too_large_are_refused(tmp_path: Path) -> None:
    doctype = tracker(tmp_path / "dtd.xlsx", HOSTILE["doctype"](tracker_sheet()))
    with pytest.raises(UnreadableWorkbook, match="XML entity declarations"):
        inspect_workbook(doctype)
    block = tracker(tmp_path / "block.xlsx", HOSTILE["block-far-below"](tracker_sheet()))
    with pytest.raises(UnreadableWorkbook, match="spans 31,199 rows"):
        inspect_workbook(block, Reading(max_cells=100_000))


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
def test_damaged_parts_are_reported_in_order(tmp_path: Path, broken: list[str], fields: dict[str, int],
                                             message: str) -> None:
    """Other parts first, then the sheets in workbook order: the first damage found is the one named."""
    path = workbook(
        tmp_path / "damaged.xlsx",
        {"Contacts": contacts_sheet(), "Touchpoints": tracker_sheet()},
        {"xl/styles.xml": b'<styleSheet xmlns="%s"/>' % MAIN.encode()},
    )
    data = path.read_bytes()
    for name in broken:
        data = _patch_directory(data, name, **fields)
    path.write_bytes(data)
    with pytest.raises(UnreadableWorkbook, match="is damaged or incomplete") as raised:
        inspect_workbook(path)
    assert message in str(raised.value)


def test_a_stored_sheet_is_guarded_like_a_deflated_one(tmp_path: Path) -> None:
    path = tmp_path / "stored.xlsx"
    tracker(tmp_path / "deflated.xlsx", HOSTILE["stray-XFD1048576"](tracker_sheet()))
    with zipfile.ZipFile(tmp_path / "deflated.xlsx") as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info), zipfile.ZIP_STORED)
    assert [problem.cell for problem in inspect_workbook(path).problems] == ["XFD1048576"]
