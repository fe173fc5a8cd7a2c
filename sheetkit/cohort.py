"""`sheetkit cohort`: one view over a whole cohort's trackers.

It is a map/reduce over workbook files, with the same engine as `sheetkit report`:

* **map** — :func:`summarise_workbook` reads ONE workbook with
  :func:`~sheetkit.report.build_report` and boils the report down to a small,
  picklable :class:`StudentSummary`. A summary carries counts, rates, dates
  and the student's own email, never a contact's name, email or notes, so
  contact details never leave a student's own report. A file the reader
  rejects (any :class:`~sheetkit.errors.SheetkitError`) becomes a
  :class:`FailedFile` with its one-line reason; any other exception is a bug
  and propagates.
* **reduce** — :func:`merge_summaries` matches submissions to the roster,
  keeps the newest file per student, sums the figures and returns a
  :class:`Cohort`; :func:`compare_with` adds the change since an earlier run,
  :func:`nudge_rows` picks the students to write to.

:func:`build_cohort` runs the map in worker processes (or in-process for one
job), or on a Dask cluster (:mod:`sheetkit.cluster`), and the reduce in the caller.

**Status** of a student as of the report date, first match wins:

* ``nothing handed in`` — on the roster (``--roster``), but no readable tracker
  of theirs was found.
* ``not started`` — the Contacts sheet has no contacts.
* ``gone quiet`` — nothing recorded in the last :data:`QUIET_AFTER_DAYS` (30)
  days: no touchpoint and no meeting date (Date met) that recent. Dates after
  the as-of date are ignored, so a mistyped future date cannot hide a quiet
  student.
* ``behind`` — the oldest overdue follow-up is overdue by more than
  :data:`BEHIND_AFTER_DAYS` (7) days.
* ``on track`` — anything else.

**The student's name** comes from the workbook's own Student field (Start Here
sheet) and, when that is blank, from the file name (see
:func:`student_from_file_name`). Two files for the same name (case and
punctuation ignored) are duplicate submissions: the one modified last wins,
ties going to the path that sorts last, and the others are listed as
superseded. With a roster, a submission belongs to the roster student whose
email is the one on the workbook's Start Here, else whose name folds the same
(:func:`student_key`); it then shows the roster's spelling of the name.
"""

from __future__ import annotations

import base64
import concurrent.futures as futures
import csv
import datetime as dt
import errno
import functools
import glob
import hashlib
import hmac
import itertools
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any

from sheetkit import __version__
from sheetkit.config import Branding, Config
from sheetkit.errors import SheetkitError, printable
from sheetkit.model import Tracker
from sheetkit.output import as_utf8, sheetkit_output_properties, via_memory
from sheetkit.reading.kind import SPECIAL_FILES
from sheetkit.reading.names import fold_name
from sheetkit.render import XlsxSheetWriter, bars, environment, percent, weekly_columns
from sheetkit.report import Report, build_report, iso_date
from sheetkit.roster import RosterStudent
from sheetkit.rules import plural
from sheetkit.stats import RATE_PARTS, STATS, THANK_YOU_BENCHMARKS, UNSPECIFIED, Ratio, pooled

COHORT_SCHEMA = "sheetkit.cohort/1"

#: A student with nothing recorded for more than this many days has gone quiet.
QUIET_AFTER_DAYS = 30
#: A student whose oldest overdue follow-up is later than this many days is behind.
BEHIND_AFTER_DAYS = 7
#: The status of a roster student with no readable submission.
NOTHING_HANDED_IN = "nothing handed in"
#: Statuses, most in need of a nudge first: the order of the student table.
STATUSES: tuple[str, ...] = (NOTHING_HANDED_IN, "not started", "gone quiet", "behind", "on track")
#: Statuses that call for a message from the adviser: the rows of the nudge list.
NEEDS_A_NUDGE: tuple[str, ...] = STATUSES[:4]

#: File name endings searched for in folders and glob matches.
WORKBOOK_SUFFIXES: tuple[str, ...] = (".xlsx", ".xlsm")
#: Channel or purpose values typed outside the dropdown lists are counted under this label,
#: since free text in those cells could hold anything (even a contact's name).
NOT_IN_LIST = "(not in the list)"
#: Why a sheetkit report handed in instead of a tracker is not read.
REPORT_NOT_TRACKER = "a sheetkit report, not a tracker; ask the student to hand in the tracker workbook itself"
#: The title in a cohort XLSX's document properties: how a later run knows its own output.
COHORT_XLSX_TITLE = "sheetkit cohort"

#: The key pseudonyms are made with when no secret key is given (see :func:`pseudonym`).
DEFAULT_PSEUDONYM_KEY = b"sheetkit cohort pseudonyms 1"
#: Hex digits in a pseudonym; more are used for students whose short pseudonyms collide.
PSEUDONYM_LENGTH = 6


def pseudonym_key() -> bytes:
    """The key pseudonyms are made with: ``$SHEETKIT_PSEUDONYM_KEY`` when set (a secret makes them
    impossible to recompute), else :data:`DEFAULT_PSEUDONYM_KEY`."""
    secret = os.environ.get("SHEETKIT_PSEUDONYM_KEY")
    return secret.encode("utf-8") if secret else DEFAULT_PSEUDONYM_KEY


class CohortInputError(SheetkitError):
    """A PATH given to `sheetkit cohort` names nothing, or nothing it names is a workbook."""


# ---- finding the workbooks -----------------------------------------------------------------

_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass
class Submissions:
    """What the PATHs of `sheetkit cohort` hold.

    ``workbooks`` are read; ``refused`` are listed as failed without being
    opened as trackers (special files, broken links, sheetkit reports);
    ``own_outputs`` are earlier cohort XLSX files, set aside.
    """

    workbooks: list[Path] = field(default_factory=list)
    refused: list[FailedFile] = field(default_factory=list)
    own_outputs: list[Path] = field(default_factory=list)


