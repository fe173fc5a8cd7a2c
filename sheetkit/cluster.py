"""The cohort's map step on a Dask distributed cluster (`sheetkit cohort --scheduler ADDRESS`).

The workers run :func:`~sheetkit.cohort.summarise_workbook` on files they
read from shared storage (every worker must see the submissions at the same
absolute paths as the machine running the command); only the small
:class:`~sheetkit.cohort.StudentSummary` results travel back. The reduce and
the rendering stay where the command runs, so the result is the local run's.

Dask re-runs a task whose worker died (up to its ``distributed.scheduler.allowed-failures``,
3 by default) and re-runs a task that raised up to :data:`RETRIES` times. A file
that still fails, because it keeps killing its worker, is listed as failed and
the run goes on; a bug in sheetkit (any other exception) is raised, as it is locally.

Needs the optional extra: ``pip install "sheetkit[dask]"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from sheetkit.cohort import FailedFile, StudentSummary, summarise_workbook
from sheetkit.config import Config
from sheetkit.errors import SheetkitError

#: Extra attempts Dask makes at a file whose summary raised (a flaky network file system, say).
RETRIES = 2
#: Seconds to wait for the scheduler to answer before giving up.
CONNECT_TIMEOUT = 30
INSTALL_HINT = 'pip install "sheetkit[dask]"'


class ClusterError(SheetkitError):
    """The Dask extra is missing, or the scheduler cannot be reached."""


def summarise_on_cluster(
    paths: Sequence[Path],
    config: Config,
    as_of: dt.date,
    scheduler: str,
    progress: Callable[[int], None] | None = None,
    summarise: Callable[[Path, Config, dt.date], StudentSummary | FailedFile] = summarise_workbook,
) -> Iterator[StudentSummary | FailedFile]:
    """Summaries of ``paths`` computed on the Dask cluster at ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``).

    Files go to the workers as absolute paths; results come back under the
    paths as given, as :func:`~sheetkit.cohort.summarise_all` returns them.
    ``summarise`` is the map step; the workers must be able to import it.
    """
    try:
        from distributed import Client, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise ClusterError(f"--scheduler needs Dask's distributed scheduler; install it with {INSTALL_HINT}") from None
    given = {str(path.absolute()): path for path in paths}
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]  # unannotated upstream
    except OSError as error:
        raise ClusterError(f"{scheduler}: no Dask scheduler answers there ({error}); check the address "
                           "and that `dask scheduler` is running") from None
    with client:
        tasks = client.map(summarise, [Path(absolute) for absolute in given], config=config, as_of=as_of,
                           retries=RETRIES, pure=False)
        files = {task.key: absolute for task, absolute in zip(tasks, given, strict=True)}
        for task in as_completed(tasks):  # type: ignore[no-untyped-call]  # unannotated upstream
            absolute = files[task.key]
            try:
                result = task.result()
            except KilledWorker:
                result = FailedFile(absolute, "the cluster worker reading it stopped each time it tried; "
                                    "open the file on its own with `sheetkit check` to see what is wrong")
            yield _as_given(result, absolute, str(given[absolute]))
            if progress:
                progress(1)


def _as_given(result: StudentSummary | FailedFile, absolute: str, path: str) -> StudentSummary | FailedFile:
    """The result named by the path as the user gave it, as the local run names it."""
    if isinstance(result, FailedFile):
        return FailedFile(path, result.error.replace(absolute, path))
    return replace(result, file=path)
