"""inspect_workbook: every bad file gets one clear line, and far stray cells never reach the grid.

Workbooks are built with openpyxl in ``tmp_path`` and their zip parts rewritten
to make each case. Reads that could crash the process (python-calamine aborts
on a huge grid) run in a child process with a memory cap and a timeout.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetkit.config import Reading
from sheetkit.errors import UnreadableWorkbook
from sheetkit.reading import guard, limits
from sheetkit.reading.limits import WorkbookSource, inspect_workbook
from sheetkit.reading.sheet_xml import SharedStrings
from sheetkit.spec import cell_address, column_letter
from xml_mutations import mutate_tags

REPO = Path(__file__).resolve().parent.parent
SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>\n"
)


# --------------------------------------------------------------------------- helpers


def make_workbook(path: Path, rows: int = 5, columns: int = 3, title: str = "Data") -> Path:
    """A workbook with a header row and ``rows`` rows of data, written by openpyxl."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([f"Header {c}" for c in range(1, columns + 1)])
    for r in range(1, rows + 1):
        sheet.append([f"r{r}c{c}" if c % 2 else r * c for c in range(1, columns + 1)])
    book.save(path)
    return path


def rewrite(
    path: Path, changes: dict[str, Callable[[bytes], bytes] | bytes | None], out: Path | None = None
) -> Path:
    """Copy a workbook, replacing, transforming (callable), adding or dropping (None) parts."""
    out = out or path
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    for name, change in changes.items():
        if change is None:
            parts.pop(name, None)
        elif callable(change):
            parts[name] = change(parts[name])
        else:
            parts[name] = change
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    out.write_bytes(buffer.getvalue())
    return out


def add_rows(xml: bytes) -> Callable[[bytes], bytes]:
    """A change that appends raw rows (or any XML) at the end of sheetData."""
    return lambda sheet: sheet.replace(b"</sheetData>", xml + b"</sheetData>")


def unreadable(path: Path, *fragments: str, reading: Reading = Reading()) -> str:
    """Assert inspection fails with one line naming the file and saying what to do; return it."""
    with pytest.raises(UnreadableWorkbook) as raised:
        inspect_workbook(path, reading)
    message = str(raised.value)
    assert "\n" not in message, message
    assert message.startswith(f"{path}: "), message
    assert "; " in message, f"no advice after the semicolon: {message}"
    for fragment in fragments:
        assert fragment in message, message
    return message


_READER = r"""
import json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from python_calamine import CalamineError
from sheetkit.config import Reading
from sheetkit.errors import UnreadableWorkbook
from sheetkit.reading.limits import damaged, inspect_workbook
reading = Reading(max_cells=int(sys.argv[1]))
for line in sys.stdin:
    path = Path(line.strip())
    print(json.dumps({"started": str(path)}), flush=True)
    try:
        source = inspect_workbook(path, reading)
        book = source.open_calamine()
        sheets = {s.name: book.get_sheet_by_name(s.name).to_python() for s in source.sheets if s.kind == "worksheet"}
        result = {"sheets": sheets, "problems": [[p.sheet, p.cell, p.message] for p in source.problems]}
    except UnreadableWorkbook as exc:
        result = {"error": str(exc)}
    except CalamineError as exc:
        result = {"error": str(damaged(path, str(exc)))}
    print(json.dumps({"path": str(path), "result": result}, default=str), flush=True)
"""


def read_in_child(
    paths: list[Path], max_cells: int = Reading.max_cells, timeout: float = 120
) -> dict[str, dict[str, Any]]:
    """Inspect and read every workbook in one child process capped at 2 GiB; fail on a crash or hang."""
    child = subprocess.run(
        [sys.executable, "-c", _READER, str(max_cells)],
        input="\n".join(str(path) for path in paths),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    results: dict[str, dict[str, Any]] = {}
    started = ""
    for line in child.stdout.splitlines():
        record = json.loads(line)
        if "started" in record:
            started = record["started"]
        else:
            results[record["path"]] = record["result"]
    assert child.returncode == 0, f"child died (code {child.returncode}) reading {started}: {child.stderr[-2000:]}"
    return results


# --------------------------------------------------------------------------- what the file is


def test_missing_file(tmp_path: Path) -> None:
    unreadable(tmp_path / "nope.xlsx", "file not found", "check the path")


def test_folder(tmp_path: Path) -> None:
    folder = tmp_path / "tracker.xlsx"
    folder.mkdir()
    unreadable(folder, "is a folder", "give the path of an .xlsx file")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_workbook(tmp_path / "locked.xlsx")
    real_open = Path.open

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)

    # Tests may run as root, where chmod 000 does not stop reading.
    monkeypatch.setattr(Path, "open", denied)
    unreadable(path, "permission denied", "check the file's permissions")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    unreadable(path, "empty (0 bytes)", "save it again")


