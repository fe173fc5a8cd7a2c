"""Look at an untrusted .xlsx before any reader touches it.

Workbooks come back from students' machines and staff read hundreds at once,
so one bad file must cost one clear error line, never the whole run.
:func:`inspect_workbook` checks a file in three stages:

1. **What it is.** Missing, empty, a folder, text or CSV, HTML, Excel 2003
   XML, old binary .xls, password-protected (an OLE2 container), OpenDocument,
   Strict Open XML, or a damaged zip each get their own one-line
   :class:`~sheetkit.errors.UnreadableWorkbook` saying what to do.
2. **Resource limits, before inflating anything.** The zip's member count,
   compression methods, total declared size and per-member compression ratio
   (a zip bomb) are checked from the directory alone. Every member is then
   inflated by our own bounded code, which never produces more than the
   declared size and insists that the deflate stream ends exactly there with
   the right CRC, so python-calamine (reading the same file) cannot be handed
   a member that secretly inflates further. XML parts with a ``<!DOCTYPE`` or
   ``<!ENTITY`` are refused.
3. **Far cells.** python-calamine allocates the whole rectangle from A1 to the
   farthest value and aborts the process (uncatchable) when that is
   XFD1048576. Every sheet part is scanned as bytes, without building a grid,
   for values far outside the table (the rule is in :func:`_guard_sheet`);
   those are set aside with a warning and python-calamine gets a sanitised
   in-memory copy. A sheet whose remaining grid is still larger than
   ``[reading] max_cells`` is refused.
"""

from __future__ import annotations

import bisect
import io
import itertools
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, TYPE_CHECKING, TypeVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from sheetkit.config import Reading
from sheetkit.errors import Problem, UnreadableWorkbook

if TYPE_CHECKING:
    import numpy as np
    from python_calamine import CalamineWorkbook

_T = TypeVar("_T")

__all__ = ["SheetInfo", "WorkbookSource", "damaged", "inspect_workbook"]

#: A workbook has a few dozen parts; ten thousand is far beyond any real one.
MAX_MEMBERS = 10_000
#: A member that inflates more than this many times its stored size ...
BOMB_RATIO = 200
#: ... to more than this many bytes is a zip bomb. Real sheet XML compresses 10-20:1.
BOMB_MIN_BYTES = 4 * 1024 * 1024
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

_MIB = 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_SAMPLE_STEP = 64 * 1024
#: Bytes of central directory allowed per member: the fixed header plus a long name.
_DIRECTORY_BYTES_PER_MEMBER = 46 + 1024

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_OPENDOCUMENT = b"application/vnd.oasis.opendocument"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_STRICT_NAMESPACE = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_SHEET_KINDS = {"worksheets": "worksheet", "chartsheets": "chartsheet", "dialogsheets": "dialogsheet"}
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SAVE_AS_XLSX = "open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)"

# What zipfile.ZipFile raises for archives it cannot open (UnicodeDecodeError is a ValueError).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, OSError)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END_OF_DIRECTORY = struct.Struct("<4sQ2H2L4Q")

