"""sheetkit's speed targets, measured as ratios of whole processes run side by side.

Every figure is the median of several runs of a fresh ``python`` process
(``sys.executable``), each command and its baseline interleaved in rotating
order in the same run, so drift and caching hit both alike. Only ratios are
judged, never absolute times, except the cohort's wall-clock limit. Wall time
is what is judged; CPU time (user + system, from ``os.wait4``) is shown beside
it, so threads that overlap work are visible rather than hidden. The measured
commands are the plain command line with the default configuration, so the
workbook safety guards are on in every run (target 5 checks it).

    python bench/run.py            # every target: 5 rounds, trackers of 200 to 100,000 contacts
    python bench/run.py --quick    # a smoke test: 200 and 1,000 contacts, 3 rounds, no cohort
    python bench/run.py --sizes 1000,10000 --repeat 7
    python bench/run.py --sizes 1000,10000 --against ../main   # this code's report against another checkout's

Prints a table of medians, ratios and PASS/FAIL, writes ``bench/out/results.json``
and exits 1 if a target failed or a command crashed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
sys.path.insert(0, str(BENCH_DIR))

from make_trackers import AS_OF, ensure_tracker  # noqa: E402  (bench/ is put on the path above)

#: Touchpoints per contact in the generated trackers (1,000 / 5,000 and so on).
TOUCHES_PER_CONTACT = 5
SIZES = (200, 1_000, 10_000, 100_000)
QUICK_SIZES = (200, 1_000)
GIB = 1024**3
CLICK_BASELINE = "import click"
# The floor F: what any report must do (start Python, import pandas, parse both sheets), ended the
# way sheetkit's console entry ends, with os._exit after flushing (sheetkit.cli.main). Both skip the
# interpreter's object-by-object teardown, so neither pays for it and the ratio compares the work.
CALAMINE_FLOOR = (
    "import os, sys, pandas, python_calamine\n"
    "workbook = python_calamine.CalamineWorkbook.from_path(sys.argv[1])\n"
    "for name in ('Contacts', 'Touchpoints'):\n"
    "    workbook.get_sheet_by_name(name).to_python()\n"
    "sys.stdout.flush()\n"
    "sys.stderr.flush()\n"
    "os._exit(0)\n"
)
EMPTY_WORKBOOK = "import sys, openpyxl\nopenpyxl.Workbook().save(sys.argv[1])\n"


class CommandFailed(RuntimeError):
    """A measured command exited non-zero: the benchmark is void, not merely slow."""


@dataclass(frozen=True)
class Command:
    """One whole-process command; ``before`` runs untimed ahead of every run (e.g. removing an output).

    ``environment`` adds to or overrides the shared environment for this command alone.
    """

    label: str
    argv: tuple[str, ...]
    before: Callable[[], None] | None = None
    environment: dict[str, str] | None = None
    #: The working directory: ``python -m sheetkit`` imports the sheetkit found here first.
    cwd: Path = REPO


@dataclass
class Timing:
    """The runs of one command: wall seconds, CPU seconds (user + system) and the child's peak memory."""

    label: str
    argv: list[str]
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    peak_rss_bytes: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu_seconds)

    @property
    def peak_rss(self) -> int:
        return max(self.peak_rss_bytes)


@dataclass
class Verdict:
    """One target: the figure measured, its limit, and whether it held (None: not run, or only shown)."""

    target: str
    figure: str
    limit: str
    passed: bool | None
    cpu_figure: str = ""
    note: str = ""


def python(*args: str) -> tuple[str, ...]:
    return (sys.executable, *args)


def sheetkit(*args: str) -> tuple[str, ...]:
    return python("-m", "sheetkit", *args)


