"""The speed targets of issue 5, measured as ratios of whole-process runs side by side.

Every figure is the median of several runs of a fresh ``python`` process
(``sys.executable``), the subject and its baseline interleaved in rotating
order on the same machine in the same run, so drift and caching hit both
alike; only the ratios are judged, never absolute times. The measured
commands are the plain command line with the default configuration, so the
workbook safety guards are on in every run.

    python bench/run.py --quick                 # smoke test: the small tracker, 3 repeats
    python bench/run.py                         # all sizes, 5 repeats
    python bench/run.py --sizes 1000,10000 --repeat 7

Prints a table of medians, ratios and PASS/FAIL per target and writes
``bench/out/results.json``. The exit status is 0 unless a command crashed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
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
GIB = 1024**3
CLICK_BASELINE = "import click"
CALAMINE_FLOOR = (
    "import sys, pandas, python_calamine\n"
    "workbook = python_calamine.CalamineWorkbook.from_path(sys.argv[1])\n"
    "for name in ('Contacts', 'Touchpoints'):\n"
    "    workbook.get_sheet_by_name(name).to_python()\n"
)
NAIVE_READ = "import sys, pandas\npandas.read_excel(sys.argv[1], sheet_name=None)\n"
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
    """One target: what was compared, the figure, the limit, and whether it held (None: not run)."""

    target: str
    subject: str
    baseline: str
    subject_seconds: float | None
    baseline_seconds: float | None
    figure: str
    limit: str
    passed: bool | None
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


def run_once(command: Command, env: dict[str, str]) -> tuple[float, float, int]:
    """Run ``command`` to the end: wall and CPU seconds, and peak RSS (from wait4: this child alone)."""
    if command.before:
        command.before()
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command.argv, stdout=subprocess.DEVNULL, stderr=errors,
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
    ratio = subject.median / baseline.median
    return Verdict(target, subject.label, baseline.label, subject.median, baseline.median,
                   f"{ratio:.2f}x", f"<= {limit}x", ratio <= limit)


def faster_by(subject: Timing, baseline: Timing, factor: float, target: str) -> Verdict:
    speedup = baseline.median / subject.median
    return Verdict(target, subject.label, baseline.label, subject.median, baseline.median,
                   f"{speedup:.2f}x faster", f">= {factor}x faster", speedup >= factor)


def not_run(target: str, subject: str, reason: str) -> Verdict:
    return Verdict(target, subject, "", None, None, "not run", "", None, reason)


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
    verdicts = [
        at_most(timings["sheetkit --help"], timings["import click"], 2.0, "1. --help <= 2x import click"),
        at_most(timings["sheetkit --version"], timings["import click"], 2.0, "1. --version <= 2x import click"),
    ]
    for option in ("--help", "--version"):
        heavy = heavy_imports(sheetkit(option), env)
        verdicts.append(Verdict(f"1. {option} imports neither pandas nor openpyxl", f"sheetkit {option}", "", None,
                                None, ", ".join(heavy) or "neither imported", "neither", not heavy))
    return verdicts, timings


def heavy_imports(argv: tuple[str, ...], env: dict[str, str]) -> list[str]:
    """Which of pandas and openpyxl the command imports, from ``python -X importtime``'s log."""
    result = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True,
                            check=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    return sorted(name for name in ("pandas", "openpyxl") if name in imported)


def report_limits(contacts: int) -> tuple[float, float | None]:
    """(report / floor at most, naive read / report at least) for a tracker of this many contacts."""
    if contacts < 10_000:
        return 1.3, 1.8
    if contacts < 100_000:
        return 1.5, 3.0
    return 1.5, None


