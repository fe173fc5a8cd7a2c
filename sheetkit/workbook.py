"""Building the tracker workbook that `sheetkit new` hands to a student.

The workbook follows :mod:`sheetkit.spec` (sheet names, headers, lists) and
carries live formulas that apply every rule of DOMAIN.md a formula can (one
next step per contact), so a student who never runs a command still sees what
is due. Formulas use only functions that Excel, LibreOffice and Gnumeric
share, with ``_xlfn.`` prefixes where Excel needs them::

    >>> from sheetkit.config import Config
    >>> workbook = build_workbook(Config(), student="Sam Lee")
    >>> workbook.sheetnames
    ['Start Here', 'Contacts', 'Touchpoints', 'Dashboard', 'Lists']

Building takes most of a second, so `sheetkit new` stamps each student into a
:class:`TrackerTemplate` kept in a per-user cache folder instead. openpyxl
(0.4 s to import) is imported only by the functions that build, which a run
that finds its template in the cache never calls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import html
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sheetkit import __version__, spec
from sheetkit.cache import default_cache_dir  # noqa: F401  (part of this module's API: `new` finds the cache through it)
from sheetkit.config import Config, Policy
from sheetkit.output import write_bytes_atomic
from sheetkit.spec import Column, column_letter

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

#: Pre-formatted data rows: enough for a year of busy networking.
CONTACT_ROWS = 500
TOUCHPOINT_ROWS = 2000

DATE_FORMAT = "yyyy-mm-dd"

FIRST_DATE = dt.date(1990, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)

EXTRA_COLUMN_WIDTH = 18
#: A date later than any real date: "no limit" in date comparisons.
_NO_DATE_LIMIT = dt.date(9999, 12, 31)

#: The control characters a .xlsx file cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: The most characters a cell holds.
MAX_CELL_TEXT = 32767


def _sheet_ref(name: str) -> str:
    """A sheet name as formulas write it: quoted only when it must be (``'Start Here'``, ``Lists``)."""
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) else "'" + name.replace("'", "''") + "'"


@dataclass(frozen=True)
class HelperColumn:
    """A hidden column of intermediate results, named ``... (auto)``.

    Date helpers hold 0 for "no such date"; their format shows 0 as an empty cell.
    """

    key: str
    header: str
    number_format: str = f"{DATE_FORMAT};;"


CONTACT_HELPERS: tuple[HelperColumn, ...] = (
    HelperColumn("counted", f"Counted {spec.AUTO_SUFFIX}", "0"),
    HelperColumn("last_met", f"Last met {spec.AUTO_SUFFIX}"),
    HelperColumn("warm_on", f"Last warm reply {spec.AUTO_SUFFIX}"),
    HelperColumn("brief_on", f"Last brief reply {spec.AUTO_SUFFIX}"),
    HelperColumn("thank_you_for", f"Thank-you owed for {spec.AUTO_SUFFIX}"),
    HelperColumn("thank_you_logged", f"Thank-you logged {spec.AUTO_SUFFIX}"),
    HelperColumn("thank_you_on", f"Thank-you on {spec.AUTO_SUFFIX}"),
    HelperColumn("first_follow_up_on", f"1st follow-up on {spec.AUTO_SUFFIX}"),
    HelperColumn("second_follow_up_on", f"2nd follow-up on {spec.AUTO_SUFFIX}"),
    HelperColumn("last_sent", f"Last sent {spec.AUTO_SUFFIX}"),
    HelperColumn("first_sent", f"First sent {spec.AUTO_SUFFIX}"),
    HelperColumn("last_written", f"Last written {spec.AUTO_SUFFIX}"),
    HelperColumn("heard_from", f"Heard from {spec.AUTO_SUFFIX}", "0"),
    HelperColumn("unanswered", f"Unanswered in a row {spec.AUTO_SUFFIX}", "0"),
    HelperColumn("agreed_met_on", f"Agreed date met on {spec.AUTO_SUFFIX}"),
    HelperColumn("question_on", f"Question open since {spec.AUTO_SUFFIX}"),
    HelperColumn("introduced_on", f"Introduction acted on {spec.AUTO_SUFFIX}"),
    HelperColumn("referred_met", f"Referred person met {spec.AUTO_SUFFIX}"),
    HelperColumn("introduced", f"Referred person written to {spec.AUTO_SUFFIX}"),
    HelperColumn("schedule_due", f"Schedule due {spec.AUTO_SUFFIX}"),
    # The due date of each rule, side by side (see DUE_CANDIDATES).
    HelperColumn("cadence_due", f"Cadence due {spec.AUTO_SUFFIX}"),
    HelperColumn("agreed_open", f"Agreed date open {spec.AUTO_SUFFIX}"),
    HelperColumn("reply_due", f"Reply due {spec.AUTO_SUFFIX}"),
    HelperColumn("referrer_update_due", f"Referrer update due {spec.AUTO_SUFFIX}"),
    HelperColumn("referrer_thanks_due", f"Referrer thanks due {spec.AUTO_SUFFIX}"),
    HelperColumn("offer_thanks_due", f"Offer thanks due {spec.AUTO_SUFFIX}"),
)

TOUCHPOINT_HELPERS: tuple[HelperColumn, ...] = (
    HelperColumn("replied", f"Replied {spec.AUTO_SUFFIX}", "0"),
    HelperColumn("asks", f"Asks {spec.AUTO_SUFFIX}", "0"),
    HelperColumn("answers", f"Answers theirs {spec.AUTO_SUFFIX}", "0"),
    HelperColumn("warm_reply", f"Warm reply on {spec.AUTO_SUFFIX}"),
)


@dataclass(frozen=True)
class DashboardFigure:
    """One labelled figure on the Dashboard sheet (label in column A, value in B)."""

    key: str
    label: str
    number_format: str

    def label_for(self, policy: Policy) -> str:
        """The label as the Dashboard shows it, with the policy's numbers in it."""
        return self.label.format(upcoming_days=policy.upcoming_days)


DASHBOARD_FIGURES: tuple[DashboardFigure, ...] = (
    DashboardFigure("contacts", "Contacts", "0"),
    DashboardFigure("meetings", "Meetings", "0"),
    DashboardFigure("touchpoints_sent", "Touchpoints sent", "0"),
    DashboardFigure("replies", "Replies", "0"),
    DashboardFigure("response_rate", "Response rate", "0%"),
    DashboardFigure("thank_you_rate", "Thank-you rate", "0%"),
    DashboardFigure("overdue", "Overdue now", "0"),
    DashboardFigure("due_soon", "Due in the next {upcoming_days} days", "0"),
)
#: Row of the first Dashboard figure; the rest follow one per row.
DASHBOARD_FIRST_ROW = 4