@pytest.mark.parametrize(
    "content",
    [
        b"Name,Email\nAda,ada@example.org\n",
        b"\xef\xbb\xbfName;Email\r\nZo\xc3\xab;zoe@example.org\r\n",
        "Name\tEmail\r\nAda\tada@example.org\r\n".encode("utf-16"),  # Excel's "Unicode Text"
    ],
    ids=["csv", "semicolons-with-bom", "utf16-tabs"],
)
def test_text_renamed_xlsx(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(content)
    unreadable(path, "text (CSV) file", "save it as Excel Workbook (.xlsx)")


def test_html_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"<html><body><table><tr><td>Name</td></tr></table></body></html>")
    unreadable(path, "web page (HTML)", "save it as Excel Workbook (.xlsx)")


def test_spreadsheetml_2003_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(
        b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/></Workbook>'
    )
    unreadable(path, "Excel 2003 XML", "save it as Excel Workbook (.xlsx)")


def _ole(*streams: str) -> bytes:
    header = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    directory = b"".join((name + "\0").encode("utf-16-le").ljust(128, b"\0") for name in ("Root Entry", *streams))
    return bytes(header) + directory.ljust(512, b"\0")


def test_old_binary_xls(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(_ole("Workbook", "\x05SummaryInformation"))
    unreadable(path, "old binary Excel file (.xls)", "save it as Excel Workbook (.xlsx)")


def test_password_protected(tmp_path: Path) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(_ole("EncryptionInfo", "EncryptedPackage"))
    unreadable(path, "password-protected", "remove the password", "Save As without a password")


def test_opendocument_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "calc.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    unreadable(path, "OpenDocument spreadsheet (.ods)", "save it as Excel Workbook (.xlsx)")


def test_strict_open_xml(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "strict.xlsx")
    rewrite(
        path,
        {
            "xl/workbook.xml": lambda xml: xml.replace(
                MAIN.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main"
            )
        },
    )
    unreadable(path, "Strict Open XML", '"Excel Workbook (.xlsx)"')


def test_word_document(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    unreadable(path, "Word document")


# --------------------------------------------------------------------------- damaged archives


def test_truncated_zip(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "cut.xlsx")
    path.write_bytes(path.read_bytes()[:-200])
    unreadable(path, "damaged or incomplete", "save a new copy")


def _member_data_span(archive_bytes: bytes, name: str) -> tuple[int, int]:
    """Where a member's stored (compressed) bytes lie in the archive."""
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        info = archive.getinfo(name)
    name_length, extra_length = struct.unpack_from("<HH", archive_bytes, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    return start, start + info.compress_size


def test_crc_error(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "crc.xlsx")
    data = bytearray(path.read_bytes())
    start, end = _member_data_span(bytes(data), SHEET)
    data[(start + end) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    unreadable(path, "damaged or incomplete", SHEET)


def _central_entry(data: bytes | bytearray, name: str) -> int:
    """Offset of a member's entry in the zip's central directory."""
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == name.encode():
            return central
        central = data.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{name} not in the central directory")


def _patch_sizes(archive_bytes: bytes, name: str, file_size: int, crc: int) -> bytes:
    """Rewrite a member's declared uncompressed size and CRC in both of its headers."""
    data = bytearray(archive_bytes)
    with zipfile.ZipFile(io.BytesIO(archive_bytes)) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<L", data, info.header_offset + 14, crc)
    struct.pack_into("<L", data, info.header_offset + 22, file_size)
    central = _central_entry(data, name)
    struct.pack_into("<L", data, central + 16, crc)
    struct.pack_into("<L", data, central + 24, file_size)
    return bytes(data)


def test_member_longer_than_declared_is_damaged(tmp_path: Path) -> None:
    """A header that declares less than the stream holds (with the CRC of that prefix) is not silently cut."""
    path = make_workbook(tmp_path / "lying.xlsx", rows=50)
    sheet = zipfile.ZipFile(path).read(SHEET)
    prefix = sheet[: len(sheet) // 2]
    path.write_bytes(_patch_sizes(path.read_bytes(), SHEET, len(prefix), zlib.crc32(prefix)))
    # Python's zipfile alone would accept it and return the prefix.
    assert zipfile.ZipFile(path).read(SHEET) == prefix
    unreadable(path, "damaged or incomplete", "does not match its recorded size")


def test_member_shorter_than_declared_is_damaged(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "short.xlsx")
    sheet = zipfile.ZipFile(path).read(SHEET)
    path.write_bytes(_patch_sizes(path.read_bytes(), SHEET, len(sheet) + 10, zlib.crc32(sheet)))
    unreadable(path, "damaged or incomplete", "does not match its recorded size")


@pytest.mark.parametrize(
    ("part", "detail"),
    [
        ("[Content_Types].xml", "[Content_Types].xml is missing"),
        ("xl/workbook.xml", "xl/workbook.xml is missing"),
        ("xl/_rels/workbook.xml.rels", "workbook.xml.rels is missing"),
        (SHEET, "its part xl/worksheets/sheet1.xml is missing"),
    ],
)
def test_missing_parts(tmp_path: Path, part: str, detail: str) -> None:
    path = rewrite(make_workbook(tmp_path / "parts.xlsx"), {part: None})
    unreadable(path, "damaged or incomplete", detail)


def test_broken_workbook_relationship(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "rels.xlsx"),
        {"xl/workbook.xml": lambda xml: xml.replace(b'r:id="rId1"', b'r:id="rId99"')},
    )
    unreadable(path, "damaged or incomplete", "no link to its part")


def test_malformed_workbook_xml(tmp_path: Path) -> None:
    path = rewrite(make_workbook(tmp_path / "bad.xlsx"), {"xl/workbook.xml": lambda xml: xml[: len(xml) // 2]})
    unreadable(path, "damaged or incomplete", "not well-formed XML")


def test_parts_differing_only_in_case_are_ambiguous(tmp_path: Path) -> None:
    path = rewrite(make_workbook(tmp_path / "twins.xlsx"), {"XL/Worksheets/Sheet1.xml": b"<worksheet/>"})
    unreadable(path, "damaged or incomplete", "two parts")


def test_utf16_sheet_is_refused(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "utf16.xlsx"),
        {SHEET: lambda xml: xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")},
    )
    unreadable(path, "damaged or incomplete", "not UTF-8")


def test_no_worksheets(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "none.xlsx"),
        {"xl/workbook.xml": lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml)},
    )
    unreadable(path, "contains no worksheets")


# --------------------------------------------------------------------------- resource limits


def test_too_many_members(tmp_path: Path) -> None:
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(limits.MAX_MEMBERS + 1):
            archive.writestr(f"x/{index}", b"")
    unreadable(path, "10,001 parts", "save a new copy")


def test_unsupported_compression(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "bz.xlsx")
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data, compress_type=zipfile.ZIP_BZIP2 if name == SHEET else zipfile.ZIP_DEFLATED)
    unreadable(path, "damaged or incomplete", "compression method 12")


def test_zip_encrypted_member(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "zipcrypto.xlsx")
    data = bytearray(path.read_bytes())
    central = _central_entry(data, SHEET)
    struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 0x1)
    path.write_bytes(bytes(data))
    unreadable(path, "password-protected", "remove the password")


def test_total_size_over_the_limit(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "big.xlsx", rows=20_000, columns=4)
    message = unreadable(path, "more than the 1 MiB limit", reading=Reading(max_uncompressed_mb=1))
    assert "`[reading] max_uncompressed_mb` in the --config file" in message
    assert inspect_workbook(path).problems == []


def test_zip_bomb(tmp_path: Path) -> None:
    """A member that inflates 1000:1 is refused from the directory alone, before inflating."""
    path = rewrite(make_workbook(tmp_path / "bomb.xlsx"), {"xl/media/image1.png": bytes(64 * 1024 * 1024)})
    assert path.stat().st_size < 1024 * 1024
    unreadable(path, "zip bomb", "image1.png", reading=Reading(max_uncompressed_mb=4096))


# --------------------------------------------------------------------------- XML entities


def test_billion_laughs_in_workbook_xml(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "laughs.xlsx"),
        {
            "xl/workbook.xml": lambda xml: (
                LAUGHS.encode() + xml.split(b"?>", 1)[-1].replace(b'name="Data"', b'name="&lol9;"')
            )
        },
    )
    unreadable(path, "XML entity declarations", "xl/workbook.xml", "save a clean copy")


def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "laughs.xlsx"),
        {"xl/sharedStrings.xml": (LAUGHS + f'<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>').encode()},
    )
    unreadable(path, "XML entity declarations", "xl/sharedStrings.xml")


