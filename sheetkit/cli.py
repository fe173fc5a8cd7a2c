"""The `sheetkit` command line: parse options, call the library, write the result.

Heavy libraries (pandas, openpyxl) are imported inside the commands that need
them, so `sheetkit --help` stays instant.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from sheetkit import __version__
from sheetkit.config import load_config
from sheetkit.errors import OutputError, SheetkitError, os_error_message, printable
from sheetkit.output import as_utf8, check_destination, write_atomic, write_bytes_atomic

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: The dates --as-of accepts: far enough from the calendar's end (9999-12-31) that every due date,
#: window and reminder counted from them (config ranges and --days included) stays a date.
EARLIEST_AS_OF, LATEST_AS_OF = dt.date(1900, 1, 1), dt.date(8999, 12, 31)
#: The longest --days window of `remind`: ten years.
MAX_REMIND_DAYS = 3653


def _parse_as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(printable(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22")) \
            from None
    if not EARLIEST_AS_OF <= day <= LATEST_AS_OF:
        raise click.BadParameter(f"{value} is out of range; use a date from {EARLIEST_AS_OF} to {LATEST_AS_OF}")
    return day


def as_of_option(f: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        metavar="YYYY-MM-DD",
        callback=_parse_as_of,
        help="Count overdue and upcoming from this date instead of today.",
    )(f)


def config_option(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, dir_okay=False, readable=False, path_type=Path),
        help="TOML file with the institution's lists, columns and follow-up policy.",
    )(f)


def format_option(*choices: str, default: str) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices, case_sensitive=False),
            default=default,
            show_default=True,
            help="Output format.",
        )(f)

    return decorate


def output_option(f: F) -> F:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
        help="Where to write the result ('-' for stdout where the format is text).",
    )(f)


def force_option(f: F) -> F:
    return click.option("--force", is_flag=True, help="Replace an existing output file.")(f)


def quiet_option(f: F) -> F:
    return click.option("-q", "--quiet", is_flag=True, help="No messages on stderr, only errors.")(f)


def templates_option(f: F) -> F:
    return click.option(
        "--templates",
        "templates_dir",
        type=click.Path(exists=True, file_okay=False, readable=False, path_type=Path),
        help="A folder of templates that override the built-in ones (same file names).",
    )(f)


def user_errors(f: F) -> F:
    """Turn the library's known exceptions, and the operating system's, into one-line errors with exit code 1.

    A closed pipe (``| head``) goes on to Click, which ends quietly.
    """

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except SheetkitError as exc:
            raise click.ClickException(printable(str(exc))) from None
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise click.ClickException(os_error_message(exc)) from None

    return wrapper  # type: ignore[return-value]


def output_destination(output: Path | None, default: Path, *, output_format: str, force: bool,
                       inputs: Sequence[Path]) -> Path | None:
    """The file a command will write, checked before any work is done; ``None`` for stdout (``-o -``)."""
    if output is not None and str(output) == "-":
        if output_format == "xlsx":
            raise click.BadParameter("XLSX is binary and cannot go to stdout; give a file name", param_hint="-o")
        return None
    destination = output or default
    check_destination(destination, force=force, inputs=inputs, refreshable=True)
    return destination


def deliver(destination: Path | None, write: Callable[[IO[bytes]], object]) -> str:
    """Write a command's result to ``destination`` (atomically) or stdout; says where, for the summary line."""
    if destination is not None:
        write_atomic(destination, write)
        return str(destination)
    if sys.stdout is None:
        raise OutputError("-: standard output is closed; give a file name with -o")
    stream = sys.stdout.buffer
    with _naming_stdout():
        write(stream)
        stream.flush()
    return "stdout"


def require_stdout() -> None:
    """Refuse to run a command whose results go to stdout when it was closed (``>&-``): exit 1, not lines lost."""
    if sys.stdout is None:
        raise OutputError("stdout: is closed, so the results cannot be printed; run the command again with "
                          "stdout open, or send it to a file (> results.txt)")


def echo_out(line: object) -> None:
    """One line of a command's results on stdout; a closed or full stdout is an error naming it (exit 1)."""
    require_stdout()
    with _naming_stdout():
        click.echo(line)