#: Touchpoints ranges as workbook-level names, keyed by column key (helpers included).
TOUCHPOINT_NAMES: dict[str, str] = {
    "date": "TP_Date",
    "contact": "TP_Contact",
    "direction": "TP_Direction",
    "purpose": "TP_Purpose",
    "channel": "TP_Channel",
    "reply_quality": "TP_Quality",
    "replied": "TP_Replied",
    "asks": "TP_Asks",
    "answers": "TP_Answers",
    "warm_reply": "TP_WarmReply",
}
_NAME_LETTER = column_letter(1 + [c.key for c in spec.CONTACT_COLUMNS].index("name"))
#: The names typed on Contacts: the source of the Contact and Referred by dropdowns.
CONTACT_NAMES = f"{_sheet_ref(spec.CONTACTS_SHEET)}!${_NAME_LETTER}$2:${_NAME_LETTER}${CONTACT_ROWS + 1}"
HOLIDAYS_NAME = "Holidays"
#: Start Here's "Offer accepted on" value cell, which the offer-thanks formulas read.
OFFER_CELL = "$B$6"
HOLIDAYS_TITLE = "Holidays"

#: Highlight colours (fill, text): Excel's "light red" and "yellow" presets.
_OVERDUE_COLORS = ("FFC7CE", "9C0006")
_DUE_SOON_COLORS = ("FFEB9C", "9C5700")


@dataclass(frozen=True)
class _SheetLayout:
    """Where each column of a data sheet sits: spec columns, extras, then helpers."""

    columns: tuple[Column, ...]
    extra_headers: tuple[str, ...]
    helpers: tuple[HelperColumn, ...]
    last_row: int

    def index(self, key: str) -> int:
        """1-based column number of a spec column or helper, by key."""
        return self._indexes[key]

    def letter(self, key: str) -> str:
        return column_letter(self.index(key))

    @functools.cached_property
    def _indexes(self) -> dict[str, int]:
        keys = [c.key for c in self.columns] + [""] * len(self.extra_headers) + [h.key for h in self.helpers]
        return {key: index for index, key in enumerate(keys, start=1) if key}

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns] + list(self.extra_headers) + [h.header for h in self.helpers]

    @property
    def last_visible_letter(self) -> str:
        return column_letter(len(self.columns) + len(self.extra_headers))

    def cells(self, key: str) -> str:
        """The column's pre-formatted data rows as an absolute range, e.g. ``$A$2:$A$501``."""
        letter = self.letter(key)
        return f"${letter}$2:${letter}${self.last_row}"

    def data_range(self, key: str, sheet: str) -> str:
        """:meth:`cells` with the sheet name, e.g. ``Contacts!$A$2:$A$501``."""
        return f"{_sheet_ref(sheet)}!{self.cells(key)}"


def build_workbook(
    config: Config | None = None,
    *,
    student: str = "",
    institution: str | None = None,
    email: str = "",
) -> Workbook:
    """A fresh tracker workbook for one student.

    ``institution`` defaults to the config's institution name; the follow-up
    schedule, lists, extra columns and colours all come from ``config``.
    """
    from openpyxl import Workbook
    from openpyxl.workbook.defined_name import DefinedName

    config = config or Config()
    contacts = _SheetLayout(spec.CONTACT_COLUMNS, config.extra_contact_columns, CONTACT_HELPERS, CONTACT_ROWS + 1)
    touchpoints = _SheetLayout(
        spec.TOUCHPOINT_COLUMNS, config.extra_touchpoint_columns, TOUCHPOINT_HELPERS, TOUCHPOINT_ROWS + 1
    )
    list_ranges = _list_ranges(config)
    dates = _DateMath(config.policy)

    workbook = Workbook()
    start = workbook.worksheets[0]
    start.title = spec.START_SHEET
    _fill_start_sheet(start, config, student=student, institution=_institution_name(config, institution), email=email)
    _fill_data_sheet(workbook.create_sheet(spec.CONTACTS_SHEET), contacts, config, list_ranges,
                     _contact_formulas(contacts, config.policy, dates))
    _fill_data_sheet(workbook.create_sheet(spec.TOUCHPOINTS_SHEET), touchpoints, config, list_ranges,
                     _touchpoint_formulas(touchpoints))
    _add_due_highlights(workbook[spec.CONTACTS_SHEET], contacts, config.policy)
    _shade_computed_cells(workbook[spec.CONTACTS_SHEET], contacts, config.branding.accent_color)
    _fill_dashboard(workbook.create_sheet(spec.DASHBOARD_SHEET), contacts, config)
    _fill_lists_sheet(workbook.create_sheet(spec.LISTS_SHEET), config)

    for key, name in TOUCHPOINT_NAMES.items():
        workbook.defined_names[name] = DefinedName(name, attr_text=touchpoints.data_range(key, spec.TOUCHPOINTS_SHEET))
    if dates.holidays_range:
        workbook.defined_names[HOLIDAYS_NAME] = DefinedName(HOLIDAYS_NAME, attr_text=dates.holidays_range)
    workbook.active = 0
    return workbook


def _institution_name(config: Config, institution: str | None) -> str:
    """The name on Start Here: ``institution`` when given, else the config's."""
    return institution if institution is not None else (config.branding.institution or "")


class TrackerTemplate:
    """A tracker workbook with placeholders for the student's name and email, as .xlsx bytes.

    Building and saving the workbook takes most of a second (thousands of
    formatted cells), yet only the Start Here values differ between students:
    :meth:`render` swaps each student's name and email into the one part that
    holds the placeholders and copies every other part unchanged, in tens of
    milliseconds. :meth:`cached` keeps the template between runs in a cache folder.
    """

    _STUDENT = "sheetkit-placeholder-student"
    _EMAIL = "sheetkit-placeholder-email"

    def __init__(self, xlsx: bytes) -> None:
        """Read a template that :meth:`build` made.

        Raises :class:`ValueError`, or zipfile's and zlib's errors, when ``xlsx``
        is not such a template, e.g. a damaged cache file.
        """
        self.xlsx = xlsx
        with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
            self._parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
        student, email = self._mark(self._STUDENT), self._mark(self._EMAIL)
        marked = [name for name, data in self._parts if data.count(student) == 1 and data.count(email) == 1]
        if len(marked) != 1:
            raise ValueError(f"expected the Start Here placeholders in one part, found them in {marked}")
        self._marked_part = marked[0]

    @classmethod
    def build(cls, config: Config | None = None, *, institution: str | None = None) -> TrackerTemplate:
        """Build the workbook for ``config`` (openpyxl, most of a second) with placeholders for the student."""
        workbook = build_workbook(config, student=cls._STUDENT, institution=institution, email=cls._EMAIL)
        return cls(workbook_bytes(workbook))

    @classmethod
    def cached(
        cls, config: Config | None = None, *, institution: str | None = None, cache_dir: Path | None = None
    ) -> TrackerTemplate:
        """The template an earlier run saved in ``cache_dir`` for the same workbook, else built and saved there.

        Entries are named by a hash of everything that shapes the workbook (see
        :func:`template_key`), so a changed config or sheetkit gets its own. A
        damaged entry is built afresh; a folder that cannot be written means
        nothing is saved. Without ``cache_dir`` the template is always built.
        """
        config = config or Config()
        key = template_key(config, institution)
        if cache_dir is None or key is None:
            return cls.build(config, institution=institution)
        entry = cache_dir / f"{_CACHE_PREFIX}{key}.xlsx"
        try:
            return cls(entry.read_bytes())
        except _UNUSABLE_TEMPLATE:
            pass  # not saved yet, or damaged: build it afresh
        template = cls.shipped(key) or cls.build(config, institution=institution)
        _save_cache_entry(entry, template.xlsx)
        return template

    @classmethod
    def shipped(cls, key: str) -> TrackerTemplate | None:
        """The template that comes with sheetkit (:data:`SHIPPED_TEMPLATE`), if it is the one for ``key``.

        It is the default configuration's template, built by :func:`save_shipped_template`
        and stamped with its :func:`template_key` in the zip comment, so a first
        `sheetkit new` with the defaults copies it instead of building (openpyxl's
        import and build take about 0.3 s). Any other key, or a changed or
        damaged file, gives ``None``, and the caller builds.
        """
        try:
            xlsx = SHIPPED_TEMPLATE.read_bytes()
            with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
                if archive.comment != key.encode("ascii"):
                    return None
            return cls(xlsx)
        except _UNUSABLE_TEMPLATE:
            return None

    def render(self, student: str, email: str = "") -> bytes:
        """The .xlsx bytes of the workbook for one student, dated now."""
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self._parts:
                if name == self._marked_part:
                    # One pass over the part: a student named like the email's placeholder stays a name.
                    values = {self._mark(self._STUDENT): self._mark(_clean_text(student)),
                              self._mark(self._EMAIL): self._mark(_clean_text(email))}
                    data = re.sub(b"|".join(map(re.escape, values)), lambda found: values[found[0]], data)  # noqa: B023 (called at once)
                elif name == _CORE_PROPERTIES:
                    data = _CREATED_OR_MODIFIED.sub(lambda match: match[1] + now, data)
                archive.writestr(name, data)
        return buffer.getvalue()

    @staticmethod
    def _mark(text: str) -> bytes:
        """A Start Here value's cell, after its address, as openpyxl writes it: an inline string, or empty."""
        # html.escape without quotes escapes what openpyxl's writer does (& < >) and loads faster than xml.sax.
        return f' t="inlineStr"><is><t>{html.escape(text, quote=False)}</t></is>'.encode() if text else b' t="n">'


