"""Faults of the machine around the workbook: real special files, full and read-only disks, signals.

Each case runs a real `python -m sheetkit` process and checks what a person
sees: one plain line, the exit code a shell expects, no traceback, no
temporary file left and the previous output as it was. Cases that need root
(device nodes, tmpfs mounts, dropping root's permission override) skip
elsewhere, unless SHEETKIT_REQUIRE_REAL=1 (CI), which turns those skips into failures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from builders import contact, touch, write_tracker

REQUIRE_REAL = os.environ.get("SHEETKIT_REQUIRE_REAL") == "1"
D = dt.date
AS_OF = "2026-11-22"
#: Runs a command as root without root's power to ignore file permissions.
NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def sheetkit(*args: str | Path, cwd: Path, prefix: list[str] | None = None, python: tuple[str, ...] = ()
             ) -> subprocess.CompletedProcess[str]:
    """Run sheetkit in a real process; whatever happens, its output holds no traceback."""
    command = [*(prefix or []), sys.executable, *python, "-m", "sheetkit", *map(str, args)]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    said = result.stdout + result.stderr
    assert "Traceback" not in said and "Exception ignored" not in said, said
    return result


def need_root() -> None:
    if os.geteuid() != 0:
        message = "needs root (device nodes, tmpfs, dropping permission overrides)"
        if REQUIRE_REAL:
            pytest.fail(message + "; SHEETKIT_REQUIRE_REAL=1 forbids skipping", pytrace=False)
        pytest.skip(message)


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "64k") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder``, always unmounted afterwards."""
    need_root()
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        if REQUIRE_REAL:
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr}", pytrace=False)
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(disk: Path) -> None:
    """Fill ``disk`` to the last block."""
    handle = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):
            while True:
                os.write(handle, b"\0" * 1024)
    finally:
        os.close(handle)


def temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".sk-"))


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return write_tracker(
        tmp_path / "tracker.xlsx",
        [contact("Ann Lee", organization="Acme", email="ann@acme.example", date_met=D(2026, 11, 1),
                 how_met="Informational interview"),
         contact("Bo Chen", organization="Initech", date_met=D(2026, 10, 1), how_met="Networking event")],
        [touch(D(2026, 10, 2), "Bo Chen", purpose="Thank-you", channel="Email")],
        student="Sam Lee",
    )