def test_external_entity_in_relationships(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "xxe.xlsx"),
        {
            "xl/_rels/workbook.xml.rels": lambda xml: (
                b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + xml
            )
        },
    )
    unreadable(path, "XML entity declarations", "workbook.xml.rels")


def test_doctype_in_worksheet(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "dtd.xlsx"), {SHEET: lambda xml: b'<!doctype worksheet [<!ENTITY a "b">]>' + xml}
    )
    unreadable(path, "XML entity declarations", SHEET)


# --------------------------------------------------------------------------- what a good workbook gives


def test_sheets_states_and_parts_in_workbook_order(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Contacts"
    book.create_sheet("Touchpoints").sheet_state = "hidden"
    book.create_sheet("Lists").sheet_state = "veryHidden"
    book.save(tmp_path / "three.xlsx")
    source = inspect_workbook(tmp_path / "three.xlsx")
    assert [(s.name, s.state, s.kind) for s in source.sheets] == [
        ("Contacts", "visible", "worksheet"),
        ("Touchpoints", "hidden", "worksheet"),
        ("Lists", "veryHidden", "worksheet"),
    ]
    assert [s.part for s in source.sheets] == [f"xl/worksheets/sheet{i}.xml" for i in (1, 2, 3)]
    assert source.problems == [] and not source.sanitised and source.date1904 is False


@pytest.mark.parametrize(("flag", "expected"), [("1", True), ("true", True), ("0", False), ("false", False)])
def test_date1904(tmp_path: Path, flag: str, expected: bool) -> None:
    path = rewrite(
        make_workbook(tmp_path / "mac.xlsx"),
        {
            "xl/workbook.xml": lambda xml: re.sub(
                rb"<workbookPr[^>]*/>", f'<workbookPr date1904="{flag}"/>'.encode(), xml
            )
        },
    )
    assert inspect_workbook(path).date1904 is expected


def test_ordinary_sheets_take_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """openpyxl's and Excel's way of writing sheets never needs the whole sheet tokenized."""
    excel_rows = b"".join(
        b'<row r="%d" spans="1:3" x14ac:dyDescent="0.25"><c r="A%d" s="1"><v>45000</v></c>'
        b'<c r="B%d" t="s"><v>0</v></c><c r="C%d" s="2" t="str"><f>A%d+1</f><v>45001</v></c></row>' % ((r,) * 5)
        for r in range(7, 400)
    )
    openpyxl_path = make_workbook(tmp_path / "openpyxl.xlsx", rows=300, columns=30)
    excel_path = rewrite(make_workbook(tmp_path / "excel.xlsx"), {SHEET: add_rows(excel_rows)})

    def forbidden(xml: bytes) -> object:
        raise AssertionError("the whole sheet was tokenized")

    monkeypatch.setattr(guard, "_whole_layout", forbidden)
    for path in (openpyxl_path, excel_path):
        assert inspect_workbook(path).problems == []


# --------------------------------------------------------------------------- far cells


FAR_CELLS = {
    "XFD1048576": b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
    "A1048576": b'<row r="1048576"><c r="A1048576"><v>42</v></c></row>',
}


def _beside_c5(cell: bytes) -> Callable[[bytes], bytes]:
    """A change that writes a cell into row 5, just before C5."""
    return lambda sheet: sheet.replace(b'<c r="C5"', cell + b'<c r="C5"')


@pytest.fixture
def table_of_200(tmp_path: Path) -> Path:
    return make_workbook(tmp_path / "table.xlsx", rows=199)


@pytest.mark.parametrize("address", ["XFD1048576", "A1048576", "ZZ5"])
def test_far_stray_cell_is_set_aside_and_the_read_is_safe(table_of_200: Path, address: str) -> None:
    change = add_rows(FAR_CELLS[address]) if address in FAR_CELLS else _beside_c5(b'<c r="ZZ5"><v>7</v></c>')
    path = rewrite(table_of_200, {SHEET: change})
    source = inspect_workbook(path)
    assert source.sanitised
    [problem] = source.problems
    assert (problem.severity, problem.sheet, problem.cell) == ("warning", "Data", address)
    assert "far outside the table was set aside" in problem.message
    assert {"XFD1048576": "'x'", "A1048576": "'42'", "ZZ5": "'7'"}[address] in problem.message

    result = read_in_child([path])[str(path)]
    rows = result["sheets"]["Data"]
    assert len(rows) == 200 and len(rows[0]) == 3
    assert rows[0] == ["Header 1", "Header 2", "Header 3"] and rows[199][0] == "r199c1"
    assert [cell for _, cell, _ in result["problems"]] == [address]


@pytest.mark.parametrize(
    "stray",
    [
        pytest.param(b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>', id="lowercase-reference"),
        pytest.param(b'<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>', id="namespace-prefix"),
        pytest.param(
            b'<row r="1048576"><c t="n" s="0" r="XFD1048576"><v>1</v></c></row>', id="attributes-reordered"
        ),
        pytest.param(b'<row r="9"><c r="A9" r="XFD1048576"><v>1</v></c></row>', id="duplicate-r"),
        pytest.param(b'<row r="9"><c r = "XFD1048576" ><v>1</v></c></row>', id="spaces-around-equals"),
        pytest.param(b"<row r='1048576'><c r='XFD1048576'><v>1</v></c></row>", id="single-quotes"),
        pytest.param(b'<row r="1048576"><c><v>1</v></c><c><v>2</v></c></row>', id="cells-without-r"),
        pytest.param(b'<row r="9"><c r="A9" s=">" r="XFD1048576"><v>1</v></c></row>', id="angle-in-attribute"),
        pytest.param(b'<!-- note --><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', id="with-a-comment"),
        pytest.param(
            b'<row r="1048576"><c r="XFD1048576"><!-- </c> --><v>1</v></c></row>', id="end-tag-in-comment"
        ),
        pytest.param(
            b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>', id="empty-string"
        ),
        pytest.param(b'<row r="1048576"><c r="XFD1048576" t="str"><f>1+1</f><v></v></c></row>', id="formula"),
    ],
)
def test_far_cells_in_every_dialect(tmp_path: Path, stray: bytes) -> None:
    """However the cell is spelled, python-calamine would place it far away; so must the guard."""
    path = rewrite(make_workbook(tmp_path / "odd.xlsx", rows=8), {SHEET: add_rows(stray)})
    source = inspect_workbook(path)
    assert source.sanitised and source.problems
    assert all(p.cell.endswith("1048576") for p in source.problems)
    result = read_in_child([path])[str(path)]
    assert len(result["sheets"]["Data"]) == 9, result


def test_blank_formatted_far_cell_needs_no_copy(tmp_path: Path) -> None:
    path = rewrite(
        make_workbook(tmp_path / "styled.xlsx"),
        {SHEET: add_rows(b'<row r="1048576"><c r="XFD1048576" s="1"/></row>')},
    )
    source = inspect_workbook(path)
    assert source.problems == [] and not source.sanitised


def test_many_strays_are_summed_up(tmp_path: Path) -> None:
    strays = b"".join(b'<row r="%d"><c r="B%d"><v>%d</v></c></row>' % (r, r, r) for r in range(500_000, 500_030))
    path = rewrite(make_workbook(tmp_path / "many.xlsx"), {SHEET: add_rows(strays)})
    problems = inspect_workbook(path).problems
    assert len(problems) == guard.LISTED_STRAYS + 1
    assert [p.cell for p in problems[:2]] == ["B500000", "B500001"]
    assert problems[-1].cell == "" and problems[-1].message.startswith("and 10 more stray values")
    assert "B500020 to B500029" in problems[-1].message


def test_a_real_block_far_below_is_kept_and_counts_toward_the_grid(tmp_path: Path) -> None:
    block = b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c><c r="B%d"><v>2</v></c></row>' % (r, r, r)
        for r in range(30_000, 30_600)
    )
    path = rewrite(make_workbook(tmp_path / "block.xlsx"), {SHEET: add_rows(block)})
    source = inspect_workbook(path)
    assert source.problems == [] and not source.sanitised
    message = unreadable(path, "sheet 'Data' spans 30,599 rows", reading=Reading(max_cells=50_000))
    assert "`[reading] max_cells` in the --config file" in message


def test_grid_too_large_without_strays(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "wide.xlsx", rows=99, columns=5)
    unreadable(path, "100 rows x 5 columns", "delete unused rows and columns", reading=Reading(max_cells=499))
    assert inspect_workbook(path, Reading(max_cells=500)).problems == []


@pytest.mark.parametrize("dimension", [b'<dimension ref="A1"/>', b'<dimension ref="A1:XFD1048576"/>'])
def test_wrong_dimension_changes_nothing(tmp_path: Path, dimension: bytes) -> None:
    path = rewrite(
        make_workbook(tmp_path / "dim.xlsx"), {SHEET: lambda xml: re.sub(rb"<dimension[^>]*/>", dimension, xml)}
    )
    source = inspect_workbook(path)
    assert source.problems == [] and not source.sanitised
    assert len(read_in_child([path])[str(path)]["sheets"]["Data"]) == 6


def test_sanitised_copy_keeps_everything_else(tmp_path: Path) -> None:
    path = rewrite(make_workbook(tmp_path / "keep.xlsx"), {SHEET: add_rows(FAR_CELLS["XFD1048576"])})
    source = inspect_workbook(path)
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(io.BytesIO(source._sanitised or b"")) as copy:
        assert original.namelist() == copy.namelist()
        for name in original.namelist():
            if name != SHEET:
                assert original.read(name) == copy.read(name)
        sheet = copy.read(SHEET)
    assert b"XFD1048576" not in sheet and b'<row r="1048576"' not in sheet
    assert sheet == zipfile.ZipFile(path).read(SHEET).replace(FAR_CELLS["XFD1048576"], b"")


def test_open_calamine_reads_the_file_when_nothing_was_set_aside(tmp_path: Path) -> None:
    source = inspect_workbook(make_workbook(tmp_path / "plain.xlsx"))
    assert isinstance(source, WorkbookSource) and not source.sanitised
    rows = source.open_calamine().get_sheet_by_name("Data").to_python()
    assert rows[1] == ["r1c1", 2.0, "r1c3"]


# --------------------------------------------------------------------------- the guard's two paths agree


_cells = st.lists(
    st.tuples(
        st.one_of(st.integers(1, 40), st.integers(1, guard.MAX_ROW)),
        st.one_of(st.integers(1, 8), st.integers(1, guard.MAX_COLUMN)),
        st.sampled_from(["value", "styled", "formula"]),
    ),
    min_size=1,
    max_size=40,
)


def _render(cells: list[tuple[int, int, str]]) -> bytes:
    by_row: dict[int, dict[int, str]] = {}
    for row, column, kind in cells:
        by_row.setdefault(row, {})[column] = kind
    body = []
    for row in sorted(by_row):
        parts = []
        for column, kind in sorted(by_row[row].items()):
            reference = f"{column_letter(column)}{row}"
            parts.append(
                {
                    "value": f'<c r="{reference}" s="1"><v>{row}</v></c>',
                    "styled": f'<c r="{reference}" s="1"/>',
                    "formula": f'<c r="{reference}" t="str"><f>A1</f><v>x</v></c>',
                }[kind]
            )
        body.append(f'<row r="{row}" spans="1:3">' + "".join(parts) + "</row>")
    return f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(body)}</sheetData></worksheet>'.encode()


