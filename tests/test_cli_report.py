"""`sheetkit check` and `sheetkit report` from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from builders import CONTACT_HEADERS, TOUCHPOINT_HEADERS, contact, touch, write_tracker
from sheetkit.cli import cli

D = dt.date
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    return write_tracker(
        tmp_path / "jo.xlsx",
        [contact("Ann Lee", organization="Acme", date_met=D(2026, 11, 10), how_met="Informational interview"),
         contact('=HYPERLINK("http://evil.example","click")', date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 1))],
        [touch(D(2026, 11, 2), '=HYPERLINK("http://evil.example","click")', channel="Email", got_reply="Yes")],
    )


def test_report_json_to_stdout(runner: CliRunner, tracker: Path) -> None:
    result = runner.invoke(cli, ["report", str(tracker), "--format", "json", "-o", "-", "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "sheetkit.report/1" and data["as_of"] == "2026-11-22"
    assert [(f["contact"], f["rule"], f["state"]) for f in data["followups"]] == [
        ("Ann Lee", "thank-you", "overdue"),
        ('=HYPERLINK("http://evil.example","click")', "second-follow-up", "upcoming"),
    ]
    assert set(data["followups"][0]) == {"contact", "organization", "rule", "due", "days_overdue", "state", "why",
                                         "suggested_channel", "also"}
    assert set(data["contacts"][0]) == {"name", "organization", "status", "date_met", "last_outgoing", "last_reply",
                                        "sent", "replies", "next_due", "rule", "warmth"}
    assert "1 overdue" in result.stderr and "response rate 100% (1 of 1 sent)" in result.stderr


def test_report_default_output_beside_input_and_refresh(runner: CliRunner, tracker: Path) -> None:
    result = runner.invoke(cli, ["report", str(tracker), "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    html = tracker.with_name("jo-report.html")
    assert html.exists() and result.stdout == ""
    assert str(html) in result.stderr
    # A report sheetkit wrote may be refreshed without --force; anything else may not.
    again = runner.invoke(cli, ["report", str(tracker), "--as-of", "2026-11-23"])
    assert again.exit_code == 0, again.output
    html.write_text("my own notes", encoding="utf-8")
    refused = runner.invoke(cli, ["report", str(tracker)])
    assert refused.exit_code == 1 and "--force" in refused.output
    assert html.read_text(encoding="utf-8") == "my own notes"
    forced = runner.invoke(cli, ["report", str(tracker), "--force", "-q"])
    assert forced.exit_code == 0 and forced.stderr == ""


def test_report_never_writes_the_input(runner: CliRunner, tracker: Path) -> None:
    before = tracker.read_bytes()
    result = runner.invoke(cli, ["report", str(tracker), "-o", str(tracker), "--force", "--format", "xlsx"])
    assert result.exit_code == 1 and "input workbook" in result.output
    assert tracker.read_bytes() == before


def test_xlsx_report_sheets_dates_and_text_never_formulas(runner: CliRunner, tracker: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    result = runner.invoke(cli, ["report", str(tracker), "--format", "xlsx", "-o", str(out), "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Overdue", "Upcoming", "Contacts", "Stats"]
    overdue, upcoming = workbook["Overdue"], workbook["Upcoming"]
    assert overdue.auto_filter.ref.startswith("A1:")
    assert overdue["A2"].value == "Ann Lee"
    assert isinstance(overdue["D2"].value, dt.datetime) and overdue["D2"].number_format == "yyyy-mm-dd"
    assert upcoming["A2"].value.startswith("=HYPERLINK") and upcoming["A2"].data_type == "s"
    for sheet in workbook:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


def test_xlsx_cannot_go_to_stdout(runner: CliRunner, tracker: Path) -> None:
    result = runner.invoke(cli, ["report", str(tracker), "--format", "xlsx", "-o", "-"])
    assert result.exit_code == 2


def test_bad_as_of_is_a_usage_error(runner: CliRunner, tracker: Path) -> None:
    result = runner.invoke(cli, ["report", str(tracker), "--as-of", "22/11/2026"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_check_exit_codes_and_lines(runner: CliRunner, tmp_path: Path) -> None:
    good = write_tracker(tmp_path / "good.xlsx", [contact("Ann")], [touch(D(2026, 11, 1), "Anne")])
    result = runner.invoke(cli, ["check", str(good), "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("Touchpoints!B2: warning: 'Anne' is not a name in Contacts; "
                                          "did you mean 'Ann'? fix the spelling or add the contact")
    bad = write_tracker(tmp_path / "bad.xlsx", [contact("Ann", date_met="#REF!")])
    result = runner.invoke(cli, ["check", str(bad), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["problems"][0]["cell"] == "K2"


def test_check_lists_the_problems_report_finds_in_reading_order(runner: CliRunner, tmp_path: Path) -> None:
    path = write_tracker(
        tmp_path / "jo.xlsx",
        [contact("Ann", how_met="Referral", date_met=D(2026, 11, 1)),
         contact("Bob", date_met=D(2028, 1, 1))],
        [touch(D(2026, 11, 2), "Ann", got_reply="Yes", reply_date=D(2026, 11, 1)),
         touch(D(2026, 12, 1), "Ann"),
         touch(D(2026, 11, 5), "Anne")],
    )
    result = runner.invoke(cli, ["check", str(path), "--as-of", "2026-11-22"])
    assert result.exit_code == 1, result.output
    # Contacts before Touchpoints, then by row, then by column; the reader's "Anne" among the engine's.
    assert [line.split(": ")[1] for line in result.stdout.splitlines()] == [
        "Contacts!J2", "Contacts!K3", "Touchpoints!G2", "Touchpoints!A3", "Touchpoints!B4"]
    assert "Reply date 2026-11-01 is before the message it answers (2026-11-02)" in result.stdout
    assert "dated 2026-12-01, after 2026-11-22" in result.stdout
    assert "Date met 2028-01-01 is more than a year after 2026-11-22" in result.stdout
    assert "2 errors, 3 warnings" in result.stderr
    data = json.loads(runner.invoke(cli, ["check", str(path), "--as-of", "2026-11-22", "--format", "json"]).stdout)
    assert set(data) == {"schema", "source", "ok", "contacts", "touchpoints", "problems"}
    assert [p["cell"] for p in data["problems"]] == ["J2", "K3", "G2", "A3", "B4"]
    # Later, the meeting and the message are no longer ahead: only the reply before its message is an error.
    later = runner.invoke(cli, ["check", str(path), "--as-of", "2027-03-01"])
    assert later.exit_code == 1
    assert [line.split(": ")[1] for line in later.stdout.splitlines()] == [
        "Contacts!J2", "Touchpoints!G2", "Touchpoints!B4"]
    fixed = write_tracker(tmp_path / "fixed.xlsx", [contact("Ann", date_met=D(2026, 11, 1))],
                          [touch(D(2026, 12, 1), "Ann")])
    warned = runner.invoke(cli, ["check", str(fixed), "--as-of", "2026-11-22"])
    assert warned.exit_code == 0 and "0 errors, 1 warning" in warned.stderr


def test_check_on_a_file_that_is_not_a_tracker(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("name,email\nann,a@x\n", encoding="utf-8")
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 1
    assert len(result.stdout.strip().splitlines()) == 1 and str(path) in result.stdout
    assert "Traceback" not in result.output


def test_missing_file_is_one_line_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["report", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 1 and "nope.xlsx" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_pandas_written_tracker(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pd.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([{"Name": "Ann", "Date met": pd.Timestamp("2026-11-10"), "Phone": "0042"}],
                     columns=CONTACT_HEADERS).to_excel(writer, sheet_name="Contacts", index=False)
        pd.DataFrame([{"Date": pd.Timestamp("2026-11-11"), "Contact": "Ann", "Direction": "Sent",
                       "Purpose": "Thank-you", "Channel": "Email"}],
                     columns=TOUCHPOINT_HEADERS).to_excel(writer, sheet_name="Touchpoints", index=False)
    result = runner.invoke(cli, ["report", str(path), "--format", "json", "-o", "-", "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(f["rule"], f["due"]) for f in data["followups"]] == [("first-follow-up", "2026-11-25")]


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["--help"]).exit_code == 0
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "-h"])
        assert result.exit_code == 0, result.output
        assert command.help and "Example:" in command.help, f"{name} has no example in its help"
        assert command.get_short_help_str().strip(), name


def test_version(runner: CliRunner) -> None:
    from sheetkit import __version__

    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


def _process(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m sheetkit ...` as its own process: the console entry point, exit included."""
    return subprocess.run([sys.executable, "-m", "sheetkit", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_the_process_ends_with_the_commands_exit_code_and_all_its_output(tmp_path: Path) -> None:
    # main() leaves with os._exit after flushing: the output must be whole and the codes unchanged.
    people = [contact(f"Person {i}", date_met=D(2026, 10, 1 + i % 28), notes="x" * 200) for i in range(300)]
    (tmp_path / "folder").mkdir()
    good = write_tracker(tmp_path / "folder" / "good.xlsx", people, [touch(D(2026, 10, 2), "Person 1")])
    result = _process("report", str(good), "--format", "json", "-o", "-", "--as-of", "2026-11-22")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["contacts"]) == 300  # 100+ KB on a pipe, flushed before the exit
    assert "overdue" in result.stderr

    missing = _process("report", str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "nope.xlsx" in missing.stderr and "Traceback" not in missing.stderr

    assert _process("report", "--no-such-option").returncode == 2

    (tmp_path / "folder" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    cohort = _process("cohort", str(tmp_path / "folder"), "--format", "json", "-o", "-", "--jobs", "1")
    assert cohort.returncode == 3, cohort.stderr
    assert [f["file"].endswith("broken.xlsx") for f in json.loads(cohort.stdout)["failed"]] == [True]