def report_targets(
    contacts: int, repeat: int, env: dict[str, str], scratch: Path
) -> tuple[list[Verdict], dict[str, Timing]]:
    """Target 2: `sheetkit report` (HTML) against the calamine floor and the naive pandas read."""
    touchpoints = contacts * TOUCHES_PER_CONTACT
    size = f"{contacts:,}/{touchpoints:,}"
    print(f"tracker {size}: generating (cached under bench/out/)", file=sys.stderr)
    tracker = ensure_tracker(contacts, touchpoints)
    report_file = scratch / f"report-{contacts}.html"
    floor_limit, naive_factor = report_limits(contacts)
    commands = [
        Command(f"floor F {size}", python("-c", CALAMINE_FLOOR, str(tracker))),
        Command(f"sheetkit report {size}",
                sheetkit("report", str(tracker), "--as-of", AS_OF.isoformat(), "-o", str(report_file), "--quiet"),
                before=lambda: report_file.unlink(missing_ok=True)),
    ]
    if naive_factor is not None:
        commands.append(Command(f"pandas.read_excel {size}", python("-c", NAIVE_READ, str(tracker))))
    print(f"tracker {size}: report against the floor" + (" and the naive read" if naive_factor else ""),
          file=sys.stderr)
    timings = compare(commands, repeat, env)
    report = timings[f"sheetkit report {size}"]
    verdicts = [at_most(report, timings[f"floor F {size}"], floor_limit, f"2. report {size} <= {floor_limit}x F")]
    if naive_factor is not None:
        verdicts.append(faster_by(report, timings[f"pandas.read_excel {size}"], naive_factor,
                                  f"2. report {size} >= {naive_factor}x faster than read_excel"))
    else:
        verdicts.append(Verdict(f"2. report {size} peak memory < 1 GiB", report.label, "", report.median, None,
                                f"{report.peak_rss / GIB:.2f} GiB", "< 1 GiB", report.peak_rss < GIB))
    return verdicts, timings


