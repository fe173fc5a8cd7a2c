"""`sheetkit cohort --scheduler`: the map step on a real Dask cluster gives the local run's result.

Starts a ``distributed.LocalCluster`` with two worker processes. Skips where
the ``dask`` extra is not installed, unless SHEETKIT_REQUIRE_REAL=1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit import cluster
from sheetkit.cli import cli
from sheetkit.cohort import FailedFile, StudentSummary, summarise_workbook
from sheetkit.config import Config

REQUIRE_REAL = os.environ.get("SHEETKIT_REQUIRE_REAL") == "1"
AS_OF = "2026-11-22"


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    try:
        from distributed import LocalCluster
    except ImportError:
        if REQUIRE_REAL:
            pytest.fail('distributed is missing (pip install "sheetkit[dask]"); SHEETKIT_REQUIRE_REAL=1 forbids '
                        "skipping", pytrace=False)
        pytest.skip('needs the dask extra: pip install "sheetkit[dask]"')
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cluster") / "submissions"
    root.mkdir()
    for number in range(6):
        write_tracker(root / f"student-{number}.xlsx", [contact("Wren Halloway", date_met=f"2026-11-{10 + number}")],
                      [touch(f"2026-11-{11 + number}", "Wren Halloway", purpose="Thank-you")] if number % 2 else [],
                      student=f"Student Number {number}")
    write_tracker(root / "duplicate.xlsx", [], student="Student Number 1")
    (root / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (root / "roster.csv").write_text("Name\nStudent Number 0\nStudent Number 9\n", encoding="utf-8")
    return root


def _cohort(folder: Path, *options: str) -> tuple[dict[str, Any], Any]:
    result = CliRunner().invoke(cli, ["cohort", "submissions", "--as-of", AS_OF, "--roster", "submissions/roster.csv",
                                      "--format", "json", "-o", "-", *options])
    assert result.exit_code == 3, result.output
    return json.loads(result.stdout), result


def test_the_cluster_gives_the_local_result(scheduler: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder.parent)  # relative paths in, relative paths out, on both engines
    local, _ = _cohort(folder, "--jobs", "1")
    remote, result = _cohort(folder, "--scheduler", scheduler)
    assert remote == local
    assert len(local["students"]) == 7 and local["failed"][0]["file"] == "submissions/broken.xlsx"
    assert "submissions/broken.xlsx: " in result.stderr


def summarise_or_die(path: Path, config: Config, as_of: dt.date) -> StudentSummary | FailedFile:
    """The map step, except that a file named killer.xlsx kills the worker process reading it."""
    if path.name == "killer.xlsx":
        os._exit(1)
    return summarise_workbook(path, config, as_of)


def test_a_file_that_keeps_killing_its_worker_is_listed_and_the_run_goes_on(folder: Path) -> None:
    import dask
    from distributed import LocalCluster

    write_tracker(folder.parent / "killer.xlsx", [], student="Kim Killer")
    paths = [folder / "student-0.xlsx", folder.parent / "killer.xlsx", folder / "student-1.xlsx"]
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        results = list(cluster.summarise_on_cluster(paths, Config(), dt.date(2026, 11, 22), local.scheduler_address,
                                                    summarise=summarise_or_die))
    failed = [r for r in results if isinstance(r, FailedFile)]
    assert [f.file for f in failed] == [str(folder.parent / "killer.xlsx")]
    assert failed[0].error.startswith("the cluster worker reading it stopped each time it tried")
    assert sorted(r.student for r in results if isinstance(r, StudentSummary)) == ["Student Number 0",
                                                                                    "Student Number 1"]


def test_without_the_extra_scheduler_says_how_to_install_it(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed: import raises ImportError
    result = CliRunner().invoke(cli, ["cohort", str(folder), "--scheduler", "tcp://127.0.0.1:1", "-o", "-",
                                      "--format", "json"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        'Error: --scheduler needs Dask\'s distributed scheduler; install it with pip install "sheetkit[dask]"']
