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
from sheetkit.errors import SheetkitError

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


def main() -> None:
    cli(prog_name="sheetkit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
