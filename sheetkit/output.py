"""Safe writing: never the input, never over a file without --force, always atomic."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from sheetkit.errors import OutputError, os_error_message, printable

#: Marks sheetkit's own outputs, so a re-run may refresh them without --force.
GENERATOR_MARK = "sheetkit"


def check_destination(
    destination: Path, *, force: bool, inputs: Iterable[Path] = (), refreshable: bool = False
) -> None:
    """Refuse to write over an input file (even with --force) or, without --force, over any file.

    Only a regular file is ever replaced: a folder, device, FIFO, socket or
    symbolic link at ``destination`` is refused, --force or not ('-o -' writes
    to stdout). With ``refreshable``, a file that sheetkit itself generated
    earlier (see :func:`is_sheetkit_output`) may be replaced without --force:
    it holds nothing a person typed, and a student re-runs the report every week.
    """
    for source in inputs:
        if _same_file(destination, source):
            raise OutputError(
                f"{destination}: this is the input workbook; sheetkit never writes over its input. "
                "Choose another name with -o"
            )
    try:
        found = destination.lstat()
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise OutputError(os_error_message(exc, destination)) from None
    if found is not None:
        _refuse_special(destination, found.st_mode)
        if not force and not (refreshable and is_sheetkit_output(destination)):
            raise OutputError(f"{destination}: already exists; add --force to replace it, or choose another name")
    if not destination.parent.is_dir():
        raise OutputError(f"{destination.parent}: folder does not exist; create it first or choose another path")


def _refuse_special(destination: Path, mode: int) -> None:
    """Raise :class:`OutputError` unless ``mode`` is a regular file's: nothing else is ever replaced."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise OutputError(f"{destination}: is a folder; give a file name with -o")
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    raise OutputError(printable(f"{destination}: is {kind}, and sheetkit only replaces regular files; "
                                "choose another name, or write to stdout with -o -"))


#: Temporary files are named like this beside their destination: short, so that a legal
#: destination name (up to 255 bytes) never makes an illegal temporary one.
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".sk-", ".tmp"


def write_atomic(destination: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write`` on a temporary file beside ``destination``, then move it into place.

    An interrupted or failed run (an error, a signal, a full disk) leaves
    whatever was at ``destination`` before intact and no temporary file.
    An operating-system error is raised again naming ``destination``, the
    file the user asked for, rather than the temporary one. The file is
    forced to disk before the rename (about 2 ms), so a power cut just after
    it never leaves an empty file where the previous output was.
    """
    # The name is chosen before the file is made, so that a signal arriving at any moment
    # after (even before os.open returns) still finds the name to remove.
    temporary = destination.parent / f"{TEMPORARY_PREFIX}{os.urandom(4).hex()}{TEMPORARY_SUFFIX}"
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        # The file was made private (0600); give it the mode a plain open() would.
        os.chmod(temporary, _mode_for(destination))
        with contextlib.suppress(FileNotFoundError):
            _refuse_special(destination, destination.lstat().st_mode)
        os.replace(temporary, destination)
    except OSError as exc:
        if not isinstance(exc, FileExistsError):  # that one is another run's temporary file: not ours to remove
            _remove(temporary)
        raise OSError(exc.errno, exc.strerror, str(destination)) from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(temporary: Path) -> None:
    """Remove a temporary file if it is there (on a read-only file system it never was)."""
    with contextlib.suppress(OSError):
        temporary.unlink()


def _mode_for(destination: Path) -> int:
    """The replaced file's permissions, or the default for a new file under the current umask."""
    try:
        return destination.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def as_utf8(write: Callable[[IO[str]], object]) -> Callable[[IO[bytes]], object]:
    """``write``, which writes text piece by piece, made to write it to a byte stream as UTF-8 (newlines as given)."""

    def encode(stream: IO[bytes]) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        write(text)
        text.flush()
        text.detach()

    return encode


def via_memory(write: Callable[[IO[bytes]], object]) -> Callable[[IO[bytes]], object]:
    """``write`` run on memory first, then copied out: a zip writer (XLSX) that meets a full disk half-way
    otherwise fails again as it is discarded ('seek of closed file')."""

    def copy(stream: IO[bytes]) -> None:
        buffer = io.BytesIO()
        write(buffer)
        stream.write(buffer.getbuffer())

    return copy


def write_bytes_atomic(destination: Path, data: bytes) -> None:
    write_atomic(destination, lambda stream: stream.write(data))


def same_workbook(path: Path, xlsx: bytes) -> bool:
    """True when ``path`` is a regular file holding the workbook ``xlsx``, part for part, but for
    its creation and modification times (``docProps/core.xml``)."""
    import zipfile  # XLSX files only: `--help` and the text outputs do without it

    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return False
        with zipfile.ZipFile(path) as there, zipfile.ZipFile(io.BytesIO(xlsx)) as here:
            names = here.namelist()
            return there.namelist() == names and all(
                there.read(name) == here.read(name) for name in names if name != "docProps/core.xml")
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python before 3.13)
        return False


def is_sheetkit_output(path: Path) -> bool:
    """True for an HTML, JSON, iCalendar or XLSX file that sheetkit wrote (it carries a generator mark)."""
    return sheetkit_output_properties(path) is not None


def sheetkit_output_properties(path: Path) -> bytes | None:
    """For a file sheetkit wrote, its XLSX core properties (``docProps/core.xml``; ``b""`` for an HTML,
    JSON or iCalendar file); None for any other file."""
    import zipfile  # XLSX files only: `--help` and the text outputs do without it

    try:
        with path.open("rb") as stream:
            head = stream.read(4096)
        if head.startswith(b"PK"):
            with zipfile.ZipFile(path) as archive:
                core = archive.read("docProps/core.xml") if "docProps/core.xml" in archive.namelist() else b""
            return core if f"<dc:creator>{GENERATOR_MARK}".encode() in core[:4096] else None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None
    text = head.decode("utf-8", "replace")
    marked = (f'name="generator" content="{GENERATOR_MARK}' in text
              or f'"generator": "{GENERATOR_MARK}' in text
              or f"PRODID:-//{GENERATOR_MARK}//" in text)
    return b"" if marked else None
