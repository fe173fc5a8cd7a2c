"""An adviser's week with `sheetkit cohort`: a roster, change since last week, and a nudge list.

The cohort is generated here. Its expectations are worked out by hand from
the default policy (thank-you due the day after a meeting, first follow-up 14
days after the thank-you, gone quiet after 30 idle days, behind when a
follow-up is more than 7 days late):

=========  ==================================  ====================  =====================
student    what they handed in                 2026-11-15 (week 1)   2026-11-22 (week 2)
=========  ==================================  ====================  =====================
Ann Lee    met 11-12, thanked 11-13            on track              on track
Bo Chen    met 10-25, no thank-you (Student    behind (due 10-31)    on track: thanked
           field "bo  CHEN")                                         11-20 -> recovered
Cy Park    nothing, then met 11-20             nothing handed in     on track (1 day late)
                                                                     -> started
Dee Empty  an empty tracker, then met 11-18,   not started           on track -> started
           thanked 11-19
Eve Stone  a draft (older) and a tracker: met  on track (4 days      behind (11 days late)
           11-10, no thank-you                 late)                 -> fell behind
Hal Ray    met 10-20, thanked 10-20            behind (follow-up     gone quiet (33 days)
                                               due 11-03)            -> went quiet
Zed Lane   his sheetkit report, not a tracker  nothing handed in     nothing handed in
Gil Moss   not on the roster: met 09-01,       gone quiet            gone quiet
           thanked 09-02
=========  ==================================  ====================  =====================
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit.cli import cli
from sheetkit.cohort import NUDGE_COLUMNS, StudentSummary, merge_summaries, summarise_workbook
from sheetkit.config import Config
from sheetkit.roster import read_roster

D = dt.date
WEEK_1, WEEK_2 = "2026-11-15", "2026-11-22"
NOV_1 = dt.datetime(2026, 11, 1, 12).timestamp()
ROSTER = """Name,Email
Ann Lee,ann@uni.example
Bo Chen,bo@uni.example
Cy Park,cy@uni.example
Dee Empty,
Eve Stone,eve@uni.example
Hal Ray,hal@uni.example
Zed Lane,zed@uni.example
"""
#: What identifies the students' contacts; none of it may reach any output.
CONTACT_PII = ("Quillfeather", "zed@quill.example", "Wren Halloway", "wren@halloway.example", "+1 555 0100",
               "PRIVATE-NOTE")


def _zed(**fields: Any) -> dict[str, Any]:
    return contact("Zed Quillfeather", email="zed@quill.example", phone="+1 555 0100", notes="PRIVATE-NOTE",
                   **fields)


def _wren(**fields: Any) -> dict[str, Any]:
    return contact("Wren Halloway", email="wren@halloway.example", **fields)


def _week_1(folder: Path) -> None:
    write_tracker(folder / "ann-lee.xlsx", [_zed(date_met=D(2026, 11, 12))],
                  [touch(D(2026, 11, 13), "Zed Quillfeather", purpose="Thank-you", channel="Email")], student="Ann Lee")
    write_tracker(folder / "Bo_Chen_tracker.xlsx", [_wren(date_met=D(2026, 10, 25))],
                  [touch(D(2026, 10, 24), "Wren Halloway", purpose="Meeting request", channel="LinkedIn")],
                  student="bo  CHEN")
    write_tracker(folder / "dee.xlsx", [], student="Dee Empty")
    draft = write_tracker(folder / "eve-draft.xlsx", [], student="Eve Stone")
    (folder / "resubmitted").mkdir()
    final = write_tracker(folder / "resubmitted" / "eve-stone.xlsx", [_zed(date_met=D(2026, 11, 10))],
                          student="Eve Stone")
    os.utime(draft, (NOV_1, NOV_1))
    os.utime(final, (NOV_1 + 86_400, NOV_1 + 86_400))
    write_tracker(folder / "hal.xlsx", [_wren(date_met=D(2026, 10, 20))],
                  [touch(D(2026, 10, 20), "Wren Halloway", purpose="Thank-you", channel="Email")], student="Hal Ray")
    write_tracker(folder / "gil-moss.xlsx", [_zed(date_met=D(2026, 9, 1))],
                  [touch(D(2026, 9, 2), "Zed Quillfeather", purpose="Thank-you", channel="Email")], student="Gil Moss")
    # Zed hands in his report (it lists his contacts) instead of his tracker.
    report = CliRunner().invoke(cli, ["report", str(folder / "ann-lee.xlsx"), "--as-of", WEEK_1, "--format", "xlsx",
                                      "-o", str(folder / "zed-lane-report.xlsx")])
    assert report.exit_code == 0, report.output


def _week_2(folder: Path) -> None:
    write_tracker(folder / "Bo_Chen_tracker.xlsx", [_wren(date_met=D(2026, 10, 25))], [
        touch(D(2026, 10, 24), "Wren Halloway", purpose="Meeting request", channel="LinkedIn"),
        touch(D(2026, 11, 20), "Wren Halloway", purpose="Thank-you", channel="Email"),
    ], student="bo  CHEN")
    write_tracker(folder / "cy-park.xlsx", [_zed(date_met=D(2026, 11, 20))], student="Cy Park")
    write_tracker(folder / "dee.xlsx", [_wren(date_met=D(2026, 11, 18))],
                  [touch(D(2026, 11, 19), "Wren Halloway", purpose="Thank-you", channel="Email")], student="Dee Empty")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Both weekly runs over the same folder: JSON of week 1, then every output of week 2 against it."""
    root = tmp_path_factory.mktemp("adviser")
    folder, out = root / "submissions", root / "out"
    folder.mkdir()
    out.mkdir()
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    runner = CliRunner()
    _week_1(folder)
    first = runner.invoke(cli, ["cohort", str(folder), "--roster", str(root / "roster.csv"), "--as-of", WEEK_1,
                                "--jobs", "1", "--format", "json", "-o", str(out / "week-1.json")])
    assert first.exit_code == 3, first.output
    _week_2(folder)
    runs = {}
    for output_format in ("json", "html", "xlsx"):
        extra = ["--nudge-list", str(out / "nudge.csv")] if output_format == "json" else []
        result = runner.invoke(cli, ["cohort", str(folder), "--roster", str(root / "roster.csv"), "--as-of", WEEK_2,
                                     "--since", str(out / "week-1.json"), "--jobs", "1", "--format", output_format,
                                     "-o", str(out / f"week-2.{output_format}"), *extra])
        assert result.exit_code == 3, result.output
        runs[output_format] = result
    return {"root": root, "folder": folder, "out": out, "runs": runs, "week_1": first,
            "document": json.loads((out / "week-2.json").read_text(encoding="utf-8"))}