_DOCTYPE = re.compile(rb"<!\s*(?i:DOCTYPE|ENTITY)")
# python-calamine matches element local names, so <x:c> is a cell too.
_PREFIXED_CELL = re.compile(rb":c[\t\r\n />]")
_ANY_CELL = re.compile(rb"<c[\t\r\n />]")
_ROW_START = re.compile(rb'<row r="([0-9]{1,7})"')
# The start of a construct the tokenizer must step over or act on.
_TOKEN = re.compile(rb"<(?:(!--)|(!\[CDATA\[)|(\?)|(/?)(?:[^\s/<>:]*:)?(sheetData|row|c)(?=[\s/>]))")
_CONSTRUCT_ENDS = (b"-->", b"]]>", b"?>")
_TAG_REST = re.compile(rb"""((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_ATTRIBUTE = re.compile(rb"""([^\s=/>"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REFERENCE = re.compile(rb"([A-Za-z]*)([0-9]+)")
_PREFIX = rb"(?:[^\s/<>:]*:)?"
_TEXT = re.compile(rb"<" + _PREFIX + rb"t(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"t\s*>", re.S)
_VALUE = re.compile(rb"<" + _PREFIX + rb"v(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"v\s*>", re.S)
_FORMULA = re.compile(rb"<" + _PREFIX + rb"f(?:\s[^>]*)?>(.*?)</" + _PREFIX + rb"f\s*>", re.S)
_INLINE_STRING = re.compile(rb"<" + _PREFIX + rb"is[\s/>]")
_PHONETIC = re.compile(rb"<" + _PREFIX + rb"rPh\b.*?</" + _PREFIX + rb"rPh\s*>", re.S)
_SHARED_STRING = re.compile(rb"<" + _PREFIX + rb"si(?:\s[^>]*)?(?:/>|>(.*?)</" + _PREFIX + rb"si\s*>)", re.S)
_ENTITY = re.compile(rb"&(#x[0-9A-Fa-f]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);")
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"', b"apos": "'"}
_ERROR_TYPE = b't="e"'
_ERROR_CELL = re.compile(
    rb"<" + rb"(?:[^\s/<>:]*:)?" + rb"c\s([^>]*?\bt=\"e\"[^>]*)>(.*?)</(?:[^\s/<>:]*:)?c\s*>", re.S
)
_CELL_REFERENCE = re.compile(rb'\br="([A-Za-z]{1,3}[0-9]{1,7})"')


# --------------------------------------------------------------------------- public API


@dataclass
class SheetInfo:
    """One sheet as listed in xl/workbook.xml, with the zip member holding it."""

    name: str
    part: str  # zip member, e.g. "xl/worksheets/sheet2.xml"
    state: str  # "visible" | "hidden" | "veryHidden"

    @property
    def kind(self) -> str:
        """``"worksheet"``, ``"chartsheet"`` or ``"dialogsheet"``, from the part's folder."""
        return _SHEET_KINDS[_normal(self.part).split("/")[1]]


@dataclass
class WorkbookSource:
    """An inspected workbook, safe to hand to python-calamine through :meth:`open_calamine`."""

    path: Path
    sheets: list[SheetInfo]  # workbook order
    date1904: bool
    problems: list[Problem]  # warnings, e.g. stray cells set aside
    _sanitised: bytes | None = field(default=None, repr=False, compare=False)
    #: Sheet name -> {cell address: error text such as "#REF!"}. python-calamine reads error
    #: cells as empty strings, so the reader learns of them here and reports them by address.
    error_cells: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def sanitised(self) -> bool:
        """True when stray cells were set aside and python-calamine reads an in-memory copy."""
        return self._sanitised is not None

    def open_calamine(self) -> CalamineWorkbook:
        """Open the workbook with python-calamine: the file itself, or the sanitised copy."""
        from python_calamine import CalamineWorkbook

        if self._sanitised is None:
            return CalamineWorkbook.from_path(str(self.path))
        return CalamineWorkbook.from_filelike(io.BytesIO(self._sanitised))


def _error_cells(xml: bytes) -> dict[str, str]:
    """Address -> error text (``#REF!``, ``#N/A`` ...) of every error-typed cell in a sheet."""
    found: dict[str, str] = {}
    for attributes, body in _ERROR_CELL.findall(xml):
        reference = _CELL_REFERENCE.search(attributes)
        value = _VALUE.search(body)
        if reference:
            text = value.group(1).decode("utf-8", "replace").strip() if value else "#ERROR"
            found[reference.group(1).decode().upper()] = text
    return found


def damaged(path: Path, detail: str) -> UnreadableWorkbook:
    """The one-line error for a damaged or incomplete workbook.

    The reader can use it for what python-calamine still cannot read after
    inspection: ``except CalamineError as exc: raise damaged(path, str(exc)) from None``.
    """
    detail = " ".join(detail.split())
    return UnreadableWorkbook(
        f"{path}: is damaged or incomplete ({detail}); open it in Excel or LibreOffice and save a new copy"
    )


def inspect_workbook(path: Path, reading: Reading = Reading()) -> WorkbookSource:
    """Check an untrusted .xlsx and say how python-calamine may read it safely.

    Raises :class:`UnreadableWorkbook` with a one-line ``"{path}: <what>; <what to do>"``
    message for anything that is not a readable, reasonably sized .xlsx.
    Far stray cells are not an error: they are set aside, listed in
    ``problems``, and :meth:`WorkbookSource.open_calamine` reads a sanitised copy.

    Example::

        source = inspect_workbook(Path("tracker.xlsx"))
        rows = source.open_calamine().get_sheet_by_name("Contacts").to_python()
    """
    head = _read_head(path)
    if not head.startswith(_ZIP_MAGICS):
        raise _not_a_zip(path, head)
    with path.open("rb") as file:
        _check_directory_size(path, file)
        try:
            archive = zipfile.ZipFile(file)
        except _ZIP_ERRORS as exc:
            raise damaged(path, f"not a complete zip archive: {exc}") from None
        with archive:
            return _Package(path, file, archive, reading).inspect()


# --------------------------------------------------------------------------- what the file is


def _read_head(path: Path) -> bytes:
    """The first bytes of the file, after the checks that need no content."""
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise UnreadableWorkbook(f"{path}: file not found; check the path and the file name") from None
    except IsADirectoryError:
        raise UnreadableWorkbook(f"{path}: is a folder, not a workbook; give the path of an .xlsx file") from None
    except PermissionError:
        raise UnreadableWorkbook(
            f"{path}: cannot be read (permission denied); check the file's permissions, "
            "or close it in other programs, and try again"
        ) from None
    except OSError as exc:
        raise UnreadableWorkbook(
            f"{path}: cannot be read ({exc.strerror or exc}); copy it to a local folder and try again"
        ) from None
    if not head:
        raise UnreadableWorkbook(
            f"{path}: is empty (0 bytes), so it was not saved or copied completely; "
            "save it again from Excel or LibreOffice"
        )
    return head


def _not_a_zip(path: Path, head: bytes) -> UnreadableWorkbook:
    """Say what a file that is not a zip archive is, and how to turn it into an .xlsx."""
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_package(path):
            return UnreadableWorkbook(
                f"{path}: is password-protected (encrypted); open it in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it, or Save As "
                "without a password) and try again"
            )
        return UnreadableWorkbook(
            f"{path}: is an old binary Excel file (.xls), not an .xlsx workbook; {_SAVE_AS_XLSX}"
        )
    if head.startswith(b"%PDF"):
        return UnreadableWorkbook(f"{path}: is a PDF document, not an Excel workbook; {_SAVE_AS_XLSX}")
    text = _as_text(head)
    if text is None:
        return UnreadableWorkbook(
            f"{path}: is not an Excel .xlsx workbook (unrecognised content); {_SAVE_AS_XLSX}"
        )
    lowered = text.lstrip().lower()
    if lowered.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in lowered or 'progid="excel.sheet"' in lowered:
            return UnreadableWorkbook(
                f"{path}: is an Excel 2003 XML spreadsheet (SpreadsheetML), not an .xlsx workbook; {_SAVE_AS_XLSX}"
            )
        if any(marker in lowered for marker in ("<html", "<!doctype html", "<table", "<body")):
            return UnreadableWorkbook(
                f"{path}: is a web page (HTML) with an .xlsx name, not a workbook; {_SAVE_AS_XLSX}"
            )
        return UnreadableWorkbook(f"{path}: is an XML file, not an Excel .xlsx workbook; {_SAVE_AS_XLSX}")
    if any(mark in text for mark in ",;\t\n"):
        return UnreadableWorkbook(
            f"{path}: is a text (CSV) file with an .xlsx name, not a workbook; "
            "open it in a spreadsheet program and save it as Excel Workbook (.xlsx)"
        )
    return UnreadableWorkbook(f"{path}: is not an Excel .xlsx workbook (unrecognised content); {_SAVE_AS_XLSX}")


def _as_text(head: bytes) -> str | None:
    """The head decoded as text, or None when it looks binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        text = head[2 : len(head) - len(head) % 2].decode(encoding, "replace")
    elif b"\x00" in head:
        return None
    else:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\r\n\f")
    return None if controls > len(text) // 100 else text


def _is_encrypted_package(path: Path) -> bool:
    """Whether an OLE2 file holds the streams of an encrypted Office Open XML package.

    The OLE2 directory stores stream names in UTF-16LE; finding those names in
    the bytes tells Office encryption apart from an old .xls.
    """
    overlap = max(len(name) for name in _ENCRYPTION_STREAMS)
    tail = b""
    with path.open("rb") as file:
        while block := file.read(_MIB):
            window = tail + block
            if any(name in window for name in _ENCRYPTION_STREAMS):
                return True
            tail = window[-overlap:]
    return False


def _check_directory_size(path: Path, file: IO[bytes]) -> None:
    """Refuse a zip whose directory lists too many members, before Python parses it.

    Reads the end-of-central-directory record (and its Zip64 form) directly,
    so a directory of millions of entries is refused without building them.
    A missing record is left for :class:`zipfile.ZipFile` to report.
    """
    size = file.seek(0, io.SEEK_END)
    file.seek(max(0, size - (_END_OF_DIRECTORY.size + 65_535)))
    tail = file.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _END_OF_DIRECTORY.size:
        return
    entries, directory_size = _END_OF_DIRECTORY.unpack_from(tail, at)[4:6]
    locator_at = at - _ZIP64_LOCATOR.size
    if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and locator_at >= 0:
        signature, _, record_offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator_at)
        if signature == b"PK\x06\x07":
            file.seek(record_offset)
            record = file.read(_ZIP64_END_OF_DIRECTORY.size)
            if len(record) == _ZIP64_END_OF_DIRECTORY.size and record.startswith(b"PK\x06\x06"):
                entries, directory_size = _ZIP64_END_OF_DIRECTORY.unpack(record)[7:9]
    if entries > MAX_MEMBERS or directory_size > MAX_MEMBERS * _DIRECTORY_BYTES_PER_MEMBER:
        raise _too_many_members(path, entries)


def _too_many_members(path: Path, count: int) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"{path}: holds {count:,} parts, far more than a workbook has (at most {MAX_MEMBERS:,} are accepted); "
        "open it in Excel or LibreOffice and save a new copy"
    )


def _entity_error(path: Path, part: str) -> UnreadableWorkbook:
    return UnreadableWorkbook(
        f"{path}: contains XML entity declarations (in {part}), which sheetkit refuses for safety; "
        "save a clean copy from Excel or LibreOffice"
    )


# --------------------------------------------------------------------------- the package


class _Package:
    """The zip archive of one workbook, read through bounded, verified inflation."""

    def __init__(self, path: Path, file: IO[bytes], archive: zipfile.ZipFile, reading: Reading) -> None:
        self.path = path
        self.file = file
        self.archive = archive
        self.reading = reading
        self.size = file.seek(0, io.SEEK_END)
        self.members: dict[str, zipfile.ZipInfo] = {}
        #: xl/sharedStrings.xml as inflated and checked with the other parts, so it is inflated once.
        self.inflated_shared_strings: bytes | None = None

    def inspect(self) -> WorkbookSource:
        """Run every check in order and build the :class:`WorkbookSource`."""
        infos = self.archive.infolist()
        self._check_names(infos)
        self._check_opendocument()
        self._check_limits(infos)
        self._check_required_parts()
        workbook = self._parse_xml("xl/workbook.xml")
        if workbook.tag.startswith("{" + _STRICT_NAMESPACE + "}"):
            raise UnreadableWorkbook(
                f"{self.path}: is saved as Strict Open XML, which sheetkit cannot read; open it in Excel "
                'and save it as "Excel Workbook (.xlsx)", not "Strict Open XML Spreadsheet"'
            )
        if _local_name(workbook.tag) != "workbook":
            raise damaged(self.path, "xl/workbook.xml is not a workbook")
        sheets = self._sheets(workbook, self._relationships())
        if not any(sheet.kind == "worksheet" for sheet in sheets):
            raise UnreadableWorkbook(
                f"{self.path}: contains no worksheets; check that this is the right file, "
                "or add a worksheet in Excel and save it again"
            )
        # Inflate every member once, so none can hold more than its directory entry declares
        # when python-calamine reads the file; sheets are inflated below, for the guard.
        # Big sheets start inflating now, in background threads, while the rest is checked.
        sheet_parts = {sheet.part for sheet in sheets}
        parts = list(dict.fromkeys(sheet.part for sheet in sheets))
        ahead = _Prefetch(self, [self.members[_normal(part)] for part in parts])
        try:
            shared_info = self.members.get("xl/sharedstrings.xml")
            for info in infos:
                if info.filename not in sheet_parts:
                    data = self.inflate(info)
                    self._check_xml_text(info.filename, data)
                    if info is shared_info:
                        self.inflated_shared_strings = data
            shared_strings = _SharedStrings(self._optional("xl/sharedStrings.xml"))
            problems: list[Problem] = []
            replaced: dict[str, bytes] = {}
            error_cells: dict[str, dict[str, str]] = {}
            for part in parts:
                name = next(sheet.name for sheet in sheets if sheet.part == part)
                xml, survey = ahead.take(self.members[_normal(part)])
                declarations = self._check_xml_text(part, xml, survey)
                if survey.error_type if survey is not None else _ERROR_TYPE in xml:
                    error_cells[name] = _error_cells(xml)
                try:
                    guarded = _guard_sheet(
                        xml, name, shared_strings, self.reading.max_cells, plain=not declarations, survey=survey
                    )
                except _InvalidReference as exc:
                    raise damaged(self.path, f"sheet {name!r} has an invalid cell reference {exc}") from None
                del xml, survey
                problems.extend(guarded.problems)
                if guarded.xml is not None:
                    replaced[part] = guarded.xml
                if guarded.cells > self.reading.max_cells:
                    raise UnreadableWorkbook(
                        f"{self.path}: sheet {name!r} spans {guarded.rows:,} rows x {guarded.columns:,} columns "
                        f"({guarded.cells:,} cells), more than the {self.reading.max_cells:,} cell limit; delete unused "
                        "rows and columns far from the table, or raise `[reading] max_cells` in the --config file"
                    )
        finally:
            ahead.close()
        return WorkbookSource(
            path=self.path,
            sheets=sheets,
            date1904=_date1904(workbook),
            problems=problems,
            _sanitised=self._rebuild(infos, replaced) if replaced else None,
            error_cells=error_cells,
        )

    # ---- the zip directory, checked before anything is inflated

    def _check_names(self, infos: list[zipfile.ZipInfo]) -> None:
        if len(infos) > MAX_MEMBERS:
            raise _too_many_members(self.path, len(infos))
        for info in infos:
            key = _normal(info.filename)
            if key in self.members:
                # python-calamine finds parts ignoring case and slash style; two candidates are ambiguous.
                raise damaged(self.path, f"two parts are both named {info.filename!r}")
            self.members[key] = info

    def _check_opendocument(self) -> None:
        info = self.members.get("mimetype")
        if info is None or "[content_types].xml" in self.members or info.file_size > 200:
            return
        mimetype = self.inflate(info)
        if mimetype.startswith(_ODS_MIMETYPE):
            raise UnreadableWorkbook(
                f"{self.path}: is an OpenDocument spreadsheet (.ods), not an .xlsx workbook; "
                "open it in LibreOffice or Excel and save it as Excel Workbook (.xlsx)"
            )
        if mimetype.startswith(_OPENDOCUMENT):
            raise UnreadableWorkbook(
                f"{self.path}: is an OpenDocument file, not an Excel workbook; check that this is the right file"
            )

    def _check_limits(self, infos: list[zipfile.ZipInfo]) -> None:
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise UnreadableWorkbook(
                    f"{self.path}: has password-protected (zip-encrypted) parts; open it in Excel or "
                    "LibreOffice, remove the password and save a new copy"
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise damaged(
                    self.path,
                    f"part {info.filename!r} uses compression method {info.compress_type}, which Excel never writes",
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > BOMB_MIN_BYTES and ratio > BOMB_RATIO:
                raise UnreadableWorkbook(
                    f"{self.path}: looks like a zip bomb (part {info.filename!r} would expand {ratio:,.0f}:1 to "
                    f"{info.file_size / _MIB:,.0f} MiB), which sheetkit refuses for safety; if it is a genuine "
                    "workbook, open it in Excel or LibreOffice and save a new copy"
                )
            total += info.file_size
        limit = self.reading.max_uncompressed_mb
        if total > limit * _MIB:
            raise UnreadableWorkbook(
                f"{self.path}: would expand to {total / _MIB:,.0f} MiB, more than the {limit:,} MiB limit; "
                "if the workbook is genuine, raise `[reading] max_uncompressed_mb` in the --config file"
            )

    def _check_required_parts(self) -> None:
        if "xl/workbook.xml" in self.members and "[content_types].xml" in self.members:
            return
        if "word/document.xml" in self.members:
            raise UnreadableWorkbook(
                f"{self.path}: is a Word document, not an Excel workbook; check that this is the right file"
            )
        if "ppt/presentation.xml" in self.members:
            raise UnreadableWorkbook(
                f"{self.path}: is a PowerPoint presentation, not an Excel workbook; check that this is the right file"
            )
        missing = "[Content_Types].xml" if "[content_types].xml" not in self.members else "xl/workbook.xml"
        raise damaged(self.path, f"{missing} is missing")

    # ---- reading members

    def inflate(self, info: zipfile.ZipInfo) -> bytes:
        """A member's bytes, never more than its declared size, verified complete and intact.

        Python's zipfile stops at the declared size but python-calamine's zip
        reader does not, so the deflate stream must end exactly at the declared
        size, with the declared CRC, or the file is called damaged.
        """
        return self._inflate_raw(info, self._read_raw(info))

    def _read_raw(self, info: zipfile.ZipInfo) -> bytes:
        """The stored (compressed) bytes of a member, read through its local header."""
        try:
            self.file.seek(info.header_offset)
            header = self.file.read(_LOCAL_HEADER.size)
            if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
                raise damaged(self.path, f"part {info.filename!r} is missing from the archive")
            name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
            data_start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
            if info.compress_size > self.size - data_start:
                raise damaged(self.path, f"the file ends inside part {info.filename!r}")
            self.file.seek(data_start)
            return self.file.read(info.compress_size)
        except (OSError, zlib.error, OverflowError, ValueError) as exc:
            raise damaged(self.path, f"part {info.filename!r} cannot be inflated: {exc}") from None

    def _inflate_raw(self, info: zipfile.ZipInfo, raw: bytes) -> bytes:
        """Inflate and verify a member's stored bytes."""
        try:
            if info.compress_type == zipfile.ZIP_STORED:
                data, complete = raw, len(raw) == info.file_size
            else:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                data = inflater.decompress(raw, info.file_size + 1)
                complete = inflater.eof and len(data) == info.file_size
        except (OSError, zlib.error, OverflowError, ValueError) as exc:
            raise damaged(self.path, f"part {info.filename!r} cannot be inflated: {exc}") from None
        if not complete:
            raise damaged(self.path, f"part {info.filename!r} does not match its recorded size")
        self._check_crc(info, zlib.crc32(data))
        return data

    def _inflate_pieces(self, info: zipfile.ZipInfo, raw: bytes, publish: Callable[[bytes], None]) -> bytes:
        """:meth:`_inflate_raw` for a deflated member, in pieces, each handed to ``publish`` as it comes.

        Touches no file, so any thread may run it; zlib and joining the
        pieces release the GIL. Gives the same bytes and errors under the same
        bound, except the CRC, which the caller checks on the published pieces
        with :meth:`_check_crc`.
        """
        try:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            bound = info.file_size + 1
            pieces: list[bytes] = []
            produced = 0
            view = memoryview(raw)
            for start in range(0, len(raw) or 1, _PIECE_INPUT):
                piece = inflater.decompress(view[start : start + _PIECE_INPUT], bound - produced)
                if piece:
                    pieces.append(piece)
                    produced += len(piece)
                    publish(piece)
                if inflater.eof or inflater.unconsumed_tail or produced >= bound:
                    break
            data = b"".join(pieces)
            complete = inflater.eof and len(data) == info.file_size
        except (OSError, zlib.error, OverflowError, ValueError) as exc:
            raise damaged(self.path, f"part {info.filename!r} cannot be inflated: {exc}") from None
        if not complete:
            raise damaged(self.path, f"part {info.filename!r} does not match its recorded size")
        return data

    def _check_crc(self, info: zipfile.ZipInfo, crc: int) -> None:
        if crc != info.CRC:
            raise damaged(self.path, f"part {info.filename!r} fails its CRC check")

    def _optional(self, name: str) -> bytes | None:
        info = self.members.get(_normal(name))
        if info is None:
            return None
        if _normal(name) == "xl/sharedstrings.xml" and self.inflated_shared_strings is not None:
            return self.inflated_shared_strings
        return self.inflate(info)

    def _check_xml_text(self, name: str, data: bytes, survey: _Survey | None = None) -> bool:
        """Refuse entity declarations and non-UTF-8 text in an XML part.

        Returns whether the part holds any ``<!`` construct (comments, CDATA),
        which the far-cell guard must then step over token by token. A
        :class:`_Survey` of the part already knows where its first ``<!`` is.
        """
        if not name.lower().endswith(_XML_SUFFIXES):
            return False
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
            raise damaged(self.path, f"part {name!r} is not UTF-8 text")
        if survey is not None:
            first = survey.bang
        else:
            first = data.find(b"<!") if b"!" in data else -1  # memchr for "!" first: most sheets have none
        if first >= 0 and _DOCTYPE.search(data, first):
            raise _entity_error(self.path, name)
        return first >= 0

    def _parse_xml(self, name: str) -> Element:
        info = self.members[_normal(name)]
        data = self.inflate(info)
        self._check_xml_text(info.filename, data)
        try:
            root: Element = SafeElementTree.fromstring(data, forbid_dtd=True)
        except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
            raise _entity_error(self.path, info.filename) from None
        except ParseError as exc:
            raise damaged(self.path, f"{info.filename} is not well-formed XML: {exc}") from None
        return root

    # ---- the workbook's structure, resolved the way python-calamine does

    def _relationships(self) -> dict[str, str]:
        if "xl/_rels/workbook.xml.rels" not in self.members:
            raise damaged(self.path, "xl/_rels/workbook.xml.rels is missing")
        root = self._parse_xml("xl/_rels/workbook.xml.rels")
        return {
            element.get("Id", ""): element.get("Target", "")
            for element in root.iter()
            if _local_name(element.tag) == "Relationship"
        }

    def _sheets(self, workbook: Element, relationships: dict[str, str]) -> list[SheetInfo]:
        sheets = []
        for element in workbook.iter():
            if _local_name(element.tag) != "sheet":
                continue
            name = element.get("name", "")
            state = element.get("state", "visible")
            if state not in ("visible", "hidden", "veryHidden"):
                raise damaged(self.path, f"sheet {name!r} has an unknown state {state!r}")
            relation = _relationship_id(element)
            if relation is None or relation not in relationships:
                raise damaged(self.path, f"sheet {name!r} has no link to its part in xl/_rels/workbook.xml.rels")
            target = relationships[relation]
            part = _sheet_part(target)
            folders = part.split("/")
            if len(folders) < 3 or folders[1].lower() not in _SHEET_KINDS:
                raise damaged(self.path, f"sheet {name!r} points to {target!r}, which is not a sheet")
            info = self.members.get(_normal(part))
            if info is None:
                raise damaged(self.path, f"sheet {name!r} is listed but its part {part} is missing")
            sheets.append(SheetInfo(name=name, part=info.filename, state=state))
        return sheets

    def _rebuild(self, infos: list[zipfile.ZipInfo], replaced: dict[str, bytes]) -> bytes:
        """A copy of the archive with the sanitised sheets, stored uncompressed for speed."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as copy:
            for info in infos:
                data = replaced.get(info.filename)
                copy.writestr(info.filename, self.inflate(info) if data is None else data)
        return buffer.getvalue()


def _normal(name: str) -> str:
    """A member name as python-calamine compares them: forward slashes, any case."""
    return name.replace("\\", "/").lower()


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _relationship_id(sheet: Element) -> str | None:
    """The ``r:id`` of a ``<sheet>`` element, in the transitional or strict namespace."""
    for namespace in _RELATIONSHIP_NAMESPACES:
        relation = sheet.get(f"{{{namespace}}}id")
        if relation is not None:
            return relation
    return None


def _sheet_part(target: str) -> str:
    """The zip member a workbook relationship target names, resolved as python-calamine does."""
    if target.startswith("/xl/"):
        return target[1:]
    if target.startswith("xl/"):
        return target
    return "xl/" + target


def _date1904(workbook: Element) -> bool:
    """Whether dates count from 1904 (``<workbookPr date1904="1">``), as python-calamine decides it."""
    for element in workbook.iter():
        if _local_name(element.tag) == "workbookPr":
            return element.get("date1904", "") in ("1", "true")
    return False


# --------------------------------------------------------------------------- far cells


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
class _Guarded:
    """What guarding one sheet found."""

    problems: list[Problem]
    xml: bytes | None  # the sanitised sheet, or None when nothing was set aside
    rows: int
    columns: int

    @property
    def cells(self) -> int:
        return self.rows * self.columns


class _InvalidReference(ValueError):
    """A cell reference python-calamine would reject or place beyond Excel's grid."""


class _NeedsWholeScan(Exception):
    """The regex verification cannot decide a sheet; it must be tokenized whole."""


def _guard_sheet(
    xml: bytes,
    sheet: str,
    shared_strings: _SharedStrings,
    max_cells: int,
    *,
    plain: bool,
    survey: _Survey | None = None,
) -> _Guarded:
    """Find cells far outside a sheet's table, without building its grid, and set them aside.

    The rule. A row is *in use* when it has a ``<row>`` or ``<c>`` element; a
    *value* is a ``<c>`` element with content (python-calamine skips the rest).

    * Rows in use split into bands wherever more than ``ROW_GAP`` (10,000)
      empty rows separate two of them. The top band is the table and is always
      kept. A lower band holding at most ``FEW_CELLS`` (1,000) values is set
      aside; a bigger one is kept (and counts toward the grid).
    * The header's extent is the right end of the leftmost group of value
      columns in the first ``HEADER_ROWS`` (10) rows written in the sheet,
      groups split where more than ``FAR_COLUMNS`` (50) empty columns separate them. Cells more than 50
      empty columns right of it are far right; if they hold at most
      ``FEW_CELLS`` values they are set aside.

    So a lone value in XFD1048576, in A1048576 below 200 rows of data, or in
    ZZ5 beside a table ending in column M is set aside; a real second block
    of data is not. The grid left is measured as last row x last column.

    Speed. Ordinary sheets (as Excel, LibreOffice, Google Sheets and openpyxl
    write them; ``plain`` means no comments or CDATA) are verified with a few
    compiled regex passes and no per-cell Python work (:func:`_fast_layout`);
    only unusual rows and far bands are tokenized. Anything else is tokenized
    whole (:func:`_scan_exact`), which is exact but about twenty times slower.
    Big sheets come with a :class:`_Survey`, which answers the byte searches
    with numpy and proves most cells ordinary without a regex (:func:`_unusual_candidates`).
    """
    prefixed = survey.prefixed if survey is not None else _PREFIXED_CELL.search(xml) is not None
    if plain and not prefixed:
        try:
            return _decide(xml, sheet, _fast_layout(xml, survey), shared_strings, max_cells)
        except _NeedsWholeScan:
            pass
    return _decide(xml, sheet, _whole_layout(xml), shared_strings, max_cells)


def _whole_layout(xml: bytes) -> _Layout:
    scan = _scan_exact(xml, 0, len(xml), block=False)
    # An exact segment's rows come from its scan; lo, hi and floor only bound verified segments.
    segment = _Segment(start=0, end=len(xml), lo=1, hi=1, floor=1, exact=scan)
    return _Layout(segments=[segment], far=_far_column(scan))


def _fast_layout(xml: bytes, survey: _Survey | None = None) -> _Layout:
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
        _verify(xml, segment, far, survey)
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


def _verify(xml: bytes, segment: _Segment, far: int, survey: _Survey | None = None) -> None:
    """Check every cell tag of a segment with one regex; tokenize the rows where it fails.

    With a survey, the regex is tried only at the cell tags numpy could not
    prove ordinary (:func:`_unusual_candidates`); it cannot match anywhere
    else, so the rows found are exactly those a search over the whole segment finds.
    """
    unusual = re.compile(
        rb'<c(?! r="(?:'
        + _letters_range(1, far)
        + rb")(?:"
        + _digits_range(segment.floor, segment.hi)
        + rb""")"(?:[^<>"'r]++|"[^"]*+")*+>)[\t\r\n />]"""
    )
    candidates = None if survey is None else _unusual_candidates(survey, xml, segment, far)
    position = segment.start
    while True:
        if candidates is None:
            match = unusual.search(xml, position, segment.end)
        else:
            match = None
            index = bisect.bisect_left(candidates, position)
            while match is None and index < len(candidates):
                match = unusual.match(xml, candidates[index], segment.end)
                index += 1
        if match is None:
            break
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
                    raise _InvalidReference(
                        f"(a cell without one lands in {_address(min(row, MAX_ROW + 1), column)})"
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
    for match in _ATTRIBUTE.finditer(attributes):
        if match[1] == key:
            found = match[2] if match[2] is not None else match[3]
            if not last:
                break
    return found


def _parse_reference(reference: bytes, *, need_column: bool) -> tuple[int, int]:
    """A reference such as ``AB12`` (any case) as 1-based (row, column); column 0 when absent."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        raise _InvalidReference(repr(reference.decode("latin-1")))
    letters, digits = match.groups()
    row = int(digits)
    column = 0
    for letter in letters.upper():
        column = column * 26 + letter - 64
        if column > MAX_COLUMN:
            break
    if not 1 <= row <= MAX_ROW or column > MAX_COLUMN or (need_column and column < 1):
        raise _InvalidReference(repr(reference.decode("latin-1")))
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


def _decide(xml: bytes, sheet: str, layout: _Layout, shared_strings: _SharedStrings, max_cells: int) -> _Guarded:
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
    return _Guarded(
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


def _stray_problems(xml: bytes, sheet: str, strays: list[_Cell], shared_strings: _SharedStrings) -> list[Problem]:
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
                _address(cell.row, cell.column),
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
                f"({_address(rest[0].row, rest[0].column)} to {_address(rest[-1].row, rest[-1].column)})",
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


def _preview(xml: bytes, cell: _Cell, shared_strings: _SharedStrings, limit: int = 40) -> str:
    """A short text for a stray cell's value, as the user would recognise it."""
    content = xml[cell.content_start : cell.content_end]
    if value := _VALUE.search(content):
        raw = _unescape(value[1]).strip()
        if cell.kind == b"s" and raw.isdigit():
            text = shared_strings.get(int(raw))
        elif cell.kind == b"b":
            text = "TRUE" if raw == "1" else "FALSE"
        else:
            text = raw
    elif _INLINE_STRING.search(content):
        text = "".join(_unescape(part) for part in _TEXT.findall(_PHONETIC.sub(b"", content)))
    elif formula := _FORMULA.search(content):
        text = "=" + _unescape(formula[1])
    else:
        text = ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _SharedStrings:
    """Shared strings, parsed only when a stray value needs a preview."""

    def __init__(self, xml: bytes | None) -> None:
        self.xml = xml or b""
        self.strings: list[str] | None = None

    def get(self, index: int) -> str:
        if self.strings is None:
            self.strings = [
                "".join(_unescape(part) for part in _TEXT.findall(_PHONETIC.sub(b"", match[1] or b"")))
                for match in _SHARED_STRING.finditer(self.xml)
            ]
        return self.strings[index] if index < len(self.strings) else ""


def _unescape(raw: bytes) -> str:
    """XML text to str: the five named entities and character references."""

    def replace(match: re.Match[bytes]) -> bytes:
        name = match[1]
        if name.startswith(b"#"):
            code = int(name[2:], 16) if name.startswith(b"#x") else int(name[1:])
            return chr(code).encode("utf-8", "replace") if code < 0x110000 else b""
        return _NAMED_ENTITIES[name].encode()

    return _ENTITY.sub(replace, raw).decode("utf-8", "replace")


def _address(row: int, column: int) -> str:
    """``(5, 28)`` -> ``"AB5"``."""
    return _column_letters(column) + str(row)


def _column_letters(column: int) -> str:
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


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
    for width in range(len(_column_letters(lo)), len(_column_letters(hi)) + 1):
        low = max(lo, _first_column_of_width(width))
        high = min(hi, _first_column_of_width(width + 1) - 1)
        if low <= high:
            branches.append(_fixed_width_range(_column_letters(low), _column_letters(high), _LETTERS))
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




# --------------------------------------------------------------------------- speed: threads and numpy
#
# None of this decides anything on its own. Background threads inflate big
# sheets ahead of their turn (zlib, the CRC and bytes.join release the GIL),
# in pieces, and the survey reads those pieces with numpy while the rest is
# still inflating. The survey answers the plain code's byte searches (the
# first ``<!``, ``t="e"``, a prefixed cell) exactly, and it *proves* cell tags
# ordinary by rules narrower than the verification regex's; every tag it
# cannot prove is left to that regex, so the result is always the plain code's.

#: Sheets at least this large are surveyed with numpy.
_VECTOR_BYTES = 1 << 20
#: Sheet parts declaring at least this many bytes are inflated ahead, in a background thread ...
_PREFETCH_BYTES = 1 << 20
#: ... feeding zlib this many stored bytes at a time, so the survey can start on the first pieces.
_PIECE_INPUT = 256 << 10
#: Survey blocks: big enough to amortise numpy's call overhead, small enough to stay in the CPU cache.
_SURVEY_BLOCK = 1 << 20
#: Cell tags proven per numpy call.
_PROOF_CHUNK = 1 << 16
#: Bytes kept from one piece to the next: every pattern, and every tag the proof reads, is shorter.
_OVERLAP = 64
#: The header rows are read from one buffer; pieces are gathered for them up to this size.
_HEADER_BYTES = 16 << 20
#: With more unproven cell tags than this in a segment, one regex search over it is faster.
_MAX_CANDIDATES = 20_000
#: What may follow a cell's reference up to its ">" is compared in a window this wide ...
_TAIL_WINDOW = 24
#: ... against at most this many endings seen in the sheet, each first accepted by the regex's own rule:
_MAX_TAILS = 64
_ORDINARY_TAIL = re.compile(rb"""(?:[^<>"'r]++|"[^"]*+")*+>""")
_DELIMITERS = b"\t\r\n />"
_E_QUOTE = int.from_bytes(b'e"', "little")


class _Cancelled(Exception):
    """The inspection ended before this part was taken."""


class _Inflation:
    """One sheet part inflated by the background thread, readable piece by piece while it runs.

    Errors, including those reading the stored bytes, are raised by :meth:`result`,
    so they surface in the same order as when every part is inflated in turn.
    """

    def __init__(self, package: _Package, info: zipfile.ZipInfo, cancelled: threading.Event) -> None:
        self.info = info
        self.cancelled = cancelled
        self.pieces: list[bytes] = []
        self.finished = False
        self.data: bytes | None = None
        self.error: BaseException | None = None
        self.condition = threading.Condition()
        self.raw: bytes | None = None
        try:
            self.raw = package._read_raw(info)  # the file is read here, in the calling thread
        except UnreadableWorkbook as exc:
            self.error, self.finished = exc, True

    def run(self, package: _Package) -> None:
        """Inflate (in the background thread)."""
        if self.raw is None or self.cancelled.is_set():
            return
        data, error = None, None
        try:
            data = package._inflate_pieces(self.info, self.raw, self._publish)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread by result()
            error = exc
        with self.condition:
            self.raw = None
            self.data, self.error, self.finished = data, error, True
            self.condition.notify_all()

    def _publish(self, piece: bytes) -> None:
        if self.cancelled.is_set():
            raise _Cancelled
        with self.condition:
            self.pieces.append(piece)
            self.condition.notify_all()

    def stream(self) -> Iterator[bytes]:
        """The pieces inflated so far and then the rest, as they come."""
        index = 0
        while True:
            with self.condition:
                while index == len(self.pieces) and not self.finished:
                    self.condition.wait()
                if index == len(self.pieces):
                    return
                piece = self.pieces[index]
            yield piece
            index += 1

    def result(self) -> bytes:
        with self.condition:
            while not self.finished:
                self.condition.wait()
        self.pieces = []
        if self.error is not None:
            raise self.error
        data, self.data = self.data, None
        assert data is not None
        return data


class _Prefetch:
    """Sheet parts for the guard; big ones inflated ahead and surveyed as their pieces come.

    One background thread inflates the big sheet parts, in the order they
    are taken, piece by piece, while this thread surveys the pieces (zlib and
    numpy release the GIL, so both cores work). :meth:`take` gives each
    part's bytes, or raises its error, exactly when ``inflate`` would.
    """

    def __init__(self, package: _Package, infos: list[zipfile.ZipInfo]) -> None:
        self.package = package
        self.jobs: dict[str, _Inflation] = {}
        self.cancelled = threading.Event()
        big = [info for info in infos if info.file_size >= _PREFETCH_BYTES and info.compress_type == zipfile.ZIP_DEFLATED]
        if not big or _numpy() is None:
            return
        for info in big:
            self.jobs[info.filename] = _Inflation(package, info, self.cancelled)
        jobs = list(self.jobs.values())
        threading.Thread(target=lambda: [job.run(package) for job in jobs], daemon=True).start()

    def close(self) -> None:
        """Stop inflating parts that will not be taken (the inspection ended early)."""
        self.cancelled.set()

    def take(self, info: zipfile.ZipInfo) -> tuple[bytes, _Survey | None]:
        """A sheet part's bytes, with its survey when it is big enough for one."""
        job = self.jobs.pop(info.filename, None)
        if job is None:
            data = self.package.inflate(info)
            if len(data) < _VECTOR_BYTES:
                return data, None
            scanner = _Scanner.start()
            if scanner is not None:
                scanner = scanner.feed(data)
        else:
            scanner = _Scanner.start()
            crc = 0
            for piece in job.stream():
                crc = zlib.crc32(piece, crc)
                if scanner is not None:
                    scanner = scanner.feed(piece)
            data = job.result()
            self.package._check_crc(info, crc)
        if scanner is None or len(data) < _VECTOR_BYTES:
            return data, None
        return data, scanner.finish(data)


@dataclass
class _Proof:
    """Cell tags starting in ``start..stop``, each proven ordinary except ``candidates``.

    "Ordinary" with these bounds: rows ``lo..hi``, columns up to ``far``, and
    the whole tag before offset ``end``. None as candidates: too many to list.
    """

    start: int
    stop: int
    lo: int
    hi: int
    far: int
    end: int
    candidates: list[int] | None


@dataclass
class _Survey:
    """What the plain code finds in a sheet's bytes with separate searches, found with numpy."""

    bang: int  # offset of the first "<!", or -1: data.find(b"<!")
    error_type: bool  # b't="e"' in data
    prefixed: bool  # _PREFIXED_CELL.search(data) is not None
    proofs: list[_Proof]  # in order, not overlapping; offsets they do not cover are proven afresh
    tails: dict[bytes, tuple[int, ...]]  # tag endings known to be ordinary


class _Scanner:
    """Surveys a sheet's bytes piece by piece, as they are inflated.

    Each piece is read with the last ``_OVERLAP`` bytes before it, which
    covers every pattern that straddles two pieces. Cell tags are proven with
    the bounds the sheet shows so far (its header fixes the far column, each
    piece's row tags its rows); :func:`_unusual_candidates` later uses a
    proof only where those bounds lie within the segment's own.
    """

    def __init__(self, np: ModuleType) -> None:
        self.np = np
        self.carry = b""
        self.base = 0  # offset of carry[0] in the sheet
        self.bang = -1
        self.error_type = False
        self.prefixed = False
        self.proofs: list[_Proof] = []
        self.tails: dict[bytes, tuple[int, ...]] = {}
        self.far: int | None = None  # the header's far column, once read
        self.row = 0  # the last row tag read, once the header is read
        self.proving = True  # False when the header could not be read: every range is proven afterwards

    @classmethod
    def start(cls) -> _Scanner | None:
        np = _numpy()
        return None if np is None else cls(np)

    def feed(self, piece: bytes) -> _Scanner | None:
        """Read another piece; None when numpy failed (then the plain code runs)."""
        try:
            self._scan(self.carry + piece, final=False)
        except Exception:  # noqa: BLE001 - a faster way of reading only; the plain code never fails this way
            return None
        return self

    def finish(self, data: bytes) -> _Survey | None:
        """The survey of the whole of ``data``, which the pieces fed add up to."""
        try:
            if self.base + len(self.carry) != len(data):
                return None
            self._scan(self.carry, final=True)
        except Exception:  # noqa: BLE001 - see feed()
            return None
        return _Survey(self.bang, self.error_type, self.prefixed, self.proofs, self.tails)

    def _scan(self, buffer: bytes, *, final: bool) -> None:
        """Read the offsets of ``buffer`` that the next piece cannot change, then keep the rest."""
        np, base = self.np, self.base
        stop = len(buffer) if final else len(buffer) - _OVERLAP
        if self.far is None and self.proving and not final and not self._header_read(buffer):
            if len(buffer) <= _HEADER_BYTES:
                stop = 0  # read the header whole: wait for the next piece
            else:
                self.proving = False  # leave every range to be proven afterwards
        if stop <= 0:
            self.carry = buffer
            return
        data = np.frombuffer(buffer, np.uint8)
        blocks = min(stop, len(buffer) - 8)  # numpy reads up to 5 bytes past each offset
        cells = self._search(data, max(blocks, 0))
        if final:  # the last few offsets, as bytes
            rest = max(blocks, 0)
            if self.bang < 0 and (found := buffer.find(b"<!", rest)) >= 0:
                self.bang = base + found
            self.error_type = self.error_type or buffer.find(_ERROR_TYPE, rest) >= 0
            self.prefixed = self.prefixed or _PREFIXED_CELL.search(buffer, rest) is not None
            position = buffer.find(b"<c", rest)
            while 0 <= position < stop:
                if buffer[position + 2 : position + 3] in (b"\t", b"\r", b"\n", b" ", b"/", b">"):
                    cells = np.append(cells, position)
                position = buffer.find(b"<c", position + 1)
        if self.proving:
            self._prove(buffer, cells, stop, final=final)
        self.carry = buffer[stop:]
        self.base = base + stop

    def _search(self, data: np.ndarray, stop: int) -> np.ndarray:
        """Offsets below ``stop`` of "<c" + a delimiter; updates bang, error_type and prefixed."""
        np, base = self.np, self.base
        delimiters = _lookup(np, _DELIMITERS)
        size = min(_SURVEY_BLOCK, stop)
        less, cee, hit = (np.empty(size + 4, bool) for _ in range(3))
        half = np.empty(size // 2 + 2, bool)
        found: list[np.ndarray] = []
        for block in range(0, stop, _SURVEY_BLOCK):
            k = min(_SURVEY_BLOCK, stop - block)
            x = data[block : block + k + 5]
            lt, c, m = less[:k], cee[:k], hit[:k]
            np.equal(x[:k], ord("<"), out=lt)
            np.equal(x[1 : k + 1], ord("c"), out=c)
            np.logical_and(lt, c, out=m)
            offsets = np.flatnonzero(m)
            offsets = offsets[delimiters[x[offsets + 2]]]
            if offsets.size:
                found.append(offsets + block)
            if self.bang < 0:
                np.equal(x[1 : k + 1], ord("!"), out=m)
                m &= lt
                if m.any():
                    self.bang = base + block + int(np.argmax(m))
            if not self.prefixed:
                np.equal(x[:k], ord(":"), out=m)
                m &= c
                if m.any():
                    offsets = np.flatnonzero(m)
                    self.prefixed = bool(delimiters[x[offsets + 2]].any())
            if not self.error_type:  # t="e": look for e" two bytes at a time, then at what precedes it
                for shift in (3, 4):
                    pairs = x[shift : shift + (k + 4 - shift) // 2 * 2].view("<u2")
                    e = half[: pairs.size]
                    np.equal(pairs, _E_QUOTE, out=e)
                    if e.any():
                        offsets = np.flatnonzero(e) * 2 + shift
                        before = (x[offsets - 3] == ord("t")) & (x[offsets - 2] == ord("="))
                        self.error_type = self.error_type or bool((before & (x[offsets - 1] == ord('"'))).any())
        return np.concatenate(found) if found else np.zeros(0, np.int64)

    @staticmethod
    def _header_end(buffer: bytes, first: int) -> int:
        """Where the header rows end, exactly as :func:`_fast_layout` finds it (-1: beyond ``buffer``)."""
        header_end = first
        for _ in range(HEADER_ROWS):
            header_end = buffer.find(b"<row", header_end + 1)
            if header_end < 0:
                return -1
        return header_end

    def _header_read(self, buffer: bytes) -> bool:
        """Whether ``buffer``, the sheet's start, holds its first row tag and the header rows after it."""
        first = buffer.find(b'<row r="')
        return first >= 0 and self._header_end(buffer, first) >= 0

    def _prove(self, buffer: bytes, cells: np.ndarray, stop: int, *, final: bool) -> None:
        """Prove the cell tags at ``cells`` (offsets in ``buffer``) with the bounds seen so far."""
        base, begin = self.base, 0
        tags_end = min(len(buffer), stop + len(b'<row r="') - 1)  # row tags starting before stop
        if self.far is None:  # buffer is the sheet's start: read its header as _fast_layout does
            first = buffer.find(b'<row r="')
            if first < 0:
                self.proving = False
                return
            header_end = self._header_end(buffer, first)
            try:
                row = _row_number_at(buffer, first)
                self.far = _far_column(
                    _scan_exact(buffer, first, len(buffer) if header_end < 0 else header_end, block=True)
                )
            except (_NeedsWholeScan, _InvalidReference):
                self.proving = False
                return
            self.row = 1 if row - 1 <= ROW_GAP else row
            cells, begin = cells[cells >= first], first
        lo = self.row
        last = buffer.rfind(b'<row r="', 0, tags_end)
        if last >= 0:
            match = _ROW_START.match(buffer, last)
            self.row = int(match[1]) if match is not None else 0  # 0: an empty range, nothing proven
        hi = self.row
        candidates = _prove_cells(self.np, buffer, cells, self.far, lo, hi, len(buffer), self.tails)
        if candidates is not None:
            candidates = [base + offset for offset in candidates]
        self.proofs.append(_Proof(base + begin, base + stop, lo, hi, self.far, base + len(buffer), candidates))


def _numpy() -> ModuleType | None:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy comes with pandas
        return None
    return numpy if hasattr(numpy, "bitwise_count") else None


def _lookup(np: ModuleType, members: bytes) -> np.ndarray:
    """A 256-entry boolean table, true for the given bytes."""
    table = np.zeros(256, bool)
    table[list(members)] = True
    return table


def _unusual_candidates(survey: _Survey, xml: bytes, segment: _Segment, far: int) -> list[int] | None:
    """The offsets of the cell tags in ``segment`` that are not proven ordinary, in order.

    Proofs made while the sheet was inflating are used where their bounds lie
    within the segment's; the other offsets are proven now with the
    segment's bounds. None when so many are unproven that one regex search
    over the segment is quicker.
    """
    np = _numpy()
    assert np is not None
    start, stop = segment.start, segment.end - 2  # the regex needs its delimiter before the end
    candidates: list[int] = []
    position = start
    for proof in survey.proofs:
        if proof.stop <= position or proof.start >= stop:
            continue
        usable = (
            proof.candidates is not None
            and proof.far == far
            and segment.floor <= proof.lo
            and proof.end <= segment.end
        )
        if not usable:
            continue
        if proof.start > position:
            found = _prove_range(np, xml, position, proof.start, segment, far, survey.tails)
            if found is None:
                return None
            candidates.extend(found)
        assert proof.candidates is not None
        candidates.extend(offset for offset in proof.candidates if position <= offset < stop)
        position = min(proof.stop, stop)
        if len(candidates) > _MAX_CANDIDATES:
            return None
    if position < stop:
        found = _prove_range(np, xml, position, stop, segment, far, survey.tails)
        if found is None:
            return None
        candidates.extend(found)
    return candidates if len(candidates) <= _MAX_CANDIDATES else None


def _prove_range(
    np: ModuleType,
    xml: bytes,
    start: int,
    stop: int,
    segment: _Segment,
    far: int,
    tails: dict[bytes, tuple[int, ...]],
) -> list[int] | None:
    """The unproven cell tags starting in ``start..stop``, proven with the segment's bounds."""
    if stop <= start:
        return []
    data = np.frombuffer(xml, np.uint8)
    window = data[start : min(stop + 8, len(xml))]
    cells: list[int] = []
    limit = max(min(stop, len(xml) - 8) - start, 0)
    if limit:
        delimiters = _lookup(np, _DELIMITERS)
        less = window[:limit] == ord("<")
        less &= window[1 : limit + 1] == ord("c")
        offsets = np.flatnonzero(less)
        offsets = offsets[delimiters[window[offsets + 2]]] + start
    else:
        offsets = np.zeros(0, np.int64)
    position = xml.find(b"<c", start + limit)
    while 0 <= position < stop:
        if xml[position + 2 : position + 3] in (b"\t", b"\r", b"\n", b" ", b"/", b">"):
            cells.append(position)
        position = xml.find(b"<c", position + 1)
    found = _prove_cells(np, xml, offsets, far, segment.floor, segment.hi, segment.end, tails)
    return None if found is None else found + cells


def _prove_cells(
    np: ModuleType,
    buffer: bytes,
    offsets: np.ndarray,
    far: int,
    lo: int,
    hi: int,
    end: int,
    tails: dict[bytes, tuple[int, ...]],
) -> list[int] | None:
    """Of the cell tags at ``offsets`` in ``buffer`` ("<c" + a delimiter, in order), those not proven ordinary.

    Proven ordinary: ``<c r="``, one capital letter, or two naming a column
    up to ``far``, a row in ``lo..hi`` of 1-7 digits without a leading zero,
    ``"``, then one of ``tails`` (endings the verification regex accepts,
    learned from the sheet into ``tails`` as they are met), all before
    ``end``. The verification regex accepts every such tag. None when there
    are more than ``_MAX_CANDIDATES``.
    """
    room = int(np.searchsorted(offsets, len(buffer) - _OVERLAP, side="right"))
    unproven: list[int] = offsets[room:].tolist()  # too near the end to read 64 bytes: left to the regex
    offsets = offsets[:room]
    if not offsets.size:
        return unproven
    reader = _TagReader(np, buffer, far, lo, hi, end)
    if not tails:
        sample = np.unique(np.linspace(0, offsets.size - 1, min(offsets.size, 64)).astype(np.int64))
        reader.learn(offsets[sample], tails)
    for chunk in range(0, offsets.size, _PROOF_CHUNK):
        part = offsets[chunk : chunk + _PROOF_CHUNK]
        references, starts = reader.references(part)
        proven = references & reader.tails(starts, tails)
        if len(tails) < _MAX_TAILS and not proven.all():
            missed = references & ~proven
            if missed.any() and reader.learn(part[missed][:64], tails):
                proven = references & reader.tails(starts, tails)
        unproven.extend(part[~proven].tolist())
        if len(unproven) > _MAX_CANDIDATES:
            return None
    unproven.sort()
    return unproven


class _TagReader:
    """Reads the cell tags of one buffer eight bytes at a time, with numpy (see :func:`_prove_cells`)."""

    _HIGH = 0x8080808080808080
    _LOW = 0x7F7F7F7F7F7F7F7F
    _ZEROS = int.from_bytes(b"0" * 8, "little")
    _tables: dict[int, np.ndarray] = {}

    def __init__(self, np: ModuleType, buffer: bytes, far: int, lo: int, hi: int, end: int) -> None:
        u64 = np.uint64
        self.np = np
        self.buffer = buffer
        self.end = end
        self.words = np.ndarray((len(buffer) - 7,), dtype="<u8", buffer=buffer, strides=(1,))
        self.letters = self._letters(np, far)
        self.lo, self.hi = u64(self._value(str(lo))), u64(self._value(str(hi)))
        every = range(9)
        self.kept = np.array([(1 << (8 * n)) - 1 for n in every], dtype=np.uint64)
        self.filler = np.array([self._ZEROS & ~((1 << (8 * n)) - 1) for n in every], dtype=np.uint64)
        self.shift = np.array([64 - 8 * n for n in every], dtype=np.uint64)

    @staticmethod
    def _value(digits: str) -> int:
        """Length, then the digits as a big-endian integer: compares as the number does."""
        return (len(digits) << 56) | int.from_bytes(digits.encode(), "big")

    @classmethod
    def _letters(cls, np: ModuleType, far: int) -> np.ndarray:
        """For the two bytes after ``r="`` (as a little-endian 16-bit number): 1 for a capital
        letter and a digit 1-9, 2 for two capitals naming a column up to ``far``, else 0."""
        table = cls._tables.get(far)
        if table is None:
            pair = np.arange(65536)
            first, second = pair & 0xFF, pair >> 8
            capital, next_capital = (first >= 65) & (first <= 90), (second >= 65) & (second <= 90)
            table = np.zeros(65536, np.uint8)
            table[capital & (second >= ord("1")) & (second <= ord("9"))] = 1
            table[capital & next_capital & ((first - 64) * 26 + second - 64 <= far)] = 2
            cls._tables = {far: table}
        return table

    def references(self, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which tags at ``offsets`` start ``<c r="`` + an ordinary reference + ``"``, and where the rest starts."""
        np, u64 = self.np, self.np.uint64
        head = self.words[offsets + 2]  # ' r="' and the first four bytes of the reference
        ok = (head & u64(0xFFFFFFFF)) == u64(int.from_bytes(b' r="', "little"))
        letters = self.letters[(head >> u64(32)) & u64(0xFFFF)]
        ok &= letters != 0
        first = offsets + 6
        first += letters
        digits = self.words[first]  # from the first digit
        quote = digits ^ u64(0x2222222222222222)  # zero bytes where '"' is
        quote = ~(((quote & u64(self._LOW)) + u64(self._LOW)) | quote) & u64(self._HIGH)
        count = np.bitwise_count((quote & (~quote + u64(1))) - u64(1)) >> 3  # bytes before the first '"' (8: none)
        ok &= (count >= 1) & (count <= 7)
        padded = (digits & self.kept[count]) | self.filler[count]  # the digits, then "0"s
        ok &= (((padded + u64(0x4646464646464646)) | (padded - u64(0x3030303030303030)) | padded) & u64(self._HIGH)) == 0
        ok &= (digits & u64(0xFF)) != u64(ord("0"))
        value = (count.astype(np.uint64) << u64(56)) | (digits.byteswap() >> self.shift[count])
        ok &= (value >= self.lo) & (value <= self.hi)
        first += 1
        first += count
        return ok, first

    def tails(self, starts: np.ndarray, tails: dict[bytes, tuple[int, ...]]) -> np.ndarray:
        """Which tags' rest, from ``starts``, begins with one of ``tails``, all before the end."""
        np, u64 = self.np, self.np.uint64
        matched = np.zeros(starts.size, bool)
        window: list[np.ndarray] = []
        for values in tails.values():
            hit = None
            for index in range(len(values) // 2):
                if index == len(window):
                    window.append(self.words[starts + 8 * index])
                same = (window[index] & u64(values[2 * index])) == u64(values[2 * index + 1])
                hit = same if hit is None else hit & same
            if hit is not None:
                matched |= hit
        if starts.size and int(starts.max()) + _TAIL_WINDOW > self.end:
            matched &= starts + _TAIL_WINDOW <= self.end
        return matched

    def learn(self, offsets: np.ndarray, tails: dict[bytes, tuple[int, ...]]) -> bool:
        """Add to ``tails`` the endings of the tags at ``offsets`` that the verification regex accepts."""
        references, starts = self.references(offsets)
        added = False
        for start in starts[references].tolist():
            close = self.buffer.find(b">", start, start + _TAIL_WINDOW)
            tail = self.buffer[start : close + 1]
            if close < 0 or tail in tails or len(tails) >= _MAX_TAILS or not _ORDINARY_TAIL.match(tail):
                continue
            padded = tail.ljust((len(tail) + 7) // 8 * 8, b"\0")
            values: list[int] = []
            for index in range(0, len(padded), 8):
                kept = min(len(tail) - index, 8)
                values += [(1 << (8 * kept)) - 1, int.from_bytes(padded[index : index + 8], "little")]
            tails[tail] = tuple(values)
            added = True
        return added