def child_environment() -> dict[str, str]:
    """The environment of every measured process: the repository importable, caches under bench/out/.

    Bytecode goes to ``bench/out/pycache`` (never beside the sources), so every
    command runs compiled modules, as an installed package does, even where
    PYTHONDONTWRITEBYTECODE is set. sheetkit's own cache (built workbook and
    compiled report templates) goes to ``bench/out/cache``, not the user's.
    The warm-up run fills both, as a user's first run does.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(OUT_DIR / "pycache")
    env["SHEETKIT_CACHE_DIR"] = str(OUT_DIR / "cache")
    return env


def check_imports(checkout: Path, env: dict[str, str]) -> None:
    """Make sure the measured commands run ``checkout``'s sheetkit, not another one on the path."""
    found = subprocess.run(python("-c", "import sheetkit; print(sheetkit.__file__)"), cwd=checkout, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if Path(found).resolve().parent != (checkout / "sheetkit").resolve():
        raise CommandFailed(f"run from {checkout}, `import sheetkit` finds {found}")


def run_once(command: Command, env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``command`` to the end: wall and CPU seconds, and peak RSS (from wait4: this child alone)."""
    if command.before:
        command.before()
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command.argv, stdout=subprocess.DEVNULL, stderr=errors, cwd=command.cwd,
                                   env={**env, **(command.environment or {})})
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace")[-2000:]
            raise CommandFailed(f"{command.label} exited {process.returncode}: {' '.join(command.argv)}\n{tail}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def compare(commands: Sequence[Command], repeat: int, env: dict[str, str]) -> dict[str, Timing]:
    """Run each command once to warm caches, then ``repeat`` interleaved rounds in rotating order."""
    timings = {c.label: Timing(c.label, list(c.argv)) for c in commands}
    for command in commands:
        run_once(command, env)
    for round_number in range(repeat):
        shift = round_number % len(commands)
        for command in [*commands[shift:], *commands[:shift]]:
            seconds, cpu, rss = run_once(command, env)
            timings[command.label].seconds.append(seconds)
            timings[command.label].cpu_seconds.append(cpu)
            timings[command.label].peak_rss_bytes.append(rss)
        print(f"  round {round_number + 1}/{repeat}: "
              + ", ".join(f"{t.label} {t.seconds[-1]:.2f}s" for t in timings.values()), file=sys.stderr)
    return timings


def at_most(subject: Timing, baseline: Timing, limit: float, target: str) -> Verdict:
    """``subject`` takes at most ``limit`` times ``baseline``'s wall time (medians)."""
    ratio = subject.median / baseline.median
    return Verdict(target, f"{ratio:.2f}x", f"<= {limit}x", ratio <= limit,
                   cpu_figure=f"{subject.median_cpu / baseline.median_cpu:.2f}x")


def not_run(target: str, reason: str) -> Verdict:
    return Verdict(target, "not run", "", None, note=reason)


# ---- the targets ----------------------------------------------------------------------------


def startup_targets(repeat: int, env: dict[str, str]) -> tuple[list[Verdict], dict[str, Timing]]:
    """Target 1: --help and --version within 2x of importing click, and without pandas or openpyxl."""
    print("sheetkit --help / --version against `import click`", file=sys.stderr)
    timings = compare(
        [
            Command("import click", python("-c", CLICK_BASELINE)),
            Command("sheetkit --help", sheetkit("--help")),
            Command("sheetkit --version", sheetkit("--version")),
        ],
        repeat,
        env,
    )
    verdicts = [at_most(timings[f"sheetkit {option}"], timings["import click"], 2.0,
                        f"1. {option} <= 2x import click") for option in ("--help", "--version")]
    for option in ("--help", "--version"):
        heavy = heavy_imports(sheetkit(option), env)
        verdicts.append(Verdict(f"1. {option} imports neither pandas nor openpyxl",
                                ", ".join(heavy) or "neither imported", "neither", not heavy))
    return verdicts, timings


def heavy_imports(argv: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """Which of pandas and openpyxl the command imports, from ``python -X importtime``'s log."""
    result = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True,
                            check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    return sorted(name for name in ("pandas", "openpyxl") if name in imported)


def report_limit(contacts: int) -> float:
    """How many times F a report of this many contacts may take (issue 13)."""
    if contacts <= 1_000:
        return 1.4
    if contacts <= 10_000:
        return 1.6
    return 2.5


def report_targets(
    contacts: int, repeat: int, env: dict[str, str], scratch: Path, against: Path | None = None
) -> tuple[list[Verdict], dict[str, Timing]]:
    """Target 2: `sheetkit report` (HTML) against the floor F; from 100,000 contacts also peak memory.

    With ``against`` (another checkout of sheetkit), its report runs in the same rounds and the
    ratio of the two is shown, not judged.
    """
    size = f"{contacts:,}/{contacts * TOUCHES_PER_CONTACT:,}"
    print(f"tracker {size}: generating (cached under bench/out/)", file=sys.stderr)
    tracker = ensure_tracker(contacts, contacts * TOUCHES_PER_CONTACT)
    floor, report, other = f"floor F {size}", f"sheetkit report {size}", f"{against} report {size}"

    def report_command(label: str, checkout: Path, environment: dict[str, str] | None = None) -> Command:
        output = scratch / f"{'against' if environment else 'report'}-{contacts}.html"
        return Command(label,
                       sheetkit("report", str(tracker), "--as-of", AS_OF.isoformat(), "-o", str(output), "--quiet"),
                       before=lambda: output.unlink(missing_ok=True), environment=environment, cwd=checkout)

    commands = [Command(floor, python("-c", CALAMINE_FLOOR, str(tracker))), report_command(report, REPO)]
    if against:
        other_env = {"PYTHONPATH": str(against), "SHEETKIT_CACHE_DIR": str(OUT_DIR / "cache-against")}
        check_imports(against, {**env, **other_env})
        commands.append(report_command(other, against, other_env))
    print(f"tracker {size}: report against the floor", file=sys.stderr)
    timings = compare(commands, repeat, env)
    limit = report_limit(contacts)
    verdicts = [at_most(timings[report], timings[floor], limit, f"2. report {size} <= {limit}x F")]
    if against:
        verdicts.append(Verdict(f"2. report {size} against {against}'s",
                                f"{timings[report].median / timings[other].median:.2f}x",
                                "shown, not judged", None,
                                cpu_figure=f"{timings[report].median_cpu / timings[other].median_cpu:.2f}x"))
    if contacts >= 100_000:
        peak = timings[report].peak_rss
        verdicts.append(Verdict(f"2. report {size} peak memory < 1 GiB", f"{peak / GIB:.2f} GiB", "< 1 GiB",
                                peak < GIB))
    return verdicts, timings


def new_targets(repeat: int, env: dict[str, str], scratch: Path) -> tuple[list[Verdict], dict[str, Timing]]:
    """Target 3: `sheetkit new` within 1.5x of openpyxl building and saving an empty workbook."""
    print("sheetkit new against openpyxl saving an empty workbook", file=sys.stderr)
    tracker = scratch / "new-tracker.xlsx"
    empty = scratch / "empty.xlsx"
    first_cache = scratch / "first-run-cache"

    def first_run() -> None:
        tracker.unlink(missing_ok=True)
        shutil.rmtree(first_cache, ignore_errors=True)

    new = sheetkit("new", str(tracker), "--student", "Sam Lee")
    timings = compare(
        [
            Command("openpyxl empty workbook", python("-c", EMPTY_WORKBOOK, str(empty))),
            Command("sheetkit new", new, before=lambda: tracker.unlink(missing_ok=True)),
            # The first run on a machine, with an empty cache of its own.
            Command("sheetkit new (first run, empty cache)", new, before=first_run,
                    environment={"SHEETKIT_CACHE_DIR": str(first_cache)}),
        ],
        repeat,
        env,
    )
    baseline = timings["openpyxl empty workbook"]
    return [
        at_most(timings["sheetkit new"], baseline, 1.5, "3. new <= 1.5x empty openpyxl workbook"),
        at_most(timings["sheetkit new (first run, empty cache)"], baseline, 1.5,
                "3. new, first run (empty cache) <= 1.5x empty openpyxl workbook"),
    ], timings


def cohort_targets(repeat: int) -> tuple[list[Verdict], dict[str, Timing]]:
    """Target 4: a cohort of 500 trackers x 100 contacts with 2 workers, and 2 workers against 1."""
    from cohort_bench import CONTACTS, STUDENTS, measure

    timings = measure(STUDENTS, CONTACTS, min(repeat, 3))
    one, two = timings["sheetkit cohort --jobs 1"], timings["sheetkit cohort --jobs 2"]
    return [
        Verdict(f"4. cohort {STUDENTS} x {CONTACTS} contacts, 2 workers < 10 s", f"{two.median:.1f} s", "< 10 s",
                two.median < 10, cpu_figure=f"{two.median_cpu:.1f} s"),
        Verdict("4. cohort, 2 workers >= 1.6x faster than 1", f"{one.median / two.median:.2f}x faster",
                ">= 1.6x faster", one.median / two.median >= 1.6),
    ], timings


def guard_target(env: dict[str, str], scratch: Path) -> Verdict:
    """Target 5: the measured commands run with the safety guards on (no --config, default limits).

    Checked the way the measured report runs: a tracker with a value in
    XFD1048576, which would make python-calamine abort the process unguarded,
    must be reported with that cell set aside.
    """
    from openpyxl import Workbook

    tracker = scratch / "far-cell.xlsx"
    workbook = Workbook()
    contacts = workbook.active
    assert contacts is not None
    contacts.title = "Contacts"
    contacts.append(["Name", "Date met"])
    contacts.append(["Ann Lee", AS_OF])
    contacts.cell(row=1_048_576, column=16_384, value="far away")
    workbook.create_sheet("Touchpoints").append(["Date", "Contact"])
    workbook.save(tracker)
    result = subprocess.run(sheetkit("report", str(tracker), "--format", "json", "-o", "-", "--as-of",
                                     AS_OF.isoformat(), "--quiet"), env=env, capture_output=True, text=True)
    set_aside = result.returncode == 0 and any(
        problem["cell"] == "XFD1048576" and "set aside" in problem["message"]
        for problem in json.loads(result.stdout)["problems"]
    )
    figure = "far cell set aside" if set_aside else f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
    return Verdict("5. safety guards on in the measured report", figure, "guard reports XFD1048576", set_aside)


# ---- output ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """nproc, CPU model and RAM, from the OS."""
    cpu, ram_gib = "unknown", None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        meminfo = Path("/proc/meminfo").read_text().split()
        ram_gib = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, ValueError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": ram_gib, "python": platform.python_version(),
            "platform": platform.platform()}


def table(verdicts: Sequence[Verdict], timings: dict[str, Timing]) -> str:
    """Two Markdown tables: the medians of every command, then every target with its verdict."""
    lines = ["| command | median wall | median CPU | runs | peak RSS |", "|---|---:|---:|---:|---:|"]
    for t in timings.values():
        lines.append(f"| {t.label} | {t.median:.3f} s | {t.median_cpu:.3f} s | {len(t.seconds)} "
                     f"| {t.peak_rss / 1024**2:.0f} MiB |")
    lines += ["", "| target | wall | CPU | limit (wall) | verdict |", "|---|---:|---:|---:|---|"]
    for v in verdicts:
        verdict = " ".join(filter(None, [{True: "PASS", False: "FAIL", None: ""}[v.passed], v.note and f"({v.note})"]))
        lines.append(f"| {v.target} | {v.figure} | {v.cpu_figure} | {v.limit} | {verdict} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure sheetkit's speed targets as ratios, side by side.")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: 200 and 1,000 contacts, 3 rounds, no cohort")
    parser.add_argument("--sizes", help="contact counts, comma-separated (default 200,1000,10000,100000); "
                        "each tracker has 5 touchpoints per contact")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds of each command (after a warm-up)")
    parser.add_argument("--against", type=lambda path: Path(path).resolve(), metavar="CHECKOUT",
                        help="also run `sheetkit report` from this other checkout in the same rounds, and show "
                        "the ratio (e.g. a worktree of main, to measure what a change cost)")
    args = parser.parse_args(argv)
    default_sizes = QUICK_SIZES if args.quick else SIZES
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(default_sizes)
    repeat = min(args.repeat, 3) if args.quick else args.repeat
    env = child_environment()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    verdicts: list[Verdict] = []
    timings: dict[str, Timing] = {}
    started = time.perf_counter()
    try:
        check_imports(REPO, env)
        with tempfile.TemporaryDirectory(prefix="sheetkit-bench-") as scratch_dir:
            scratch = Path(scratch_dir)
            steps: list[Callable[[], tuple[list[Verdict], dict[str, Timing]]]] = [
                lambda: startup_targets(repeat, env),
                *(lambda n=n: report_targets(n, repeat, env, scratch, args.against) for n in sizes),
                lambda: new_targets(repeat, env, scratch),
            ]
            if not args.quick:
                steps.append(lambda: cohort_targets(repeat))
            for step in steps:
                found, measured = step()
                verdicts += found
                timings.update(measured)
            if args.quick:
                verdicts.append(not_run("4. cohort", "--quick; `python bench/cohort_bench.py` runs it alone"))
            verdicts.append(guard_target(env, scratch))
    except CommandFailed as failure:
        print(f"benchmark aborted: {failure}", file=sys.stderr)
        return 1
    results = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "repeat": repeat,
        "sizes": sizes,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "timings": {label: {**asdict(t), "median": t.median, "median_cpu": t.median_cpu}
                    for label, t in timings.items()},
        "targets": [asdict(v) for v in verdicts],
    }
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    info = results["machine"]
    print(f"\n{info['nproc']} CPUs ({info['cpu']}), {info['ram_gib']} GiB RAM, Python {info['python']}; "
          f"medians of {repeat} runs; {results['elapsed_seconds']} s in all\n")
    print(table(verdicts, timings))
    print(f"\nwritten: {OUT_DIR / 'results.json'}")
    failed = [v.target for v in verdicts if v.passed is False]
    if failed:
        print(f"\n{len(failed)} target(s) failed: " + "; ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