def _students(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["student"]: s for s in document["students"]}


def test_every_roster_student_appears_with_what_they_handed_in(week: dict[str, Any]) -> None:
    students = _students(week["document"])
    assert set(students) == {"Ann Lee", "Bo Chen", "Cy Park", "Dee Empty", "Eve Stone", "Hal Ray", "Zed Lane",
                             "Gil Moss"}
    assert {name: s["status"] for name, s in students.items()} == {
        "Ann Lee": "on track", "Bo Chen": "on track", "Cy Park": "on track", "Dee Empty": "on track",
        "Eve Stone": "behind", "Hal Ray": "gone quiet", "Zed Lane": "nothing handed in", "Gil Moss": "gone quiet",
    }
    zed = students["Zed Lane"]
    assert (zed["file"], zed["contacts"], zed["on_roster"], zed["student_from"]) == (None, 0, True, "roster")
    assert students["Gil Moss"]["on_roster"] is False
    assert all(s["on_roster"] for name, s in students.items() if name != "Gil Moss")
    totals = week["document"]["totals"]
    assert totals["status"] == {"nothing handed in": 1, "not started": 0, "gone quiet": 2, "behind": 1,
                                "on track": 4}
    assert (totals["students"], totals["handed_in"], totals["not_on_roster"]) == (8, 7, 1)
    assert week["document"]["with_roster"] is True
    assert week["document"]["students"][0]["student"] == "Zed Lane", "nothing handed in comes first"