def workbook_bytes(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes, each data column's formulas written once as a shared formula.

    Every pre-formatted row carries the same formulas, shifted by row; written
    out in full they are megabytes of sheet XML that every reader of the
    tracker must parse. A shared formula (as Excel itself writes) keeps the
    first row's text and marks the rows below as copies.
    """
    buffer = io.BytesIO()
    workbook.save(buffer)
    data_sheets = {f"xl/worksheets/sheet{workbook.sheetnames.index(name) + 1}.xml"
                   for name in (spec.CONTACTS_SHEET, spec.TOUCHPOINTS_SHEET)}
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, _share_formulas(data) if info.filename in data_sheets else data)
    return out.getvalue()


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>')
_RELATIVE_ROW = re.compile(rb"(?<![A-Za-z0-9_$])(\$[A-Z]{1,3})([0-9]+)(?![0-9(])")


def _share_formulas(xml: bytes) -> bytes:
    """Rewrite each column's run of formulas (the same formula, row-shifted) as one shared formula."""
    cells = list(_FORMULA_CELL.finditer(xml))
    first: dict[bytes, re.Match[bytes]] = {}
    last_row: dict[bytes, int] = {}
    for cell in cells:
        column, row = cell[1], int(cell[2])
        first.setdefault(column, cell)
        last_row[column] = row
    index = {column: number for number, column in enumerate(first)}

    def shifted(master: re.Match[bytes], row: int) -> bytes:
        offset = row - int(master[2])
        return _RELATIVE_ROW.sub(lambda ref: ref[1] + str(int(ref[2]) + offset).encode(), master[4])

    def rewrite(cell: re.Match[bytes]) -> bytes:
        column, row = cell[1], int(cell[2])
        master = first[column]
        if cell is master or cell.start() == master.start():
            shared = (b'<f t="shared" ref="' + column + master[2] + b":" + column + str(last_row[column]).encode()
                      + b'" si="' + str(index[column]).encode() + b'">' + cell[4] + b"</f>")
        else:
            if shifted(master, row) != cell[4]:
                raise ValueError(f"{column.decode()}{row}: not the column's formula shifted by row")
            shared = b'<f t="shared" si="' + str(index[column]).encode() + b'"/>'
        return b'<c r="' + column + cell[2] + b'"' + cell[3] + b">" + shared + b"</c>"

    return _FORMULA_CELL.sub(rewrite, xml)


# --- The template cache ---------------------------------------------------------

#: The default configuration's template, shipped in the package; ``python -m sheetkit.workbook`` rebuilds it.
SHIPPED_TEMPLATE = Path(__file__).with_name("default_template.xlsx")


def save_shipped_template(path: Path = SHIPPED_TEMPLATE) -> Path:
    """Build the default configuration's template and save it, its key in the zip comment.

    Run after changing anything that shapes the workbook (the modules in
    :data:`_SHAPING_MODULES`); until then sheetkit ignores the stale file and
    builds, and the test suite says so.
    """
    template = TrackerTemplate.build(Config())
    key = template_key(Config())
    if key is None:
        raise RuntimeError("sheetkit's sources cannot be read, so the template's key cannot be worked out")
    buffer = io.BytesIO(template.xlsx)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = key.encode("ascii")
    write_bytes_atomic(path, buffer.getvalue())
    return path


#: How many templates the cache folder keeps; saving one deletes the oldest beyond this.
CACHE_ENTRIES = 10
_CACHE_PREFIX = "template-"
_CACHE_ENTRY = re.compile(rf"{_CACHE_PREFIX}[0-9a-f]{{64}}\.xlsx")
#: What reading a missing, truncated or otherwise damaged template raises.
_UNUSABLE_TEMPLATE: tuple[type[Exception], ...] = (
    OSError, EOFError, ValueError, NotImplementedError, zipfile.BadZipFile, zlib.error,
)
#: The sources whose code shapes the workbook; editing one retires every cached template.
_SHAPING_MODULES = ("workbook.py", "spec.py", "config.py")
_CORE_PROPERTIES = "docProps/core.xml"
_CREATED_OR_MODIFIED = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*")


def template_key(config: Config, institution: str | None = None) -> str | None:
    """A hash of everything that shapes the template for ``config``; ``None`` when that cannot be known.

    It covers sheetkit's version, the source of the modules that build the
    workbook, every config setting but the file's path, and the institution.
    Without readable sources (an unusual install) nothing is cached.
    """
    package = Path(__file__).parent
    try:
        sources = [hashlib.sha256((package / name).read_bytes()).hexdigest() for name in _SHAPING_MODULES]
    except OSError:
        return None
    settings = dataclasses.asdict(config)
    del settings["source"]
    shape = {"sheetkit": __version__, "sources": sources, "config": settings,
             "institution": _institution_name(config, institution)}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def _save_cache_entry(entry: Path, xlsx: bytes) -> None:
    """Save a template atomically, then delete the oldest beyond :data:`CACHE_ENTRIES`.

    Caching is a convenience: a folder that cannot be created or written is skipped.
    """
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(entry, xlsx)
        entries = [path for path in entry.parent.iterdir() if _CACHE_ENTRY.fullmatch(path.name)]
        entries.sort(key=lambda path: path.stat().st_mtime, reverse=True)
        for stale in entries[CACHE_ENTRIES:]:
            stale.unlink(missing_ok=True)
    except OSError:
        return


# --- Start Here ---------------------------------------------------------------

def _fill_start_sheet(sheet: Worksheet, config: Config, *, student: str, institution: str, email: str) -> None:
    from openpyxl.styles import Alignment

    policy = config.policy

    def days(count: int) -> str:
        return f"{count} day" if count == 1 else f"{count} days"

    heading = _font(bold=True, size=12, color=config.branding.primary_color)
    sheet.column_dimensions["A"].width = START_LABEL_WIDTH
    sheet.column_dimensions["B"].width = START_TEXT_WIDTH

    sheet["A1"] = "Networking follow-up tracker"
    sheet["A1"].font = _font(bold=True, size=16, color=config.branding.primary_color)
    sheet.row_dimensions[1].height = 24
    fields = ((spec.STUDENT_LABEL, student), (spec.INSTITUTION_LABEL, institution), (spec.EMAIL_LABEL, email),
              (spec.OFFER_LABEL, ""))
    for row, (label, value) in enumerate(fields, start=3):
        sheet.cell(row, 1, label).font = _font(bold=True)
        _set_text(sheet.cell(row, 2), value)
        sheet.cell(row, 2).font = _font()
    offer = sheet[OFFER_CELL.replace("$", "")]
    offer.number_format = DATE_FORMAT
    offer.alignment = Alignment(horizontal="left")
    offer_rule = Column(spec.OFFER_LABEL, "offer_accepted_on", "date", 12,
                        "The day you accepted a job offer: everyone who helped is owed a short note.")
    _add_validation(sheet, OFFER_CELL.replace("$", ""), _date_validation(offer_rule))

    soon = f"due in the next {days(policy.upcoming_days)}"
    lines: list[tuple[str, str] | str] = [
        "How to use this workbook",
        ("1.", ("Each time you meet someone, add them on Contacts: name, how you met, the date. "
                "A later meeting with the same person goes on Touchpoints with Purpose Meeting: it gets its own "
                "thank-you.")),
        ("2.", ("At the end of every meeting, ask when and how they would like you to follow up. Put the day you "
                "will get in touch in Agreed next contact, and how in Best way to reach.")),
        ("3.", "Log every message on Touchpoints, one row each, with the name spelled as on Contacts."),
        ("4.", (f"Say thank you within {days(policy.thank_you_days)} of meeting (thanks said at the meeting itself "
                "does not count); log it with Purpose Thank-you.")),
        ("5.", ("Follow up twice more, each time in a different way, then keep in touch now and then. "
                "Keep every message brief and professional.")),
        ("6.", (f"Next follow-up due works itself out: one next step per person, the earliest that is due. "
                f"Red rows are overdue; amber rows are {soon}.")),
        ("7.", ("Set Status to Paused to rest a contact (an agreed date still brings them back), "
                "or to Closed or Do not contact to stop for good.")),
        ("8.", (f"When you accept a job offer, type the day in {spec.OFFER_LABEL} above: everyone who helped "
                f"is owed a short note within {days(policy.offer_thanks_days)}.")),
        ("9.", (f"To print, select the rows you have filled in and print the selection: the sheets are ready "
                f"for {CONTACT_ROWS} contacts and {TOUCHPOINT_ROWS:,} messages, and a plain print includes "
                "the empty rows.")),
        "Follow-up schedule",
        ("Thank-you", (f"{days(policy.thank_you_days)} after each meeting, or after a warm reply from someone "
                       "you have not met")),
        ("First follow-up", (f"{days(policy.first_follow_up_days)} after the thank-you "
                             f"({days(policy.job_status_check_days)} after a job interview's, to ask about the status); "
                             "answering a message of theirs does not count")),
        ("Second follow-up", (f"{days(policy.second_follow_up_days)} after the first follow-up, "
                              "unless their replies are brief")),
        ("Keep in touch", (f"every {days(policy.keep_in_touch_days)} after your last message; "
                           f"every {days(policy.warm_keep_in_touch_days)} when their latest reply was warm")),
        ("Agreed date", ("the day in Agreed next contact wins: until then the follow-ups above wait for it, "
                         "whether it comes sooner or later (a thank-you is still due)")),
        ("Reply", f"{days(policy.reply_days)} after they ask you something (Purpose Question or Meeting request)"),
        ("Nudge", (f"{days(policy.nudge_days)} after an unanswered request to someone you have not met; "
                   "after two, let it rest")),
        ("Referrer update", f"{days(policy.referrer_update_days)} after meeting someone a contact referred you to"),
        ("Referrer thanks", (f"{days(policy.referrer_thanks_days)} after you first write to someone a contact referred "
                             "you to")),
        ("Spacing", (f"nothing falls due within {days(policy.spacing_days)} of your last message, "
                     "except an agreed date, a reply or the news of your offer")),
        ("Cool-off", (f"after {policy.cool_off_unanswered} unanswered messages, or brief replies, the keep-in-touch "
                      f"gap is {policy.cool_off_factor} times longer")),
        ("Stop", (f"after {policy.stop_unanswered} unanswered messages in a row nothing more is due: "
                  "set Status to Paused or Closed")),
    ]
    if policy.business_days:
        lines.append(("Working days", ("a due date on a weekend, or on a holiday listed on the hidden Lists "
                                       "sheet, moves to the next working day")))
    lines += [
        "See what you owe",
        ("Run", "sheetkit report tracker.xlsx"),
        ("", (f"It lists what is overdue and {soon}, and how your outreach is going. "
              "Use this file's name in place of tracker.xlsx. Only the report suggests which way to get in touch, "
              "warns about too many messages in one week, a Referral with nobody in Referred by or dates that "
              "cannot be right, and drafts the messages.")),
    ]
    row = 8
    for line in lines:
        if isinstance(line, str):
            row += 1
            sheet.cell(row, 1, line).font = heading
            sheet.row_dimensions[row].height = 18
        else:
            label, text = line
            sheet.cell(row, 1, label).font = _font(bold=True)
            sheet.cell(row, 1).alignment = Alignment(vertical="top")
            cell = sheet.cell(row, 2, text)
            cell.font = _font()
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.row_dimensions[row].height = _wrapped_height(text, START_TEXT_WIDTH)
        row += 1
    _print_setup(sheet, repeat_header=False)
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToHeight = 1  # the guide on one page


#: Start Here's column widths, in characters.
START_LABEL_WIDTH = 20
START_TEXT_WIDTH = 80
#: Points per line of 11-point text, with a little room.
_LINE_HEIGHT = 15


def _wrapped_height(text: str, width: float) -> float:
    """A row height that shows ``text`` wrapped in a column ``width`` characters wide.

    Counts whole words per line, a character per unit of width (Calibri fits
    more, LibreOffice's stand-in a little more); neither program grows a row
    for wrapped text on its own.
    """
    room = int(width)
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > room:
            lines, used = lines + 1, len(word)
        else:
            used += (1 if used else 0) + len(word)
    return lines * _LINE_HEIGHT + 3


#: The one font family of the workbook (LibreOffice shows its metric twin, Carlito, where installed).
FONT_NAME = "Calibri"


def _font(**style: Any) -> Font:
    """A font of the workbook's one family: a cell style without a name falls back to a serif in LibreOffice."""
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, **style)