def new_target(repeat: int, env: dict[str, str], scratch: Path) -> tuple[list[Verdict], dict[str, Timing]]:
    """Target 3: `sheetkit new` within 1.5x of openpyxl building and saving an empty workbook."""
    help_text = subprocess.run(sheetkit("--help"), env=env, capture_output=True, text=True, check=True).stdout
    if not any(line.split()[:1] == ["new"] for line in help_text.splitlines()):
        return [not_run("3. new <= 1.5x empty openpyxl workbook", "sheetkit new", "no `new` command yet")], {}
    print("sheetkit new against openpyxl saving an empty workbook", file=sys.stderr)
    tracker = scratch / "new-tracker.xlsx"
    empty = scratch / "empty.xlsx"
    first_cache = scratch / "first-run-cache"

    def first_run() -> None:
        tracker.unlink(missing_ok=True)
        shutil.rmtree(first_cache, ignore_errors=True)

    timings = compare(
        [
            Command("openpyxl empty workbook", python("-c", EMPTY_WORKBOOK, str(empty))),
            Command("sheetkit new", sheetkit("new", str(tracker), "--student", "Sam Lee"),
                    before=lambda: tracker.unlink(missing_ok=True)),
            # The first run on a machine copies the shipped default template into the cache.
            Command("sheetkit new (first run, empty cache)", sheetkit("new", str(tracker), "--student", "Sam Lee"),
                    before=first_run, environment={"SHEETKIT_CACHE_DIR": str(first_cache)}),
            # A workbook of its own (here an institution's name) is built with openpyxl on its first run.
            Command("sheetkit new --institution (first run, builds)",
                    sheetkit("new", str(tracker), "--student", "Sam Lee", "--institution", "Northfield"),
                    before=first_run, environment={"SHEETKIT_CACHE_DIR": str(first_cache)}),
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


def cohort_targets(quick: bool) -> tuple[list[Verdict], dict[str, Any]]:
    """Target 4, measured by bench/cohort_bench.py (its own engineer's): run it when it is there."""
    targets = ("4. cohort 500 trackers < 30 s with 2 workers", "4. cohort 2 workers >= 1.6x faster than 1")
    path = BENCH_DIR / "cohort_bench.py"
    if quick:
        return [not_run(t, "sheetkit cohort", "--quick; run bench/cohort_bench.py on its own") for t in targets], {}
    if not path.exists():
        return [not_run(t, "sheetkit cohort", "bench/cohort_bench.py is not there yet") for t in targets], {}
    spec = importlib.util.spec_from_file_location("cohort_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    measure = getattr(module, "measure", None)
    if measure is None:
        return [not_run(t, "sheetkit cohort", "bench/cohort_bench.py has no measure() function")
                for t in targets], {}
    print("sheetkit cohort: bench/cohort_bench.py", file=sys.stderr)
    result = measure()
    one, two = result["seconds_1_worker"], result["seconds_2_workers"]
    return [
        Verdict(targets[0], "sheetkit cohort (2 workers)", "", two, None, f"{two:.1f} s", "< 30 s", two < 30),
        Verdict(targets[1], "sheetkit cohort (2 workers)", "sheetkit cohort (1 worker)", two, one,
                f"{one / two:.2f}x faster", ">= 1.6x faster", one / two >= 1.6),
    ], result


def guard_target(env: dict[str, str], scratch: Path) -> list[Verdict]:
    """Target 5: the measured commands run with the safety guards on (no --config, default limits).

    Checked the same way the measured report runs: a tracker with a value in
    XFD1048576, which would make python-calamine abort the process unguarded,
    must be reported with that cell set aside.
    """
    from openpyxl import Workbook

    tracker = scratch / "far-cell.xlsx"
    workbook = Workbook()
    contacts = workbook.active
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
    return [Verdict("5. safety guards on in the measured report", "sheetkit report", "", None, None, figure,
                    "guard reports XFD1048576", set_aside)]


# ---- output ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """nproc, CPU model and RAM, from the OS."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        meminfo = Path("/proc/meminfo").read_text().split()
        ram_gib = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, ValueError):
        ram_gib = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f} s"


def verdict_text(passed: bool | None) -> str:
    return {True: "PASS", False: "FAIL", None: "not run"}[passed]


def table(verdicts: Sequence[Verdict], timings: dict[str, Timing]) -> str:
    """Two Markdown tables: the medians of every command, then every target with its verdict."""
    lines = ["| command | median wall | median CPU | runs | peak RSS |", "|---|---:|---:|---:|---:|"]
    for timing in timings.values():
        lines.append(f"| {timing.label} | {timing.median:.3f} s | {timing.median_cpu:.3f} s | {len(timing.seconds)} "
                     f"| {timing.peak_rss / 1024**2:.0f} MiB |")
    lines += ["", "| target | subject | baseline | measured | limit | verdict |", "|---|---:|---:|---:|---:|---|"]
    for v in verdicts:
        note = f" ({v.note})" if v.note else ""
        lines.append(f"| {v.target} | {seconds(v.subject_seconds)} | {seconds(v.baseline_seconds)} | {v.figure} "
                     f"| {v.limit} | {verdict_text(v.passed)}{note} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure sheetkit's speed targets as ratios, side by side.")
    parser.add_argument("--quick", action="store_true", help="the small tracker only, 3 repeats (a smoke test)")
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="contact counts, comma-separated; each tracker has 5 touchpoints per contact")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs of each command (after a warm-up)")
    args = parser.parse_args(argv)
    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",") if s.strip()]
    repeat = min(args.repeat, 3) if args.quick else args.repeat
    env = child_environment()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    verdicts: list[Verdict] = []
    timings: dict[str, Timing] = {}
    cohort: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="sheetkit-bench-") as scratch:
            for run in (
                lambda: startup_targets(repeat, env),
                *(lambda n=n: report_targets(n, repeat, env, Path(scratch)) for n in sizes),
                lambda: new_target(repeat, env, Path(scratch)),
            ):
                found, measured = run()
                verdicts += found
                timings.update(measured)
            found, cohort = cohort_targets(args.quick)
            verdicts += found
            verdicts += guard_target(env, Path(scratch))
    except CommandFailed as failure:
        print(f"benchmark aborted: {failure}", file=sys.stderr)
        return 1
    results = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "repeat": repeat,
        "sizes": sizes,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "timings": {label: {**asdict(t), "median": t.median} for label, t in timings.items()},
        "targets": [asdict(v) for v in verdicts],
        "cohort": cohort,
    }
    (OUT_DIR / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    info = results["machine"]
    print(f"\n{info['nproc']} CPUs ({info['cpu']}), {info['ram_gib']} GiB RAM, Python {info['python']}; "
          f"medians of {repeat} runs\n")
    print(table(verdicts, timings))
    print(f"\nwritten: {OUT_DIR / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