def test_the_roster_spelling_wins_and_duplicates_keep_the_newest(week: dict[str, Any]) -> None:
    students = _students(week["document"])
    assert Path(students["Bo Chen"]["file"]).name == "Bo_Chen_tracker.xlsx"
    assert students["Bo Chen"]["student_from"] == "workbook"
    eve = students["Eve Stone"]
    assert Path(eve["file"]) == week["folder"] / "resubmitted" / "eve-stone.xlsx"
    assert [Path(p).name for p in eve["superseded"]] == ["eve-draft.xlsx"]


def test_a_report_handed_in_is_listed_as_failed_not_read(week: dict[str, Any]) -> None:
    [failed] = week["document"]["failed"]
    assert Path(failed["file"]).name == "zed-lane-report.xlsx"
    assert failed["error"].startswith("a sheetkit report, not a tracker")
    assert "zed-lane-report.xlsx: a sheetkit report, not a tracker" in week["runs"]["json"].stderr


def test_change_since_last_week(week: dict[str, Any]) -> None:
    document = week["document"]
    assert document["since"] == {
        "as_of": WEEK_1,
        "movements": {"fell behind": 1, "went quiet": 1, "recovered": 1, "started": 2},
        "new": 0,
        "earlier_not_found": 0,
    }
    since = {name: s["since"] for name, s in _students(document).items()}
    assert since["Bo Chen"] == {"status_then": "behind", "sent": 1, "replied": 0, "overdue": -1,
                                "movement": "recovered"}
    assert since["Cy Park"] == {"status_then": "nothing handed in", "sent": 0, "replied": 0, "overdue": 1,
                                "movement": "started"}
    assert since["Dee Empty"] == {"status_then": "not started", "sent": 1, "replied": 0, "overdue": 0,
                                  "movement": "started"}
    assert since["Eve Stone"] == {"status_then": "on track", "sent": 0, "replied": 0, "overdue": 0,
                                  "movement": "fell behind"}
    assert since["Hal Ray"]["status_then"] == "behind" and since["Hal Ray"]["movement"] == "went quiet"
    assert since["Ann Lee"] == {"status_then": "on track", "sent": 0, "replied": 0, "overdue": 0, "movement": None}
    assert since["Zed Lane"]["movement"] is None and since["Gil Moss"]["movement"] is None
    assert "since 2026-11-15: 1 fell behind, 1 went quiet, 1 recovered, 2 started" in week["runs"]["json"].stderr


def test_the_page_opens_with_what_changed(week: dict[str, Any]) -> None:
    html = (week["out"] / "week-2.html").read_text(encoding="utf-8")
    opening = html[html.index('<section class="since"'):html.index('<section class="summary"')]
    assert "<h2>Since 2026-11-15</h2>" in opening
    assert '<li id="since-fell-behind"><b>1 fell behind</b>: Eve Stone</li>' in opening
    assert '<li id="since-recovered"><b>1 recovered</b>: Bo Chen</li>' in opening
    assert '<li id="since-started"><b>2 started</b>: Cy Park, Dee Empty</li>' in opening
    assert '<li id="since-went-quiet"><b>1 went quiet</b>: Hal Ray</li>' in opening
    assert html.index('<section class="since"') < html.index('id="students"')
    bo = html[html.index("<strong>Bo Chen</strong>"):]
    assert '<strong>recovered</strong><br><span class="why">+1 sent · overdue -1</span>' in bo[:bo.index("</tr>")]
    assert "not on the roster" in html and "nothing handed in" in html


