"""Safe writing: never the input, never over a file without --force, always atomic."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from sheetkit.errors import OutputError


#: Marks sheetkit's own outputs, so a re-run may refresh them without --force.
GENERATOR_MARK = "sheetkit"


def check_destination(
    destination: Path, *, force: bool, inputs: Iterable[Path] = (), refreshable: bool = False
) -> None:
    """Refuse to write over an input file (even with --force) or, without --force, over any file.

    With ``refreshable``, a file that sheetkit itself generated earlier (see
    :func:`is_sheetkit_output`) may be replaced without --force: it holds
    nothing a person typed, and a student re-runs the report every week.
    """
    for source in inputs:
        if _same_file(destination, source):
            raise OutputError(
                f"{destination}: this is the input workbook; sheetkit never writes over its input. "
                "Choose another name with -o"
            )
    if destination.is_dir():
        raise OutputError(f"{destination}: is a folder; give a file name with -o")
    if destination.exists() and not force and not (refreshable and is_sheetkit_output(destination)):
        raise OutputError(f"{destination}: already exists; add --force to replace it, or choose another name")
    if not destination.parent.exists():
        raise OutputError(f"{destination.parent}: folder does not exist; create it first or choose another path")


def write_atomic(destination: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a temporary file beside ``destination``, then move it into place.

    An interrupted run leaves whatever was at ``destination`` before intact.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(temporary, _mode_for(destination))
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(destination: Path) -> int:
    """The replaced file's permissions, or the default for a new file under the current umask."""
    try:
        return destination.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(destination: Path, write: Callable[[IO[str]], None]) -> None:
    """:func:`write_atomic` for text written piece by piece, as UTF-8 with the newlines given."""

    def encode(stream: IO[bytes]) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")  # type: ignore[type-var]
        write(text)
        text.flush()
        text.detach()

    write_atomic(destination, encode)


def write_bytes_atomic(destination: Path, data: bytes) -> None:
    write_atomic(destination, lambda stream: stream.write(data))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def is_sheetkit_output(path: Path) -> bool:
    """True for an HTML, JSON, iCalendar or XLSX file that sheetkit wrote (it carries a generator mark)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as archive:
                core = archive.read("docProps/core.xml")[:4096] if "docProps/core.xml" in archive.namelist() else b""
            return f"<dc:creator>{GENERATOR_MARK}".encode() in core
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return False
    text = head.decode("utf-8", "replace")
    return (f'name="generator" content="{GENERATOR_MARK}' in text
            or f'"generator": "{GENERATOR_MARK}' in text
            or f"PRODID:-//{GENERATOR_MARK}//" in text)
