"""The TOML configuration shared by `sheetkit new`, `report`, `cohort` and `remind`.

One file holds an institution's name and colours, extra dropdown values and
columns, the follow-up policy and reading options::

    [institution]
    name = "Northfield University Career Center"
    primary_color = "1F4E79"

    [lists]
    channel = ["WhatsApp"]

    [columns]
    contacts = ["Graduation year"]

    [policy]
    first_follow_up_days = 10
    business_days = true
    holidays = ["2026-12-25"]

    [reading]
    day_first = true
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sheetkit.errors import ConfigError, os_error_message
from sheetkit.spec import CONTACTS, LISTS, TOUCHPOINTS, SheetSpec, normalize_label


@dataclass(frozen=True)
class Policy:
    """The follow-up policy of DOMAIN.md; every interval in calendar days.

    With ``business_days`` true the intervals stay in calendar days and each
    due date moves to the next working day (no weekend, none of ``holidays``).
    """

    thank_you_days: int = 1
    first_follow_up_days: int = 14
    second_follow_up_days: int = 28
    keep_in_touch_days: int = 120
    #: Keep-in-touch interval for a contact whose latest rated reply is Warm.
    warm_keep_in_touch_days: int = 60
    referrer_update_days: int = 7
    spacing_days: int = 7
    cool_off_unanswered: int = 3
    cool_off_factor: int = 2
    upcoming_days: int = 14
    quick_reply_days: int = 7
    #: A reply to their Question or Meeting request is due this many days after it.
    reply_days: int = 1
    #: An unanswered request to someone not met yet gets a nudge this many days later...
    nudge_days: int = 7
    #: ...until this many requests in a row are unanswered: then let it rest.
    nudge_limit: int = 2
    #: A job interview's status check, this many days after the thank-you.
    job_status_check_days: int = 7
    #: From this many unanswered messages in a row, nothing more is due (suggest Closed or Paused).
    stop_unanswered: int = 4
    #: More than this many unanswered messages to one person...
    badgering_messages: int = 2
    #: ...within this many days is badgering: a warning.
    badgering_days: int = 7
    #: Thank the referrer this many days after first writing to the person they introduced.
    referrer_thanks_days: int = 2
    #: After an offer is accepted, everyone who helped gets a note within this many days.
    offer_thanks_days: int = 7
    #: A contact is labelled as not replying only once a message has waited this long.
    fair_wait_days: int = 14
    business_days: bool = False
    holidays: tuple[dt.date, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The policy as plain JSON values (dates as YYYY-MM-DD)."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = [d.isoformat() for d in value] if f.name == "holidays" else value
        return data


@dataclass(frozen=True)
class Reading:
    """How untrusted workbooks are read."""

    day_first: bool = False
    #: Largest total uncompressed size of a workbook's parts, in MiB.
    max_uncompressed_mb: int = 512
    #: Largest grid (rows x columns) one sheet may span after stray cells are set aside.
    max_cells: int = 60_000_000


@dataclass(frozen=True)
class Branding:
    institution: str | None = None
    primary_color: str = "1F4E79"
    accent_color: str = "DDEBF7"


@dataclass(frozen=True)
class Config:
    """Everything a config file can say; ``Config()`` is the built-in default."""

    branding: Branding = field(default_factory=Branding)
    extra_list_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extra_contact_columns: tuple[str, ...] = ()
    extra_touchpoint_columns: tuple[str, ...] = ()
    policy: Policy = field(default_factory=Policy)
    reading: Reading = field(default_factory=Reading)
    source: Path | None = None

    def list_values(self, key: str) -> tuple[str, ...]:
        """A dropdown's values: the built-in ones, then the institution's additions."""
        extra = tuple(v for v in self.extra_list_values.get(key, ()) if v not in LISTS[key])
        return LISTS[key] + extra


#: Three years: the longest interval or window a policy may set (a bigger one is a typo, and
#: would run due dates past the calendar's end).
MAX_DAYS = 1096
#: The range of every number a config file may set: key -> (smallest, largest, what it counts).
#: Each is documented in the README; a new number in Policy or Reading gets its line here.
BOUNDS: dict[str, tuple[int, int, str]] = {
    "thank_you_days": (0, MAX_DAYS, "days"),
    "first_follow_up_days": (1, MAX_DAYS, "days"),
    "second_follow_up_days": (1, MAX_DAYS, "days"),
    "keep_in_touch_days": (1, MAX_DAYS, "days"),
    "warm_keep_in_touch_days": (1, MAX_DAYS, "days"),
    "referrer_update_days": (1, MAX_DAYS, "days"),
    "spacing_days": (1, MAX_DAYS, "days"),
    "cool_off_unanswered": (1, 100, "unanswered messages"),
    "cool_off_factor": (1, 10, "times the interval"),
    "upcoming_days": (1, MAX_DAYS, "days"),
    "quick_reply_days": (1, MAX_DAYS, "days"),
    "reply_days": (0, MAX_DAYS, "days"),
    "nudge_days": (1, MAX_DAYS, "days"),
    "nudge_limit": (1, 100, "requests"),
    "job_status_check_days": (1, MAX_DAYS, "days"),
    "stop_unanswered": (1, 100, "unanswered messages"),
    "badgering_messages": (1, 100, "messages"),
    "badgering_days": (1, MAX_DAYS, "days"),
    "referrer_thanks_days": (1, MAX_DAYS, "days"),
    "offer_thanks_days": (1, MAX_DAYS, "days"),
    "fair_wait_days": (1, MAX_DAYS, "days"),
    "max_uncompressed_mb": (1, 65_536, "MiB"),
    "max_cells": (1, 17_179_869_184, "cells (Excel's whole grid at most)"),
}

_HEX = re.compile(r"^#?[0-9A-Fa-f]{6}$")
_SECTIONS = {"institution", "lists", "columns", "policy", "reading"}


def load_config(path: Path | None) -> Config:
    """Read a TOML config file; ``None`` gives the defaults.

    Raises :class:`ConfigError` naming the file and key for anything unknown or
    of the wrong type, so a typo never silently falls back to a default.
    """
    if path is None:
        return Config()
    import tomllib  # only a run with --config reads TOML

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found; check the path given to --config") from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {os_error_message(exc, path)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start + 1}); save the config file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    return _parse(raw, path)


def _parse(raw: dict[str, Any], path: Path) -> Config:
    unknown = set(raw) - _SECTIONS
    if unknown:
        raise ConfigError(
            f"{path}: unknown section [{sorted(unknown)[0]}]; known sections are "
            + ", ".join(f"[{s}]" for s in sorted(_SECTIONS))
        )
    institution = _table(raw, "institution", path)
    branding = Branding(
        institution=_typed(institution, "name", str, path, "institution", None),
        primary_color=_color(institution, "primary_color", Branding.primary_color, path),
        accent_color=_color(institution, "accent_color", Branding.accent_color, path),
    )
    _reject_unknown(institution, {"name", "primary_color", "accent_color"}, "institution", path)

    lists = _table(raw, "lists", path)
    _reject_unknown(lists, set(LISTS), "lists", path)
    extra_values = {key: tuple(_string_list(lists, key, path, "lists")) for key in lists}

    columns = _table(raw, "columns", path)
    _reject_unknown(columns, {"contacts", "touchpoints"}, "columns", path)

    policy_table = _table(raw, "policy", path)
    defaults = Policy()
    policy_values: dict[str, Any] = {}
    for f in fields(Policy):
        if f.name not in policy_table:
            continue
        if f.name == "holidays":
            policy_values[f.name] = _holidays(policy_table[f.name], path)
        elif isinstance(getattr(defaults, f.name), bool):
            policy_values[f.name] = _typed(policy_table, f.name, bool, path, "policy", False)
        else:
            policy_values[f.name] = _number(policy_table, f.name, path, "policy", 0)
    _reject_unknown(policy_table, {f.name for f in fields(Policy)}, "policy", path)

    reading_table = _table(raw, "reading", path)
    _reject_unknown(reading_table, {f.name for f in fields(Reading)}, "reading", path)
    reading = Reading(
        day_first=_typed(reading_table, "day_first", bool, path, "reading", False),
        max_uncompressed_mb=_number(reading_table, "max_uncompressed_mb", path, "reading",
                                    Reading.max_uncompressed_mb),
        max_cells=_number(reading_table, "max_cells", path, "reading", Reading.max_cells),
    )
    return Config(
        branding=branding,
        extra_list_values=extra_values,
        extra_contact_columns=_extra_columns(columns, "contacts", CONTACTS, path),
        extra_touchpoint_columns=_extra_columns(columns, "touchpoints", TOUCHPOINTS, path),
        policy=Policy(**policy_values),
        reading=reading,
        source=path,
    )


def _table(raw: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: '{name}' must be a [{name}] section, not a single value")
    return value


def _reject_unknown(table: dict[str, Any], known: set[str], section: str, path: Path) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key '{unknown[0]}' in [{section}]; known keys are {', '.join(sorted(known))}"
        )


def _typed(table: dict[str, Any], key: str, kind: type, path: Path, section: str, default: Any) -> Any:
    if key not in table:
        return default
    value = table[key]
    # bool is a subclass of int: `first_follow_up_days = true` must not pass as 1.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{path}: [{section}] {key} must be {kind.__name__}, not {value!r}")
    return value


def _number(table: dict[str, Any], key: str, path: Path, section: str, default: int) -> int:
    """A whole number within its :data:`BOUNDS`."""
    value: int = _typed(table, key, int, path, section, default)
    smallest, largest, unit = BOUNDS[key]
    if not smallest <= value <= largest:
        raise ConfigError(f"{path}: [{section}] {key} = {value} is out of range; "
                          f"use {smallest:,} to {largest:,} {unit}")
    return value


def _extra_columns(table: dict[str, Any], key: str, sheet: SheetSpec, path: Path) -> tuple[str, ...]:
    """An institution's extra columns for ``sheet``: none may repeat another, or a built-in header or its aliases."""
    built_in = sheet.header_lookup()
    seen: set[str] = set()
    for name in _string_list(table, key, path, "columns"):
        folded = normalize_label(name) or name.casefold()
        if folded in built_in:
            raise ConfigError(f'{path}: [columns] {key}: "{name}" is already a name of the built-in column '
                              f'"{built_in[folded].header}" of {sheet.name}; choose another name')
        if folded in seen:
            raise ConfigError(f'{path}: [columns] {key}: "{name}" is listed twice; keep one')
        seen.add(folded)
    return tuple(_string_list(table, key, path, "columns"))


def _string_list(table: dict[str, Any], key: str, path: Path, section: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f'{path}: [{section}] {key} must be a list of text, e.g. {key} = ["One", "Two"]')
    return [v.strip() for v in value]


def _color(table: dict[str, Any], key: str, default: str, path: Path) -> str:
    value = _typed(table, key, str, path, "institution", default)
    if not _HEX.match(value):
        raise ConfigError(f'{path}: [institution] {key} = "{value}"; use a hex colour such as "1F4E79"')
    return value.lstrip("#").upper()


def _holidays(value: Any, path: Path) -> tuple[dt.date, ...]:
    """Holidays as TOML dates (2026-12-25) or ISO strings ("2026-12-25")."""
    if not isinstance(value, list):
        raise ConfigError(f'{path}: [policy] holidays must be a list of dates, e.g. holidays = ["2026-12-25"]')
    days = []
    for item in value:
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            days.append(item)
            continue
        try:
            days.append(dt.date.fromisoformat(str(item)))
        except ValueError:
            raise ConfigError(f'{path}: [policy] holidays: "{item}" is not a date; write YYYY-MM-DD') from None
    return tuple(sorted(days))