@contextlib.contextmanager
def _naming_stdout() -> Iterator[None]:
    """An operating-system error while writing to stdout (a full disk, as ``> /dev/full``) raised again naming
    stdout; a closed pipe (``| head``) goes on to Click, which ends quietly."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, "stdout") from None


@contextlib.contextmanager
def progress_bar(length: int, label: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr when it is a terminal and not --quiet: yields its update function, else None."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=length, label=label, file=sys.stderr) as bar:
        yield bar.update


def say(message: str, quiet: bool = False) -> None:
    """A message for people: stderr, silenced by --quiet; control characters made harmless."""
    if not quiet:
        click.echo(printable(message), err=True)


#: Set by --debug or SHEETKIT_DEBUG=1: an internal error prints its traceback (see :func:`main`).
_debug = os.environ.get("SHEETKIT_DEBUG") == "1"


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    global _debug
    _debug = _debug or value


class _Commands(click.Group):
    """The `sheetkit` group; around Click's own work (parsing the command line, --help, --version), see
    :func:`_clicks_own_messages`."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        with _clicks_own_messages():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _clicks_own_messages():
            return super().invoke(ctx)


@contextlib.contextmanager
def _clicks_own_messages() -> Iterator[None]:
    """Click's complaints (a path, option or value as typed: "Path '…' does not exist.") with control
    characters made visible, like every message of sheetkit's; and --help or --version to a full stdout is
    one line, not an internal error. (The commands turn their own OS errors into messages: :func:`user_errors`.)
    """
    try:
        yield
    except click.UsageError as exc:
        raise click.UsageError(printable(exc.format_message()), exc.ctx) from None
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise click.ClickException(os_error_message(exc, "stdout")) from None


@click.group(cls=_Commands, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="sheetkit")
@click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
              help="On an internal error, print the full traceback (also SHEETKIT_DEBUG=1).")
def cli() -> None:
    """Track follow-ups after informational interviews and networking.

    \b
    Example:
        sheetkit new tracker.xlsx --student "Sam Lee"
        sheetkit report tracker.xlsx
    """


def _tracker_argument(f: F) -> F:
    return click.argument("tracker", type=click.Path(dir_okay=True, readable=False, path_type=Path))(f)


@cli.command()
@_tracker_argument
@format_option("text", "json", default="text")
@as_of_option
@config_option
@user_errors
def check(tracker: Path, output_format: str, as_of: dt.date, config_path: Path | None) -> None:
    """List what in a tracker cannot be understood; exit 1 if anything is an error.

    Each problem is one line on stdout: file, sheet!cell, severity, and how to
    fix it. Warnings alone exit 0. Dates are judged as of today (or --as-of),
    so a touchpoint dated later is flagged, as in `sheetkit report`.

    \b
    Example:
        sheetkit check sample_data/tracker.xlsx
    """
    from sheetkit.checking import check_tracker

    result = check_tracker(tracker, load_config(config_path), as_of)
    if output_format == "json":
        echo_out(result.to_json())
    else:
        for line in result.lines():
            echo_out(printable(line))
        say(result.summary())
    if not result.ok:
        sys.exit(1)


@cli.command()
@_tracker_argument
@format_option("html", "xlsx", "json", default="html")
@output_option
@as_of_option
@config_option
@templates_option
@force_option
@quiet_option
@user_errors
def report(
    tracker: Path,
    output_format: str,
    output: Path | None,
    as_of: dt.date,
    config_path: Path | None,
    templates_dir: Path | None,
    force: bool,
    quiet: bool,
) -> None:
    """Report overdue and upcoming follow-ups and response rates for one tracker.

    Writes TRACKER-report.html (or .xlsx/.json) beside the tracker unless -o
    says otherwise; a short summary goes to stderr.

    \b
    Example:
        sheetkit report sample_data/tracker.xlsx --as-of 2026-11-22
        sheetkit report tracker.xlsx --format json -o - | jq .stats.response_rate
    """
    destination = output_destination(output, tracker.with_name(f"{tracker.stem}-report.{output_format}"),
                                     output_format=output_format, force=force, inputs=[tracker])
    config = load_config(config_path)
    from sheetkit.render import report_writer
    from sheetkit.report import build_report, summary_line

    result = build_report(tracker, config, as_of)
    where = deliver(destination, report_writer(result, output_format, templates_dir))
    say(f"{tracker}: {summary_line(result)}; report: {where}", quiet)


@cli.command()
@click.argument("out", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--student", help="The student's name, shown on the Start Here sheet.")
@click.option("--institution", help="The institution's name (default: the config's [institution] name).")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, readable=False, path_type=Path),
              help="CSV with a Name column (Email optional): one workbook per student.")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the roster's workbooks; created if missing.")
