"""Write a small corpus of bad and odd workbooks for the command-line tests.

Usage::

    python tests/corpus/make_corpus.py OUTPUT_FOLDER

Every file is a few KB at most and byte-for-byte the same on every run (fixed
zip timestamps, no generated dates), so a failure can be reproduced from the
file alone. Zip bombs are not part of the corpus: tests build them at run
time and never commit them.

``CASES`` maps each file name to the exit code ``sheetkit check FILE`` should
give and a piece of text its one-line message (or warning) must contain.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sheetkit.spec import column_letter

#: file name -> (expected exit code of `sheetkit check`, text its message must contain)
CASES: dict[str, tuple[int, str]] = {
    "empty.xlsx": (1, "empty (0 bytes)"),
    "csv-renamed.xlsx": (1, "CSV"),
    "html-renamed.xlsx": (1, "HTML"),
    "old-binary.xls-renamed.xlsx": (1, ".xls"),
    "encrypted.xlsx": (1, "password"),
    "spreadsheet.ods-renamed.xlsx": (1, ".ods"),
    "strict.xlsx": (1, "Strict"),
    "truncated.xlsx": (1, "damaged or incomplete"),
    # Whatever the reader says about a workbook without tracker sheets, it should name what is missing.
    "not-a-tracker.xlsx": (1, "Contacts"),
    # Read with a warning: the stray value is set aside and named.
    "far-cell.xlsx": (0, "XFD1048576"),
    "billion-laughs.xlsx": (1, "entity"),
}

_STAMP = (2024, 1, 1, 0, 0, 0)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_WORKSHEET = _RELS + "/worksheet"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n"
)


def _zip(parts: dict[str, bytes]) -> bytes:
    """A deterministic zip archive of the given parts."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=_STAMP), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _cell(reference: str, value: str | int) -> str:
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{value}</v></c>'
    text = value.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(rows: list[list[str | int]], extra_rows: str = "", namespace: str = _MAIN) -> bytes:
    """A worksheet with the given rows from A1, then any raw extra rows."""
    body = "".join(
        f'<row r="{r}">' + "".join(_cell(f"{column_letter(c)}{r}", value) for c, value in enumerate(row, 1)) + "</row>"
        for r, row in enumerate(rows, 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{namespace}">'
        f"<sheetData>{body}{extra_rows}</sheetData></worksheet>"
    ).encode()


def workbook(sheets: dict[str, bytes], namespace: str = _MAIN, shared_strings: bytes | None = None) -> bytes:
    """A minimal .xlsx: content types, relationships, the workbook and its sheets."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ).encode(),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="{namespace}" xmlns:r="{_RELS}"><sheets>'
            + "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1))
            + "</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_WORKSHEET}" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(sheets) + 1)
            )
            + "</Relationships>"
        ).encode(),
    }
    for i, data in enumerate(sheets.values(), 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = data
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    return _zip(parts)


def _ole(stream_names: tuple[str, ...]) -> bytes:
    """A minimal OLE2 compound file: the header and one directory sector naming the streams."""
    header = bytearray(512)
    header[:8] = _OLE_MAGIC
    header[0x18:0x1A] = (0x3E).to_bytes(2, "little")  # minor version
    header[0x1A:0x1C] = (3).to_bytes(2, "little")  # major version 3: 512-byte sectors
    header[0x1C:0x1E] = (0xFFFE).to_bytes(2, "little")  # little-endian
    header[0x1E:0x20] = (9).to_bytes(2, "little")  # sector shift
    header[0x20:0x22] = (6).to_bytes(2, "little")  # mini sector shift
    header[0x30:0x34] = (0).to_bytes(4, "little")  # first directory sector
    directory = bytearray(512)
    for index, name in enumerate(("Root Entry", *stream_names)):
        entry = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        entry[: len(encoded)] = encoded
        entry[64:66] = len(encoded).to_bytes(2, "little")
        entry[66] = 5 if index == 0 else 2  # root storage, then streams
        directory[index * 128 : (index + 1) * 128] = entry
    return bytes(header + directory)


def build(folder: Path) -> dict[str, Path]:
    """Write every corpus file into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    tracker_like = workbook(
        {"Contacts": _sheet([["Name", "Organization"], ["Ada Lovelace", "Analytical Engines"]])}
    )
    files: dict[str, bytes] = {
        "empty.xlsx": b"",
        "csv-renamed.xlsx": b"Name,Organization,Email\nAda Lovelace,Analytical Engines,ada@example.org\n",
        "html-renamed.xlsx": (
            b"<!DOCTYPE html>\n<html><body><table><tr><td>Name</td><td>Email</td></tr>"
            b"<tr><td>Ada Lovelace</td><td>ada@example.org</td></tr></table></body></html>\n"
        ),
        "old-binary.xls-renamed.xlsx": _ole(("Workbook", "\x05SummaryInformation")),
        "encrypted.xlsx": _ole(("EncryptionInfo", "EncryptedPackage", "\x06DataSpaces")),
        "spreadsheet.ods-renamed.xlsx": _zip(
            {
                "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                "content.xml": b'<?xml version="1.0"?><office:document-content '
                b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            }
        ),
        "strict.xlsx": workbook({"Contacts": _sheet([["Name"], ["Ada Lovelace"]], namespace=_STRICT)}, _STRICT),
        "truncated.xlsx": tracker_like[: len(tracker_like) // 2],
        "not-a-tracker.xlsx": workbook({"Budget": _sheet([["Item", "Cost"], ["Coffee", 3], ["Train", 12]])}),
        "far-cell.xlsx": workbook(
            {
                "Contacts": _sheet(
                    [["Name", "Organization", "Email"], ["Ada Lovelace", "Analytical Engines", "ada@example.org"]],
                    extra_rows='<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
                ),
                "Touchpoints": _sheet([["Date", "Contact", "Channel"]]),
            }
        ),
        "billion-laughs.xlsx": workbook(
            {"Contacts": _sheet([["Name"], ["Ada Lovelace"]])},
            shared_strings=(_LAUGHS + f'<sst xmlns="{_MAIN}"><si><t>&lol9;</t></si></sst>').encode(),
        ),
    }
    paths = {}
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths[name] = path
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/corpus/make_corpus.py OUTPUT_FOLDER")
    for written in build(Path(sys.argv[1])).values():
        print(written)