def find_submissions(paths: Iterable[str]) -> Submissions:
    """Every submission that ``paths`` name, each once, in the order found.

    A path may be a file (taken as given), a folder (searched recursively) or a
    glob pattern such as ``"uploads/**/*.xlsx"`` (expanded here, so quoting works
    the same on every shell). In folders and glob matches only ``.xlsx`` and
    ``.xlsm`` files count; Office lock files (``~$*``), hidden files and folders
    (``.*``, ``__MACOSX``) are skipped. Only regular files are opened, so a
    named pipe or device is never waited on; sheetkit's own outputs are known by
    their generator mark (:func:`~sheetkit.output.is_sheetkit_output`), not by name.
    """
    found: dict[str, Path] = {}
    submissions = Submissions()
    for text in paths:
        target = Path(text)
        if target.is_dir():
            candidates = _search(target, submissions.refused)
        elif os.path.lexists(text):
            candidates = [target]
        elif _GLOB_CHARS.search(text):
            matches = [Path(match) for match in sorted(glob.glob(text, recursive=True))]
            if not matches:
                raise CohortInputError(f"{text}: the pattern matches no file; check the folder and the spelling")
            candidates = [p for match in matches for p in
                          (_search(match, submissions.refused) if match.is_dir() else [match]) if _is_workbook(p)]
        else:
            raise CohortInputError(f"{text}: no such file or folder; check the path")
        for candidate in candidates:
            # One file reached by several paths (a glob through a linked folder) is named by the shortest.
            known = found.setdefault(os.path.realpath(candidate), candidate)
            if len(str(candidate)) < len(str(known)):
                found[os.path.realpath(candidate)] = candidate
    for path in found.values():
        refusal = _refusal(path)
        if refusal == "own output":
            submissions.own_outputs.append(path)
        elif refusal:
            submissions.refused.append(FailedFile(printable(str(path)), refusal))
        else:
            submissions.workbooks.append(path)
    if not found:
        raise CohortInputError(
            f"no .xlsx or .xlsm workbooks in {', '.join(paths)}; give the folder the submissions were saved to"
        )
    return submissions


def _search(folder: Path, refused: list[FailedFile]) -> list[Path]:
    def unreadable(error: OSError) -> None:
        refused.append(FailedFile(str(error.filename), f"folder {_os_reason(error)}"))

    workbooks: list[Path] = []
    for root, folders, files in os.walk(folder, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith(".") and name != "__MACOSX")
        workbooks.extend(Path(root, name) for name in sorted(files) if _is_workbook(Path(name)))
    return workbooks


def _is_workbook(path: Path) -> bool:
    return path.suffix.lower() in WORKBOOK_SUFFIXES and not path.name.startswith(("~$", "."))


def _refusal(path: Path) -> str | None:
    """Why ``path`` is not read as a tracker ("own output" for an earlier cohort XLSX), or None to read it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return _os_reason(error)
    if not S_ISREG(mode):
        kind = next((name for test, name in SPECIAL_FILES if test(mode)), "not a regular file")
        return f"{kind}, not a workbook file; only regular files are read"
    core = sheetkit_output_properties(path)
    if core is None:
        return None
    return "own output" if f"<dc:title>{COHORT_XLSX_TITLE}</dc:title>".encode() in core else REPORT_NOT_TRACKER


def _os_reason(error: OSError) -> str:
    """An operating system's refusal in plain words, with what to do about it."""
    if error.errno == errno.ELOOP:
        return "a symbolic link that loops back on itself; fix or delete the link"
    if error.errno == errno.ENOENT:
        return "a symbolic link to nothing (its target is gone); fix or delete the link"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied); ask for read access"
    return f"cannot be read ({(error.strerror or str(error)).lower()})"


# ---- naming the student --------------------------------------------------------------------

_LEADING_IDS = re.compile(r"^(?:\d+[_\-\s]+)+")
_ID_TOKEN = re.compile(r"\d+", re.ASCII)
_BLACKBOARD = re.compile(r"_(?P<user>[^_]+)_attempt_\d", re.IGNORECASE)
_LAST_FIRST = re.compile(r"^([^,]+),([^,]+)$")
_SEPARATORS = re.compile(r"[_\-.\s]+")


def student_from_file_name(path: Path) -> str:
    """A student's name guessed from a submission's file name, for workbooks with a blank Student field.

    1. Leading submission ids are dropped: digits followed by ``_``, ``-`` or a space.
    2. If an ``_``-separated part is all digits (a learning platform's user or
       submission id), only the text before it is the name, without a ``LATE``
       marker; a Blackboard ``…_user_attempt_…`` name gives the user.
    3. When the file name carries no id but its folder does (platforms that
       download each submission into its own folder), the folder's name is used.
    4. ``Last, First`` becomes ``First Last``; ``_``, ``-`` and ``.`` become
       spaces; a name typed all in lower case gets capital initials.

    >>> student_from_file_name(Path("12345_jane-doe.xlsx"))
    'Jane Doe'
    >>> student_from_file_name(Path("Doe, Jane_98765_assignsubmission_file_tracker.xlsx"))
    'Jane Doe'
    >>> student_from_file_name(Path("Jane Doe_98765_assignsubmission_file_/tracker.xlsx"))
    'Jane Doe'
    >>> student_from_file_name(Path("doejane_LATE_4411_90210_networking.xlsx"))
    'Doejane'
    """
    name = _name_before_id(path.stem) or _name_before_id(path.parent.name) or _LEADING_IDS.sub("", path.stem)
    return _tidy_name(name) or path.stem


def _name_before_id(text: str) -> str | None:
    """The part of an LMS file or folder name before its id; None when it carries no id."""
    blackboard = _BLACKBOARD.search(text)
    if blackboard:
        return blackboard["user"]
    parts = _LEADING_IDS.sub("", text).split("_")
    for index, part in enumerate(parts):
        if index and _ID_TOKEN.fullmatch(part):
            name = "_".join(p for p in parts[:index] if p.casefold() != "late").strip()
            return name or None
    return None


