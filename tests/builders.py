"""Trackers built in code for tests: rows as dicts keyed by the contract's headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

from sheetkit.spec import CONTACT_COLUMNS, TOUCHPOINT_COLUMNS

CONTACT_HEADERS = [c.header for c in CONTACT_COLUMNS]
TOUCHPOINT_HEADERS = [c.header for c in TOUCHPOINT_COLUMNS]


def contact(name: str, **fields: Any) -> dict[str, Any]:
    """A Contacts row: ``contact("Ann", date_met=..., how_met=...)`` with spec keys."""
    keys = {c.key: c.header for c in CONTACT_COLUMNS}
    return {"Name": name, **{keys[k]: v for k, v in fields.items()}}


def touch(date: dt.date | str, who: str, direction: str = "Sent", **fields: Any) -> dict[str, Any]:
    """A Touchpoints row with spec keys: ``touch(d, "Ann", purpose="Thank-you")``."""
    keys = {c.key: c.header for c in TOUCHPOINT_COLUMNS}
    return {"Date": date, "Contact": who, "Direction": direction, **{keys[k]: v for k, v in fields.items()}}


def write_tracker(
    path: Path,
    contacts: Sequence[dict[str, Any]],
    touchpoints: Sequence[dict[str, Any]] = (),
    *,
    contact_headers: Sequence[str] = CONTACT_HEADERS,
    touchpoint_headers: Sequence[str] = TOUCHPOINT_HEADERS,
    rename: dict[str, str] | None = None,
    title_rows: Sequence[str] = (),
    sheet_names: tuple[str, str] = ("Contacts", "Touchpoints"),
    student: str | None = None,
) -> Path:
    """Write a minimal tracker with openpyxl; ``rename`` maps contract headers to the headers written."""
    rename = rename or {}
    workbook = openpyxl.Workbook()
    if student is not None:
        start = workbook.active
        start.title = "Start Here"
        start.append(["Student", student])
        first = workbook.create_sheet(sheet_names[0])
    else:
        first = workbook.active
        first.title = sheet_names[0]
    for sheet, headers, rows in (
        (first, contact_headers, contacts),
        (workbook.create_sheet(sheet_names[1]), touchpoint_headers, touchpoints),
    ):
        for title in title_rows:
            sheet.append([title])
        sheet.append([rename.get(h, h) for h in headers])
        for row in rows:
            sheet.append([row.get(h) for h in headers])
    _keep_text_as_text(workbook)
    workbook.save(path)
    return path


def _keep_text_as_text(workbook: openpyxl.Workbook) -> None:
    """Store '=...' strings as text, as a person typing them after an apostrophe would.

    Error codes such as '#REF!' are left as openpyxl stores them: real error cells.
    """
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