@click.option("--no-cache", is_flag=True,
              help="Build the workbook from scratch instead of reusing the template kept in $SHEETKIT_CACHE_DIR "
                   "(default: $XDG_CACHE_HOME/sheetkit or ~/.cache/sheetkit).")
@config_option
@force_option
@quiet_option
@user_errors
def new(out: Path | None, student: str | None, institution: str | None, roster: Path | None,
        out_dir: Path | None, no_cache: bool, config_path: Path | None, force: bool, quiet: bool) -> None:
    """Create a tracking workbook to fill in, or one per student of a roster.

    Prints the path of each workbook written on stdout, one per line; progress
    goes to stderr. The formatted workbook is built once per config and kept
    in a cache folder, so later runs only fill in the student's details.

    \b
    Example:
        sheetkit new tracker.xlsx --student "Sam Lee" --institution "Northfield University"
        sheetkit new --roster class.csv --out-dir trackers
    """
    from sheetkit.cache import default_cache_dir
    from sheetkit.workbook import TrackerTemplate

    require_stdout()  # each workbook's path is printed there: refuse before the first is written
    cache_dir = None if no_cache else default_cache_dir()
    if roster is not None:
        if out is not None or out_dir is None or student is not None:
            raise click.UsageError("with --roster, give --out-dir DIR and no file name or --student: "
                                   "each student's workbook is named after them")
        _new_from_roster(roster, out_dir, config_path, institution, cache_dir, force=force, quiet=quiet)
        return
    if out is None or out_dir is not None:
        raise click.UsageError("give the new workbook's file name (sheetkit new tracker.xlsx), "
                               "or --roster FILE with --out-dir DIR")
    if out.suffix.lower() != ".xlsx":
        raise click.ClickException(f"{out}: a tracker must be an .xlsx file; name it {out.stem or out.name}.xlsx")
    config = load_config(config_path)
    check_destination(out, force=force)
    template = TrackerTemplate.cached(config, institution=institution, cache_dir=cache_dir)
    write_bytes_atomic(out, template.render(student or ""))
    echo_out(out)
    say(f"Fill it in, then run: sheetkit report {out}", quiet)


def _new_from_roster(roster: Path, out_dir: Path, config_path: Path | None, institution: str | None,
                     cache_dir: Path | None, *, force: bool, quiet: bool) -> None:
    """One workbook per roster student; every destination is checked before the first is written.

    A workbook already there exactly as this run would write it (an earlier
    run that stopped part-way) is kept, so running the command again finishes the job.
    """
    from sheetkit.output import same_workbook
    from sheetkit.roster import read_roster
    from sheetkit.workbook import TrackerTemplate

    config = load_config(config_path)
    students = read_roster(roster)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(os_error_message(exc, out_dir)) from None
    template = TrackerTemplate.cached(config, institution=institution, cache_dir=cache_dir)
    done = set()
    for student in students:
        destination = out_dir / student.file_name
        if same_workbook(destination, template.render(student.name, student.email)):
            done.add(student.file_name)
        else:
            check_destination(destination, force=force)
    written = 0
    for number, student in enumerate(students, start=1):
        destination = out_dir / student.file_name
        if student.file_name in done:
            say(f"[{number}/{len(students)}] {student.name}: {destination} is already there", quiet)
            continue
        try:
            write_bytes_atomic(destination, template.render(student.name, student.email))
        except OSError as exc:
            raise OutputError(f"{os_error_message(exc)}. {written} of {len(students)} workbooks were written "
                              f"before it (listed above); once that is fixed, run the same command again: "
                              "the workbooks already there are kept and the rest written") from None
        written += 1
        echo_out(destination)
        say(f"[{number}/{len(students)}] {student.name}", quiet)
    kept = f" ({len(done)} already there)" if done else ""
    say(f"Wrote {written} workbooks to {out_dir}{kept}", quiet)