def test_since_matches_an_anonymised_earlier_run(week: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    folder, roster = week["folder"], str(week["root"] / "roster.csv")
    earlier = tmp_path / "anonymous.json"
    first = runner.invoke(cli, ["cohort", str(folder), "--roster", roster, "--as-of", WEEK_2, "--jobs", "1",
                                "--anonymize", "--format", "json", "-o", str(earlier)])
    assert first.exit_code == 3, first.output
    again = runner.invoke(cli, ["cohort", str(folder), "--roster", roster, "--as-of", WEEK_2, "--jobs", "1",
                                "--since", str(earlier), "--format", "json", "-o", "-"])
    document = json.loads(again.stdout)
    # The same folder on the same day: every student found, nothing moved.
    assert document["since"]["earlier_not_found"] == 0
    assert all(s["since"]["status_then"] == s["status"] and s["since"]["sent"] == 0 for s in document["students"])


def test_since_refuses_a_file_that_is_not_a_cohort_json(week: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "other.json").write_text('{"schema": "sheetkit.report/1"}', encoding="utf-8")
    result = CliRunner().invoke(cli, ["cohort", str(week["folder"]), "--since", str(tmp_path / "other.json"),
                                      "--as-of", WEEK_2, "-o", str(tmp_path / "c.html")])
    assert result.exit_code == 1, result.output
    assert "not a sheetkit.cohort/1 document" in result.output
    assert "Traceback" not in result.output


def test_the_nudge_list_row_by_row(week: dict[str, Any]) -> None:
    raw = (week["out"] / "nudge.csv").read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw, "Excel-friendly: BOM and CRLF"
    with (week["out"] / "nudge.csv").open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames or ()) == NUDGE_COLUMNS == ("First name", "Last name", "Email", "Status",
                                                                   "Reason")
        rows = list(reader)
    assert [(r["First name"], r["Last name"], r["Email"], r["Status"]) for r in rows] == [
        ("Zed", "Lane", "zed@uni.example", "nothing handed in"),
        ("Gil", "Moss", "", "gone quiet"),  # last active 09-02: quiet longer than Hal
        ("Hal", "Ray", "hal@uni.example", "gone quiet"),
        ("Eve", "Stone", "eve@uni.example", "behind"),
    ]
    reasons = [r["Reason"] for r in rows]
    assert reasons[0] == "No tracker of theirs among the files read."
    assert reasons[1].startswith("Nothing recorded for 81 days (last on 2026-09-02)")
    assert reasons[1].endswith("; not on the roster.")
    assert reasons[2].startswith("Nothing recorded for 33 days (last on 2026-10-20); 1 follow-up overdue")
    assert reasons[3] == "1 follow-up overdue, the oldest due 2026-11-11 (11 days ago)."
    assert all(r.count(".") == 1 and r.endswith(".") for r in reasons), "one sentence each"


def test_no_contact_detail_in_any_output(week: dict[str, Any]) -> None:
    out = week["out"]
    texts = {path.name: _all_text(path) for path in out.iterdir()}
    texts["terminal"] = "".join(result.output for result in week["runs"].values()) + week["week_1"].output
    assert set(texts) == {"week-1.json", "week-2.json", "week-2.html", "week-2.xlsx", "nudge.csv", "terminal"}
    for name, text in texts.items():
        for secret in CONTACT_PII:
            assert secret not in text, f"{secret} leaked into {name}"


def _all_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return path.read_text(encoding="utf-8-sig")


def test_the_xlsx_has_the_full_path_and_the_change(week: dict[str, Any]) -> None:
    sheet = openpyxl.load_workbook(week["out"] / "week-2.xlsx")["Students"]
    header = [c.value for c in sheet[1]]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["Eve Stone"]["File"] == str(week["folder"] / "resubmitted" / "eve-stone.xlsx")
    assert rows["Eve Stone"]["Change since 2026-11-15"] == "fell behind"
    assert rows["Eve Stone"]["Status on 2026-11-15"] == "on track"
    assert rows["Gil Moss"]["On the roster"] == "no"
    assert rows["Zed Lane"]["Status"] == "nothing handed in"


def test_nudge_list_is_refused_with_anonymize(week: dict[str, Any], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["cohort", str(week["folder"]), "--anonymize", "--nudge-list",
                                      str(tmp_path / "n.csv"), "-o", str(tmp_path / "c.html")])
    assert result.exit_code == 2, result.output
    assert "--anonymize" in result.output
    assert not (tmp_path / "n.csv").exists() and not (tmp_path / "c.html").exists()