def _tidy_name(text: str) -> str:
    last_first = _LAST_FIRST.match(text.strip())
    if last_first:
        text = f"{last_first[2]} {last_first[1]}"
    words = _SEPARATORS.sub(" ", text).strip()
    return words.title() if words == words.lower() else words


def student_key(name: str) -> str:
    """The folded name duplicate submissions are matched on: 'Jane  DOE' and 'jane doe' are one student."""
    return fold_name(name) or name


# ---- the map: one workbook, one summary ----------------------------------------------------


@dataclass(frozen=True)
class StudentSummary:
    """One student's figures from one workbook: what a worker sends back.

    Counts, rates and dates only: no contact's name, email or notes.
    ``rate_parts`` holds each rate's numerator and denominator, so cohort rates
    are pooled; ``thank_yous`` counts the contacts thanked. ``by_channel`` and
    ``by_purpose`` map a value to ``{"sent", "replied", "rate"}`` as the
    report's breakdowns do; ``weekly`` maps a week's Monday (YYYY-MM-DD) to
    ``(sent, received)`` for weeks with any activity.
    """

    student: str
    student_from: str  # "workbook" (its Student field) or "file name"
    file: str
    modified: float  # the file's modification time, seconds since the epoch
    contacts: int
    meetings: int
    sent: int
    received: int
    replied: int
    response_rate: float | None
    thank_you_rate: float | None
    thank_you_within_1_day_rate: float | None
    thank_yous: int
    overdue: int
    upcoming: int
    oldest_overdue: dt.date | None
    last_activity: dt.date | None
    status: str
    reason: str
    workbook_errors: int
    by_channel: dict[str, dict[str, Any]]
    by_purpose: dict[str, dict[str, Any]]
    weekly: dict[str, tuple[int, int]]
    superseded: tuple[str, ...] = ()
    #: The student's own email (roster, else Start Here): for the nudge list only, never in the JSON.
    email: str | None = None
    #: With a roster: whether the student is on it; None without a roster.
    on_roster: bool | None = None
    #: With ``--since``: what changed since the earlier run.
    since: Change | None = None
    #: Each rate of :data:`~sheetkit.stats.STATS` as its parts, so the cohort pools them (none when nothing was handed in).
    rate_parts: dict[str, Ratio] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The student's entry in the ``sheetkit.cohort/1`` document."""
        entry = {
            "student": self.student,
            "file": self.file or None,
            "contacts": self.contacts,
            "meetings": self.meetings,
            "sent": self.sent,
            "replied": self.replied,
            "response_rate": self.response_rate,
            "thank_you_rate": self.thank_you_rate,
            "overdue": self.overdue,
            "oldest_overdue": iso_date(self.oldest_overdue),
            "last_activity": iso_date(self.last_activity),
            "status": self.status,
            "reason": self.reason,
            "student_from": self.student_from,
            "modified": dt.datetime.fromtimestamp(self.modified).isoformat(timespec="seconds") if self.file else None,
            "superseded": list(self.superseded),
            "received": self.received,
            "thank_you_within_1_day_rate": self.thank_you_within_1_day_rate,
            "thank_yous": self.thank_yous,
            "upcoming": self.upcoming,
            "workbook_errors": self.workbook_errors,
            "response_rate_by_channel": self.by_channel,
            "response_rate_by_purpose": self.by_purpose,
            "weekly_activity": [{"week": week, "sent": sent, "received": received}
                                for week, (sent, received) in sorted(self.weekly.items())],
        }
        if self.on_roster is not None:
            entry["on_roster"] = self.on_roster
        if self.since is not None:
            entry["since"] = self.since.to_json()
        return entry

    @property
    def file_name(self) -> str:
        """The submission's file name without its folders ('' when nothing was handed in)."""
        return Path(self.file).name if self.file else ""


@dataclass(frozen=True)
class FailedFile:
    """A file that could not be read as a tracker, with the reader's reason in one line."""

    file: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "error": self.error}


def summarise_workbook(path: Path, config: Config, as_of: dt.date) -> StudentSummary | FailedFile:
    """The map step: read one workbook with the report's engine and summarise it.

    Only the reader's own errors (:class:`~sheetkit.errors.SheetkitError`)
    make a :class:`FailedFile`; anything else is a bug and is raised.
    """
    try:
        report = build_report(path, config, as_of)
    except SheetkitError as exc:
        name = printable(str(path))  # a name that is not UTF-8 is shown with its bytes as \xNN
        return FailedFile(name, " ".join(str(exc).removeprefix(f"{path}: ").removeprefix(f"{name}: ").split()))
    return replace(summarise_report(report), email=student_email(report.tracker))


def student_email(tracker: Tracker) -> str | None:
    """The student's own email, as typed on the workbook's Start Here sheet (for roster matching and nudges)."""
    return tracker.email.strip() if tracker.email and tracker.email.strip() else None


def summarise_report(report: Report) -> StudentSummary:
    """A student's figures taken from their report: the same numbers `sheetkit report` shows."""
    stats = report.stats
    parts = stats[RATE_PARTS]
    people = [p for p in report.engine.contacts if p.primary]
    oldest_overdue = min((f.due for f in report.by_state("overdue")), default=None)
    days = [t.day for t in report.engine.touches] + [p.date_met for p in people if p.date_met is not None]
    last_activity = max((day for day in days if day <= report.as_of), default=None)
    status, reason = student_status(stats["contacts"], stats["overdue"], oldest_overdue, last_activity, report.as_of)
    student = report.tracker.student
    return StudentSummary(
        student=student or student_from_file_name(report.source),
        student_from="workbook" if student else "file name",
        file=str(report.source),
        modified=report.source.stat().st_mtime,
        contacts=stats["contacts"],
        meetings=stats["meetings"],
        sent=stats["sent"],
        received=stats["received"],
        replied=stats["replied"],
        response_rate=stats["response_rate"],
        thank_you_rate=stats["thank_you_rate"],
        thank_you_within_1_day_rate=stats["thank_you_within_1_day_rate"],
        thank_yous=sum(1 for p in people if p.thanked_on is not None),
        overdue=stats["overdue"],
        upcoming=stats["upcoming"],
        oldest_overdue=oldest_overdue,
        last_activity=last_activity,
        status=status,
        reason=reason,
        workbook_errors=len(report.errors),
        by_channel=_listed_only(stats["response_rate_by_channel"], report.config.list_values("channel")),
        by_purpose=_listed_only(stats["response_rate_by_purpose"], report.config.list_values("purpose")),
        weekly={w["week"]: (w["sent"], w["received"]) for w in stats["weekly_activity"] if w["sent"] or w["received"]},
        rate_parts={key: Ratio(part["numerator"], part["denominator"]) for key, part in parts.items()},
    )