def _parse_time(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.time | None:
    if value is None:
        return None
    try:
        hours, minutes = (int(part) for part in value.split(":"))
        return dt.time(hours, minutes)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a time of day; write it as HH:MM, e.g. 09:00") from None


@cli.command()
@_tracker_argument
@output_option
@as_of_option
@click.option("--days", type=click.IntRange(min=0, max=MAX_REMIND_DAYS), default=30, show_default=True,
              help="Remind of follow-ups due within this many days (overdue ones always).")
@click.option("--time", "at", metavar="HH:MM", callback=_parse_time,
              help="Timed events at this local time instead of all-day events.")
@click.option("--drafts", "drafts_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write a message draft per follow-up into this folder.")
@config_option
@templates_option
@force_option
@quiet_option
@user_errors
def remind(
    tracker: Path,
    output: Path | None,
    as_of: dt.date,
    days: int,
    at: dt.time | None,
    drafts_dir: Path | None,
    config_path: Path | None,
    templates_dir: Path | None,
    force: bool,
    quiet: bool,
) -> None:
    """Put due follow-ups in your calendar, and optionally draft the messages.

    Writes TRACKER-reminders.ics beside the tracker unless -o says otherwise:
    one event per overdue follow-up (today) and per follow-up due in the next
    --days days. Import it into Google Calendar, Outlook or Apple Calendar;
    re-importing a newer file updates the events instead of copying them.

    \b
    Example:
        sheetkit remind sample_data/tracker.xlsx --as-of 2026-11-22 --drafts drafts
        sheetkit remind tracker.xlsx --time 09:00 -o - > follow-ups.ics
    """
    from sheetkit.drafts import build_drafts, write_drafts
    from sheetkit.remind import plan_reminders, render_calendar
    from sheetkit.report import build_report

    destination = output_destination(output, tracker.with_name(f"{tracker.stem}-reminders.ics"),
                                     output_format="ics", force=force, inputs=[tracker])
    plan = plan_reminders(build_report(tracker, load_config(config_path), as_of), days)
    drafts = build_drafts(plan, templates_dir) if drafts_dir else []
    calendar = render_calendar(plan, at=at)
    where = deliver(destination, lambda stream: stream.write(calendar))
    say(f"{tracker}: {len(plan.overdue)} overdue, {len(plan.upcoming)} due in the next {days} days; "
        f"calendar: {where}", quiet)
    if drafts_dir:
        written = write_drafts(drafts, drafts_dir, force=force)
        kept = f", {len(written.kept)} kept as they were (--force rewrites them)" if written.kept else ""
        say(f"drafts: {len(written.written)} written to {drafts_dir}{kept}", quiet)
        for draft in drafts:
            for warning in draft.warnings:
                say(f"{drafts_dir / draft.file_name}: {warning}", quiet)


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@format_option("html", "xlsx", "json", default="html")
@output_option
@as_of_option
@config_option
@templates_option
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The class roster CSV (as for `sheetkit new --roster`): every student on it is listed, "
                   "those with nothing handed in too.")
@click.option("--since", "since_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="PREVIOUS.json",
              help="An earlier run's JSON (--format json): show who fell behind, recovered, started or went quiet.")
@click.option("--nudge-list", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.csv",
              help="Also write a mail-merge CSV of the students who need a nudge (name, email, status, reason).")
@click.option("--anonymize", is_flag=True,
              help="Show students as stable pseudonyms ('Student 7F3A9C') and hide file names. "
                   "Set SHEETKIT_PSEUDONYM_KEY to a secret to make them impossible to recompute.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), show_default="number of CPUs",
              help="Workbooks read in parallel, one per process.")
@click.option("--scheduler", metavar="ADDRESS",
              help='Read the workbooks on a Dask cluster, e.g. tcp://10.0.0.5:8786 (pip install "sheetkit[dask]").')
