"""The `sheetkit` command line: parse options, call the library, write the result.

Heavy libraries (pandas, openpyxl) are imported inside the commands that need
them, so `sheetkit --help` stays instant.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sheetkit import __version__
from sheetkit.config import load_config
from sheetkit.errors import SheetkitError
from sheetkit.output import check_destination, write_atomic, write_bytes_atomic, write_text_atomic

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _parse_as_of(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-22") from None


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
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
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
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        help="A folder of templates that override the built-in ones (same file names).",
    )(f)


def user_errors(f: F) -> F:
    """Turn the library's known exceptions into one-line errors with exit code 1."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except SheetkitError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def report_summary(result: Any) -> str:
    """'3 overdue, 2 due this week, response rate 43% (12 of 28 sent)' for the stderr summary."""
    from sheetkit.render import percent

    this_week = sum(1 for f in result.followups if f.state == "upcoming" and (f.due - result.as_of).days <= 7)
    stats = result.stats
    errors = len(result.tracker.errors)
    problems = f"; {errors} error{'s' if errors != 1 else ''} in the workbook (run sheetkit check)" if errors else ""
    return (
        f"{stats['overdue']} overdue, {this_week} due this week, response rate "
        f"{percent(stats['response_rate'])} ({stats['replied']} of {stats['sent']} sent){problems}"
    )


def say(message: str, quiet: bool = False) -> None:
    """A message for people: stderr, silenced by --quiet."""
    if not quiet:
        click.echo(message, err=True)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", prog_name="sheetkit")
def cli() -> None:
    """Track follow-ups after informational interviews and networking.

    \b
    Example:
        sheetkit new tracker.xlsx --student "Sam Lee"
        sheetkit report tracker.xlsx
    """


def _tracker_argument(f: F) -> F:
    return click.argument("tracker", type=click.Path(dir_okay=True, path_type=Path))(f)


@cli.command()
@_tracker_argument
@format_option("text", "json", default="text")
@config_option
@user_errors
def check(tracker: Path, output_format: str, config_path: Path | None) -> None:
    """List what in a tracker cannot be understood; exit 1 if anything is an error.

    Each problem is one line on stdout: file, sheet!cell, severity, and how to
    fix it. Warnings alone exit 0.

    \b
    Example:
        sheetkit check sample_data/tracker.xlsx
    """
    from sheetkit.checking import check_tracker

    result = check_tracker(tracker, load_config(config_path))
    if output_format == "json":
        click.echo(result.to_json())
    else:
        for line in result.lines():
            click.echo(line)
        click.echo(result.summary(), err=True)
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
    from sheetkit.reader import start_reading

    destination = output or tracker.with_name(f"{tracker.stem}-report.{output_format}")
    to_stdout = str(destination) == "-"
    if to_stdout and output_format == "xlsx":
        raise click.BadParameter("XLSX is binary and cannot go to stdout; give a file name", param_hint="-o")
    if not to_stdout:
        check_destination(destination, force=force, inputs=[tracker], refreshable=True)
    config = load_config(config_path)
    # The workbook is checked and parsed in a thread (python-calamine parses without holding
    # the GIL) while this thread imports pandas and Jinja2: on two cores they overlap.
    loading = start_reading(tracker, config)
    from sheetkit.render import render_html, render_html_to, render_json, write_xlsx
    from sheetkit.report import build_report

    result = build_report(tracker, config, as_of, raw=loading.result())
    if output_format == "xlsx":
        write_atomic(destination, lambda stream: write_xlsx(result, stream))
    elif output_format == "html" and not to_stdout:
        # Written a piece at a time: a 100,000-contact page is never held whole in memory.
        write_text_atomic(destination, lambda stream: render_html_to(result, stream, templates_dir))
    else:
        text = render_json(result) if output_format == "json" else render_html(result, templates_dir)
        if to_stdout:
            click.echo(text, nl=False)
        else:
            write_bytes_atomic(destination, text.encode("utf-8"))
    where = "stdout" if to_stdout else str(destination)
    say(f"{tracker}: {report_summary(result)}; report: {where}", quiet)


