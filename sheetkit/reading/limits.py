"""Zip limits and bounded inflation: an untrusted .xlsx is checked before any reader touches it.

Workbooks come back from students' machines and staff read hundreds at once,
so one bad file must cost one clear error line, never the whole run.
:func:`inspect_workbook` checks a file in three stages:

1. **What it is** (:mod:`sheetkit.reading.kind`): a regular file, a zip archive,
   not one of sheetkit's own reports.
2. **Resource limits, before inflating anything.** The zip's member count,
   compression methods, total declared size and per-member compression ratio
   (a zip bomb) are checked from the directory alone. Every member is then
   inflated by our own bounded code, which never produces more than the
   declared size and insists that the deflate stream ends exactly there with
   the right CRC, so python-calamine (reading the same file) cannot be handed
   a member that secretly inflates further. XML parts with a ``<!DOCTYPE`` or
   ``<!ENTITY`` are refused.
3. **Far cells** (:mod:`sheetkit.reading.guard`): values far outside a sheet's
   table are set aside with a warning and python-calamine gets a sanitised
   in-memory copy. A sheet whose remaining grid is still larger than
   ``[reading] max_cells`` is refused.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeElementTree

from sheetkit.config import Reading
from sheetkit.errors import Problem, UnreadableWorkbook
from sheetkit.output import GENERATOR_MARK
from sheetkit.reading.guard import InvalidReference, guard_sheet
from sheetkit.reading.kind import ZIP_MAGICS, not_a_zip, read_head, sheetkit_report
from sheetkit.reading.sheet_xml import SharedStrings

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

#: A workbook has a few dozen parts; ten thousand is far beyond any real one.
MAX_MEMBERS = 10_000
#: A member that inflates more than this many times its stored size ...
BOMB_RATIO = 200
#: ... to more than this many bytes is a zip bomb. Real sheet XML compresses 10-20:1.
BOMB_MIN_BYTES = 4 * 1024 * 1024

_MIB = 1024 * 1024
#: Bytes of central directory allowed per member: the fixed header plus a long name.
_DIRECTORY_BYTES_PER_MEMBER = 46 + 1024
_OPENDOCUMENT = b"application/vnd.oasis.opendocument"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_STRICT_NAMESPACE = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_RELATIONSHIP_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_SHEET_KINDS = {"worksheets": "worksheet", "chartsheets": "chartsheet", "dialogsheets": "dialogsheet"}
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, EOFError, OSError)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_END_OF_DIRECTORY = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END_OF_DIRECTORY = struct.Struct("<4sQ2H2L4Q")

_DOCTYPE = re.compile(rb"<!\s*(?i:DOCTYPE|ENTITY)")
#: The parts the reader reads again after inspection: sheets, their links, tables, shared strings.
_KEPT_PARTS = re.compile(r"^xl/(?:worksheets/(?:_rels/)?[^/]+|tables/[^/]+\.xml|sharedstrings\.xml)$")
_SHEETKIT_CREATOR = f"<dc:creator>{GENERATOR_MARK}</dc:creator>".encode()


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
    #: The inflated sheets, their links, tables and shared strings, by lower-case member name,
    #: for what the reader learns from the XML (:mod:`sheetkit.reading.sheet_xml`).
    parts: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

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
    head = read_head(path)
    if not head.startswith(ZIP_MAGICS):
        raise not_a_zip(path, head)
    with path.open("rb") as file:
        _check_directory_size(path, file)
        try:
            archive = zipfile.ZipFile(file)
        except _ZIP_ERRORS as exc:
            raise damaged(path, f"not a complete zip archive: {exc}") from None
        with archive:
            return _Package(path, file, archive, reading).inspect()


# --------------------------------------------------------------------------- what the file is


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
        #: Inflated and checked members the reader needs again (see ``_KEPT_PARTS``).
        self.kept: dict[str, bytes] = {}
        #: Members holding ``<!`` constructs (comments, CDATA) the guard must step over token by token.
        self.declarations: set[str] = set()

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
        # when python-calamine reads the file.
        sheet_parts = {_normal(sheet.part) for sheet in sheets}
        in_order = [info for info in infos if _normal(info.filename) not in sheet_parts]
        in_order += [self.members[key] for key in dict.fromkeys(_normal(sheet.part) for sheet in sheets)]
        for info in in_order:
            key = _normal(info.filename)
            data = self.inflate(info)
            if self._check_xml_text(info.filename, data):
                self.declarations.add(key)
            if key in sheet_parts or _KEPT_PARTS.match(key):
                self.kept[key] = data
            if key == "docprops/core.xml" and _SHEETKIT_CREATOR in data:
                raise sheetkit_report(self.path)
        shared_strings = SharedStrings(self.kept.get("xl/sharedstrings.xml"))
        problems: list[Problem] = []
        replaced: dict[str, bytes] = {}
        for part in dict.fromkeys(sheet.part for sheet in sheets):
            name = next(sheet.name for sheet in sheets if sheet.part == part)
            xml = self.kept[_normal(part)]
            try:
                guarded = guard_sheet(xml, name, shared_strings, self.reading.max_cells,
                                      plain=_normal(part) not in self.declarations)
            except InvalidReference as exc:
                raise damaged(self.path, f"sheet {name!r} has an invalid cell reference {exc}") from None
            problems.extend(guarded.problems)
            if guarded.xml is not None:
                replaced[part] = guarded.xml
            if guarded.cells > self.reading.max_cells:
                raise UnreadableWorkbook(
                    f"{self.path}: sheet {name!r} spans {guarded.rows:,} rows x {guarded.columns:,} columns "
                    f"({guarded.cells:,} cells), more than the {self.reading.max_cells:,} cell limit; delete unused "
                    "rows and columns far from the table, or raise `[reading] max_cells` in the --config file"
                )
        return WorkbookSource(
            path=self.path,
            sheets=sheets,
            date1904=_date1904(workbook),
            problems=problems,
            _sanitised=self._rebuild(infos, replaced) if replaced else None,
            parts=self.kept,
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

    def _check_crc(self, info: zipfile.ZipInfo, crc: int) -> None:
        if crc != info.CRC:
            raise damaged(self.path, f"part {info.filename!r} fails its CRC check")

    def _check_xml_text(self, name: str, data: bytes) -> bool:
        """Refuse entity declarations and non-UTF-8 text in an XML part.

        Returns whether the part holds any ``<!`` construct (comments, CDATA),
        which the far-cell guard must then step over token by token.
        """
        if not name.lower().endswith(_XML_SUFFIXES):
            return False
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4]:
            raise damaged(self.path, f"part {name!r} is not UTF-8 text")
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
