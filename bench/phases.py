"""Where `sheetkit report`'s time goes: each phase timed on its own, in one process.

The command overlaps reading with importing (see ``sheetkit.reader.start_reading``);
here every phase runs alone, one after the other, so each gets its own figure.
The imports are timed in a fresh interpreter of their own, since a module is
imported only once per process.

    python bench/phases.py                         # the 1,000, 10,000 and 100,000-contact trackers
    python bench/phases.py --sizes 1000 --profile  # also a pyinstrument profile per size, in bench/out/

Prints a Markdown table of wall seconds per phase (the best of ``--repeat``
runs for the small trackers, one run from 100,000 contacts up).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from make_trackers import AS_OF, OUT_DIR, ensure_tracker  # noqa: E402  (bench/ is put on the path above)
from run import child_environment  # noqa: E402

TOUCHES_PER_CONTACT = 5
IMPORTS = """
import json, sys, time
start = time.perf_counter()
import pandas, python_calamine
pandas_done = time.perf_counter()
import click, jinja2, sheetkit.cli, sheetkit.render, sheetkit.report
print(json.dumps({"pandas + python-calamine import": pandas_done - start,
                  "click, Jinja2, sheetkit import": time.perf_counter() - pandas_done}))
"""
PHASES = ("safety inspection", "python-calamine parse, one thread", "shaping into DataFrames", "policy engine",
          "statistics", "HTML rendered and written")


def import_times() -> dict[str, float]:
    """The imports, timed in a fresh interpreter with compiled bytecode (the bench's environment)."""
    best: dict[str, float] = {}
    for _ in range(5):
        output = subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, check=True,
                                env=child_environment()).stdout
        for name, seconds in json.loads(output).items():
            best[name] = min(seconds, best.get(name, seconds))
    return best


def phase_times(tracker: Path) -> dict[str, float]:
    """One report of ``tracker``, phase by phase, every phase alone."""
    from sheetkit.config import Config
    from sheetkit.policy import run_policy
    from sheetkit.reader import _PAUSED_GC, RawTracker, _find_sheet, _parse, shape_tracker
    from sheetkit.render import render_html_to
    from sheetkit.report import Report
    from sheetkit.safety import inspect_workbook
    from sheetkit.spec import CONTACTS_SHEET, START_SHEET, TOUCHPOINTS_SHEET
    from sheetkit.stats import compute_stats

    config = Config()
    times: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - start
        return result

    source = timed("safety inspection", lambda: inspect_workbook(tracker, config.reading))
    names = [sheet.name for sheet in source.sheets]
    sheets = [_find_sheet(names, name) for name in (CONTACTS_SHEET, TOUCHPOINTS_SHEET, START_SHEET)]

    def parse() -> list[Any]:
        with _PAUSED_GC:  # as load_grids does; here in one thread, where the command uses two
            return _parse(source, (sheets[0], True), (sheets[1], True), (sheets[2], False))

    grids = timed("python-calamine parse, one thread", parse)
    raw = RawTracker(tracker, config, source, names, sheets[0], sheets[1], *grids)
    shaped = timed("shaping into DataFrames", lambda: shape_tracker(raw))
    engine = timed("policy engine", lambda: run_policy(shaped, config.policy, AS_OF))
    stats = timed("statistics", lambda: compute_stats(engine))
    report = Report(source=tracker, as_of=AS_OF, config=config, tracker=shaped, engine=engine, stats=stats)
    page = OUT_DIR / "phases-report.html"

    def render() -> None:
        with open(page, "w", encoding="utf-8", newline="") as stream:
            render_html_to(report, stream)

    timed("HTML rendered and written", render)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="Time each phase of `sheetkit report` on its own.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="contact counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size below 100,000 contacts (best kept)")
    parser.add_argument("--profile", action="store_true", help="also save a pyinstrument profile per size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    imports = import_times()
    columns: dict[int, dict[str, float]] = {}
    for contacts in sizes:
        tracker = ensure_tracker(contacts, contacts * TOUCHES_PER_CONTACT)
        runs = [phase_times(tracker) for _ in range(args.repeat if contacts < 100_000 else 1)]
        columns[contacts] = {name: min(run[name] for run in runs) for name in PHASES}
        print(f"{contacts:,} contacts: {sum(columns[contacts].values()):.3f} s after the imports", file=sys.stderr)
        if args.profile:
            from pyinstrument import Profiler

            with Profiler(interval=0.001) as profiler:
                phase_times(tracker)
            (OUT_DIR / f"profile-phases-{contacts}.html").write_text(profiler.output_html(), encoding="utf-8")
    rows = {**{name: {size: seconds for size in sizes} for name, seconds in imports.items()},
            **{name: {size: columns[size][name] for size in sizes} for name in PHASES}}
    totals = {size: sum(row[size] for row in rows.values()) for size in sizes}
    print("| phase | " + " | ".join(f"{size:,}" for size in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[s]:.3f} s ({row[s] / totals[s]:.0%})" for s in sizes) + " |")
    print("| total | " + " | ".join(f"{totals[s]:.3f} s" for s in sizes) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