@settings(max_examples=150, deadline=None)
@given(_cells)
def test_fast_and_exact_paths_set_aside_the_same_cells(cells: list[tuple[int, int, str]]) -> None:
    xml = _render(cells)
    strings = SharedStrings(None)
    fast = guard._decide(xml, "S", guard._fast_layout(xml), strings, 10**12)
    exact = guard._decide(xml, "S", guard._whole_layout(xml), strings, 10**12)
    assert [p.cell for p in fast.problems] == [p.cell for p in exact.problems]
    assert fast.xml == exact.xml
    assert fast.rows >= exact.rows and fast.columns >= exact.columns
    final = {(row, column): kind for row, column, kind in cells}  # the last cell written at a place wins
    set_aside = {p.cell for p in exact.problems}
    kept = [
        row
        for (row, column), kind in final.items()
        if kind != "styled" and cell_address(column, row) not in set_aside
    ]
    if len(set_aside) == len(exact.problems):  # every stray is listed by name
        assert exact.rows == max(kept, default=0)


@given(st.integers(1, guard.MAX_ROW), st.integers(0, 3000))
def test_digit_ranges_match_exactly(lo: int, width: int) -> None:
    hi = min(lo + width, guard.MAX_ROW)
    pattern = re.compile(b"(?:" + guard._digits_range(lo, hi) + b")")
    for number in {lo - 1, lo, lo + 1, (lo + hi) // 2, hi - 1, hi, hi + 1, 10 ** len(str(hi)), 7}:
        assert bool(pattern.fullmatch(str(number).encode())) == (lo <= number <= hi), number


@given(st.integers(1, guard.MAX_COLUMN), st.integers(1, guard.MAX_COLUMN))
def test_letter_ranges_match_exactly(first: int, second: int) -> None:
    lo, hi = sorted((first, second))
    pattern = re.compile(b"(?:" + guard._letters_range(lo, hi) + b")")
    for column in {1, 26, 27, 702, 703, lo - 1, lo, lo + 1, hi - 1, hi, hi + 1, guard.MAX_COLUMN}:
        if 1 <= column <= guard.MAX_COLUMN:
            assert bool(pattern.fullmatch(column_letter(column).encode())) == (lo <= column <= hi)


# --------------------------------------------------------------------------- fuzzing


@pytest.fixture(scope="module")
def fuzz_base(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = make_workbook(tmp_path_factory.mktemp("fuzz") / "base.xlsx", rows=30)
    return rewrite(path, {SHEET: add_rows(FAR_CELLS["XFD1048576"])}).read_bytes()


def _inspect_or_refuse(path: Path) -> WorkbookSource | None:
    """Inspection either succeeds or raises UnreadableWorkbook with one line; nothing else."""
    try:
        return inspect_workbook(path, Reading(max_cells=100_000))
    except UnreadableWorkbook as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}: ")
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0))
def test_fuzz_truncated_archives(tmp_path: Path, fuzz_base: bytes, cut: int) -> None:
    path = tmp_path / "cut.xlsx"
    path.write_bytes(fuzz_base[: cut % len(fuzz_base)])
    assert _inspect_or_refuse(path) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=4))
