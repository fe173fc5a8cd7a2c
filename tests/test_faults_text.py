"""Hostile text and numbers: terminals, calendars, config ranges, templates, roster names.

Whatever a workbook, a file name, a config or a template holds, sheetkit
answers with one plain line (or a clean file) and never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import icalendar
import openpyxl
import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit.cli import cli
from sheetkit.config import BOUNDS, Policy, Reading, load_config
from sheetkit.errors import ConfigError, Problem, TemplateError, printable
from sheetkit.roster import read_roster, unique_file_names

D = dt.date
AS_OF = "2026-11-22"
ESC_TITLE = "\x1b]0;owned\x07"  # would retitle a terminal window
CLEAR = "\x1b[2J"  # would clear the screen


def hostile_tracker(path: Path, student: str, name: str, date_met: str = "2026-11-01") -> Path:
    """A tracker whose texts hold control characters (openpyxl refuses them, so they go into the XML)."""
    write_tracker(path, [contact("ZZNAME", organization="Acme", date_met="ZZDATE", how_met="Informational interview")],
                  [touch(D(2026, 11, 1), "ZZNAME", direction="Received", purpose="Question", channel="Email")],
                  student="ZZSTUDENT")

    def xml(text: str) -> bytes:
        return "".join(f"_x{ord(c):04X}_" if ord(c) < 32 and c != "\n" else c for c in text).encode()

    with zipfile.ZipFile(path) as archive:
        parts = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts:
            archive.writestr(info, data.replace(b"ZZNAME", xml(name)).replace(b"ZZSTUDENT", xml(student))
                             .replace(b"ZZDATE", xml(date_met)))
    return path


def run(*args: str | Path, cwd: Path, python: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, *python, "-m", "sheetkit", *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


# ---- 5. terminal safety ---------------------------------------------------------------------------------


def test_printable_shows_every_control_character_and_keeps_the_rest() -> None:
    assert printable("Zoë 😀\tx\n") == "Zoë 😀\\tx\\n"
    assert printable(ESC_TITLE + CLEAR) == "\\x1b]0;owned\\x07\\x1b[2J"
    assert printable("abc\u202edcba\x9b") == "abc\\u202edcba\\x9b"  # right-to-left override; C1 CSI
    assert printable("bad\udcffname") == "bad\\xffname"  # a file name's undecodable byte
    assert str(Problem("error", "Contacts", "K2", f"'{CLEAR}' is not a date")) == \
        "Contacts!K2: error: '\\x1b[2J' is not a date"


def test_check_report_and_cohort_never_print_raw_control_characters(tmp_path: Path) -> None:
    tracker = hostile_tracker(tmp_path / "t.xlsx", "Sam", "Ann", date_met=f"{ESC_TITLE} soon")
    checked = run("check", tracker, cwd=tmp_path)
    assert checked.returncode == 1
    named = tmp_path / f"x{CLEAR}.xlsx"
    missing = run("report", named, cwd=tmp_path)
    assert missing.returncode == 1
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / f"bad{ESC_TITLE}.xlsx").write_bytes(b"not a workbook")
    cohort = run("cohort", tmp_path / "class", "-o", "-", "--format", "json", cwd=tmp_path)
    for result in (checked, missing, cohort):
        said = result.stdout + result.stderr if result is not cohort else result.stderr
        assert "\x1b" not in said and "\x07" not in said, said
        assert "\\x1b" in said, said


def test_clicks_own_complaints_show_control_characters(tmp_path: Path) -> None:
    """Click's messages about the command line (a path that is not there, an extra argument) quote what was
    typed: a red escape and a right-to-left override are shown as printable() shows them, exit 2 still."""
    typed = "x\x1b[31m\u202e"
    shown = "x\\x1b[31m\\u202e"
    cases = {("report", "t.xlsx", "--config", f"{typed}.toml"):
             f"Error: Invalid value for '--config': File '{shown}.toml' does not exist.",
             ("cohort", "t.xlsx", "--templates", typed): f"Error: Invalid value for '--templates': "
                                                          f"Directory '{shown}' does not exist.",
             ("check", "t.xlsx", typed): f"Error: Got unexpected extra argument ({shown})",
             ("check", f"--{typed}"): f"Error: No such option '--{shown}'."}
    for args, said in cases.items():
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines()[-1] == said
        assert "\x1b" not in result.stderr and "\u202e" not in result.stderr


def test_a_file_name_that_is_not_utf8_is_named_with_the_fix(tmp_path: Path) -> None:
    good = write_tracker(tmp_path / "good.xlsx", [contact("Ann Lee", organization="Acme")], student="Sam")
    try:
        good.rename(tmp_path / os.fsdecode(b"caf\xe9.xlsx"))  # "café" in Latin-1: the byte E9 is not UTF-8
    except OSError as exc:  # a file system that stores only UTF-8 names (macOS): the case cannot arise
        pytest.skip(f"this file system refuses non-UTF-8 names: {exc}")
    name = os.fsdecode(b"caf\xe9.xlsx")
    said = ("caf\\xe9.xlsx: the name is not valid UTF-8 text (each \\xNN is a byte that is not), so the "
            "spreadsheet reader cannot open it; rename the file (or its folder) and try again")
    for args in (("report", name), ("check", name), ("remind", name, "-o", "-")):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        if args[0] == "check":  # the problem on stdout, the count on stderr
            assert result.stdout == said.replace(": the name", ": error: the name", 1) + "\n"
        else:
            assert result.stderr == f"Error: {said}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    # In JSON the name is shown as text too (the bad byte would make the JSON not UTF-8).
    result = run("check", name, "--format", "json", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)["source"]) == (1, "caf\\xe9.xlsx")
    # A cohort lists it as a file that could not be read, with the reason once, and reports the others.
    write_tracker(tmp_path / "good.xlsx", [contact("Bo Ng", organization="Acme")], student="Kim")
    result = run("cohort", ".", "--format", "json", "-o", "-", cwd=tmp_path)
    assert json.loads(result.stdout)["failed"] == [{"file": "caf\\xe9.xlsx", "error": said.split(": ", 1)[1]}]


# ---- 6. calendar ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("python", [(), ("-O",)], ids=["plain", "optimised"])
def test_calendar_text_is_clean_with_a_multi_line_student(tmp_path: Path, python: tuple[str, ...]) -> None:
    tracker = hostile_tracker(tmp_path / "t.xlsx", "Sam\nLee\x00", f"Ann{CLEAR}\x00 Ng\nEND:VEVENT")
    result = subprocess.run([sys.executable, *python, "-m", "sheetkit", "remind", str(tracker), "-o", "-",
                             "--as-of", AS_OF], cwd=tmp_path, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    raw = result.stdout
    assert not [c for c in raw.replace(b"\r\n", b"") if c < 32 and c != 9], raw
    calendar = icalendar.Calendar.from_ical(raw)
    assert str(calendar["X-WR-CALNAME"]) == "Follow-ups: Sam Lee"
    events = calendar.walk("VEVENT")
    # One contact, met on 2026-11-01 and never written to since: one next step, one event.
    assert len(events) == 1
    assert "Ann[2J Ng END:VEVENT (Acme)" in str(events[0]["SUMMARY"])
    assert raw.count(b"BEGIN:VEVENT") == 1 and raw.count(b"END:VEVENT\r\n") == 1


@pytest.mark.parametrize("args", [["--as-of", "9999-12-31"], ["--days", "3000000"], ["--as-of", "0001-01-01"]])
def test_dates_past_the_calendar_are_usage_errors(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    tracker = hostile_tracker(tmp_path / "t.xlsx", "Sam", "Ann")
    result = runner.invoke(cli, ["remind", str(tracker), "-o", "-", *args])
    assert result.exit_code == 2, result.output
    assert "out of range" in result.output or "is not in the range 0<=x<=3653" in result.output


# ---- 7. config ranges --------------------------------------------------------------------------------


def test_every_number_in_the_config_has_a_range() -> None:
    numbers = [f.name for cls in (Policy, Reading) for f in cls.__dataclass_fields__.values() if f.type == "int"]
    assert numbers and all(name in BOUNDS for name in numbers), set(numbers) - set(BOUNDS)


@pytest.mark.parametrize(("text", "message"), [
    ("[policy]\nfirst_follow_up_days = 3000000",
     "[policy] first_follow_up_days = 3000000 is out of range; use 1 to 1,096 days"),
    ("[policy]\nspacing_days = 0", "[policy] spacing_days = 0 is out of range; use 1 to 1,096 days"),
    ("[policy]\ncool_off_factor = 11", "[policy] cool_off_factor = 11 is out of range; use 1 to 10 times the interval"),
    ("[reading]\nmax_uncompressed_mb = -1", "[reading] max_uncompressed_mb = -1 is out of range; use 1 to 65,536 MiB"),
    ("[reading]\nmax_cells = 0", "[reading] max_cells = 0 is out of range; use 1 to 17,179,869,184 cells"),
    ('[columns]\ncontacts = ["EMAIL"]', '[columns] contacts: "EMAIL" is already a name of the built-in column "Email"'),
    ('[columns]\ncontacts = ["Company"]',
     '[columns] contacts: "Company" is already a name of the built-in column "Organization"'),
    ('[columns]\ntouchpoints = ["Extra", "extra"]', '[columns] touchpoints: "extra" is listed twice; keep one'),
])
def test_out_of_range_numbers_and_repeated_columns_name_file_key_and_range(tmp_path: Path, text: str,
                                                                           message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: {message}"), str(raised.value)


def test_the_ends_of_each_range_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[policy]\nthank_you_days = 0\nkeep_in_touch_days = 1096\n[reading]\nmax_cells = 1\n",
                    encoding="utf-8")
    config = load_config(path)
    assert (config.policy.thank_you_days, config.policy.keep_in_touch_days, config.reading.max_cells) == (0, 1096, 1)


# ---- 8. templates are sandboxed ---------------------------------------------------------------------


@pytest.mark.parametrize(("template", "message"), [
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "line 1: access to attribute '__init__'"),
    ("{{ lipsum.__globals__['os'].popen('id').read() }}", "line 1: access to attribute '__globals__'"),
    ("{% for i in range(10**12) %}x{% endfor %}", "line 1: range() of 1,000,000,000,000 numbers"),
    ("{{ 'x' * 10**10 }}", "line 1: repeating 1 items 10,000,000,000 times"),
    ("ok\n{{ 2 ** 100000 }}", "line 2: a power of 100,000"),
    ("ok\n\n{{ studnt }}", "line 3: 'studnt' is undefined"),
    ("ok\n{% if %}", "line 2: Expected an expression"),
    ("ok\n{{ [].append(1) }}", "line 2: access to attribute 'append' of 'list' object is unsafe"),
])
def test_an_override_template_runs_sandboxed_with_one_line_errors(runner: CliRunner, tmp_path: Path, template: str,
                                                                  message: str) -> None:
    tracker = hostile_tracker(tmp_path / "t.xlsx", "Sam", "Ann")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "report.html").write_text(template, encoding="utf-8")
    result = run("report", tracker, "--templates", folder, "-o", tmp_path / "r.html", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {folder / 'report.html'}, {message}"), result.stderr
    assert result.stderr.endswith("; fix the template\n") and result.stderr.count("\n") == 1
    assert "uid=" not in result.stdout + result.stderr and not (tmp_path / "r.html").exists()


def test_a_template_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    tracker = hostile_tracker(tmp_path / "t.xlsx", "Sam", "Ann")
    folder = tmp_path / "mine"
    (folder / "drafts").mkdir(parents=True)
    (folder / "report.html").write_bytes(b"caf\xe9")
    (folder / "drafts" / "thank-you.txt").write_bytes(b"caf\xe9")
    result = run("report", tracker, "--templates", folder, "-o", tmp_path / "r.html", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"Error: {folder / 'report.html'}: not UTF-8 text (byte 4 is not); " \
                            "save the template as UTF-8\n"
    drafted = run("remind", tracker, "--templates", folder, "-o", tmp_path / "r.ics", "--drafts", tmp_path / "d",
                  "--as-of", AS_OF, cwd=tmp_path)
    assert drafted.returncode == 1
    assert f"{folder / 'drafts' / 'thank-you.txt'}: not UTF-8 text" in drafted.stderr


def test_built_in_and_draft_templates_run_in_the_sandbox() -> None:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from sheetkit.drafts import DraftTemplateError, draft_environment
    from sheetkit.render import environment

    for env, error in ((environment(), TemplateError), (draft_environment(), DraftTemplateError)):
        assert isinstance(env, ImmutableSandboxedEnvironment)
        with pytest.raises(error, match="line 1: range"):
            env.from_string("{{ range(10001) | list }}").render()
        assert env.from_string("{{ range(3) | list }}").render() == "[0, 1, 2]"


# ---- 9. roster names -------------------------------------------------------------------------------------


def test_roster_names_are_cut_in_bytes(tmp_path: Path, runner: CliRunner) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("Name\n" + "𝔄" * 300 + "\n" + "李" * 300 + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["new", "--roster", str(roster), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    # 𝔄 folds to "a" (NFKD); 李 has no ASCII form: 60 bytes are 20 characters of 3 bytes.
    assert names == ["a" * 60 + ".xlsx", "李" * 20 + ".xlsx"]


def test_uniquifying_is_linear() -> None:
    names = unique_file_names(["Sam Lee"] * 20_000 + ["Sam Lee 2"])
    assert names[:3] == ["sam-lee.xlsx", "sam-lee-2.xlsx", "sam-lee-3.xlsx"]
    assert names[-2:] == ["sam-lee-20000.xlsx", "sam-lee-2-2.xlsx"]
    assert len(set(names)) == len(names)


def test_uniquifying_steps_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """n repeats of a name cost about n set look-ups, not n²/2."""
    import sheetkit.roster as roster

    looked_up = 0

    class CountingSet(set):  # type: ignore[type-arg]
        def __contains__(self, item: object) -> bool:
            nonlocal looked_up
            looked_up += 1
            return super().__contains__(item)

    monkeypatch.setattr(roster, "set", CountingSet, raising=False)
    roster.unique_file_names(["Sam Lee"] * 1000)
    assert looked_up <= 2 * 1000


def test_a_student_named_like_a_placeholder_keeps_their_fields(tmp_path: Path, runner: CliRunner) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("Name,Email\nsheetkit-placeholder-email,pat@example.edu\n"
                      "sheetkit-placeholder-student,kim@example.edu\n", encoding="utf-8")
    result = runner.invoke(cli, ["new", "--roster", str(roster), "--out-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for student in read_roster(roster):
        start = openpyxl.load_workbook(tmp_path / "out" / student.file_name)["Start Here"]
        values = [cell.value for row in start.iter_rows() for cell in row if cell.value]
        assert student.name in values and student.email in values
        assert values.index(student.name) < values.index(student.email)
