"""`sheetkit cohort` over a folder of submissions: same engine as the report, failures listed, no contact PII."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit import cohort as cohort_module
from sheetkit.cli import cli
from sheetkit.cohort import (
    NOT_IN_LIST,
    STATUSES,
    FailedFile,
    anonymize_cohort,
    merge_summaries,
    pseudonym,
    student_from_file_name,
    student_status,
    summarise_workbook,
)
from sheetkit.config import Config
from sheetkit.report import build_report

D = dt.date
AS_OF = D(2026, 11, 22)
AS_OF_TEXT = AS_OF.isoformat()
NOV_1 = dt.datetime(2026, 11, 1, 12).timestamp()

#: Everything that identifies a contact; none of it may reach any cohort output.
CONTACT_PII = ("Zed Quillfeather", "zed@quill.example", "Wren Halloway", "wren@halloway.example",
               "PRIVATE-NOTE-about-zed", "PRIVATE-TOUCH-NOTE")
STUDENT_NAMES = ("Ann Lee", "Bo Chen", "Cy Park", "Dee Empty", "Eve Stone", "Frank Ode")


def _set_mtime(path: Path, timestamp: float) -> None:
    os.utime(path, (timestamp, timestamp))


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort folder as a learning platform hands it back: good, late, quiet, empty, damaged, duplicated, nested.

    Shared by the module's tests (reading it is the slow part); no test changes it.
    """
    root = tmp_path_factory.mktemp("cohort") / "submissions"
    root.mkdir()
    zed = contact("Zed Quillfeather", email="zed@quill.example", notes="PRIVATE-NOTE-about-zed",
                  date_met=D(2026, 11, 10), how_met="Informational interview")
    wren = contact("Wren Halloway", email="wren@halloway.example", date_met=D(2026, 11, 12))
    write_tracker(root / "ann-lee.xlsx", [zed, wren], [
        touch(D(2026, 11, 10), "Zed Quillfeather", purpose="Thank-you", channel="Email", got_reply="Yes",
              notes="PRIVATE-TOUCH-NOTE"),
        touch(D(2026, 11, 13), "Wren Halloway", purpose="Thank-you", channel="Handwritten card"),
        touch(D(2026, 11, 15), "Wren Halloway", direction="Received", channel="Email"),
        # The contact's email typed into Channel: counted, but never shown as a channel.
        touch(D(2026, 11, 20), "Zed Quillfeather", purpose="Follow-up", channel="zed@quill.example"),
    ], student="Ann Lee")
    write_tracker(root / "bo-chen.xlsx", [contact("Zed Quillfeather", date_met=D(2026, 10, 25))],
                  [touch(D(2026, 10, 24), "Zed Quillfeather", purpose="Meeting request", channel="LinkedIn")],
                  student="Bo Chen")
    write_tracker(root / "cy-park.xlsx", [contact("Wren Halloway", date_met=D(2026, 9, 1))],
                  [touch(D(2026, 9, 2), "Wren Halloway", purpose="Thank-you", channel="Email")], student="Cy Park")
    write_tracker(root / "dee-empty.xlsx", [], student="Dee Empty")
    good = (root / "ann-lee.xlsx").read_bytes()
    (root / "broken.xlsx").write_bytes(good[: len(good) // 2])
    not_a_tracker = openpyxl.Workbook()
    not_a_tracker.active.title = "Budget"
    not_a_tracker.save(root / "budget.xlsx")
    (root / "~$ann-lee.xlsx").write_bytes(b"lock file, not a workbook")
    # Zed handed in his report instead of his tracker: known by its generator mark, whatever its name.
    handed_in_report = CliRunner().invoke(cli, ["report", str(root / "ann-lee.xlsx"), "--as-of", AS_OF_TEXT,
                                                "--format", "xlsx", "-o", str(root / "zed-lane.xlsx")])
    assert handed_in_report.exit_code == 0, handed_in_report.output

    older = write_tracker(root / "eve-stone-draft.xlsx", [contact("Zed Quillfeather")], student="Eve Stone")
    newer_dir = root / "resubmitted"
    newer_dir.mkdir()
    newer = write_tracker(newer_dir / "eve-stone.xlsx", [zed, wren], [
        touch(D(2026, 11, 11), "Zed Quillfeather", purpose="Thank-you", channel="Email"),
        touch(D(2026, 11, 13), "Wren Halloway", purpose="Thank-you", channel="Email"),
    ], student="Eve Stone")
    _set_mtime(older, NOV_1)
    _set_mtime(newer, NOV_1 + 86_400)

    lms = root / "lms" / "Frank Ode_55501_assignsubmission_file_"
    lms.mkdir(parents=True)
    write_tracker(lms / "tracker.xlsx", [wren], [touch(D(2026, 11, 14), "Wren Halloway", purpose="Thank-you")])
    return root


def run(runner: CliRunner, *args: str) -> Any:
    return runner.invoke(cli, ["cohort", *args, "--as-of", AS_OF_TEXT, "--jobs", "1"])


def _all_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    return path.read_text(encoding="utf-8")


def _outputs(submissions: Path, *options: str) -> dict[str, tuple[Path, str, str]]:
    """Format -> (the written file, everything in it, what the terminal showed), for one cohort run per format."""
    runner = CliRunner()
    written = {}
    for output_format in ("html", "json", "xlsx"):
        destination = submissions.parent / f"out{'-'.join(options)}" / f"cohort.{output_format}"
        destination.parent.mkdir(exist_ok=True)
        result = run(runner, str(submissions), *options, "--format", output_format, "-o", str(destination))
        assert result.exit_code == 3, result.output
        written[output_format] = (destination, _all_text(destination), result.stderr)
    return written


@pytest.fixture(scope="module")
def outputs(submissions: Path) -> dict[str, tuple[Path, str, str]]:
    return _outputs(submissions)


@pytest.fixture(scope="module")
def anonymous_outputs(submissions: Path) -> dict[str, tuple[Path, str, str]]:
    return _outputs(submissions, "--anonymize")


@pytest.fixture(scope="module")
def document(outputs: dict[str, tuple[Path, str, str]]) -> dict[str, Any]:
    """The JSON document of the whole folder."""
    return json.loads(outputs["json"][0].read_text(encoding="utf-8"))


def cohort_json(runner: CliRunner, *args: str, code: int = 3) -> dict[str, Any]:
    result = run(runner, *args, "--format", "json", "-o", "-")
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def by_student(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["student"]: s for s in document["students"]}


# ---- the same engine as `sheetkit report` ---------------------------------------------------


def test_each_students_figures_are_their_reports_figures(document: dict[str, Any]) -> None:
    assert set(by_student(document)) == set(STUDENT_NAMES)
    for entry in document["students"]:
        report = build_report(Path(entry["file"]), Config(), AS_OF)
        stats = report.stats
        for key in ("contacts", "meetings", "sent", "received", "replied", "response_rate", "thank_you_rate",
                    "thank_you_within_1_day_rate", "overdue", "upcoming"):
            assert entry[key] == stats[key], (entry["student"], key)
        overdue = [f.due.isoformat() for f in report.by_state("overdue")]
        assert entry["oldest_overdue"] == (min(overdue) if overdue else None)
        active_weeks = [w for w in stats["weekly_activity"] if w["sent"] or w["received"]]
        assert entry["weekly_activity"] == active_weeks
        assert sum(p["sent"] for p in entry["response_rate_by_channel"].values()) == stats["sent"]


def test_totals_are_the_sums_with_pooled_rates(document: dict[str, Any]) -> None:
    students, totals = document["students"], document["totals"]
    assert totals["students"] == len(students) == 6
    for key in ("contacts", "meetings", "sent", "received", "replied", "overdue", "upcoming"):
        assert totals[key] == sum(s[key] for s in students), key
    assert totals["response_rate"] == round(totals["replied"] / totals["sent"], 3)
    assert sum(p["sent"] for p in totals["response_rate_by_channel"].values()) == totals["sent"]
    assert sum(p["sent"] for p in totals["response_rate_by_purpose"].values()) == totals["sent"]
    assert sum(w["sent"] for w in totals["weekly_activity"]) == totals["sent"]
    assert totals["status"] == {"nothing handed in": 0, "not started": 1, "gone quiet": 1, "behind": 1, "on track": 3}
    # Ann, Cy, Eve and Frank have thanked someone; Bo and Dee have not.
    assert totals["students_sending_thank_yous"] == 4
    assert totals["share_of_students_sending_thank_yous"] == round(4 / 6, 3)
    assert totals["thank_you_benchmark"] == 0.05


def test_statuses_reasons_and_order(document: dict[str, Any]) -> None:
    students = by_student(document)
    assert students["Dee Empty"]["status"] == "not started"
    assert students["Cy Park"]["status"] == "gone quiet"
    assert "nothing recorded for 81 days (last on 2026-09-02)" in students["Cy Park"]["reason"]
    assert students["Bo Chen"]["status"] == "behind"
    # The thank-you was due 2026-10-26, held to a week after the 10-24 message by the spacing rule.
    assert students["Bo Chen"]["reason"] == "1 follow-up overdue, the oldest due 2026-10-31 (22 days ago)"
    assert students["Ann Lee"]["status"] == "on track"
    assert students["Ann Lee"]["last_activity"] == "2026-11-20"
    order = [STATUSES.index(s["status"]) for s in document["students"]]
    assert order == sorted(order), "students come most-in-need first"


@pytest.mark.parametrize(
    ("contacts", "overdue", "oldest", "last", "expected"),
    [
        (0, 0, None, None, "not started"),
        (2, 0, None, None, "gone quiet"),
        (2, 0, None, AS_OF - dt.timedelta(days=31), "gone quiet"),
        (2, 1, AS_OF - dt.timedelta(days=8), AS_OF - dt.timedelta(days=30), "behind"),
        (2, 1, AS_OF - dt.timedelta(days=7), AS_OF, "on track"),
        (2, 0, None, AS_OF, "on track"),
    ],
)
def test_status_thresholds(contacts: int, overdue: int, oldest: dt.date | None, last: dt.date | None,
                           expected: str) -> None:
    status, reason = student_status(contacts, overdue, oldest, last, AS_OF)
    assert status == expected
    assert reason


# ---- files that cannot be read, duplicates, names -------------------------------------------


def test_unreadable_files_are_listed_and_the_run_goes_on(outputs: dict[str, tuple[Path, str, str]],
                                                         document: dict[str, Any]) -> None:
    failed = {Path(f["file"]).name: f["error"] for f in document["failed"]}
    assert set(failed) == {"broken.xlsx", "budget.xlsx", "zed-lane.xlsx"}
    assert "Contacts" in failed["budget.xlsx"]
    assert failed["zed-lane.xlsx"].startswith("a sheetkit report, not a tracker")
    assert all(reason and "\n" not in reason for reason in failed.values())
    for output_format, (_, text, terminal) in outputs.items():
        for name in ("broken.xlsx", "budget.xlsx", "zed-lane.xlsx"):
            assert name in text and name in terminal, (output_format, name)
    assert "3 files could not be read" in outputs["json"][2]


def test_failed_sheet_lists_the_unreadable_files(outputs: dict[str, tuple[Path, str, str]]) -> None:
    failed = openpyxl.load_workbook(outputs["xlsx"][0])["Failed"]
    assert [c.value for c in failed[1]] == ["File", "Why it could not be read"]
    assert sorted(Path(row[0].value).name for row in failed.iter_rows(min_row=2)) == \
        ["broken.xlsx", "budget.xlsx", "zed-lane.xlsx"]


def test_all_read_exits_0_and_nothing_read_exits_1(runner: CliRunner, submissions: Path, tmp_path: Path) -> None:
    ok = run(runner, str(submissions / "ann-lee.xlsx"), str(submissions / "bo-chen.xlsx"),
             "-o", str(tmp_path / "ok.html"))
    assert ok.exit_code == 0, ok.output
    bad = run(runner, str(submissions / "broken.xlsx"), "-o", str(tmp_path / "bad.html"))
    assert bad.exit_code == 1, bad.output
    assert "no workbook could be read" in bad.output
    assert not (tmp_path / "bad.html").exists()


def test_unexpected_errors_are_not_file_failures(monkeypatch: pytest.MonkeyPatch, submissions: Path) -> None:
    def bug(*args: Any) -> None:
        raise ZeroDivisionError("a bug, not a bad file")

    monkeypatch.setattr(cohort_module, "build_report", bug)
    with pytest.raises(ZeroDivisionError):
        summarise_workbook(submissions / "ann-lee.xlsx", Config(), AS_OF)


def test_newest_duplicate_wins_and_the_older_is_named(document: dict[str, Any], submissions: Path) -> None:
    eve = by_student(document)["Eve Stone"]
    assert Path(eve["file"]) == submissions / "resubmitted" / "eve-stone.xlsx"
    assert [Path(p) for p in eve["superseded"]] == [submissions / "eve-stone-draft.xlsx"]
    assert eve["contacts"] == 2
    assert document["totals"]["superseded"] == 1


def test_duplicate_ties_go_to_the_path_that_sorts_last(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("b.xlsx", "a.xlsx", "c/a.xlsx"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        _set_mtime(write_tracker(tmp_path / name, [], student="Eve Stone"), NOV_1)
    eve = by_student(cohort_json(runner, str(tmp_path), code=0))["Eve Stone"]
    assert Path(eve["file"]) == tmp_path / "c" / "a.xlsx"
    assert [Path(p).relative_to(tmp_path) for p in eve["superseded"]] == [Path("a.xlsx"), Path("b.xlsx")]


def test_lock_files_are_skipped_and_lms_folders_name_the_student(document: dict[str, Any]) -> None:
    files = [Path(s["file"]).name for s in document["students"]] + [Path(f["file"]).name for f in document["failed"]]
    assert "~$ann-lee.xlsx" not in files
    assert by_student(document)["Frank Ode"]["student_from"] == "file name"
    assert by_student(document)["Ann Lee"]["student_from"] == "workbook"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("12345_jane-doe.xlsx", "Jane Doe"),
        ("12345-Jane Doe.xlsx", "Jane Doe"),
        ("Doe, Jane_98765_assignsubmission_file_tracker.xlsx", "Jane Doe"),
        ("Jane Doe_98765_assignsubmission_file_/tracker.xlsx", "Jane Doe"),
        ("doejane_LATE_4411_90210_networking-tracker.xlsx", "Doejane"),
        ("Networking Tracker_jdoe_attempt_2026-11-20-10-30-00_tracker.xlsx", "Jdoe"),
        ("sam-lee.xlsx", "Sam Lee"),
        ("cohort/Zoë Álvarez.xlsx", "Zoë Álvarez"),
    ],
)
def test_student_from_file_name(path: str, expected: str) -> None:
    assert student_from_file_name(Path(path)) == expected


def test_paths_files_and_glob_patterns(runner: CliRunner, submissions: Path) -> None:
    document = cohort_json(runner, str(submissions / "[bc]*-*.xlsx"), str(submissions / "dee-empty.xlsx"), code=0)
    assert set(by_student(document)) == {"Bo Chen", "Cy Park", "Dee Empty"}
    missing = run(runner, str(submissions / "nobody-*.xlsx"))
    assert missing.exit_code == 1 and "matches no file" in missing.output, missing.output
    nowhere = run(runner, str(submissions / "no-such-folder"))
    assert nowhere.exit_code == 1 and "no such file or folder" in nowhere.output, nowhere.output


# ---- privacy --------------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["html", "json", "xlsx"])
def test_no_contact_details_in_any_output(outputs: dict[str, tuple[Path, str, str]], output_format: str) -> None:
    text = outputs[output_format][1] + outputs[output_format][2]
    for secret in CONTACT_PII:
        assert secret not in text, f"{secret} leaked into the {output_format} output"


@pytest.mark.parametrize("output_format", ["html", "json", "xlsx"])
def test_anonymize_hides_student_names_and_file_names(anonymous_outputs: dict[str, tuple[Path, str, str]],
                                                      submissions: Path, output_format: str) -> None:
    text = anonymous_outputs[output_format][1]
    for name in STUDENT_NAMES:
        for spelling in (name, name.lower().replace(" ", "-")):
            assert spelling not in text, f"{spelling} appears in the anonymised {output_format} output"
    assert str(submissions) not in text
    for secret in CONTACT_PII:
        assert secret not in text


def test_the_terminal_shows_real_paths_under_anonymize(anonymous_outputs: dict[str, tuple[Path, str, str]],
                                                       submissions: Path) -> None:
    """The adviser must know whose file to chase; only the written outputs are anonymous."""
    terminal = anonymous_outputs["json"][2]
    assert f"{submissions / 'broken.xlsx'}: is damaged" in terminal
    assert f"{submissions / 'zed-lane.xlsx'}: a sheetkit report, not a tracker" in terminal
    assert "file-" not in terminal.split("cohort:")[0]


def test_pseudonyms_are_stable_and_keyed(anonymous_outputs: dict[str, tuple[Path, str, str]], submissions: Path,
                                         runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    document = json.loads(anonymous_outputs["json"][0].read_text(encoding="utf-8"))
    assert document["anonymized"] is True
    names = [s["student"] for s in document["students"]]
    assert all(re.fullmatch(r"Student [0-9A-F]{6}", name) for name in names), names
    # Stable: a pseudonym depends on the name and the key alone, not on the run or the cohort.
    assert pseudonym("Ann Lee") in names
    assert pseudonym("ann  LEE") == pseudonym("Ann Lee")
    monkeypatch.setenv("SHEETKIT_PSEUDONYM_KEY", "our own secret")
    keyed = cohort_json(runner, str(submissions / "ann-lee.xlsx"), "--anonymize", code=0)
    assert [s["student"] for s in keyed["students"]] == [pseudonym("Ann Lee", b"our own secret")]
    assert pseudonym("Ann Lee", b"our own secret") != pseudonym("Ann Lee")


def test_colliding_pseudonyms_are_lengthened(monkeypatch: pytest.MonkeyPatch, submissions: Path) -> None:
    monkeypatch.setattr(cohort_module, "PSEUDONYM_LENGTH", 1)
    summary = summarise_workbook(submissions / "ann-lee.xlsx", Config(), AS_OF)
    assert not isinstance(summary, FailedFile)
    students = [replace(summary, student=f"Student number {n}", file=f"{n}.xlsx") for n in range(40)]
    names = [s.student for s in anonymize_cohort(merge_summaries(students, AS_OF)).students]
    assert len(set(names)) == 40


# ---- formats and the contract ---------------------------------------------------------------

CONTRACT_STUDENT_KEYS = {"student", "file", "contacts", "meetings", "sent", "replied", "response_rate",
                         "thank_you_rate", "overdue", "oldest_overdue", "last_activity", "status", "reason"}


def test_json_contract(document: dict[str, Any]) -> None:
    assert document["schema"] == "sheetkit.cohort/1"
    assert document["as_of"] == AS_OF_TEXT
    assert {"schema", "as_of", "students", "totals", "failed"} <= set(document)
    for entry in document["students"]:
        assert CONTRACT_STUDENT_KEYS <= set(entry)
        assert entry["status"] in STATUSES
        for key in ("oldest_overdue", "last_activity"):
            assert entry[key] is None or dt.date.fromisoformat(entry[key])
        for key in ("response_rate", "thank_you_rate"):
            assert entry[key] is None or (0 <= entry[key] <= 1 and round(entry[key], 3) == entry[key])
    assert by_student(document)["Dee Empty"]["response_rate"] is None
    for part in document["totals"]["response_rate_by_channel"].values():
        assert set(part) == {"sent", "replied", "rate"}
    assert all(set(f) == {"file", "error"} for f in document["failed"])


def test_channels_typed_outside_the_list_are_not_shown(document: dict[str, Any]) -> None:
    ann = by_student(document)["Ann Lee"]
    assert ann["response_rate_by_channel"][NOT_IN_LIST]["sent"] == 1


def test_two_jobs_give_the_same_result_as_one(runner: CliRunner, submissions: Path, document: dict[str, Any]) -> None:
    result = runner.invoke(cli, ["cohort", str(submissions), "--as-of", AS_OF_TEXT, "--jobs", "2",
                                 "--format", "json", "-o", "-"])
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout) == document


class _Page(HTMLParser):
    """The parts of the cohort page the tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.csp = ""
        self.scripts: list[str] = []
        self.in_script = False
        self.sources: list[str] = []
        self.statuses: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("http-equiv") == "Content-Security-Policy":
            self.csp = attributes["content"] or ""
        self.sources += [value or "" for name, value in attrs if name in ("src", "href")]
        if tag == "script":
            self.in_script = True
            self.scripts.append("")
        if tag == "span" and "badge" in (attributes.get("class") or ""):
            self.statuses.append((attributes["class"] or "").split(" ", 1)[1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts[-1] += data


def test_html_is_self_contained_sorted_and_allows_only_its_own_script(
        outputs: dict[str, tuple[Path, str, str]]) -> None:
    html = outputs["html"][0].read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.sources == [], "no external resources"
    [script] = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert "default-src 'none'" in page.csp
    assert f"script-src 'sha256-{digest}'" in page.csp
    assert "unsafe-inline" not in page.csp.split("script-src")[1]
    expected = ["not-started", "gone-quiet", "behind", "on-track", "on-track", "on-track"]
    assert page.statuses == expected, "server-side order: most in need of a nudge first"
    assert "--brand" in html, "the shared _style.html is included"
    assert '<meta name="viewport"' in html


def test_xlsx_has_filtered_students_totals_and_failed(outputs: dict[str, tuple[Path, str, str]]) -> None:
    workbook = openpyxl.load_workbook(outputs["xlsx"][0])
    assert workbook.sheetnames == ["Students", "Totals", "Failed"]
    students = workbook["Students"]
    assert students.auto_filter.ref == "A1:V7"
    assert [c.value for c in students[1]][:3] == ["Student", "Status", "Reason"]
    assert [row[1].value for row in students.iter_rows(min_row=2)][:3] == ["not started", "gone quiet", "behind"]
    totals = {row[0].value: row[1].value for row in workbook["Totals"].iter_rows(min_row=2)}
    assert totals["Students"] == 6
    assert totals["Benchmark: job seekers sending thank-yous"] == 0.05
    assert totals["Response rate"] == json.loads(outputs["json"][0].read_text())["totals"]["response_rate"]


def test_xlsx_keeps_a_formula_like_name_as_text(runner: CliRunner, tmp_path: Path) -> None:
    name = '=HYPERLINK("http://x.example","click")'
    write_tracker(tmp_path / "formula.xlsx", [], student=name)
    destination = tmp_path / "cohort.xlsx"
    result = run(runner, str(tmp_path / "formula.xlsx"), "--format", "xlsx", "-o", str(destination))
    assert result.exit_code == 0, result.output
    cell = openpyxl.load_workbook(destination)["Students"]["A2"]
    assert (cell.value, cell.data_type) == (name, "s")


def test_default_output_is_in_the_current_folder_and_is_refreshed(
        runner: CliRunner, submissions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = run(runner, str(submissions / "ann-lee.xlsx"))
    assert first.exit_code == 0, first.output
    assert (tmp_path / "cohort-report.html").is_file()
    assert "Reading workbooks" not in first.stderr, "no progress bar when stderr is not a terminal"
    assert "cohort: 1 student: 1 on track" in first.stderr
    again = run(runner, str(submissions / "ann-lee.xlsx"))
    assert again.exit_code == 0, again.output
    (tmp_path / "mine.json").write_text("{}", encoding="utf-8")
    refused = run(runner, str(submissions / "ann-lee.xlsx"), "--format", "json", "-o", str(tmp_path / "mine.json"))
    assert refused.exit_code == 1 and "--force" in refused.output, refused.output
    quiet = run(runner, str(submissions / "ann-lee.xlsx"), "--quiet", "--force", "--format", "json",
                "-o", str(tmp_path / "mine.json"))
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.output
    assert json.loads((tmp_path / "mine.json").read_text())["schema"] == "sheetkit.cohort/1"


def test_xlsx_cannot_go_to_stdout(runner: CliRunner, submissions: Path) -> None:
    result = run(runner, str(submissions / "ann-lee.xlsx"), "--format", "xlsx", "-o", "-")
    assert result.exit_code == 2 and "binary" in result.output, result.output