# ---- 1. write errors are one plain line -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["html", "xlsx", "json"])
def test_full_disk_is_one_line_and_leaves_the_previous_output(tracker: Path, tmp_path: Path, fmt: str) -> None:
    with small_disk(tmp_path / "disk") as disk:
        out = disk / f"report.{fmt}"
        assert sheetkit("report", tracker, "--format", fmt, "-o", out, "--as-of", AS_OF, cwd=tmp_path).returncode == 0
        before = out.read_bytes()
        fill(disk)
        result = sheetkit("report", tracker, "--format", fmt, "-o", out, "--as-of", AS_OF, "--force",
                          cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert result.stderr == f"Error: {out}: disk full (no space left on the device); free some space, " \
                                "or choose another place\n"
        assert out.read_bytes() == before
        assert temporary_files(disk) == []


def test_read_only_file_system(tracker: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        result = sheetkit("report", tracker, "-o", disk / "r.html", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == f"Error: {disk / 'r.html'}: read-only file system; choose a place you can write to\n"


def test_folder_without_write_permission_and_unreadable_inputs(tracker: Path, tmp_path: Path) -> None:
    need_root()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    secret = tmp_path / "secret.xlsx"
    shutil.copy(tracker, secret)
    secret.chmod(0)
    config = tmp_path / "c.toml"
    config.write_text("[policy]\n", encoding="utf-8")
    config.chmod(0)
    wrote = sheetkit("report", tracker, "-o", locked / "r.html", cwd=tmp_path, prefix=NO_OVERRIDE)
    assert (wrote.returncode, wrote.stderr) == (1, f"Error: {locked / 'r.html'}: permission denied; check the "
                                                   "file's and folder's permissions, or choose another place\n")
    # Unreadable inputs are file problems (exit 1), not usage errors (Click's exit 2).
    for args in (["report", secret], ["check", secret], ["report", tracker, "--config", config, "-o", "-"]):
        result = sheetkit(*args, cwd=tmp_path, prefix=NO_OVERRIDE)
        assert result.returncode == 1, result.stderr
        said = result.stdout + result.stderr
        assert "permission denied" in said and "not readable" not in said


def test_longest_legal_name_is_written_and_one_byte_more_is_refused(tracker: Path, tmp_path: Path) -> None:
    legal = tmp_path / ("é" * 125 + ".html")  # 250 + 5 = 255 bytes: the longest name Linux allows
    result = sheetkit("report", tracker, "-o", legal, "--as-of", AS_OF, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert legal.is_file() and temporary_files(tmp_path) == []
    too_long = tmp_path / ("é" * 125 + "x.html")
    result = sheetkit("report", tracker, "-o", too_long, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith(": file name too long for this file system; choose a shorter name\n")


def test_closed_or_full_stdout(tracker: Path, tmp_path: Path) -> None:
    closed = sheetkit_to("closed", "report", tracker, "--format", "json", "-o", "-", cwd=tmp_path)
    assert closed.returncode == 1
    assert closed.stderr == "Error: -: standard output is closed; give a file name with -o\n"
    result = sheetkit_to("full", "report", tracker, "--format", "json", "-o", "-", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, STDOUT_FULL)


#: What every command whose results go to stdout says when stdout was closed (``>&-``) or is full.
STDOUT_CLOSED = ("Error: stdout: is closed, so the results cannot be printed; run the command again with stdout open, "
                 "or send it to a file (> results.txt)\n")
STDOUT_FULL = "Error: stdout: disk full (no space left on the device); free some space, or choose another place\n"


#: A person's shell: stdout buffered (a test runner may set PYTHONUNBUFFERED, which hides a second flush).
BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def sheetkit_to(stdout: str, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run sheetkit with stdout ``"closed"`` (as ``>&-``) or ``"full"`` (``> /dev/full``); no traceback."""
    command = [sys.executable, "-m", "sheetkit", *map(str, args)]
    if stdout == "closed":
        result = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                timeout=120, preexec_fn=lambda: os.close(1), env=BUFFERED)
    else:
        with open("/dev/full", "w") as full:
            result = subprocess.run(command, cwd=cwd, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                                    env=BUFFERED)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    """A tracker with one problem for `check` to print: a date met that is not a date."""
    return write_tracker(tmp_path / "messy.xlsx", [contact("Ann Lee", organization="Acme", date_met="next Tuesday",
                                                           how_met="Informational interview")], student="Sam Lee")


@pytest.mark.parametrize("stdout, said", [("closed", STDOUT_CLOSED), ("full", STDOUT_FULL)], ids=["closed", "full"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_check_with_stdout_closed_or_full_says_so(messy: Path, tmp_path: Path, stdout: str, said: str,
                                                  fmt: str) -> None:
    result = sheetkit_to(stdout, "check", messy, "--format", fmt, "--as-of", AS_OF, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (1, said)


def test_check_with_nothing_to_print_needs_no_stdout(tracker: Path, tmp_path: Path) -> None:
    """As coreutils do: a closed stdout is an error only when something was to be written there."""
    result = sheetkit_to("closed", "check", tracker.name, "--as-of", AS_OF, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == "tracker.xlsx: no problems (2 contacts, 1 touchpoint)\n"  # the summary only, singular
    assert result.stderr.count("\n") == 1


def test_new_with_stdout_closed_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("Name\nSam Lee\nAna Ruiz\n", encoding="utf-8")
    one = sheetkit_to("closed", "new", "out.xlsx", cwd=tmp_path)
    roster = sheetkit_to("closed", "new", "--roster", "roster.csv", "--out-dir", "class", cwd=tmp_path)
    assert (one.returncode, one.stderr) == (roster.returncode, roster.stderr) == (1, STDOUT_CLOSED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv"]  # refused before any workbook


def test_new_and_help_with_stdout_full_say_so(tmp_path: Path) -> None:
    new = sheetkit_to("full", "new", "out.xlsx", cwd=tmp_path)
    assert (new.returncode, new.stderr) == (1, STDOUT_FULL)
    for args in (["--help"], ["check", "--help"], ["--version"]):
        result = sheetkit_to("full", *args, cwd=tmp_path)
        assert (result.returncode, result.stderr) == (1, STDOUT_FULL), args


_BUG = ("import sys, sheetkit.report as report\n"
        "def broken(*args, **kwargs):\n    return 1 / 0\n"
        "report.build_report = broken\n"
        "from sheetkit.cli import main\nsys.argv[0] = 'sheetkit'\nmain()\n")


def test_an_internal_error_is_one_line_with_a_way_to_the_details(tracker: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _BUG, "report", str(tracker), "-o", "-"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 70
    assert result.stderr == ("sheetkit: internal error (ZeroDivisionError: division by zero). This is a bug in "
                             "sheetkit, not a problem with your files; run the command again with --debug (or "
                             "SHEETKIT_DEBUG=1) to see the details, and report them.\n")
    for debug_args, env in ((["--debug"], {}), ([], {"SHEETKIT_DEBUG": "1"})):
        detailed = subprocess.run([sys.executable, "-c", _BUG, *debug_args, "report", str(tracker), "-o", "-"],
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120,
                                  env={**os.environ, **env})
        assert detailed.returncode == 70
        assert "Traceback" in detailed.stderr and "ZeroDivisionError" in detailed.stderr


# ---- 2. an output that is not a regular file is never replaced ----------------------------------------


def test_special_outputs_are_never_replaced(tracker: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    to_stdout = tmp_path / "to-stdout"
    to_stdout.symlink_to("/proc/self/fd/1")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    cases = {fifo: "a FIFO (named pipe)", to_stdout: "a symbolic link", loop: "a symbolic link"}
    if os.geteuid() == 0:
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        cases[device] = "a device"
    for path, kind in cases.items():
        before = os.lstat(path)
        for command in (["report", tracker], ["remind", tracker]):
            result = sheetkit(*command, "-o", path, "--force", cwd=tmp_path)
            assert result.returncode == 1, result.stderr
            assert result.stderr == (f"Error: {path}: is {kind}, and sheetkit only replaces regular files; "
                                     "choose another name, or write to stdout with -o -\n")
        after = os.lstat(path)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert temporary_files(tmp_path) == []


def test_a_roster_that_fails_part_way_says_so_and_a_rerun_finishes(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    names = [f"Student {n:02}" for n in range(1, 11)]
    roster.write_text("Name\n" + "\n".join(names) + "\n", encoding="utf-8")
    # Each workbook takes about 190 KB: a 1 MB disk holds some of the ten, not all.
    with small_disk(tmp_path / "disk", size="1m") as disk:
        out = disk / "trackers"
        first = sheetkit("new", "--roster", roster, "--out-dir", out, cwd=tmp_path)
        assert first.returncode == 1
        written = first.stdout.split()
        assert 0 < len(written) < 10 and all(Path(p).is_file() for p in written)
        assert f"{len(written)} of 10 workbooks were written before it (listed above)" in first.stderr
        assert "disk full" in first.stderr and first.stderr.count("\n") == 1 + len(written)
        assert temporary_files(out) == []
        # Room is made (a bigger disk), and the same command finishes the job without --force.
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
        second = sheetkit("new", "--roster", roster, "--out-dir", out, cwd=tmp_path)
        assert second.returncode == 0, second.stderr
        assert len(second.stdout.split()) == 10 - len(written)
        assert sorted(p.name for p in out.iterdir()) == [f"student-{n:02}.xlsx" for n in range(1, 11)]
        assert f"Wrote {10 - len(written)} workbooks to {out} ({len(written)} already there)" in second.stderr


# ---- 3. signals -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tracker big enough that writing its report takes a while (the window for a signal)."""
    folder = tmp_path_factory.mktemp("big")
    people = [contact(f"Person {n}", organization=f"Org {n % 50}", date_met=D(2026, 1, 1) + dt.timedelta(n % 300),
                      how_met="Networking event", notes="Met at the fair; " * 5) for n in range(3000)]
    return write_tracker(folder / "big.xlsx", people, student="Sam Lee")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_mid_write_cleans_up(big_tracker: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "report.json"
    assert sheetkit("report", big_tracker, "--format", "json", "-o", out, "--as-of", AS_OF,
                    cwd=tmp_path).returncode == 0
    before = out.read_bytes()
    for _attempt in range(5):
        process = subprocess.Popen([sys.executable, "-m", "sheetkit", "report", str(big_tracker), "--format", "json",
                                    "-o", str(out), "--as-of", AS_OF], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            caught = _stop_while_writing(process, tmp_path)
            if caught:
                process.send_signal(signum)
                process.send_signal(signal.SIGCONT)
            stdout, stderr = process.communicate(timeout=120)
        finally:
            process.kill()
        if caught:
            break
    else:
        pytest.fail("the report was never caught mid-write in 5 runs")
    assert process.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr + stdout
    assert temporary_files(tmp_path) == []
    assert out.read_bytes() == before


def _stop_while_writing(process: subprocess.Popen[str], folder: Path) -> bool:
    """Stop ``process`` (SIGSTOP) while its temporary file exists; False if it got past that point first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if temporary_files(folder):
            process.send_signal(signal.SIGSTOP)
            _wait_until_stopped(process.pid)
            if temporary_files(folder):  # stopped before the temporary file was moved into place
                return True
            process.send_signal(signal.SIGCONT)
            return False
    return False


def _wait_until_stopped(pid: int) -> None:
    """SIGSTOP takes effect asynchronously: wait (bounded) until the kernel shows the process stopped."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("T", "t", "Z"):
            return
    raise AssertionError(f"process {pid} did not stop")


# ---- 9. no command ever prints a traceback ------------------------------------------------------------


@pytest.fixture
def hostile_folder(tracker: Path, tmp_path: Path) -> Path:
    """Everything that can go wrong around a command, in one folder."""
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp_path / "roster.csv").write_text("Name\nSam Lee\n", encoding="utf-8")
    (tmp_path / "bad.toml").write_bytes(b"[policy\n\xff")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "report.html").write_text("{{ 1 / 0 }}", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("args", [
    ["report", "tracker.xlsx", "-o", "fifo", "--force"],
    ["report", "tracker.xlsx", "-o", "loop", "--force"],
    ["report", "tracker.xlsx", "-o", "a-file/r.html"],
    ["report", "tracker.xlsx", "-o", "no-such-folder/r.html"],
    ["report", "tracker.xlsx", "--format", "xlsx", "-o", "-"],
    ["report", "tracker.xlsx", "--templates", "folder", "-o", "-"],
    ["report", "tracker.xlsx", "--config", "bad.toml"],
    ["report", "tracker.xlsx", "--config", "folder"],
    ["report", "folder"],
    ["report", "no-such.xlsx"],
    ["check", "a-file"],
    ["remind", "tracker.xlsx", "-o", "fifo"],
    ["remind", "tracker.xlsx", "--drafts", "a-file", "-o", "-"],
    ["remind", "tracker.xlsx", "--as-of", "9999-12-31"],
    ["new", "fifo", "--force"],
    ["new", "--roster", "roster.csv", "--out-dir", "a-file"],
    ["new", "--roster", "roster.csv", "--out-dir", "loop"],
    ["cohort", "tracker.xlsx", "-o", "fifo", "--force"],
    ["cohort", "tracker.xlsx", "--format", "json", "-o", "a-file/x.json"],
])
def test_no_command_ever_prints_a_traceback(hostile_folder: Path, args: list[str]) -> None:
    result = sheetkit(*args, cwd=hostile_folder)  # asserts that nothing says "Traceback"
    assert result.returncode in (1, 2), result.stderr
    if result.returncode == 1:  # one line: the error, or `check`'s summary below its problems on stdout
        assert len(result.stderr.splitlines()) == 1, result.stderr
    else:
        assert result.stderr.startswith("Usage:") and "Error: " in result.stderr
    assert stat.S_ISFIFO(os.lstat(hostile_folder / "fifo").st_mode)
    assert temporary_files(hostile_folder) == []