@cli.command()
@click.argument("out", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--student", help="The student's name, shown on the Start Here sheet.")
@click.option("--institution", help="The institution's name (default: the config's [institution] name).")
@click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
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
    from sheetkit.workbook import TrackerTemplate, default_cache_dir

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
    config = load_config(config_path)
    check_destination(out, force=force)
    template = TrackerTemplate.cached(config, institution=institution, cache_dir=cache_dir)
    write_bytes_atomic(out, template.render(student or ""))
    click.echo(out)
    say(f"Fill it in, then run: sheetkit report {out}", quiet)


def _new_from_roster(roster: Path, out_dir: Path, config_path: Path | None, institution: str | None,
                     cache_dir: Path | None, *, force: bool, quiet: bool) -> None:
    """One workbook per roster student; every destination is checked before the first is written."""
    from sheetkit.errors import OutputError
    from sheetkit.roster import read_roster
    from sheetkit.workbook import TrackerTemplate

    config = load_config(config_path)
    students = read_roster(roster)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the folder ({exc.strerror}); choose another --out-dir") from None
    for student in students:
        check_destination(out_dir / student.file_name, force=force)
    template = TrackerTemplate.cached(config, institution=institution, cache_dir=cache_dir)
    for number, student in enumerate(students, start=1):
        destination = out_dir / student.file_name
        write_bytes_atomic(destination, template.render(student.name, student.email))
        click.echo(destination)
        say(f"[{number}/{len(students)}] {student.name}", quiet)
    say(f"Wrote {len(students)} workbooks to {out_dir}", quiet)


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
@click.option("--days", type=click.IntRange(min=0), default=30, show_default=True,
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

    destination = output or tracker.with_name(f"{tracker.stem}-reminders.ics")
    to_stdout = str(destination) == "-"
    if not to_stdout:
        check_destination(destination, force=force, inputs=[tracker], refreshable=True)
    plan = plan_reminders(build_report(tracker, load_config(config_path), as_of), days)
    drafts = build_drafts(plan, templates_dir) if drafts_dir else []
    calendar = render_calendar(plan, at=at)
    if to_stdout:
        click.echo(calendar, nl=False)
    else:
        write_bytes_atomic(destination, calendar)
    where = "stdout" if to_stdout else str(destination)
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
@click.option("--anonymize", is_flag=True,
              help="Show students as stable pseudonyms ('Student 7F3A9C') and hide file names. "
                   "Set SHEETKIT_PSEUDONYM_KEY to a secret to make them impossible to recompute.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), show_default="number of CPUs",
              help="Workbooks read in parallel, one per process.")
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
    anonymize: bool,
    jobs: int | None,
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
        sheetkit cohort submissions/ --as-of 2026-11-22
        sheetkit cohort "uploads/**/*.xlsx" --anonymize --format json -o -
    """
    import contextlib
    import os

    from sheetkit.cohort import (DEFAULT_PSEUDONYM_KEY, anonymize_cohort, build_cohort, find_workbooks,
                                 render_cohort_html, render_cohort_json, write_cohort_xlsx)

    config = load_config(config_path)
    destination = output or Path(f"cohort-report.{output_format}")
    to_stdout = str(destination) == "-"
    if to_stdout and output_format == "xlsx":
        raise click.BadParameter("XLSX is binary and cannot go to stdout; give a file name", param_hint="-o")
    workbooks = find_workbooks(paths)
    if not to_stdout:
        check_destination(destination, force=force, inputs=workbooks, refreshable=True)
    show_progress = not quiet and sys.stderr.isatty()
    with click.progressbar(length=len(workbooks), label="Reading workbooks", file=sys.stderr) if show_progress \
            else contextlib.nullcontext() as bar:
        result = build_cohort(workbooks, config, as_of, jobs=jobs, progress=bar.update if bar else None)
    if anonymize:
        secret = os.environ.get("SHEETKIT_PSEUDONYM_KEY")
        result = anonymize_cohort(result, secret.encode("utf-8") if secret else DEFAULT_PSEUDONYM_KEY)
    for failure in result.failed:
        click.echo(f"{failure.file}: {failure.error}", err=True)
    if not result.students:
        raise click.ClickException(f"no workbook could be read ({len(workbooks)} tried; the reasons are above)")
    if output_format == "xlsx":
        write_atomic(destination, lambda stream: write_cohort_xlsx(result, stream, config.branding))
    else:
        text = render_cohort_json(result) if output_format == "json" else \
            render_cohort_html(result, config.branding, templates_dir)
        if to_stdout:
            click.echo(text, nl=False)
        else:
            write_bytes_atomic(destination, text.encode("utf-8"))
    say(f"cohort: {result.summary()}; report: {'stdout' if to_stdout else destination}", quiet)
    if result.failed:
        sys.exit(3)


def main() -> None:
    """The console entry point: run the command, then leave without the interpreter's teardown.

    Every output file is written and closed (atomically) by the time a command
    returns; what is left is the interpreter freeing each object one by one
    (pandas, numpy and, for a big tracker, millions of cells), which takes
    longer than the whole report of a small tracker takes to compute. So after
    flushing stdout and stderr, the process ends at once with the command's
    exit code. Library use, and tests through Click's runner, call ``cli`` and
    are not affected.
    """
    try:
        cli.main(prog_name="sheetkit")
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - click's standalone mode always ends in SystemExit
        code = 0
    _exit_now(code)


def _exit_now(code: int | str | None) -> None:
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(code, err=True)
        code = 1
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away (`| head`), or stdout was closed
        pass
    try:
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