def test_nudge_list_cells_never_start_a_formula(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text('Name,Email\n"=HYPERLINK(""http://x.example"") Lee",\n', encoding="utf-8")
    write_tracker(tmp_path / "someone.xlsx", [], student="Ann Lee")
    result = CliRunner().invoke(cli, ["cohort", str(tmp_path / "someone.xlsx"), "--roster",
                                      str(tmp_path / "roster.csv"), "--nudge-list", str(tmp_path / "n.csv"),
                                      "-o", str(tmp_path / "c.html")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "n.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["First name"] for r in rows] == ["'=HYPERLINK(\"http://x.example\")", "Ann"]


# ---- matching by email -----------------------------------------------------------------------


def _summary(name: str, email: str | None, file: str) -> StudentSummary:
    return StudentSummary(
        student=name, student_from="workbook", file=file, modified=NOV_1, contacts=1, meetings=0, sent=0, received=0,
        replied=0, response_rate=None, thank_you_rate=None, thank_you_within_1_day_rate=None,
        thank_yous=0, overdue=0, upcoming=0, oldest_overdue=None,
        last_activity=D(2026, 11, 20), status="on track", reason="last active 2026-11-20; nothing overdue",
        workbook_errors=0, by_channel={}, by_purpose={}, weekly={}, email=email,
    )


def test_the_email_on_start_here_matches_before_the_name(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("First name,Last name,Email\nSamuel,Lee,SAM@uni.example\nSam,Lee,\n",
                                         encoding="utf-8")
    roster = read_roster(tmp_path / "roster.csv")
    cohort = merge_summaries([_summary("Sam Lee", "sam@uni.example", "a.xlsx"),
                              _summary("Sam  LEE", None, "b.xlsx"),
                              _summary("Unknown Person", "who@else.example", "c.xlsx")], D(2026, 11, 22), roster)
    students = {s.student: s for s in cohort.students}
    # "Sam Lee" with Samuel's email is Samuel; the one without an email is the roster's Sam Lee.
    assert students["Samuel Lee"].file == "a.xlsx" and students["Samuel Lee"].email == "SAM@uni.example"
    assert students["Sam Lee"].file == "b.xlsx" and students["Sam Lee"].on_roster is True
    assert students["Unknown Person"].on_roster is False
    assert cohort.totals["status"]["nothing handed in"] == 0


def test_a_name_guessed_from_a_file_name_matches_the_roster_spelling(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_text("Name\nAmara Okonkwo-Bergström\n\"O'Brien, Aoife\"\n", encoding="utf-8")
    guessed = replace(_summary("Amara Okonkwo Bergström", None, "Amara Okonkwo-Bergström_550100_/t.xlsx"),
                      student_from="file name")
    typed = _summary("Aoife Obrien", None, "aoife.xlsx")  # typed on Start Here: not the roster's name
    cohort = merge_summaries([guessed, typed], D(2026, 11, 22), read_roster(tmp_path / "roster.csv"))
    assert {(s.student, s.file, s.on_roster) for s in cohort.students} == {
        ("Amara Okonkwo-Bergström", "Amara Okonkwo-Bergström_550100_/t.xlsx", True),
        ("O'Brien, Aoife", "", True),
        ("Aoife Obrien", "aoife.xlsx", False),
    }


def test_a_workbook_email_is_read_from_start_here(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "tracker.xlsx", [], student="Sam Lee")
    workbook = openpyxl.load_workbook(path)
    workbook["Start Here"].append(["Email", "sam@uni.example"])
    workbook.save(path)
    if importlib.util.find_spec("sheetkit.reading") is None:
        pytest.skip("this reader does not fill Tracker.email from Start Here (the sheetkit.reading package does)")
    summary = summarise_workbook(path, Config(), D(2026, 11, 22))
    assert isinstance(summary, StudentSummary) and summary.email == "sam@uni.example"