@force_option
@quiet_option
@user_errors
def cohort(
    paths: tuple[str, ...],
    output_format: str,
    output: Path | None,
    as_of: dt.date,
    config_path: Path | None,
    templates_dir: Path | None,
    roster: Path | None,
    since_path: Path | None,
    nudge_list: Path | None,
    anonymize: bool,
    jobs: int | None,
    scheduler: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Summarise a cohort's trackers: who is keeping up, who has gone quiet, whom to nudge.

    PATH may be workbooks, folders (searched for .xlsx and .xlsm) or quoted
    glob patterns. Writes cohort-report.html (or .xlsx/.json) in the current
    folder unless -o says otherwise. Exit code 0: every file read; 3: the
    report was written but some files could not be read (listed in it and on
    stderr); 1: nothing could be read, or another problem.

    \b
    Example:
        sheetkit cohort submissions/ --roster class.csv --nudge-list nudge.csv
        sheetkit cohort submissions/ --format json -o week-48.json --since week-47.json
        sheetkit cohort "uploads/**/*.xlsx" --anonymize --format json -o -
    """
    from sheetkit import cohort as cohorts
    from sheetkit.roster import read_roster

    if nudge_list and anonymize:
        raise click.UsageError("--nudge-list names students for you to write to; it cannot be combined with "
                               "--anonymize (run once without it for the list)")
    config = load_config(config_path)
    key = cohorts.pseudonym_key()
    students = read_roster(roster) if roster else None
    earlier = cohorts.read_earlier_run(since_path, key) if since_path else None
    found = cohorts.find_submissions(paths)
    for own in found.own_outputs:
        say(f"{own}: skipped, an earlier `sheetkit cohort` output", quiet)
    destination = output_destination(output, Path(f"cohort-report.{output_format}"),
                                     output_format=output_format, force=force, inputs=found.workbooks)
    if nudge_list:
        check_destination(nudge_list, force=force, inputs=found.workbooks)
    with progress_bar(len(found.workbooks), "Reading workbooks", quiet) as progress:
        result = cohorts.build_cohort(found, config, as_of, jobs=jobs, progress=progress, roster=students,
                                      scheduler=scheduler, since=earlier, key=key)
    for failure in result.failed:  # real paths, even with --anonymize: the adviser needs to know whose file
        click.echo(printable(f"{failure.file}: {failure.error}"), err=True)
    if not result.handed_in:
        raise click.ClickException(f"no workbook could be read ({len(found.workbooks)} tried; the reasons are above)")
    if nudge_list:
        write_atomic(nudge_list, as_utf8(lambda stream: cohorts.write_nudge_csv(result, stream)))
    shown = cohorts.anonymize_cohort(result, key) if anonymize else result
    where = deliver(destination, cohorts.cohort_writer(shown, output_format, config.branding, templates_dir))
    say(f"cohort: {shown.summary()}; report: {where}", quiet)
    if result.failed:
        sys.exit(3)


#: Exit code of an unexpected internal error (a bug), as sysexits.h's EX_SOFTWARE.
EXIT_INTERNAL_ERROR = 70
#: Signals that stop a run the way Ctrl-C does: temporary files removed, earlier outputs left as they were.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """Raised in the main thread when a stop signal arrives, so every ``finally`` and cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def main() -> None:
    """The console entry point: run the command, then leave without the interpreter's teardown.

    This is the one place that catches everything: a stop signal (SIGINT,
    SIGTERM, SIGHUP) unwinds the command, removing its temporary files, and
    exits with 128 + the signal's number, as a shell expects; an error that
    is not the user's is one line saying so (the traceback with --debug or
    SHEETKIT_DEBUG=1) and exit code 70.

    Every output file is written and closed (atomically) by the time a command
    returns; what is left is the interpreter freeing each object one by one
    (pandas, numpy and, for a big tracker, millions of cells), which takes
    longer than the whole report of a small tracker takes to compute. So after
    flushing stdout and stderr, the process ends at once with the command's
    exit code. Library use, and tests through Click's runner, call ``cli`` and
    are not affected.
    """
    main_process = os.getpid()

    def stop(signum: int, frame: object) -> None:
        if os.getpid() != main_process:  # a worker process forked by `cohort --jobs`: end as the signal says
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        for each in STOP_SIGNALS:  # a second signal must not interrupt the cleanup of the first
            signal.signal(each, signal.SIG_IGN)
        raise Stopped(signum)

    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    try:
        cli.main(prog_name="sheetkit")  # click's standalone mode always ends in SystemExit
    except SystemExit as exc:
        code = exc.code
    except Stopped as exc:
        code = 128 + exc.signum
    except MemoryError:
        code = "sheetkit: out of memory; close other programs, or split the input, and try again"
    except Exception as exc:  # noqa: BLE001 - the boundary for bugs: one line instead of a traceback
        if _debug:
            traceback.print_exc()
        else:
            click.echo(printable(f"sheetkit: internal error ({type(exc).__name__}: {exc}). This is a bug in "
                                 "sheetkit, not a problem with your files; run the command again with --debug "
                                 "(or SHEETKIT_DEBUG=1) to see the details, and report them."), err=True)
        code = EXIT_INTERNAL_ERROR
    _exit_now(code)


def _exit_now(code: int | str | None) -> None:
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(code, err=True)
        code = 1
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away (`| head`), or stdout was closed
        pass
    except OSError as exc:  # e.g. stdout is a full disk, as `> /dev/full`
        # Said once: a command that failed on a full stdout has said so, and its lines are still buffered.
        if not code:
            click.echo(os_error_message(exc, "stdout"), err=True)
            code = 1
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