def _set_text(cell: Cell | MergedCell, value: str) -> None:
    """Store ``value`` as plain text, so a name such as ``=cmd`` never becomes a formula; leave blanks empty."""
    text = _clean_text(value)
    if text:
        cell.value = text
        cell.data_type = "s"


def _clean_text(value: str) -> str:
    """``value`` as a cell can hold it: without the control characters .xlsx forbids, line
    breaks as ``\n`` (what an XML reader makes of a bare ``\r``), trimmed, at most 32,767 characters."""
    text = _ILLEGAL_CHARACTERS.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_CELL_TEXT].strip()


# --- Contacts and Touchpoints ---------------------------------------------------

#: Stands for the row number in formula templates.
ROW = "{row}"


class _RowTemplates:
    """Formulas written once with :data:`ROW` in place of the row number (formulas never contain braces)."""

    def __init__(self, templates: dict[str, str]) -> None:
        self.templates = templates

    def __call__(self, row: int) -> dict[str, str]:
        return {key: template.format(row=row) for key, template in self.templates.items()}


def _fill_data_sheet(
    sheet: Worksheet,
    layout: _SheetLayout,
    config: Config,
    list_ranges: dict[str, str],
    formulas: _RowTemplates,
) -> None:
    """Headers, widths, validations, formats and formulas for rows 2..last_row."""
    from openpyxl.styles import Alignment

    header_font = _font(bold=True, color=_text_color_on(config.branding.primary_color))
    header_fill = _solid_fill(config.branding.primary_color)
    for index, header in enumerate(layout.headers, start=1):
        cell = sheet.cell(1, index)
        _set_text(cell, header)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.row_dimensions[1].height = 2 * _LINE_HEIGHT + 3

    for column in layout.columns:
        letter = layout.letter(column.key)
        cells = f"{letter}2:{letter}{layout.last_row}"
        sheet.column_dimensions[letter].width = _header_fit(column.header, column.width)
        if column.kind == "choice" and column.choices:
            _add_validation(sheet, cells, _list_validation(column, list_ranges[column.choices]))
        elif column.kind == "contact":
            _add_validation(sheet, cells, _contact_validation(column, CONTACT_NAMES))
        elif column.kind == "date":
            _add_validation(sheet, cells, _date_validation(column))
            _format_cells(sheet, layout.index(column.key), layout.last_row, number_format=DATE_FORMAT)
        elif column.key == "phone":
            _format_cells(sheet, layout.index(column.key), layout.last_row, number_format="@")
    for index in range(len(layout.columns) + 1, len(layout.columns) + len(layout.extra_headers) + 1):
        sheet.column_dimensions[column_letter(index)].width = EXTRA_COLUMN_WIDTH
    for helper in layout.helpers:
        dimension = sheet.column_dimensions[layout.letter(helper.key)]
        dimension.width = 14
        dimension.hidden = True

    visible_formats = {c.key: DATE_FORMAT if c.key == "next_due_formula" else "0"
                       for c in layout.columns if c.kind == "formula"}
    helper_formats = {h.key: h.number_format for h in layout.helpers}
    indexes = {key: layout.index(key) for key in formulas(2)}
    for row in range(2, layout.last_row + 1):
        for key, formula in formulas(row).items():
            cell = sheet.cell(row, indexes[key], formula)
            if key in visible_formats:
                cell.number_format = visible_formats[key]
            else:
                cell.number_format = helper_formats[key]
    sheet.freeze_panes = "A2"
    _print_setup(sheet, repeat_header=True)


