"""What kind of file was given: a regular file, a zip archive, or something to name honestly.

Before any byte is parsed, a path must be a regular file (a FIFO, device or
socket is refused at once, never waited on; a symlink loop is reported), not
empty, and start like a zip archive. Anything else gets one line saying what it
is (CSV, HTML, old .xls, password-protected, PDF...) and how to make an .xlsx
of it. sheetkit's own reports are recognised by their generator mark.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from sheetkit.errors import UnreadableWorkbook
from sheetkit.output import is_sheetkit_output

SAVE_AS_XLSX = "open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

_SNIFF_BYTES = 64 * 1024
_MIB = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
#: Extensions that claim to be a workbook: a file under such a name that is not one is "named" so.
_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
SPECIAL_FILES = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                  (stat.S_ISSOCK, "a socket"))


def sheetkit_report(path: Path) -> UnreadableWorkbook:
    """The one line for one of sheetkit's own outputs given where a tracker was expected."""
    return UnreadableWorkbook(f"{path}: this is a sheetkit report, not a tracker; run the report on the tracker")


def read_head(path: Path) -> bytes:
    """The first bytes of a regular, non-empty file; :class:`UnreadableWorkbook` for anything else."""
    if _not_utf8(path):
        raise UnreadableWorkbook(f"{path}: the name is not valid UTF-8 text (each \\xNN is a byte that is not), "
                                 "so the spreadsheet reader cannot open it; rename the file (or its folder) and try again")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UnreadableWorkbook(f"{path}: file not found; check the path and the file name") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnreadableWorkbook(f"{path}: is a symbolic link that loops back on itself; "
                                     "point it at the tracker file, or give the file's own path") from None
        raise _os_error(path, exc) from None
    if stat.S_ISDIR(mode):
        raise UnreadableWorkbook(f"{path}: is a folder, not a workbook; give the path of an .xlsx file")
    for test, what in SPECIAL_FILES:
        if test(mode):
            raise UnreadableWorkbook(f"{path}: is {what}, not a file; save the tracker as a file and give its path")
    try:
        with path.open("rb") as file:
            head = file.read(_SNIFF_BYTES)
    except OSError as exc:
        raise _os_error(path, exc) from None
    if not head:
        raise UnreadableWorkbook(
            f"{path}: is empty (0 bytes), so it was not saved or copied completely; "
            "save it again from Excel or LibreOffice"
        )
    return head


def _not_utf8(path: Path) -> bool:
    """True when ``path`` holds bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _os_error(path: Path, exc: OSError) -> UnreadableWorkbook:
    if isinstance(exc, PermissionError):
        return UnreadableWorkbook(
            f"{path}: cannot be read (permission denied); check the file's permissions, "
            "or close it in other programs, and try again"
        )
    if isinstance(exc, IsADirectoryError):
        return UnreadableWorkbook(f"{path}: is a folder, not a workbook; give the path of an .xlsx file")
    return UnreadableWorkbook(
        f"{path}: cannot be read ({exc.strerror or exc}); copy it to a local folder and try again"
    )


def _named(path: Path) -> str:
    """`` with an .xlsx name`` for a file whose name claims a workbook; nothing otherwise."""
    suffix = path.suffix.lower()
    return f" with an {suffix} name" if suffix in _WORKBOOK_SUFFIXES else ""


def not_a_zip(path: Path, head: bytes) -> UnreadableWorkbook:
    """Say what a file that is not a zip archive is, and how to turn it into an .xlsx."""
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_package(path):
            return UnreadableWorkbook(
                f"{path}: is password-protected (encrypted); open it in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password, clear it, or Save As "
                "without a password) and try again"
            )
        return UnreadableWorkbook(f"{path}: is an old binary Excel file (.xls), not an .xlsx workbook; {SAVE_AS_XLSX}")
    if head.startswith(b"%PDF"):
        return UnreadableWorkbook(f"{path}: is a PDF document{_named(path)}, not an Excel workbook; {SAVE_AS_XLSX}")
    text = _as_text(head)
    if text is None:
        return UnreadableWorkbook(f"{path}: is not an Excel .xlsx workbook (unrecognised content); {SAVE_AS_XLSX}")
    if is_sheetkit_output(path):
        return sheetkit_report(path)
    lowered = text.lstrip().lower()
    if lowered.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in lowered or 'progid="excel.sheet"' in lowered:
            return UnreadableWorkbook(
                f"{path}: is an Excel 2003 XML spreadsheet (SpreadsheetML), not an .xlsx workbook; {SAVE_AS_XLSX}"
            )
        if any(marker in lowered for marker in ("<html", "<!doctype html", "<table", "<body")):
            return UnreadableWorkbook(f"{path}: is a web page (HTML){_named(path)}, not a workbook; {SAVE_AS_XLSX}")
        return UnreadableWorkbook(f"{path}: is an XML file{_named(path)}, not an Excel .xlsx workbook; {SAVE_AS_XLSX}")
    if any(mark in text for mark in ",;\t\n"):
        return UnreadableWorkbook(
            f"{path}: is a text (CSV) file{_named(path)}, not a workbook; "
            "open it in a spreadsheet program and save it as Excel Workbook (.xlsx)"
        )
    return UnreadableWorkbook(f"{path}: is not an Excel .xlsx workbook (unrecognised content); {SAVE_AS_XLSX}")


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
