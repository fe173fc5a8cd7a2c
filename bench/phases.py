"""Where `sheetkit report`'s time goes: each public step timed on its own, in one process.

Only the library's public steps are timed, one after the other, so the figures
hold whatever the reading layer does inside: reading the tracker
(``read_tracker``: safety checks, parsing, tidy tables), the follow-up policy
(``run_policy``), the statistics (``compute_stats``) and writing the HTML
report. The imports are timed in a fresh interpreter of their own, since a
module is imported only once per process. The JSON and XLSX outputs are timed
too, as alternatives to the HTML (not counted in the total).

    python bench/phases.py                         # the 1,000, 10,000 and 100,000-contact trackers
    python bench/phases.py --sizes 1000 --profile  # also a pyinstrument profile per size, in bench/out/

Prints a Markdown table of wall seconds per step (the best of ``--repeat``
runs for the small trackers, one run from 100,000 contacts up).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from make_trackers import AS_OF, OUT_DIR, ensure_tracker  # noqa: E402  (bench/ is put on the path above)
from run import TOUCHES_PER_CONTACT, child_environment  # noqa: E402

IMPORTS = """
import json, sys, time
start = time.perf_counter()
import pandas, python_calamine
pandas_done = time.perf_counter()
import click, jinja2, sheetkit.cli, sheetkit.render, sheetkit.report
print(json.dumps({"pandas + python-calamine import": pandas_done - start,
                  "click, Jinja2, sheetkit import": time.perf_counter() - pandas_done}))
"""
STEPS = ("read_tracker", "run_policy", "compute_stats", "render_html, written")
ALTERNATIVES = ("render_json (instead of HTML)", "write_xlsx (instead of HTML)")
T = TypeVar("T")


def import_times() -> dict[str, float]:
    """The imports, timed in a fresh interpreter with compiled bytecode (the bench's environment)."""
    best: dict[str, float] = {}
    for _ in range(5):
        output = subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, check=True,
                                env=child_environment()).stdout
        for name, seconds in json.loads(output).items():
            best[name] = min(seconds, best.get(name, seconds))
    return best


def step_times(tracker: Path) -> dict[str, float]:
    """One report of ``tracker``, step by step, every step alone."""
    from sheetkit.config import Config
    from sheetkit.policy import run_policy
    from sheetkit.reading import read_tracker
    from sheetkit.render import render_html, render_json, write_xlsx
    from sheetkit.report import Report
    from sheetkit.stats import compute_stats

    config = Config()
    times: dict[str, float] = {}

    def timed(name: str, work: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = work()
        times[name] = time.perf_counter() - start
        return result

    shaped = timed("read_tracker", lambda: read_tracker(tracker, config))
    engine = timed("run_policy", lambda: run_policy(shaped, config.policy, AS_OF))
    stats = timed("compute_stats", lambda: compute_stats(engine))
    report = Report(source=tracker, as_of=AS_OF, config=config, tracker=shaped, engine=engine, stats=stats)
    page = OUT_DIR / "phases-report.html"
    timed("render_html, written", lambda: page.write_text(render_html(report), encoding="utf-8"))
    timed("render_json (instead of HTML)", lambda: render_json(report))
    timed("write_xlsx (instead of HTML)", lambda: write_xlsx(report, io.BytesIO()))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description="Time each public step of `sheetkit report` on its own.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="contact counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size below 100,000 contacts (best kept)")
    parser.add_argument("--profile", action="store_true", help="also save a pyinstrument profile per size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    imports = import_times()
    columns: dict[int, dict[str, float]] = {}
    for contacts in sizes:
        tracker = ensure_tracker(contacts, contacts * TOUCHES_PER_CONTACT)
        runs = [step_times(tracker) for _ in range(args.repeat if contacts < 100_000 else 1)]
        columns[contacts] = {name: min(run[name] for run in runs) for name in (*STEPS, *ALTERNATIVES)}
        print(f"{contacts:,} contacts: {sum(columns[contacts][name] for name in STEPS):.3f} s after the imports",
              file=sys.stderr)
        if args.profile:
            from pyinstrument import Profiler

            with Profiler(interval=0.001) as profiler:
                step_times(tracker)
            (OUT_DIR / f"profile-phases-{contacts}.html").write_text(profiler.output_html(), encoding="utf-8")
    rows: dict[str, dict[int, float]] = {
        **{name: dict.fromkeys(sizes, seconds) for name, seconds in imports.items()},
        **{name: {size: columns[size][name] for size in sizes} for name in STEPS},
    }
    totals = {size: sum(row[size] for row in rows.values()) for size in sizes}
    print("| step | " + " | ".join(f"{size:,}" for size in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name, row in rows.items():
        print(f"| {name} | " + " | ".join(f"{row[s]:.3f} s ({row[s] / totals[s]:.0%})" for s in sizes) + " |")
    print("| total | " + " | ".join(f"{totals[s]:.3f} s" for s in sizes) + " |")
    for name in ALTERNATIVES:
        print(f"| {name} | " + " | ".join(f"{columns[s][name]:.3f} s" for s in sizes) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