def _shade_computed_cells(sheet: Worksheet, layout: _SheetLayout, color: str) -> None:
    """Shade the worked-out columns on rows in use (after the red and amber rules, which win):
    a fill on every pre-formatted row would print as pages of coloured empty rows."""
    from openpyxl.formatting.rule import FormulaRule

    first = layout.columns[0]
    for column in layout.columns:
        if column.kind == "formula":
            letter = layout.letter(column.key)
            sheet.conditional_formatting.add(f"{letter}2:{letter}{layout.last_row}", FormulaRule(
                formula=[f'TRIM(${layout.letter(first.key)}2)<>""'], fill=_solid_fill(color)))


def _header_fit(header: str, width: float) -> float:
    """A column width at least wide enough for ``header`` on two lines of bold text, no word broken."""
    longest_word = max(len(word) for word in header.split())
    return max(width, 12, longest_word + 3, (len(header) + 1) / 2 + 4)


def _format_cells(sheet: Worksheet, column: int, last_row: int, *, number_format: str) -> None:
    for row in range(2, last_row + 1):
        sheet.cell(row, column).number_format = number_format


def _add_validation(sheet: Worksheet, cells: str, validation: DataValidation) -> None:
    sheet.add_data_validation(validation)
    validation.add(cells)


def _list_validation(column: Column, source: str) -> DataValidation:
    return _validation(
        column,
        type="list",
        formula1=source,
        errorStyle="stop",
        errorTitle=_limit(f"Pick a {column.header.lower()}", 32),
        error=_limit(f"Choose one of the values in the {column.header} list (click the arrow), "
                     "or leave the cell empty.", 255),
    )


def _contact_validation(column: Column, contacts_range: str) -> DataValidation:
    # A warning, not a stop: people may log a touchpoint before adding the contact.
    return _validation(
        column,
        type="list",
        formula1=contacts_range,
        errorStyle="warning",
        errorTitle="Not on the Contacts sheet",
        error=_limit("Pick a name from the list, spelled as on the Contacts sheet, "
                     "or add this person on Contacts first.", 255),
    )


def _date_validation(column: Column) -> DataValidation:
    return _validation(
        column,
        type="date",
        operator="between",
        formula1=str(_excel_serial(FIRST_DATE)),
        formula2=str(_excel_serial(LAST_DATE)),
        errorStyle="stop",
        errorTitle="Type a date",
        error=_limit(f"{column.header} must be a date between {FIRST_DATE.year} and {LAST_DATE.year}, "
                     "typed like 2026-11-10.", 255),
    )


def _validation(column: Column, **rule: Any) -> DataValidation:
    """A rule on ``column``'s cells that allows blanks, explains a refusal and shows the column's help."""
    from openpyxl.worksheet.datavalidation import DataValidation

    return DataValidation(allow_blank=True, showErrorMessage=True, showInputMessage=True,
                          promptTitle=_limit(column.header, 32), prompt=_limit(column.help, 255), **rule)


def _excel_serial(day: dt.date) -> int:
    """The day as Excel counts it (1990-01-01 is 32874)."""
    from openpyxl.utils.datetime import to_excel

    return int(to_excel(day))


def _solid_fill(color: str) -> PatternFill:
    from openpyxl.styles import PatternFill

    return PatternFill("solid", start_color=color, end_color=color)