def test_fuzz_flipped_bytes_in_the_deflated_sheet(
    tmp_path: Path, fuzz_base: bytes, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(fuzz_base)
    start, end = _member_data_span(fuzz_base, SHEET)
    for offset, mask in flips:
        data[start + offset % (end - start)] ^= mask
    path = tmp_path / "flipped.xlsx"
    path.write_bytes(bytes(data))
    source = _inspect_or_refuse(path)
    if source is not None:  # only if the flips cancelled out
        source.open_calamine().get_sheet_by_name("Data").to_python()


_STRAYS = [
    b'<c r="XFD1048576"><v>1</v></c>',
    b'<c r="xfd1048576"><v>1</v></c>',
    b'<x:c r="ZZZ9"><v>1</v></x:c>',
    b'<c r="A1048576" t="inlineStr"><is><t>far</t></is></c>',
    b"<c><v>3</v></c>",
    b'<c r="A9" r="XFD9"><v>1</v></c>',
    b'<row r="1048576">',
    b'<row r="40000">',
    b"<row>",
    b"</row>",
    b"<!-- </c> -->",
    b'<c r="Q0"><v>1</v></c>',
]


def _mutate(xml: bytes, rng: random.Random) -> bytes:
    """Shuffle, cut, duplicate and splice the tags of a sheet, sometimes adding far cells."""
    return mutate_tags(xml, rng, _STRAYS)


def test_fuzz_shuffled_and_cut_sheet_xml(tmp_path: Path, fuzz_base: bytes) -> None:
    """Mangled sheet XML is refused with one line or read safely; the child must never crash."""
    base = tmp_path / "base.xlsx"
    base.write_bytes(fuzz_base)
    xml = zipfile.ZipFile(base).read(SHEET)
    rng = random.Random(20_261_122)
    paths = [rewrite(base, {SHEET: _mutate(xml, rng)}, tmp_path / f"mangled{index}.xlsx") for index in range(150)]
    results = read_in_child(paths, max_cells=200_000, timeout=300)
    assert len(results) == len(paths)
    for path, result in results.items():
        if "error" in result:
            assert "\n" not in result["error"] and result["error"].startswith(f"{path}: ")
        else:
            assert all(len(rows) <= 1_048_576 for rows in result["sheets"].values())
