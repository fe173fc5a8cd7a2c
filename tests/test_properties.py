"""Properties: what a person types survives the trip through sheetkit, and never turns into a formula."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builders import contact, touch, write_tracker
from sheetkit.config import Config
from sheetkit.render import write_xlsx
from sheetkit.report import build_report

# Any text an .xlsx can hold: no surrogates, no control characters but tab and newline.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("\t\n"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip())
DATES = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _report(name: str, organization: str, met: dt.date):
    with tempfile.TemporaryDirectory() as folder:
        path = write_tracker(
            Path(folder) / "t.xlsx",
            [contact(name, organization=organization, date_met=met)],
            [touch(met, name, purpose="Thank-you", notes=organization)],
        )
        return build_report(path, Config(), dt.date(2026, 11, 22))


@SETTINGS
@given(name=TEXT, organization=TEXT, met=DATES)
def test_text_and_dates_survive_the_json_report(name: str, organization: str, met: dt.date) -> None:
    data = _report(name, organization, met).to_json()
    [row] = data["contacts"]
    assert (row["name"], row["organization"], row["date_met"]) == (name, organization, met.isoformat())
    # A touchpoint dated after the report's day has not happened yet: it counts for nothing.
    happened = met <= dt.date(2026, 11, 22)
    assert row["sent"] == int(happened) and row["last_outgoing"] == (met.isoformat() if happened else None)


@SETTINGS
@given(name=TEXT | st.sampled_from(['=1+1', '+SUM(A1)', '-2+3', '@cmd', '=HYPERLINK("http://x","y")']),
       organization=TEXT)
def test_xlsx_report_text_is_text(name: str, organization: str) -> None:
    report = _report(name, organization, dt.date(2026, 11, 10))
    stream = io.BytesIO()
    write_xlsx(report, stream)
    stream.seek(0)
    sheet = openpyxl.load_workbook(stream)["Contacts"]
    assert (sheet["A2"].value, sheet["B2"].value) == (name, organization)
    assert sheet["A2"].data_type == "s" and sheet["B2"].data_type == "s"