def _limit(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _print_setup(sheet: Worksheet, *, repeat_header: bool) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    if repeat_header:
        sheet.print_title_rows = "1:1"


def _text_color_on(background: str) -> str:
    """Black or white, whichever reads better on the hex colour ``background``."""
    red, green, blue = (int(background[i: i + 2], 16) for i in (0, 2, 4))
    return "000000" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "FFFFFF"


def _add_due_highlights(sheet: Worksheet, layout: _SheetLayout, policy: Policy) -> None:
    """Red rows when the next follow-up is overdue, amber when it is due in the next ``upcoming_days`` days."""
    from openpyxl.formatting.rule import FormulaRule

    due = f"${layout.letter('next_due_formula')}2"
    cells = f"A2:{layout.last_visible_letter}{layout.last_row}"
    for condition, (fill, text) in ((f"AND(ISNUMBER({due}),{due}<TODAY())", _OVERDUE_COLORS),
                                    (f"AND(ISNUMBER({due}),{due}>=TODAY(),{due}<=TODAY()+{policy.upcoming_days})",
                                     _DUE_SOON_COLORS)):
        sheet.conditional_formatting.add(cells, FormulaRule(
            formula=[condition], fill=_solid_fill(fill), font=_font(color=text), stopIfTrue=True))


# --- Formulas -------------------------------------------------------------------

#: A message sent within this many days after one of theirs answers it (and is no follow-up).
ANSWER_WINDOW_DAYS = 7
#: Purposes that expect no answer: for a warm contact they never count towards cool-off.
ONE_WAY_PURPOSES = ("Thank-you", "Update", "Article or resource", "Referral update")
#: Purposes of a received message that ask something: a reply is due.
ASKING_PURPOSES = ("Question", "Meeting request")
#: Channels on which a thank-you on the meeting's own day is the meeting itself, not the note.
MEETING_CHANNELS = ("In person", "Video call")


class _DateMath:
    """Due dates as formulas: intervals in calendar days; with business days, a due date on a
    weekend or listed holiday moves to the next working day (``WORKDAY(day-1, 1)``)."""

    def __init__(self, policy: Policy) -> None:
        self.business_days = policy.business_days
        self.holidays_range = (
            f"{_sheet_ref(spec.LISTS_SHEET)}!${column_letter(len(spec.LISTS) + 1)}$2:"
            f"${column_letter(len(spec.LISTS) + 1)}${len(policy.holidays) + 1}"
            if policy.business_days and policy.holidays else ""
        )

    def working_day(self, day: str) -> str:
        if not self.business_days:
            return day
        if self.holidays_range:
            return f"WORKDAY({day}-1,1,{HOLIDAYS_NAME})"
        return f"WORKDAY({day}-1,1)"


def _or_zero(formula: str) -> str:
    """MINIFS/MAXIFS with 0 when nothing matches: Gnumeric gives an error there, Excel and LibreOffice 0."""
    return f"IFERROR({formula},0)"


def _any_of(cell: str, values: tuple[str, ...]) -> str:
    return "OR(" + ",".join(f'{cell}="{value}"' for value in values) + ")"


#: The Contacts helpers whose cells hold each rule's due date (0: nothing due); they sit side by side.
DUE_CANDIDATES = ("cadence_due", "agreed_open", "reply_due", "referrer_update_due", "referrer_thanks_due",
                  "offer_thanks_due")


def _contact_formulas(layout: _SheetLayout, policy: Policy, dates: _DateMath) -> _RowTemplates:
    """Every rule of DOMAIN.md that a formula can apply, one formula per cell of a Contacts row.

    Each rule's due date gets a helper cell (0: not due); Next follow-up due is the
    earliest of them: one next step per contact. Touchpoints dated after today
    satisfy nothing yet.
    """
    tp = TOUCHPOINT_NAMES
    closed = [s for s in spec.LISTS["status"] if s in spec.CLOSED_STATUSES and s != "Paused"]

    def at(key: str) -> str:
        return f"${layout.letter(key)}{ROW}"

    name, met, thanked, agreed, status, how_met, referred_by = (at(k) for k in (
        "name", "date_met", "thank_you_sent", "agreed_next", "status", "how_met", "referred_by"))
    h = {helper.key: at(helper.key) for helper in layout.helpers}
    met_day = f"IF(ISNUMBER({met}),{met},0)"  # not N(): Gnumeric's N of an empty cell is an error
    happened = f'{tp["date"]},"<="&TODAY()'
    of_contact = f'{tp["contact"]},{name}'
    sent_to = f'{of_contact},{tp["direction"]},"Sent",{happened}'

    def earliest(*criteria: str, of: str = tp["date"]) -> str:
        return _or_zero(f"_xlfn.MINIFS({of},{','.join(criteria)})")

    def latest(*criteria: str) -> str:
        return _or_zero(f"_xlfn.MAXIFS({tp['date']},{','.join(criteria)})")

    def since(day: str, key: str = "date") -> str:
        return f'{tp[key]},">"&{day}'

    def is_(key: str, value: str | int, day: str = "") -> str:
        """A criteria pair on a Touchpoints column: a value, or a comparison with ``day``."""
        if isinstance(value, int):
            return f"{tp[key]},{value}"
        return f'{tp[key]},"{value}"&{day}' if day else f'{tp[key]},"{value}"'

    warm = f'AND({h["warm_on"]}>0,{h["warm_on"]}>={h["brief_on"]})'
    brief = f'{h["brief_on"]}>{h["warm_on"]}'
    cooled = (f'OR({h["unanswered"]}>={policy.cool_off_unanswered},{brief})'
              if policy.cool_off_unanswered > 0 else brief)
    keep_days = (f"IF({warm},{policy.warm_keep_in_touch_days},{policy.keep_in_touch_days})"
                 f"*IF({cooled},{policy.cool_off_factor},1)")
    first_days = f'IF(TRIM({how_met})="Job interview",{policy.job_status_check_days},{policy.first_follow_up_days})'
    last, thank_you, first, anchor, agreed_open = (h[k] for k in (
        "last_sent", "thank_you_on", "first_follow_up_on", "thank_you_for", "agreed_open"))

    def after(day: str) -> str:
        """Once a touch meets the agreed date, the cadence counts from that touch."""
        return f'MAX({day},{h["agreed_met_on"]})'

    def spaced(due: str) -> str:
        written = h["last_written"]
        return f"MAX({due},IF({written}>0,{written}+{policy.spacing_days},0))"

    met_cadence = (
        f"IF({thank_you}=0,{anchor}+{policy.thank_you_days},"
        f"IF({agreed_open}>0,0,"
        f"IF({first}=0,{after(thank_you)}+{first_days},"
        f'IF(AND({h["second_follow_up_on"]}=0,NOT({brief})),{after(first)}+{policy.second_follow_up_days},'
        f"{after(last)}+{keep_days}))))"
    )
    # Not met: thank a warm reply; nudge one unanswered request and let two rest; else keep in touch.
    # (Never heard from: no request sent -> keep in touch, one -> nudge, two or more -> rest.)
    unmet_cadence = (
        f"IF(AND({anchor}>0,{thank_you}=0),{anchor}+{policy.thank_you_days},"
        f"IF(OR({agreed_open}>0,{last}=0),0,"
        f'IF({h["heard_from"]}=0,CHOOSE(MIN(COUNTIFS({sent_to},{is_("asks", 1)}),2)+1,{after(last)}+{keep_days},'
        f"{last}+{policy.nudge_days},0),"
        f"{after(last)}+{keep_days})))"
    )
    on_contacts = {key: layout.cells(key) for key in ("name", "referred_by", "date_met", "introduced_on", "counted")}
    referred_met = _or_zero(
        f'_xlfn.MINIFS({on_contacts["date_met"]},{on_contacts["referred_by"]},{name},{on_contacts["counted"]},1,'
        f'{on_contacts["date_met"]},">"&{last},{on_contacts["date_met"]},"<="&TODAY())')
    introduced = _or_zero(
        f'_xlfn.MINIFS({on_contacts["introduced_on"]},{on_contacts["referred_by"]},{name},'
        f'{on_contacts["introduced_on"]},">"&{last})')
    offer = f"{_sheet_ref(spec.START_SHEET)}!{OFFER_CELL}"
    candidates = f"{at(DUE_CANDIDATES[0])}:{at(DUE_CANDIDATES[-1])}"
    first_due = f"SMALL({candidates},COUNTIF({candidates},0)+1)"
    is_closed = ",".join(f'TRIM({status})="{s}"' for s in closed)
    meeting_channels_excluded = ",".join(f'{tp["channel"]},"<>{channel}"' for channel in MEETING_CHANNELS)
    due = at("next_due_formula")
    return _RowTemplates({
        # 1 on the first row with a name; a repeated name's touchpoints belong to that first row.
        "counted": f'=IF(TRIM({name})="",0,IF(MATCH({name},{on_contacts["name"]},0)=ROW()-1,1,0))',
        # The latest meeting: Date met, or a later touchpoint with Purpose Meeting.
        "last_met": f'=IF({h["counted"]}=0,0,MAX({met_day},{latest(of_contact, is_("purpose", "Meeting"), happened)}))',
        "warm_on": f'=IF({h["counted"]}=0,0,{latest(of_contact, is_("reply_quality", "Warm"), happened)})',
        "brief_on": f'=IF({h["counted"]}=0,0,{latest(of_contact, is_("reply_quality", "Brief"), happened)})',
        # What a thank-you is owed for: the latest meeting, or (never met) the first warm reply.
        "thank_you_for": f'=IF({h["counted"]}=0,0,IF({h["last_met"]}>0,{h["last_met"]},'
                         f'{earliest(of_contact, is_("warm_reply", ">0"), is_("warm_reply", "<=", "TODAY()"), of=tp["warm_reply"])}))',
        # The first Thank-you sent for it; on its own day, not thanks said in person or on the video call.
        "thank_you_logged": f'=IF({anchor}=0,0,IF(COUNTIFS({sent_to},{tp["purpose"]},"Thank-you",{tp["date"]},{anchor},'
                            f"{meeting_channels_excluded})>0,{anchor},"
                            f'{earliest(sent_to, is_("purpose", "Thank-you"), since(anchor))}))',
        # The earlier of that and the Thank-you sent column (which speaks for Date met, or a later meeting).
        "thank_you_on": f"=IF({anchor}=0,0,IF(AND(ISNUMBER({thanked}),OR({thanked}>={anchor},{anchor}={met_day})),"
                        f'IF({h["thank_you_logged"]}>0,MIN({thanked},{h["thank_you_logged"]}),{thanked}),'
                        f'{h["thank_you_logged"]}))',
        # A message answering one of theirs is not a follow-up.
        "first_follow_up_on": f'=IF({thank_you}=0,0,{earliest(sent_to, since(thank_you), is_("answers", 0))})',
        "second_follow_up_on": f'=IF({first}=0,0,{earliest(sent_to, since(first), is_("answers", 0))})',
        "last_sent": f'=IF({h["counted"]}=0,0,{latest(sent_to)})',
        "first_sent": f'=IF({h["counted"]}=0,0,{earliest(sent_to)})',
        # Spacing counts messages, not meetings (nor thanks said at one).
        "last_written": f'=IF({h["counted"]}=0,0,{latest(sent_to, meeting_channels_excluded)})',
        "heard_from": f'=IF({h["counted"]}=0,0,COUNTIFS({of_contact},{tp["direction"]},"Received",{happened})'
                      f'+COUNTIFS({of_contact},{tp["replied"]},1,{happened}))',
        # Messages in a row since the last answered one; a warm contact's count only those that asked something.
        "unanswered": f'=IF({h["counted"]}=0,0,IF({warm},'
                      f'COUNTIFS({sent_to},{tp["asks"]},1,'
                      f'{since(latest(of_contact, is_("replied", 1), is_("asks", 1), happened))}),'
                      f'COUNTIFS({sent_to},{since(latest(of_contact, is_("replied", 1), happened))})))',
        "agreed_met_on": f'=IF(AND({h["counted"]}=1,ISNUMBER({agreed})),'
                         f'{earliest(of_contact, is_("date", ">=", agreed), happened)},0)',
        # Their earliest question since your last message or meeting: a reply is due.
        "question_on": f'=IF({h["counted"]}=0,0,{earliest(of_contact, is_("direction", "Received"), is_("asks", 1), since("MAX(" + last + "," + h["last_met"] + ")"), happened)})',
        # Written to before meeting them, on a referral: the referrer is owed thanks for the introduction.
        "introduced_on": f'=IF(AND({h["counted"]}=1,TRIM({referred_by})<>"",{h["first_sent"]}>0),'
                         f'IF(OR({met_day}=0,{h["first_sent"]}<{met_day}),{h["first_sent"]},0),0)',
        # The thank-you, follow-ups, keep in touch or nudge (waiting while an agreed date is pending), spaced.
        "schedule_due": f'=IF({h["counted"]}=0,0,IF({h["last_met"]}>0,{met_cadence},{unmet_cadence}))',
        "cadence_due": f'=IF({h["schedule_due"]}=0,0,{spaced(h["schedule_due"])})',
        "agreed_open": f'=IF(AND({h["counted"]}=1,ISNUMBER({agreed}),{h["agreed_met_on"]}=0),{agreed},0)',
        "reply_due": f'=IF({h["question_on"]}>0,{h["question_on"]}+{policy.reply_days},0)',
        # On a referrer's row: someone they referred was met after your last message to them.
        "referred_met": f'=IF({h["counted"]}=0,0,{referred_met})',
        "introduced": f'=IF({h["counted"]}=0,0,{introduced})',
        "referrer_update_due": f'=IF({h["referred_met"]}=0,0,'
                               f'{spaced(h["referred_met"] + "+" + str(policy.referrer_update_days))})',
        # On a referrer's row: you wrote to someone they referred (before meeting them) since your last message.
        "referrer_thanks_due": f'=IF({h["introduced"]}=0,0,{spaced(h["introduced"] + "+" + str(policy.referrer_thanks_days))})',
        # Everyone who helped (met, or referred someone) hears about the accepted offer.
        "offer_thanks_due": f'=IF(AND({h["counted"]}=1,OR(TRIM({status})="",TRIM({status})="Active"),ISNUMBER({offer}),'
                            f'OR({h["last_met"]}>0,COUNTIF({on_contacts["referred_by"]},{name})>0)),'
                            f"IF({last}>={offer},0,{offer}+{policy.offer_thanks_days}),0)",
        "next_due_formula": f'=IF(OR({h["counted"]}=0,{is_closed},{h["unanswered"]}>={policy.stop_unanswered}),"",'
                            f'IF(TRIM({status})="Paused",IF({agreed_open}>0,{dates.working_day(agreed_open)},""),'
                            f'IF(COUNTIF({candidates},">0")=0,"",{dates.working_day(first_due)})))',
        "days_overdue_formula": f'=IF(ISNUMBER({due}),IF({due}<TODAY(),TODAY()-{due},""),"")',
    })


def _touchpoint_formulas(layout: _SheetLayout) -> _RowTemplates:
    """Per touchpoint: did the contact answer (Sent rows), does it ask something, does it answer theirs.

    Only dated Sent rows whose contact is on the Contacts sheet get 1 or 0 in
    Replied, as in the Python engine; the Dashboard counts them (COUNT) and
    their replies (SUM).
    """
    tp = TOUCHPOINT_NAMES

    def at(key: str) -> str:
        return f"${layout.letter(key)}{ROW}"

    date, contact, direction, purpose, got_reply, reply_date, quality = (at(k) for k in (
        "date", "contact", "direction", "purpose", "got_reply", "reply_date", "reply_quality"))
    counts = f'AND({direction}="Sent",ISNUMBER({date}),TRIM({contact})<>"",COUNTIF({CONTACT_NAMES},{contact})>0)'
    next_sent = _or_zero(f'_xlfn.MINIFS({tp["date"]},{tp["contact"]},{contact},{tp["direction"]},"Sent",'
                         f'{tp["date"]},">"&{date})')
    previous_sent = _or_zero(f'_xlfn.MAXIFS({tp["date"]},{tp["contact"]},{contact},{tp["direction"]},"Sent",'
                             f'{tp["date"]},"<"&{date})')
    return _RowTemplates({
        "replied": f'=IF({counts},IF(TRIM({got_reply})="Yes",1,'
                   f'IF(COUNTIFS({tp["contact"]},{contact},{tp["direction"]},"Received",{tp["date"]},">="&{date},'
                   f'{tp["date"]},"<"&IF({next_sent}>0,{next_sent},{_excel_serial(_NO_DATE_LIMIT)}))>0,1,0)),"")',
        # Sent: 1 unless it only passes something on; Received: 1 for a question or a meeting request.
        "asks": f'=IF(ISNUMBER({date}),IF({direction}="Sent",IF({_any_of(purpose, ONE_WAY_PURPOSES)},0,1),'
                f'IF(AND({direction}="Received",{_any_of(purpose, ASKING_PURPOSES)}),1,0)),"")',
        # Sent: 1 when they wrote in the week before, since your previous message (this one answers theirs).
        "answers": f'=IF(AND({direction}="Sent",ISNUMBER({date})),IF(COUNTIFS({tp["contact"]},{contact},'
                   f'{tp["direction"]},"Received",{tp["date"]},"<="&{date},'
                   f'{tp["date"]},">"&MAX({previous_sent},{date}-{ANSWER_WINDOW_DAYS}))>0,1,0),"")',
        # The day of a reply rated Warm: a Received row's date, or a Sent row's Reply date.
        "warm_reply": f'=IF(AND(ISNUMBER({date}),TRIM({quality})="Warm"),'
                      f'IF(AND({direction}="Sent",ISNUMBER({reply_date})),{reply_date},{date}),"")',
    })


# --- Dashboard and Lists --------------------------------------------------------

def _fill_dashboard(sheet: Worksheet, contacts: _SheetLayout, config: Config) -> None:
    def cells(key: str) -> str:
        return contacts.data_range(key, spec.CONTACTS_SHEET)

    row_of = {figure.key: DASHBOARD_FIRST_ROW + i for i, figure in enumerate(DASHBOARD_FIGURES)}
    counted = cells("counted")
    formulas = {
        "contacts": f"=SUM({counted})",
        "meetings": f"=SUMPRODUCT({counted}*ISNUMBER({cells('date_met')}))",
        "touchpoints_sent": f'=COUNT({TOUCHPOINT_NAMES["replied"]})',
        "replies": f'=SUM({TOUCHPOINT_NAMES["replied"]})',
        "response_rate": f'=IF(B{row_of["touchpoints_sent"]}=0,"",'
                         f'B{row_of["replies"]}/B{row_of["touchpoints_sent"]})',
        "thank_you_rate": f'=IF(B{row_of["meetings"]}=0,"",SUMPRODUCT({counted}*ISNUMBER({cells("date_met")})*'
                          f'({cells("thank_you_on")}>0))/B{row_of["meetings"]})',
        "overdue": f'=COUNTIF({cells("next_due_formula")},"<"&TODAY())',
        "due_soon": f'=COUNTIFS({cells("next_due_formula")},">="&TODAY(),'
                    f'{cells("next_due_formula")},"<="&TODAY()+{config.policy.upcoming_days})',
    }
    sheet["A1"] = "Dashboard"
    sheet["A1"].font = _font(bold=True, size=16, color=config.branding.primary_color)
    sheet["A2"] = "These figures update by themselves as you fill in Contacts and Touchpoints."
    label_fill = _solid_fill(config.branding.accent_color)
    for figure in DASHBOARD_FIGURES:
        row = row_of[figure.key]
        label = sheet.cell(row, 1, figure.label_for(config.policy))
        label.font = _font(bold=True)
        label.fill = label_fill
        value = sheet.cell(row, 2, formulas[figure.key])
        value.number_format = figure.number_format
    sheet.cell(DASHBOARD_FIRST_ROW + len(DASHBOARD_FIGURES) + 1, 1,
               "Touchpoints sent counts dated Sent rows for people on Contacts. A send has a reply when "
               "Got reply is Yes, or when they wrote back (a Received row) before your next message.")
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 14
    _print_setup(sheet, repeat_header=False)


def _list_ranges(config: Config) -> dict[str, str]:
    """Each list's cells on the Lists sheet, e.g. ``{"channel": "Lists!$B$2:$B$10"}``."""
    ranges = {}
    for index, key in enumerate(spec.LISTS, start=1):
        letter = column_letter(index)
        ranges[key] = f"{_sheet_ref(spec.LISTS_SHEET)}!${letter}$2:${letter}${len(config.list_values(key)) + 1}"
    return ranges


def _fill_lists_sheet(sheet: Worksheet, config: Config) -> None:
    columns: list[tuple[str, list[str | dt.date]]] = [
        (spec.LIST_TITLES[key], list(config.list_values(key))) for key in spec.LISTS
    ]
    if config.policy.business_days and config.policy.holidays:
        columns.append((HOLIDAYS_TITLE, list(config.policy.holidays)))
    for index, (title, values) in enumerate(columns, start=1):
        sheet.cell(1, index, title).font = _font(bold=True)
        for row, value in enumerate(values, start=2):
            cell = sheet.cell(row, index, value)
            if isinstance(value, str):
                cell.data_type = "s"
            else:
                cell.number_format = DATE_FORMAT
        sheet.column_dimensions[column_letter(index)].width = max([14, *(len(str(v)) + 2 for v in values)])
    sheet.freeze_panes = "A2"
    sheet.sheet_state = "hidden"


if __name__ == "__main__":  # python -m sheetkit.workbook: rebuild the shipped template
    print(save_shipped_template())
