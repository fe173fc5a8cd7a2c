"""Turning what people put in a date cell into a date, or a reason why not.

A date cell may hold a real date, a date serial (1900 or 1904 system), a
spreadsheet error such as ``#REF!``, or text typed in one of the common
forms: ISO ``2026-11-10``, numeric ``11/10/2026`` (month first unless
day-first is configured; unambiguous when one part is over 12), with dots
``10.11.2026`` (always day first, as everywhere dots are used), or with a
month name ``10 November 2026`` / ``Nov 10, 2026``, a weekday in front or
not (``Tue, Nov 10, 2026``). Text pasted from a web page or a mail client
reads like its plain form: no-break and other spaces, a leading apostrophe
(Excel's "keep this as text" mark). A date without a year ("Nov 3") is
refused with a message saying so, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

#: Dates outside this range are almost certainly typing or date-system mistakes.
PLAUSIBLE_FROM = dt.date(1980, 1, 1)
PLAUSIBLE_TO = dt.date(2099, 12, 31)

SPREADSHEET_ERRORS = frozenset(
    {"#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)

_EPOCH_1900 = dt.date(1899, 12, 30)
_EPOCH_1900_EARLY = dt.date(1899, 12, 31)  # serials 1..59, before the fake 1900-02-29
_EPOCH_1904 = dt.date(1904, 1, 1)
_MAX_SERIAL = 2_958_465  # 9999-12-31

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

_NUMERIC_NO_YEAR = re.compile(r"^\d{1,2}[/.]\d{1,2}\.?$")
_NAME_NO_YEAR = re.compile(
    r"^(?:[a-z]+,? )?(?:(\d{1,2})(?:st|nd|rd|th)?[ -]([a-z]+)\.?|([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?)$"
)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_DAY_MONTH_YEAR = re.compile(r"^(?:[a-z]+,? )?(\d{1,2})(?:st|nd|rd|th)?[ -]([a-z]+)\.?,?[ -](\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^(?:[a-z]+,? )?([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


@dataclass(frozen=True)
class DateResult:
    """A parsed cell: ``value`` is the date, or ``None`` with ``problem`` saying why."""

    value: dt.date | None
    problem: str | None = None


BLANK = DateResult(None)


def parse_date_cell(raw: object, *, date1904: bool = False, day_first: bool = False) -> DateResult:
    """Interpret one cell of a date column.

    >>> parse_date_cell("10 Nov 2026").value
    datetime.date(2026, 11, 10)
    >>> parse_date_cell(46336.0).value
    datetime.date(2026, 11, 10)
    """
    if raw is None:
        return BLANK
    if isinstance(raw, dt.datetime):
        return _plausible(raw.date())
    if isinstance(raw, dt.date):
        return _plausible(raw)
    if isinstance(raw, bool):
        return DateResult(None, f"holds {str(raw).upper()}, not a date; type the date, e.g. 2026-11-10")
    if isinstance(raw, (int, float)):
        return _from_serial(float(raw), date1904)
    if isinstance(raw, (dt.time, dt.timedelta)):
        return DateResult(None, "holds a time of day, not a date; type the date, e.g. 2026-11-10")
    text = " ".join(unicodedata.normalize("NFKC", str(raw)).split()).removeprefix("'").strip()
    if not text:
        return BLANK
    if text.upper() in SPREADSHEET_ERRORS:
        return DateResult(None, f"holds the spreadsheet error {text.upper()}; fix the formula or type the date itself")
    parsed = _from_text(text.casefold(), day_first)
    if parsed is None and _without_year(text.casefold()):
        return DateResult(None, f"'{_shown(text)}' has no year; type the full date, e.g. 2026-11-10")
    if parsed is None:
        return DateResult(None, f"'{_shown(text)}' is not a date sheetkit understands; "
                                "type it as YYYY-MM-DD, e.g. 2026-11-10")
    return parsed


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _without_year(text: str) -> bool:
    """"Nov 3", "3 November", "11/3": a day and a month and nothing else."""
    if _NUMERIC_NO_YEAR.match(text):
        return True
    match = _NAME_NO_YEAR.match(text)
    return match is not None and (match[2] or match[3]) in _MONTHS


def _plausible(value: dt.date) -> DateResult:
    if not PLAUSIBLE_FROM <= value <= PLAUSIBLE_TO:
        return DateResult(
            None,
            f"{value.isoformat()} is implausible for a networking date (before {PLAUSIBLE_FROM.year} "
            f"or after {PLAUSIBLE_TO.year}); check the year, or the file's date system",
        )
    return DateResult(value)


def _from_serial(serial: float, date1904: bool) -> DateResult:
    if serial != serial or serial < 1 or serial > _MAX_SERIAL:  # NaN, negatives, beyond 9999
        return DateResult(None, f"the number {serial:g} is not a date; type the date, e.g. 2026-11-10")
    whole = int(serial)
    if date1904:
        return _plausible(_EPOCH_1904 + dt.timedelta(days=whole))
    if whole == 60:
        return DateResult(None, "holds 1900-02-29, a day that never existed (an old spreadsheet quirk); "
                                "type the real date")
    epoch = _EPOCH_1900_EARLY if whole < 60 else _EPOCH_1900
    return _plausible(epoch + dt.timedelta(days=whole))


def _from_text(text: str, day_first: bool) -> DateResult | None:
    if match := _ISO.match(text):
        return _build(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _NUMERIC.match(text):
        first, separator, second, year = int(match[1]), match[2], int(match[3]), int(match[4])
        if year < 100:
            year += 2000
        if first > 12 or ((day_first or separator == ".") and second <= 12):
            day, month = first, second
        else:
            month, day = first, second
        return _build(year, month, day, text)
    if match := _DAY_MONTH_YEAR.match(text):
        named = _MONTHS.get(match[2])
        return None if named is None else _build(int(match[3]), named, int(match[1]), text)
    if match := _MONTH_DAY_YEAR.match(text):
        named = _MONTHS.get(match[1])
        return None if named is None else _build(int(match[3]), named, int(match[2]), text)
    return None


def _build(year: int, month: int, day: int, text: str) -> DateResult:
    try:
        return _plausible(dt.date(year, month, day))
    except ValueError:
        return DateResult(None, f"'{text}' is not a real calendar date; check the day and month")
