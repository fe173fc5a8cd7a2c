"""The `sheetkit` command line: parse options, call the library, write the result.

Heavy libraries (pandas, openpyxl) are imported inside the commands that need
them, so `sheetkit --help` stays instant.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sheetkit import __version__
from sheetkit.config import load_config
from sheetkit.errors import SheetkitError
from sheetkit.output import check_destination, write_atomic, write_bytes_atomic

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
    from sheetkit.render import render_html, render_json, write_xlsx
    from sheetkit.report import build_report

    destination = output or tracker.with_name(f"{tracker.stem}-report.{output_format}")
    to_stdout = str(destination) == "-"
    if to_stdout and output_format == "xlsx":
        raise click.BadParameter("XLSX is binary and cannot go to stdout; give a file name", param_hint="-o")
    if not to_stdout:
        check_destination(destination, force=force, inputs=[tracker], refreshable=True)
    result = build_report(tracker, load_config(config_path), as_of)
    if output_format == "xlsx":
        write_atomic(destination, lambda stream: write_xlsx(result, stream))
    else:
        text = render_json(result) if output_format == "json" else render_html(result, templates_dir)
        if to_stdout:
            click.echo(text, nl=False)
        else:
            write_bytes_atomic(destination, text.encode("utf-8"))
    where = "stdout" if to_stdout else str(destination)
    say(f"{tracker}: {report_summary(result)}; report: {where}", quiet)


def main() -> None:
    cli(prog_name="sheetkit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
