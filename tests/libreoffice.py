"""Recalculate workbooks in headless LibreOffice, so tests can read formula results.

openpyxl writes formulas without results; LibreOffice, told to always
recalculate on load, computes them and saves the values into a new .xlsx that
openpyxl reads with ``data_only=True``::

    recalculate(Path("built.xlsx"), Path("computed.xlsx"), soffice)

Each call starts LibreOffice once (about ten seconds) with a private, throw-away
profile, so it neither disturbs nor waits for any other LibreOffice running on
the machine. Convert several files in one launch with :func:`recalculate_all`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

#: Generous: a cold start on a busy CI machine can take half a minute.
TIMEOUT_SECONDS = 180

_ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <item oor:path="/org.openoffice.Office.Calc/Formula/Load">
    <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
  </item>
  <item oor:path="/org.openoffice.Office.Calc/Formula/Load">
    <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop>
  </item>
</oor:items>
"""


class LibreOfficeError(RuntimeError):
    """LibreOffice failed, timed out, or did not write the expected file."""


def recalculate(src: Path, dst: Path, soffice: str) -> None:
    """Open ``src`` in LibreOffice, recalculate every formula, and save the result as ``dst`` (.xlsx)."""
    recalculate_all([(src, dst)], soffice)


def recalculate_all(pairs: Sequence[tuple[Path, Path]], soffice: str, timeout: float = TIMEOUT_SECONDS) -> None:
    """:func:`recalculate` for several (src, dst) pairs in a single LibreOffice launch.

    Sources must have distinct file names (LibreOffice names each output after its input).
    """
    sources = [Path(src).resolve() for src, _ in pairs]
    if len({src.stem for src in sources}) != len(sources):
        raise ValueError(f"source files need distinct names: {[src.name for src in sources]}")
    for src in sources:
        if not src.is_file():
            raise LibreOfficeError(f"{src}: no such file to recalculate")

    work = Path(tempfile.mkdtemp(prefix="sheetkit-libreoffice-"))
    try:
        profile = work / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_ALWAYS_RECALCULATE, encoding="utf-8")
        outdir = work / "out"
        outdir.mkdir()
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(outdir),
            *map(str, sources),
        ]
        stdout, stderr, returncode = _run(command, timeout)
        for src, (_, dst) in zip(sources, pairs, strict=True):
            produced = outdir / f"{src.stem}.xlsx"
            if returncode != 0 or not produced.is_file():
                raise LibreOfficeError(
                    f"LibreOffice did not convert {src.name} (exit code {returncode}).\n"
                    f"command: {' '.join(command)}\nstdout: {stdout.strip()}\nstderr: {stderr.strip()}"
                )
            Path(dst).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(produced), str(dst))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(command: list[str], timeout: float) -> tuple[str, str, int]:
    """Run LibreOffice in its own process group, so a timeout kills its helper processes too."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
        env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"},
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise LibreOfficeError(
            f"LibreOffice took longer than {timeout:.0f} s and was stopped.\n"
            f"command: {' '.join(command)}\nstdout: {stdout.strip()}\nstderr: {stderr.strip()}"
        ) from None
    return stdout, stderr, process.returncode
