"""The cohort speed targets: `sheetkit cohort --jobs 1` against `--jobs 2`, as whole processes side by side.

Generates (and caches under ``bench/out/``) a cohort of trackers of about a
hundred contacts each, every one with its own student on the Start Here sheet,
then runs the two commands in interleaved rounds (see ``run.compare``) and
prints the medians (wall and CPU) and the ratio. Targets: 500 trackers in
under 10 s with 2 workers, and 2 workers at least 1.6x faster than 1.

    python bench/cohort_bench.py                       # 500 trackers, 3 rounds
    python bench/cohort_bench.py --students 100 --repeat 5

``bench/run.py`` calls :func:`measure` and judges the targets with the rest.
The run.py imports here are safe: run.py only imports this module inside a function.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from make_trackers import (  # noqa: E402  (bench/ is put on the path above)
    AS_OF,
    FIRST_NAMES,
    GENERATOR_VERSION,
    LAST_NAMES,
    OUT_DIR,
    write_tracker,
)
from run import Command, Timing, child_environment, compare, sheetkit  # noqa: E402

STUDENTS = 500
CONTACTS = 100
TOUCHES_PER_CONTACT = 5
REPEAT = 3


def cohort_folder(students: int = STUDENTS, contacts: int = CONTACTS) -> Path:
    """The cached cohort of this size: one tracker per student, generated first if missing."""
    folder = OUT_DIR / f"cohort-v{GENERATOR_VERSION}-{students}s-{contacts}c"
    names = student_names(students)
    for number, name in enumerate(names, start=1):
        path = folder / f"{number:04d}_{name.lower().replace(' ', '-').replace('.', '')}.xlsx"
        if not path.exists():
            write_student_tracker(path, name, contacts, seed=number)
    return folder


def student_names(count: int) -> list[str]:
    """Distinct, reproducible student names."""
    rng = random.Random(f"cohort-{count}")
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    chosen = rng.sample(pairs, min(count, len(pairs)))
    extra = [(f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {chr(65 + i % 26)}.", LAST_NAMES[i % len(LAST_NAMES)])
             for i in range(count - len(chosen))]
    return [f"{first} {last}" for first, last in chosen + extra]


def write_student_tracker(path: Path, student: str, contacts: int, seed: int) -> Path:
    """A tracker like make_trackers' (same rows), with this student's name on the Start Here sheet."""
    return write_tracker(path, contacts, contacts * TOUCHES_PER_CONTACT, seed=seed, student=student)


def measure(students: int = STUDENTS, contacts: int = CONTACTS, repeat: int = REPEAT) -> dict[str, Timing]:
    """`sheetkit cohort --jobs 1` and `--jobs 2` over the cached cohort, in interleaved rounds."""
    print(f"cohort of {students} trackers x {contacts} contacts: generating (cached under bench/out/)",
          file=sys.stderr)
    folder = cohort_folder(students, contacts)
    with tempfile.TemporaryDirectory(prefix="sheetkit-cohort-bench-") as scratch:
        def command(jobs: int) -> Command:
            output = Path(scratch) / f"cohort-{jobs}.html"
            return Command(f"sheetkit cohort --jobs {jobs}",
                           sheetkit("cohort", str(folder), "--jobs", str(jobs), "--as-of", AS_OF.isoformat(),
                                    "-o", str(output), "--quiet"),
                           before=lambda: output.unlink(missing_ok=True))

        print("sheetkit cohort: --jobs 1 against --jobs 2", file=sys.stderr)
        return compare([command(1), command(2)], repeat, child_environment())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `sheetkit cohort --jobs 1` against `--jobs 2`.")
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--contacts", type=int, default=CONTACTS)
    parser.add_argument("--repeat", type=int, default=REPEAT, help="measured rounds (after a warm-up)")
    args = parser.parse_args(argv)
    timings = measure(args.students, args.contacts, args.repeat)
    one, two = timings["sheetkit cohort --jobs 1"], timings["sheetkit cohort --jobs 2"]
    print(f"{args.students} trackers x {args.contacts} contacts ({args.contacts * TOUCHES_PER_CONTACT} "
          f"touchpoints each), {os.cpu_count()} CPUs, medians of {args.repeat} runs")
    for timing in (one, two):
        print(f"  {timing.label}: {timing.median:.2f} s wall, {timing.median_cpu:.2f} s CPU, "
              f"peak RSS {timing.peak_rss / 1024**2:.0f} MiB")
    print(f"  2 workers {one.median / two.median:.2f}x faster than 1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