def _listed_only(breakdown: dict[str, dict[str, Any]], allowed: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A report breakdown with values typed outside the dropdown list counted under :data:`NOT_IN_LIST`."""
    counts: dict[str, Counter[str]] = {}
    for value, part in breakdown.items():
        label = value if value in allowed or value == UNSPECIFIED else NOT_IN_LIST
        counts.setdefault(label, Counter()).update(sent=part["sent"], replied=part["replied"])
    return _with_rates(counts)


def student_status(
    contacts: int, overdue: int, oldest_overdue: dt.date | None, last_activity: dt.date | None, as_of: dt.date
) -> tuple[str, str]:
    """The student's status and its reason in plain words (the thresholds are in the module docstring)."""
    late = (as_of - oldest_overdue).days if oldest_overdue else 0
    owed = (f"{plural(overdue, 'follow-up')} overdue, "
            f"the oldest due {iso_date(oldest_overdue)} ({plural(late, 'day')} ago)")
    if contacts == 0:
        return "not started", "no contacts in the workbook yet"
    if last_activity is None:
        return "gone quiet", f"{plural(contacts, 'contact')} listed, but no touchpoint or meeting date on record"
    idle = (as_of - last_activity).days
    if idle > QUIET_AFTER_DAYS:
        reason = f"nothing recorded for {idle} days (last on {last_activity.isoformat()})"
        return "gone quiet", f"{reason}; {owed}" if overdue else reason
    if late > BEHIND_AFTER_DAYS:
        return "behind", owed
    if overdue:
        return "on track", f"last active {last_activity.isoformat()}; {owed}"
    return "on track", f"last active {last_activity.isoformat()}; nothing overdue"


# ---- running the map -----------------------------------------------------------------------


def summarise_all(
    paths: Sequence[Path],
    config: Config,
    as_of: dt.date,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[StudentSummary | FailedFile]:
    """Summaries of ``paths`` in the order they finish, using ``jobs`` worker processes (default: one per CPU).

    With one job the work runs in this process. Otherwise at most two
    workbooks per worker are in flight at a time, so memory stays bounded
    however many files there are. ``progress(1)`` is called after each file.
    """
    work = functools.partial(summarise_workbook, config=config, as_of=as_of)
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            yield work(path)
            if progress:
                progress(1)
        return
    queue = iter(paths)
    pool = futures.ProcessPoolExecutor(max_workers=min(jobs, len(paths)))
    try:
        pending = {pool.submit(work, path) for path in itertools.islice(queue, 2 * jobs)}
        while pending:
            done, pending = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
            for finished in done:
                following = next(queue, None)
                if following is not None:
                    pending.add(pool.submit(work, following))
                yield finished.result()
                if progress:
                    progress(1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def build_cohort(
    submissions: Submissions,
    config: Config,
    as_of: dt.date,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    *,
    roster: Sequence[RosterStudent] | None = None,
    scheduler: str | None = None,
    since: EarlierRun | None = None,
    key: bytes = DEFAULT_PSEUDONYM_KEY,
) -> Cohort:
    """Summarise every workbook (the map: in ``jobs`` processes, or on the Dask ``scheduler``) and add them up.

    Files refused before reading are listed among the failed; with a
    ``roster``, every roster student appears (see :func:`merge_summaries`);
    with an earlier run (``since``), each student's change since then (see :func:`compare_with`).
    """
    if scheduler:
        from sheetkit.cluster import summarise_on_cluster

        results = summarise_on_cluster(submissions.workbooks, config, as_of, scheduler, progress)
    else:
        results = summarise_all(submissions.workbooks, config, as_of, jobs, progress)
    cohort = merge_summaries(itertools.chain(submissions.refused, results), as_of, roster)
    return compare_with(cohort, since, key) if since else cohort


def cohort_writer(cohort: Cohort, output_format: str, branding: Branding,
                  templates: Path | None = None) -> Callable[[IO[bytes]], object]:
    """What writes the cohort report as ``output_format`` (html, xlsx or json) to a byte stream."""
    if output_format == "xlsx":
        return via_memory(lambda stream: write_cohort_xlsx(cohort, stream, branding))
    if output_format == "json":
        return as_utf8(lambda stream: stream.write(render_cohort_json(cohort)))
    return as_utf8(lambda stream: stream.write(render_cohort_html(cohort, branding, templates)))


# ---- the reduce: many summaries, one cohort ------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What moved for one student since an earlier run (``--since``).

    ``status_then`` is None for a student the earlier run did not list; the
    differences (now minus then) are then None too. ``movement`` is one of
    :data:`MOVEMENTS`, "new", or None when nothing worth a headline changed.
    """

    status_then: str | None
    sent: int | None
    replied: int | None
    overdue: int | None
    movement: str | None

    def to_json(self) -> dict[str, Any]:
        return {"status_then": self.status_then, "sent": self.sent, "replied": self.replied,
                "overdue": self.overdue, "movement": self.movement}

    @property
    def moves(self) -> str:
        """The figures that moved, for the page: '+2 sent · +1 replied · overdue -1' ('' when none did)."""
        parts = [f"{self.sent:+d} sent" if self.sent else "", f"{self.replied:+d} replied" if self.replied else "",
                 f"overdue {self.overdue:+d}" if self.overdue else ""]
        return " · ".join(part for part in parts if part)


#: Headline movements between two runs, as (name, statuses then, statuses now), in the page's order.
MOVEMENTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("fell behind", ("on track",), ("behind",)),
    ("went quiet", ("on track", "behind"), ("gone quiet",)),
    ("recovered", ("behind", "gone quiet"), ("on track",)),
    ("started", (NOTHING_HANDED_IN, "not started"), ("gone quiet", "behind", "on track")),
)


@dataclass(frozen=True)
class EarlierRun:
    """An earlier ``sheetkit.cohort/1`` document, its students keyed for matching (see :func:`read_earlier_run`)."""

    as_of: dt.date
    anonymized: bool
    students: dict[str, dict[str, Any]]


@dataclass
class Cohort:
    """Students (newest submission each, most in need of a nudge first), totals, and unreadable files."""

    as_of: dt.date
    students: list[StudentSummary]
    totals: dict[str, Any]
    failed: list[FailedFile] = field(default_factory=list)
    anonymized: bool = False
    with_roster: bool = False
    #: The earlier run's date, with ``--since``.
    since: dt.date | None = None
    #: Students of the earlier run that this run does not list.
    earlier_not_found: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``sheetkit.cohort/1`` document."""
        document = {
            "schema": COHORT_SCHEMA,
            "generator": f"sheetkit {__version__}",
            "as_of": self.as_of.isoformat(),
            "anonymized": self.anonymized,
            "status_rules": {"gone_quiet_after_days": QUIET_AFTER_DAYS, "behind_after_days": BEHIND_AFTER_DAYS},
            "students": [s.to_json() for s in self.students],
            "totals": self.totals,
            "failed": [f.to_json() for f in self.failed],
            "benchmarks": THANK_YOU_BENCHMARKS,
            "with_roster": self.with_roster,
        }
        if self.since:
            document["since"] = {
                "as_of": self.since.isoformat(),
                "movements": {name: len(self.moved(name)) for name, _, _ in MOVEMENTS},
                "new": len(self.moved("new")),
                "earlier_not_found": self.earlier_not_found,
            }
        return document

    def moved(self, movement: str) -> list[StudentSummary]:
        """The students whose change since the earlier run is ``movement`` ("fell behind", "new"...)."""
        return [s for s in self.students if s.since and s.since.movement == movement]

    @property
    def handed_in(self) -> int:
        return sum(1 for s in self.students if s.status != NOTHING_HANDED_IN)

    def summary(self) -> str:
        """'40 students: 25 on track, 8 behind, 5 gone quiet, 2 not started; response rate 41%; 2 files unreadable'."""
        totals = self.totals
        shown = STATUSES if self.with_roster else STATUSES[1:]
        counts = ", ".join(f"{totals['status'][status]} {status}" for status in reversed(shown))
        text = (f"{plural(totals['students'], 'student')}: {counts}; response rate "
                f"{percent(totals['response_rate'])} ({totals['replied']} of {totals['sent']} sent)")
        if totals["not_on_roster"]:
            text += f"; {plural(totals['not_on_roster'], 'student')} not on the roster"
        if totals["superseded"]:
            text += f"; {plural(totals['superseded'], 'older submission')} set aside"
        if self.failed:
            text += f"; {plural(len(self.failed), 'file')} could not be read"
        if self.since:
            moved = ", ".join(f"{len(self.moved(name))} {name}" for name, _, _ in MOVEMENTS)
            text += f"; since {self.since.isoformat()}: {moved}"
        return text


def merge_summaries(
    results: Iterable[StudentSummary | FailedFile], as_of: dt.date, roster: Sequence[RosterStudent] | None = None
) -> Cohort:
    """The reduce step: newest submission per student, students in status order, totals summed.

    With a ``roster``, each submission is matched to its roster student (see
    :class:`RosterMatch`); roster students with no submission get the status
    :data:`NOTHING_HANDED_IN`.
    """
    failed: list[FailedFile] = []
    newest: dict[str, StudentSummary] = {}
    older: dict[str, list[str]] = {}
    summaries: list[StudentSummary] = []
    for result in results:
        if isinstance(result, FailedFile):
            failed.append(result)
        else:
            summaries.append(result)
    matcher = RosterMatch(roster) if roster is not None else None
    for summary in sorted(summaries, key=lambda s: (s.modified, s.file)):
        key, summary = matcher.claim(summary) if matcher else (student_key(summary.student), summary)
        if key in newest:
            older.setdefault(key, []).append(newest[key].file)
        newest[key] = summary
    students = [replace(s, superseded=tuple(sorted(older.get(key, ())))) for key, s in newest.items()]
    if matcher:
        students += [nothing_handed_in(student) for key, student in matcher.keys.items() if key not in newest]
    students.sort(key=_severity)
    failed.sort(key=lambda f: f.file)
    return Cohort(as_of, students, cohort_totals(students, superseded=sum(map(len, older.values()))), failed,
                  with_roster=roster is not None)


class RosterMatch:
    """Which roster student a submission belongs to: by the email on its Start Here, else by the folded name.

    Emails are compared without regard to case. A name guessed from a file
    name has lost its punctuation ("Okonkwo-Bergström" became "Okonkwo
    Bergström"), so it is also compared with the roster's names tidied the same
    way. A name that two roster rows share goes to the first of them; their
    emails tell them apart.
    """

    def __init__(self, roster: Sequence[RosterStudent]) -> None:
        self.keys: dict[str, RosterStudent] = {f"roster row {s.row}": s for s in roster}
        self._by_email: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._by_file_name: dict[str, str] = {}
        for key, student in self.keys.items():
            if student.email:
                self._by_email.setdefault(student.email.casefold(), key)
            self._by_name.setdefault(student_key(student.name), key)
            self._by_file_name.setdefault(student_key(_tidy_name(student.name)), key)

    def claim(self, summary: StudentSummary) -> tuple[str, StudentSummary]:
        """The submission's student key, and the summary named and flagged as the roster has it."""
        key = self._by_email.get(summary.email.casefold()) if summary.email else None
        key = key or self._by_name.get(student_key(summary.student))
        if key is None and summary.student_from == "file name":
            key = self._by_file_name.get(student_key(summary.student))
        if key is None:
            return student_key(summary.student), replace(summary, on_roster=False)
        student = self.keys[key]
        return key, replace(summary, student=student.name, email=student.email or summary.email, on_roster=True)


def nothing_handed_in(student: RosterStudent) -> StudentSummary:
    """The entry of a roster student whose tracker was not among the files read."""
    return StudentSummary(
        student=student.name, student_from="roster", file="", modified=0.0, contacts=0, meetings=0, sent=0,
        received=0, replied=0, response_rate=None, thank_you_rate=None, thank_you_within_1_day_rate=None,
        thank_yous=0, overdue=0, upcoming=0, oldest_overdue=None,
        last_activity=None, status=NOTHING_HANDED_IN, reason="no tracker of theirs among the files read",
        workbook_errors=0, by_channel={}, by_purpose={}, weekly={}, email=student.email or None, on_roster=True,
    )


def _severity(summary: StudentSummary) -> tuple[Any, ...]:
    """Status order, then the longest overdue and the longest quiet first, then by name."""
    far_past = dt.date.min
    return (STATUSES.index(summary.status), summary.oldest_overdue or dt.date.max,
            summary.last_activity or far_past, student_key(summary.student))


def cohort_totals(students: Sequence[StudentSummary], superseded: int) -> dict[str, Any]:
    """Sums over the students, the count per status, and every rate of STATS pooled: each student's
    numerators and denominators summed (replies over all sends), never an average of their rates."""
    sums = {name: sum(getattr(s, name) for s in students)
            for name in ("contacts", "meetings", "sent", "received", "replied", "overdue", "upcoming")}
    rates = {stat.key: pooled(s.rate_parts.get(stat.key, Ratio(0, 0)) for s in students)
             for stat in STATS if stat.kind == "rate"}
    sending_thank_yous = sum(1 for s in students if s.thank_yous)
    handed_in = sum(1 for s in students if s.status != NOTHING_HANDED_IN)
    return {
        "students": len(students),
        "status": {status: sum(1 for s in students if s.status == status) for status in STATUSES},
        **sums,
        **{key: ratio.value for key, ratio in rates.items()},
        "students_sending_thank_yous": sending_thank_yous,
        "share_of_students_sending_thank_yous": Ratio(sending_thank_yous, handed_in).value,
        "thank_you_benchmark": THANK_YOU_BENCHMARKS["job_seekers_sending_thank_yous"],
        "response_rate_by_channel": _summed_breakdown(s.by_channel for s in students),
        "response_rate_by_purpose": _summed_breakdown(s.by_purpose for s in students),
        "weekly_activity": _summed_weeks(s.weekly for s in students),
        "superseded": superseded,
        "handed_in": handed_in,
        "not_on_roster": sum(1 for s in students if s.on_roster is False),
        RATE_PARTS: {key: ratio.to_json() for key, ratio in rates.items()},
    }


def _summed_breakdown(breakdowns: Iterable[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    counts: dict[str, Counter[str]] = {}
    for breakdown in breakdowns:
        for value, part in breakdown.items():
            counts.setdefault(value, Counter()).update(sent=part["sent"], replied=part["replied"])
    return _with_rates(counts)


def _with_rates(counts: dict[str, Counter[str]]) -> dict[str, dict[str, Any]]:
    """Value -> {"sent", "replied", "rate"}, most-sent first, as in the report."""
    order = sorted(counts, key=lambda value: (-counts[value]["sent"], -counts[value]["replied"], value))
    return {value: {"sent": counts[value]["sent"], "replied": counts[value]["replied"],
                    "rate": Ratio(counts[value]["replied"], counts[value]["sent"]).value} for value in order}


def _summed_weeks(weeks: Iterable[dict[str, tuple[int, int]]]) -> list[dict[str, Any]]:
    """Touchpoints per week over all students, from the first active week to the last, gaps as zeros."""
    sent: Counter[str] = Counter()
    received: Counter[str] = Counter()
    for weekly in weeks:
        for week, (out, back) in weekly.items():
            sent[week] += out
            received[week] += back
    if not sent:
        return []
    first, last = dt.date.fromisoformat(min(sent)), dt.date.fromisoformat(max(sent))
    mondays = (first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    return [{"week": day.isoformat(), "sent": sent[day.isoformat()], "received": received[day.isoformat()]}
            for day in mondays]


# ---- change since an earlier run -----------------------------------------------------------


def read_earlier_run(path: Path, key: bytes = DEFAULT_PSEUDONYM_KEY) -> EarlierRun:
    """An earlier run's ``sheetkit.cohort/1`` JSON, its students keyed as :func:`compare_with` looks them up.

    A plain run is keyed by the folded name; an anonymised one by its
    pseudonyms, which match only when made with the same ``key``.
    """
    try:
        document = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CohortInputError(f"{path}: cannot be read as JSON ({error}); give the .json file an earlier "
                               "`sheetkit cohort --format json` wrote") from None
    if not isinstance(document, dict) or document.get("schema") != COHORT_SCHEMA:
        raise CohortInputError(f"{path}: not a {COHORT_SCHEMA} document; give the .json file an earlier "
                               "`sheetkit cohort --format json` wrote")
    try:
        as_of = dt.date.fromisoformat(document["as_of"])
        anonymized = bool(document.get("anonymized"))
        students = {(entry["student"] if anonymized else student_key(entry["student"])): entry
                    for entry in document["students"]}
    except (KeyError, TypeError, ValueError) as error:
        raise CohortInputError(f"{path}: a {COHORT_SCHEMA} document with a damaged or missing field ({error}); "
                               "give the file exactly as `sheetkit cohort` wrote it") from None
    return EarlierRun(as_of, anonymized, students)


def compare_with(cohort: Cohort, earlier: EarlierRun, key: bytes = DEFAULT_PSEUDONYM_KEY) -> Cohort:
    """The cohort with each student's :class:`Change` since ``earlier`` (matched by name, or by pseudonym)."""
    found: set[str] = set()
    students = []
    for student in cohort.students:
        match = _earlier_key(student.student, earlier, key)
        then = earlier.students.get(match) if match else None
        if then is None:
            change = Change(None, None, None, None, "new")
        else:
            found.add(match)  # type: ignore[arg-type]
            change = Change(
                status_then=then.get("status"),
                sent=student.sent - int(then.get("sent") or 0),
                replied=student.replied - int(then.get("replied") or 0),
                overdue=student.overdue - int(then.get("overdue") or 0),
                movement=next((name for name, before, now in MOVEMENTS
                               if then.get("status") in before and student.status in now), None),
            )
        students.append(replace(student, since=change))
    return replace(cohort, students=students, since=earlier.as_of,
                   earlier_not_found=len(earlier.students) - len(found))


def _earlier_key(name: str, earlier: EarlierRun, key: bytes) -> str | None:
    """The key the earlier run lists ``name`` under, if it does (a pseudonym may have been lengthened)."""
    if not earlier.anonymized:
        return student_key(name)
    digest = _pseudonym_digest(name, key)
    return next((label for length in range(PSEUDONYM_LENGTH, len(digest) + 1, 2)
                 if (label := f"Student {digest[:length]}") in earlier.students), None)


# ---- the nudge list --------------------------------------------------------------------------

#: Columns of the nudge list, named as Outlook's (through Word) and Gmail's mail merges take them.
NUDGE_COLUMNS: tuple[str, ...] = ("First name", "Last name", "Email", "Status", "Reason")
#: Characters that make a spreadsheet read a cell as a formula; such cells get a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def nudge_rows(cohort: Cohort) -> list[dict[str, str]]:
    """One row per student whose status calls for a message (:data:`NEEDS_A_NUDGE`), most in need first.

    Only the student's own name and email, the status, and its reason as one
    sentence: never anything about a contact.
    """
    rows = []
    for student in cohort.students:
        if student.status not in NEEDS_A_NUDGE:
            continue
        first, _, last = student.student.partition(" ")
        reason = student.reason[:1].upper() + student.reason[1:]
        if student.on_roster is False:
            reason += "; not on the roster"
        rows.append({"First name": first, "Last name": last, "Email": student.email or "",
                     "Status": student.status, "Reason": f"{reason}."})
    return rows


def write_nudge_csv(cohort: Cohort, stream: IO[str]) -> None:
    """The nudge list as CSV: UTF-8 with a byte-order mark (so Excel reads accents), a header row, CRLF lines."""
    stream.write("\ufeff")
    writer = csv.DictWriter(stream, fieldnames=NUDGE_COLUMNS)
    writer.writeheader()
    for row in nudge_rows(cohort):
        writer.writerow({column: _as_csv_text(value) for column, value in row.items()})


def _as_csv_text(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading '=', '+', '-' or '@' gets an apostrophe before it."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


# ---- anonymising ---------------------------------------------------------------------------


def pseudonym(name: str, key: bytes = DEFAULT_PSEUDONYM_KEY, length: int = PSEUDONYM_LENGTH) -> str:
    """A stable stand-in for a student's name: 'Student 7F3A9C', from an HMAC-SHA256 of the folded name.

    The same name (case and spacing ignored) and key always give the same
    pseudonym, run after run. With the built-in key anyone holding the roster
    could recompute them; a secret key of your own prevents that.
    """
    return f"Student {_pseudonym_digest(name, key)[:length]}"


def _pseudonym_digest(name: str, key: bytes) -> str:
    return hmac.new(key, student_key(name).encode("utf-8"), hashlib.sha256).hexdigest().upper()


def anonymize_cohort(cohort: Cohort, key: bytes = DEFAULT_PSEUDONYM_KEY) -> Cohort:
    """The cohort with every student's name and every file path replaced by keyed pseudonyms.

    File paths go too, since submissions are usually named after the student;
    a file becomes ``file-<hash>.xlsx``. Pseudonyms that collide within the
    cohort are lengthened until they differ.
    """
    names = _distinct_pseudonyms([s.student for s in cohort.students], key)

    def file_label(path: str) -> str:
        digest = hmac.new(key, path.encode("utf-8"), hashlib.sha256).hexdigest()[:8]
        return f"file-{digest}{Path(path).suffix.lower()}"

    students = [
        replace(s, student=names[student_key(s.student)], file=file_label(s.file) if s.file else "",
                superseded=tuple(file_label(old) for old in s.superseded), email=None)
        for s in cohort.students
    ]
    failed = [FailedFile(file_label(f.file), _scrub(f.error, f.file, file_label(f.file))) for f in cohort.failed]
    return replace(cohort, students=students, failed=failed, anonymized=True)


def _distinct_pseudonyms(names: Sequence[str], key: bytes) -> dict[str, str]:
    """Folded name -> pseudonym, lengthening the ones that collide."""
    keys = sorted({student_key(name) for name in names})
    length = PSEUDONYM_LENGTH
    labels = {k: pseudonym(k, key, length) for k in keys}
    while len(set(labels.values())) < len(labels) and length < 64:
        clashes = {label for label, count in Counter(labels.values()).items() if count > 1}
        length += 2
        labels = {k: pseudonym(k, key, length) if label in clashes else label for k, label in labels.items()}
    return labels


def _scrub(error: str, path: str, label: str) -> str:
    for text in (path, Path(path).name):
        error = error.replace(text, label)
    return error


# ---- rendering -----------------------------------------------------------------------------


def render_cohort_json(cohort: Cohort) -> str:
    return json.dumps(cohort.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_cohort_html(cohort: Cohort, branding: Branding, templates: Path | None = None) -> str:
    """The cohort page: self-contained, phone-readable and printable; the student table sorts by clicking a header.

    The sorting script is the only script on the page; its SHA-256 goes in the
    page's Content-Security-Policy, which still forbids everything else.
    """
    from markupsafe import Markup

    env = environment(templates)
    script = env.get_template("_cohort_sort.js").render()
    script_hash = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    totals = cohort.totals
    thank_you_bars = bars(
        [
            ("Students sending thank-yous", totals["share_of_students_sending_thank_yous"] or 0.0,
             percent(totals["share_of_students_sending_thank_yous"])),
            ("Job seekers who send thank-yous", THANK_YOU_BENCHMARKS["job_seekers_sending_thank_yous"], "about 5%"),
            ("Cohort: meetings thanked", totals["thank_you_rate"] or 0.0, percent(totals["thank_you_rate"])),
        ],
        scale=1.0,
    )
    channel_bars = bars((name, part["rate"] or 0.0, f"{percent(part['rate'])} of {part['sent']}")
                        for name, part in totals["response_rate_by_channel"].items())
    weeks, tallest = weekly_columns(totals["weekly_activity"])
    return env.get_template("cohort.html").render(
        cohort=cohort,
        totals=totals,
        statuses=STATUSES,
        movements=[(name, cohort.moved(name)) for name, _, _ in MOVEMENTS] if cohort.since else [],
        summaries=cohort.students,
        stats=STATS,
        institution=branding.institution,
        colors=branding,
        quiet_days=QUIET_AFTER_DAYS,
        behind_days=BEHIND_AFTER_DAYS,
        thank_you_bars=thank_you_bars,
        channel_bars=channel_bars,
        weeks=weeks,
        tallest_week=tallest,
        sort_script=Markup(script),
        script_hash=script_hash,
        generated=dt.date.today().isoformat(),
    )


def write_cohort_xlsx(cohort: Cohort, stream: IO[bytes], branding: Branding) -> None:
    """Sheets Students (one row each, filtered), Totals and Failed; user text is always stored as text."""
    from openpyxl import Workbook

    from sheetkit.output import GENERATOR_MARK

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    workbook.properties.creator = GENERATOR_MARK
    workbook.properties.title = COHORT_XLSX_TITLE
    color = branding.primary_color
    since = f" since {cohort.since.isoformat()}" if cohort.since else " since"
    headers = ("Student", "Status", "Reason", "Contacts", "Meetings", "Sent", "Replied", "Response rate",
               "Thank-you rate", "Thanked within a day", "Overdue", "Oldest overdue", "Last activity", "File",
               "Superseded files", "Workbook errors", "On the roster", f"Status on {iso_date(cohort.since) or '—'}",
               f"Change{since}", f"Sent{since}", f"Replies{since}", f"Overdue change{since}")
    widths = (24, 12, 60, 10, 10, 8, 8, 10, 10, 10, 9, 13, 13, 40, 40, 10, 10, 14, 14, 10, 10, 10)
    students = XlsxSheetWriter(workbook, "Students", headers, widths, color)
    for s in cohort.students:
        change = s.since or Change(None, None, None, None, None)
        students.append((s.student, s.status, s.reason, s.contacts, s.meetings, s.sent, s.replied, s.response_rate,
                         s.thank_you_rate, s.thank_you_within_1_day_rate, s.overdue, s.oldest_overdue,
                         s.last_activity, s.file, ", ".join(s.superseded), s.workbook_errors,
                         {True: "yes", False: "no", None: None}[s.on_roster], change.status_then, change.movement,
                         change.sent, change.replied, change.overdue),
                        {8: "0%", 9: "0%", 10: "0%"})
    students.finish()
    totals = XlsxSheetWriter(workbook, "Totals", ("Figure", "Value", "Sent", "Replied"), (44, 14, 10, 10), color)
    for label, value, sent, replied, is_rate in total_rows(cohort.totals):
        totals.append((label, value, sent, replied), {2: "0%"} if is_rate else None)
    totals.finish()
    failed = XlsxSheetWriter(workbook, "Failed", ("File", "Why it could not be read"), (50, 90), color)
    for f in cohort.failed:
        failed.append((f.file, f.error))
    failed.finish()
    workbook.save(stream)


def total_rows(totals: dict[str, Any]) -> list[tuple[str, Any, int | None, int | None, bool]]:
    """The totals flattened to (label, value, sent, replied, is_rate) rows, figures in STATS order."""
    rows: list[tuple[str, Any, int | None, int | None, bool]] = [("Students", totals["students"], None, None, False)]
    rows += [(f"Students {status}", count, None, None, False) for status, count in totals["status"].items()]
    for stat in STATS:
        if stat.key not in totals:
            continue
        if stat.kind == "breakdown":
            rows += [(f"{stat.label}: {name}", part["rate"], part["sent"], part["replied"], True)
                     for name, part in totals[stat.key].items()]
        elif stat.kind == "weekly":
            rows += [(f"Week of {week['week']}", week["sent"] + week["received"], week["sent"], None, False)
                     for week in totals[stat.key]]
        else:
            rows.append((stat.label, totals[stat.key], None, None, stat.kind == "rate"))
    rows += [
        ("Students sending thank-yous", totals["students_sending_thank_yous"], None, None, False),
        ("Share of students sending thank-yous", totals["share_of_students_sending_thank_yous"], None, None, True),
        ("Benchmark: job seekers sending thank-yous", totals["thank_you_benchmark"], None, None, True),
        ("Older submissions set aside", totals["superseded"], None, None, False),
    ]
    return rows
