"""What a cohort folder may hold besides trackers: special files, broken links, sheetkit's own outputs.

Every such path is listed (failed or set aside, with its reason) and the run
goes on; nothing is waited on. Runs go through a real `sheetkit` process with
a time limit, so a run that waits on a named pipe fails instead of hanging.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from builders import contact, write_tracker

REQUIRE_REAL = os.environ.get("SHEETKIT_REQUIRE_REAL") == "1"
AS_OF = "2026-11-22"


def sheetkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sheetkit", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


def _failed(document: dict) -> dict[str, str]:
    return {Path(f["file"]).name: f["error"] for f in document["failed"]}


def test_special_files_and_link_loops_are_listed_never_opened(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    write_tracker(folder / "ann.xlsx", [contact("Wren Halloway")], student="Ann Lee")
    os.mkfifo(folder / "pipe.xlsx")
    (folder / "loop.xlsx").symlink_to("loop.xlsx")
    (folder / "gone.xlsx").symlink_to("no-such-target.xlsx")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "socket.xlsx"))
    try:
        os.mknod(folder / "device.xlsx", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        device = True
    except PermissionError:
        if REQUIRE_REAL:
            pytest.fail("making a device node needs root; SHEETKIT_REQUIRE_REAL=1 forbids skipping it")
        device = False
    try:
        result = sheetkit("cohort", str(folder), "--as-of", AS_OF, "--jobs", "1", "--format", "json", "-o", "-",
                          cwd=tmp_path)
    finally:
        listener.close()
    assert result.returncode == 3, result.stderr
    document = json.loads(result.stdout)
    failed = _failed(document)
    assert failed["pipe.xlsx"] == "a named pipe (FIFO), not a workbook file; only regular files are read"
    assert failed["socket.xlsx"] == "a socket, not a workbook file; only regular files are read"
    assert failed["loop.xlsx"].startswith("a symbolic link that loops back on itself")
    assert failed["gone.xlsx"].startswith("a symbolic link to nothing")
    if device:
        assert failed["device.xlsx"] == "a device, not a workbook file; only regular files are read"
    assert [s["student"] for s in document["students"]] == ["Ann Lee"]
    assert f"{folder / 'pipe.xlsx'}: a named pipe (FIFO)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_reached_through_a_linked_folder_is_named_by_its_shortest_path(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    write_tracker(folder / "ann.xlsx", [], student="Ann Lee")
    (folder / "again").symlink_to(".")  # a folder linked to itself: "d/**" reaches ann.xlsx at every depth
    (folder / "loop.xlsx").symlink_to("loop.xlsx")
    result = sheetkit("cohort", "d/**/*.xlsx", "--as-of", AS_OF, "--format", "json", "-o", "-", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    document = json.loads(result.stdout)
    assert [s["file"] for s in document["students"]] == ["d/ann.xlsx"]
    assert list(_failed(document)) == ["loop.xlsx"] and document["failed"][0]["file"] == "d/loop.xlsx"


def test_a_pipe_named_on_the_command_line_is_refused_too(tmp_path: Path) -> None:
    write_tracker(tmp_path / "ann.xlsx", [], student="Ann Lee")
    os.mkfifo(tmp_path / "pipe.xlsx")
    result = sheetkit("cohort", "ann.xlsx", "pipe.xlsx", "--as-of", AS_OF, "--format", "json", "-o", "-",
                      cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert _failed(json.loads(result.stdout)) == {
        "pipe.xlsx": "a named pipe (FIFO), not a workbook file; only regular files are read"}


def test_a_cohort_xlsx_written_into_the_folder_is_set_aside_on_the_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    write_tracker(folder / "ann.xlsx", [], student="Ann Lee")
    first = sheetkit("cohort", "d", "--as-of", AS_OF, "--format", "xlsx", "-o", "d/summary.xlsx", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = sheetkit("cohort", "d", "--as-of", AS_OF, "--format", "xlsx", "-o", "d/summary.xlsx", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "d/summary.xlsx: skipped, an earlier `sheetkit cohort` output" in again.stderr
    # Under another name, in another run, it is still known by its mark, and still not a submission.
    (folder / "summary.xlsx").rename(folder / "week-47.xlsx")
    listed = sheetkit("cohort", "d", "--as-of", AS_OF, "--format", "json", "-o", "-", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "week-47.xlsx: skipped" in listed.stderr
    assert [s["student"] for s in json.loads(listed.stdout)["students"]] == ["Ann Lee"]


def test_a_report_under_any_name_is_a_report_and_a_tracker_named_report_is_read(tmp_path: Path) -> None:
    write_tracker(tmp_path / "ann.xlsx", [contact("Wren Halloway")], student="Ann Lee")
    made = sheetkit("report", "ann.xlsx", "--as-of", AS_OF, "--format", "xlsx", "-o", "my-tracker.xlsx",
                    cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    write_tracker(tmp_path / "bo-report.xlsx", [], student="Bo Chen")
    result = sheetkit("cohort", "my-tracker.xlsx", "bo-report.xlsx", "--as-of", AS_OF, "--format", "json", "-o", "-",
                      cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    document = json.loads(result.stdout)
    assert [s["student"] for s in document["students"]] == ["Bo Chen"]
    assert _failed(document)["my-tracker.xlsx"].startswith("a sheetkit report, not a tracker")
