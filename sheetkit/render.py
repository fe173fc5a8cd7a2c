"""Rendering reports as HTML (Jinja2 templates), XLSX (openpyxl) and JSON.

Templates live in the top-level ``templates/`` folder (installed as
``sheetkit/templates``); an institution can point ``--templates DIR`` at a
folder of its own whose files override the built-in ones by name. The page is
plain Jinja2 loops over the rows below, streamed to its file with
``Template.generate()``.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple

from sheetkit import __version__
from sheetkit.errors import Problem
from sheetkit.model import Followup
from sheetkit.rules import plural
from sheetkit.spec import RULE_LABELS
from sheetkit.stats import STATS, THANK_YOU_BENCHMARKS

if TYPE_CHECKING:
    import jinja2

    from sheetkit.config import Policy
    from sheetkit.report import Report

# Characters XML 1.0 cannot hold; openpyxl refuses them, so they become U+FFFD in XLSX output.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def templates_dir() -> Path:
    """The built-in templates: inside the installed package, else the repository's ``templates/``."""
    installed = Path(__file__).resolve().parent / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


def environment(override: Path | None = None) -> jinja2.Environment:
    """A sandboxed Jinja2 environment with autoescaping on, overrides searched before the built-ins.

    Every template runs in Jinja2's immutable sandbox with a bounded ``range``
    (an override folder is code from outside), and any error in a template
    (syntax, an undefined name, a file that is not UTF-8, a forbidden
    attribute) is a :class:`~sheetkit.errors.TemplateError` naming the file and line.
    """
    import jinja2

    from sheetkit.cache import writable_cache_dir
    from sheetkit.templating import CompiledTemplateCache, SafeEnvironment, SafeLoader

    folders = [str(override)] if override else []
    folders.append(str(templates_dir()))
    # Compiling the templates costs about a tenth of a second a run; Jinja2 checks each
    # cached compilation against its template's source, so an edited template is recompiled.
    # The folder's name changes with the compiler's settings: sandboxed code is compiled differently.
    compiled = writable_cache_dir("jinja-sandboxed")
    env = SafeEnvironment(
        loader=SafeLoader(folders),
        bytecode_cache=CompiledTemplateCache(str(compiled)) if compiled else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = percent
    env.globals["version"] = __version__
    return env


def percent(value: float | None) -> str:
    """0.143 -> '14%'; None -> '—' (nothing to divide)."""
    return "—" if value is None else f"{value * 100:.0f}%"


def rule_label(rule: str) -> str:
    """The label people read for a rule name ("first-follow-up" -> "First follow-up")."""
    return RULE_LABELS.get(rule, rule)


# ---- words, from the configured policy --------------------------------------------------------


def days_text(days: int) -> str:
    """1 -> 'a day', 14 -> '14 days'."""
    return "a day" if days == 1 else f"{days} days"


def soon_text(policy: Policy) -> str:
    """The one window for "soon", said the same way everywhere: 'in the next 14 days' (read after "due")."""
    days = policy.upcoming_days
    return "today" if days == 0 else "today or tomorrow" if days == 1 else f"in the next {days} days"


def habit_text(policy: Policy) -> str:
    """The habit the policy checks, with its configured intervals."""
    return (f"Thank within {days_text(policy.thank_you_days)}, follow up {policy.first_follow_up_days} days later "
            f"in another form, again {policy.second_follow_up_days} days after that, then keep in touch every "
            f"{policy.keep_in_touch_days} days.")


#: The articles' names for how a contact replies, in plain words for the tables (the names stay as a legend).
WARMTH_WORDS: dict[str, str] = {
    "Booster": "Warm or quick",
    "Obligate": "Late or brief",
    "Curmudgeon": "Does not reply",
    "unknown": "Not known yet",
}


def warmth_words(warmth: str | None) -> str:
    """'Booster' -> 'Warm or quick'; a value without plain words is shown as it is."""
    return WARMTH_WORDS.get(warmth or "unknown", warmth or "")


# ---- links to reach a contact ----------------------------------------------------------------

ContactKind = Literal["email", "phone", "linkedin"]

#: An address with nothing a mailto: link would read as more than an address (no ?, &, %, spaces).
_EMAIL = re.compile(r"[A-Za-z0-9._+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_PHONE = re.compile(r"\+?[0-9 ().-]+")
_NOT_DIGIT = re.compile(r"[^0-9]")
_LINKEDIN = re.compile(r"(?i:https://)?(?P<profile>(?i:(?:www\.|[a-z]{2}\.)?linkedin\.com)/in/[A-Za-z0-9_%-]{1,100}/?)")


def contact_href(kind: ContactKind, value: str) -> str | None:
    """A link for a contact detail, or None unless the value is a plausible one of its kind.

    Only three schemes ever come out: ``mailto:`` for an email address,
    ``tel:`` for a phone number (7 to 15 digits), ``https:`` for a LinkedIn
    profile (``linkedin.com/in/...``, with or without ``https://``).

    >>> contact_href("email", " ana@example.org "), contact_href("phone", "+1 (555) 010-0199")
    ('mailto:ana@example.org', 'tel:+15550100199')
    >>> contact_href("linkedin", "linkedin.com/in/ana-souza")
    'https://linkedin.com/in/ana-souza'
    >>> contact_href("email", "x@y.org?bcc=all@y.org"), contact_href("linkedin", "javascript:alert(1)")
    (None, None)
    """
    text = value.strip()
    if kind == "email":
        address = text[len("mailto:"):] if text[:len("mailto:")].casefold() == "mailto:" else text
        return f"mailto:{address}" if len(address) <= 254 and _EMAIL.fullmatch(address) else None
    if kind == "phone":
        if not _PHONE.fullmatch(text):
            return None
        digits = _NOT_DIGIT.sub("", text)
        return f"tel:{'+' if text.startswith('+') else ''}{digits}" if 7 <= len(digits) <= 15 else None
    match = _LINKEDIN.fullmatch(text)
    return f"https://{match['profile']}" if match else None


class Reach(NamedTuple):
    """One way to reach a contact, as a table shows it: a link when the value is plausible, else its text.

    A tuple, so a template unpacks it (``{% for kind, text, href in reach %}``) without the
    sandbox checking an attribute.
    """

    kind: ContactKind
    text: str
    href: str | None


def reach(email: Any, phone: Any, linkedin: Any) -> list[Reach]:
    """The contact details a person's row holds, in the order email, phone, LinkedIn; blanks left out."""
    details: tuple[tuple[ContactKind, Any], ...] = (("email", email), ("phone", phone), ("linkedin", linkedin))
    found = []
    for kind, value in details:
        text = cell_text(value)
        if text:
            href = contact_href(kind, text)
            found.append(Reach(kind, "LinkedIn profile" if kind == "linkedin" and href else text, href))
    return found


def cell_text(value: Any, *, one_line: bool = True) -> str:
    r"""A text cell's value without the spaces around it, "" for a blank (the reader gives text columns
    as text or None); ``one_line`` also turns every run of spaces and line breaks inside into one space.

    >>> cell_text("  Ana\n  Souza "), cell_text("  Ana\n  Souza ", one_line=False), cell_text(None)
    ('Ana Souza', 'Ana\n  Souza', '')
    """
    if not isinstance(value, str):
        return ""
    return " ".join(value.split()) if one_line else value.strip()


# ---- what the templates loop over ---------------------------------------------------------------


# Each row is a tuple of text already formatted, in the order its table shows it: the built-in
# templates unpack it (``{% for contact, organization, ... in rows %}``) and call nothing per cell,
# since the sandbox checks every attribute a template reads and every call it makes. The fields
# keep their names for templates of an institution's own that read them as attributes.


class FollowupRow(NamedTuple):
    """A follow-up as a table shows it."""

    contact: str
    #: "" when the sheet names none.
    organization: str
    #: The rule's label: "Thank-you", "Agreed date", ...
    what: str
    why: str
    #: Labels of the other rules the same message settles, joined by ", " ("" for none).
    also_text: str
    #: "today", else the due date as YYYY-MM-DD.
    due: str
    days_overdue: int
    #: The suggested channel, "" when the sheet has no way to reach them.
    channel: str
    reach: tuple[Reach, ...]
    followup: Followup


def followup_rows(report: Report, state: str) -> list[FollowupRow]:
    """The report's follow-ups in ``state`` (its order), with the ways to reach each person (from the
    engine's record of their Contacts row)."""
    people = {person.row: person for person in report.engine.contacts}
    as_of = report.as_of
    rows = []
    for f in report.by_state(state):
        person = people[f.contact_row]
        ways = tuple(reach(person.email, person.phone, person.linkedin))
        also = ", ".join(rule_label(rule) for rule in f.also)
        rows.append(FollowupRow(f.contact, f.organization or "", rule_label(f.rule), f.why, also,
                                "today" if f.due == as_of else f.due.isoformat(), f.days_overdue,
                                f.suggested_channel or "", ways, f))
    return rows


class ContactLine(NamedTuple):
    """A contact as the "Every contact" table shows it (the JSON contract's contact fields, in plain words)."""

    name: str
    organization: str
    status: str
    date_met: str
    last_outgoing: str
    last_reply: str
    sent: int
    replies: int
    next_due: str
    next_what: str
    warmth: str


def contact_lines(report: Report) -> list[ContactLine]:
    """Every contact in sheet order; blanks as "" and dates as YYYY-MM-DD."""
    columns = report.contact_columns()
    return [
        ContactLine(name, organization or "", status or "", date_met or "", last_outgoing or "", last_reply or "",
                    sent, replies, next_due or "", rule_label(rule) if rule else "", warmth_words(warmth))
        for name, organization, status, date_met, last_outgoing, last_reply, sent, replies, next_due, rule, warmth
        in zip(*(columns[key] for key in ("name", "organization", "status", "date_met", "last_outgoing",
                                          "last_reply", "sent", "replies", "next_due", "rule", "warmth")))
    ]


#: The page shows the first problems, folds the next ones away and only counts the rest (``sheetkit check`` lists all).
PROBLEMS_SHOWN = 10
PROBLEMS_LISTED = 100


def problems_in_order(problems: Sequence[Problem]) -> list[Problem]:
    """Errors first, then warnings, each in reading order (as ``sheetkit check`` lists them)."""
    return sorted(problems, key=lambda problem: (problem.severity != "error", problem.reading_order()))


def problem_place(problem: Problem) -> str:
    """Where a problem is, in words: 'Contacts, cell J7', 'Touchpoints sheet', or '' for the whole file."""
    if problem.sheet and problem.cell:
        return f"{problem.sheet}, cell {problem.cell}"
    return f"{problem.sheet} sheet" if problem.sheet else ""


def problems_headline(problems: Sequence[Problem]) -> str:
    """'The workbook has 2 errors and 1 warning.'"""
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    counts = [plural(n, noun) for n, noun in ((errors, "error"), (warnings, "warning")) if n]
    return f"The workbook has {' and '.join(counts)}."


def stat_label(stat_key: str, label: str, policy: Policy) -> str:
    """A statistic's label; the count of upcoming follow-ups names the configured window."""
    return f"Follow-ups due {soon_text(policy)}" if stat_key == "upcoming" else label


# ---- charts as data for inline SVG --------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    length: float  # 0..1 of the chart's width
    text: str


def bars(items: Iterable[tuple[str, float, str]], scale: float | None = None) -> list[Bar]:
    """Horizontal bars: (label, value, shown text); lengths relative to ``scale`` or the largest value."""
    items = list(items)
    top = scale or max((value for _, value, _ in items), default=0) or 1
    return [Bar(label, min(value / top, 1.0), text) for label, value, text in items]


@dataclass(frozen=True)
class Column:
    label: str
    sent: int
    received: int


def weekly_columns(weekly: Sequence[dict[str, Any]], limit: int = 26) -> tuple[list[Column], int]:
    """The last ``limit`` weeks of activity as columns, and the tallest column's total."""
    recent = list(weekly)[-limit:]
    columns = [Column(w["week"][5:], w["sent"], w["received"]) for w in recent]
    return columns, max((c.sent + c.received for c in columns), default=0) or 1


# ---- the page ------------------------------------------------------------------------------------


def render_html(report: Report, templates: Path | None = None) -> str:
    """The HTML report as one string (see :func:`render_html_to` to write it as it is made)."""
    page = io.StringIO()
    render_html_to(report, page, templates)
    return page.getvalue()


#: How many of the template's pieces (a cell's text, the markup between two cells) are written at once.
#: A few hundred: written one by one they cost about an eighth of the page's time, and a batch of thousands
#: keeps enough of them alive at once to set off extra rounds of the garbage collector.
PIECES_PER_WRITE = 256


def render_html_to(report: Report, stream: IO[str], templates: Path | None = None) -> None:
    """Write the HTML report to a text stream as the template produces it, never holding the whole page."""
    template, context = _page(report, templates)
    pieces = template.generate(context)
    while batch := list(itertools.islice(pieces, PIECES_PER_WRITE)):
        stream.write("".join(batch))


def _page(report: Report, templates: Path | None) -> tuple[jinja2.Template, dict[str, Any]]:
    """The report template and everything it shows."""
    env = environment(templates)
    stats = report.stats
    policy = report.config.policy
    channel_bars = bars(
        (name, value["rate"] or 0.0, f"{percent(value['rate'])} of {value['sent']}")
        for name, value in stats["response_rate_by_channel"].items()
    )
    thank_you_bars = bars(
        [
            ("You: meetings thanked", stats["thank_you_rate"] or 0.0, percent(stats["thank_you_rate"])),
            ("Job seekers who send thank-yous", THANK_YOU_BENCHMARKS["job_seekers_sending_thank_yous"], "about 5%"),
            ("After a formal interview", THANK_YOU_BENCHMARKS["thank_yous_after_formal_interviews_under"],
             "under 25%"),
        ],
        scale=1.0,
    )
    weeks, tallest = weekly_columns(stats["weekly_activity"])
    overdue = followup_rows(report, "overdue")
    upcoming = followup_rows(report, "upcoming")
    context = {
        "report": report,
        "student": report.tracker.student,
        "institution": report.tracker.institution or report.config.branding.institution,
        "colors": report.config.branding,
        "overdue": overdue,
        "upcoming": upcoming,
        "no_contacts": report.tracker.contacts.empty,
        "offer_accepted_on": report.tracker.offer_accepted_on,
        "offer_thanks": [row for row in overdue + upcoming if row.followup.rule == "offer-thanks"],
        "soon": soon_text(policy),
        "habit": habit_text(policy),
        "thank_you_within": days_text(policy.thank_you_days),
        "stats": STATS,
        "stat_label": lambda stat: stat_label(stat.key, stat.label, policy),
        "values": stats,
        "warmth_words": warmth_words,
        "contacts": contact_lines(report),
        "problems": [(problem, problem_place(problem))
                     for problem in problems_in_order(report.problems)[:PROBLEMS_LISTED]],
        "problems_unlisted": max(len(report.problems) - PROBLEMS_LISTED, 0),
        "problems_headline": problems_headline(report.problems),
        "problems_shown": PROBLEMS_SHOWN,
        "channel_bars": channel_bars,
        "thank_you_bars": thank_you_bars,
        "weeks": weeks,
        "tallest_week": tallest,
        "generated": dt.date.today().isoformat(),
    }
    return env.get_template("report.html"), context


def report_writer(report: Report, output_format: str, templates: Path | None = None) -> Callable[[IO[bytes]], object]:
    """What writes the report as ``output_format`` (html, xlsx or json) to a byte stream.

    The page is written a piece at a time: a 100,000-contact page is never held whole in memory.
    """
    from sheetkit.output import as_utf8, via_memory

    if output_format == "xlsx":
        return via_memory(lambda stream: write_xlsx(report, stream))
    if output_format == "html":
        return as_utf8(lambda stream: render_html_to(report, stream, templates))
    return as_utf8(lambda stream: stream.write(render_json(report)))


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


# ---- XLSX ---------------------------------------------------------------------------------


def xlsx_text(value: str) -> str:
    """User text made safe for a cell: XML-illegal control characters become U+FFFD."""
    return _ILLEGAL_XML.sub("\ufffd", value)


#: Points per line of 11-point text, the default row height of Excel and LibreOffice.
LINE_HEIGHT = 15.0


def wrapped_lines(text: str, width: float) -> int:
    """About how many lines ``text`` takes wrapped in a column ``width`` characters wide (rounded up).

    A column's width counts digit-wide characters; words wrap early, so a line
    is taken to hold ``width`` characters of text.
    """
    per_line = max(1, int(width))
    return sum(max(1, -(-len(line) // per_line)) for line in text.split("\n"))


class XlsxSheetWriter:
    """Writes one formatted sheet of a report workbook; user text is always stored as text.

    Text wraps within its column's width and each row is made tall enough for
    its longest wrapped text (LibreOffice keeps a file's row heights as they
    are, so they are written, not left to the program); numbers and dates are
    centred, so a number never runs into the text beside it.
    """

    def __init__(self, workbook: Any, title: str, headers: Sequence[str], widths: Sequence[float],
                 header_color: str) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.sheet = workbook.create_sheet(title)
        self.rows = 1
        self.headers = headers
        self.widths = list(widths)
        self._text = Alignment(wrap_text=True, vertical="top")
        self._number = Alignment(horizontal="center", vertical="top")
        self._styles: dict[str, Any] = {}
        heading = Alignment(wrap_text=True, vertical="center")
        for column, (header, width) in enumerate(zip(headers, widths), start=1):
            cell = self.sheet.cell(row=1, column=column, value=header)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor=header_color)
            cell.alignment = heading
            self.sheet.column_dimensions[cell.column_letter].width = width
        self._fit_height(1, headers)
        self.sheet.freeze_panes = "A2"

    def append(self, values: Sequence[Any], formats: dict[int, str] | None = None,
               links: dict[int, str] | None = None) -> None:
        """Add a row; ``formats`` maps 1-based column numbers to number formats, ``links`` to hyperlinks.

        An empty value (``None``) leaves its cell out, as a blank cell has nothing to align.
        """
        self.rows += 1
        row = self.rows
        cell_at = self.sheet.cell
        lines = 1
        for column, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = cell_at(row=row, column=column)
            if isinstance(value, str):
                cell.value = xlsx_text(value)
                # openpyxl would take a leading '=' as a formula; user text must stay text.
                cell.data_type = "s"
                kind = "text"
                width = self.widths[column - 1]
                if len(value) > width or "\n" in value:
                    lines = max(lines, wrapped_lines(value, width))
            else:
                cell.value = value
                kind = "date" if isinstance(value, dt.date) else "number"
            if links and column in links:
                cell.hyperlink = links[column]
                kind = "link"
            self._style(cell, kind)
            if formats and column in formats:
                cell.number_format = formats[column]
        if lines > 1:
            self.sheet.row_dimensions[row].height = LINE_HEIGHT * lines

    def _style(self, cell: Any, kind: str) -> None:
        """Style a cell as ``kind`` (text, date, number or link).

        Setting openpyxl's alignment, style or format looks the style up among the
        workbook's by comparing every field; a report sets them on hundreds of thousands
        of cells, so each kind is set once and its style record copied to the next cells
        (as openpyxl copies a worksheet).
        """
        known = self._styles.get(kind)
        if known is not None:
            cell._style = copy.copy(known)
            return
        if kind == "link":
            cell.style = "Hyperlink"
        if kind == "date":
            cell.number_format = "yyyy-mm-dd"
        cell.alignment = self._text if kind in ("text", "link") else self._number
        self._styles[kind] = copy.copy(cell._style)

    def _fit_height(self, row: int, values: Sequence[Any]) -> None:
        """Make ``row`` tall enough for its longest wrapped text; one-line rows keep the default height."""
        lines = max((wrapped_lines(value, width) for value, width in zip(values, self.widths)
                     if isinstance(value, str)), default=1)
        if lines > 1:
            self.sheet.row_dimensions[row].height = LINE_HEIGHT * lines

    def finish(self) -> None:
        from openpyxl.utils import get_column_letter

        self.sheet.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{max(self.rows, 1)}"
        self.sheet.page_setup.orientation = "landscape"
        self.sheet.page_setup.fitToWidth = 1
        self.sheet.page_setup.fitToHeight = 0
        self.sheet.sheet_properties.pageSetUpPr.fitToPage = True
        self.sheet.print_title_rows = "1:1"


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


#: The follow-up sheets' columns and widths (characters); the first seven are the original report's.
FOLLOWUP_SHEET_COLUMNS: tuple[tuple[str, float], ...] = (
    ("Contact", 20), ("Organization", 20), ("Rule", 16), ("Due", 11), ("Days overdue", 9), ("Why", 50),
    ("Suggested channel", 14), ("Also settles", 16), ("Email", 30), ("Phone", 15), ("LinkedIn", 16),
)


def write_xlsx(report: Report, stream: IO[bytes]) -> None:
    """Sheets Problems (first, when there are any), Overdue, Upcoming, Contacts and Stats."""
    from openpyxl import Workbook

    from sheetkit.output import GENERATOR_MARK

    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    workbook.properties.creator = GENERATOR_MARK
    color = report.config.branding.primary_color
    if report.problems:
        sheet = XlsxSheetWriter(workbook, "Problems", ("Severity", "Where", "What to fix"), (10, 24, 90), color)
        for problem in problems_in_order(report.problems):
            sheet.append((problem.severity.capitalize(), problem_place(problem) or "The whole file", problem.message))
        sheet.finish()
    headers = [name for name, _ in FOLLOWUP_SHEET_COLUMNS]
    widths = [width for _, width in FOLLOWUP_SHEET_COLUMNS]
    for title, state in (("Overdue", "overdue"), ("Upcoming", "upcoming")):
        sheet = XlsxSheetWriter(workbook, title, headers, widths, color)
        for row in followup_rows(report, state):
            f = row.followup
            ways = {way.kind: way for way in row.reach}
            reach_cells = [ways.get(kind) for kind in ("email", "phone", "linkedin")]
            # Email, Phone and LinkedIn are columns 9 to 11; plausible values become links.
            links = {column: way.href for column, way in enumerate(reach_cells, start=9) if way and way.href}
            sheet.append((f.contact, f.organization, row.what, f.due, f.days_overdue, f.why,
                          row.channel or "None usable yet", row.also_text,
                          *(way.text if way else None for way in reach_cells)), links=links)
        sheet.finish()
    contact_headers = ("Name", "Organization", "Status", "Date met", "Last sent", "Last reply", "Sent", "Replies",
                       "Next due", "Rule", "Warmth")
    sheet = XlsxSheetWriter(workbook, "Contacts", contact_headers, (22, 22, 12, 12, 12, 12, 8, 9, 12, 17, 16),
                            color)
    for line in contact_lines(report):
        sheet.append((line.name, line.organization or None, line.status or None, _date(line.date_met),
                      _date(line.last_outgoing), _date(line.last_reply), line.sent, line.replies,
                      _date(line.next_due), line.next_what, line.warmth))
    sheet.finish()
    stats_sheet = XlsxSheetWriter(workbook, "Stats", ("Statistic", "Value", "Sent", "Replied"), (44, 40, 10, 10),
                                  color)
    for label, value, sent, replied, kind in stat_rows(report.stats, report.config.policy):
        stats_sheet.append((label, value, sent, replied), {2: "0%"} if kind in ("rate", "breakdown") else None)
    stats_sheet.finish()
    workbook.save(stream)


def stat_rows(values: dict[str, Any], policy: Policy) -> list[tuple[str, Any, Any, Any, str]]:
    """The statistics flattened to (label, value, sent, replied, kind) rows, in STATS order."""
    rows: list[tuple[str, Any, Any, Any, str]] = []
    for stat in STATS:
        value = values[stat.key]
        label = stat_label(stat.key, stat.label, policy)
        if stat.kind == "breakdown":
            for name, part in value.items():
                rows.append((f"{label}: {name}", part["rate"], part["sent"], part["replied"], stat.kind))
        elif stat.kind == "counts":
            rows.extend((f"{label}: {warmth_words(name) if stat.key == 'warmth' else name}", count, None, None,
                         stat.kind)
                        for name, count in value.items())
        elif stat.kind == "tree":
            rows.extend((f"Referred by {referrer}", ", ".join(names), None, None, stat.kind)
                        for referrer, names in value.items())
        elif stat.kind == "weekly":
            rows.extend((f"Week of {week['week']}", week["sent"] + week["received"], week["sent"], None, stat.kind)
                        for week in value)
        else:
            rows.append((label, value, None, None, stat.kind))
    return rows
