"""Rendering reports as HTML (Jinja2 templates), XLSX (openpyxl) and JSON.

Templates live in the top-level ``templates/`` folder (installed as
``sheetkit/templates``); an institution can point ``--templates DIR`` at a
folder of its own whose files override the built-in ones by name.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sheetkit import __version__
from sheetkit.report import CONTACT_FIELDS
from sheetkit.spec import RULE_LABELS
from sheetkit.stats import STATS, THANK_YOU_BENCHMARKS

if TYPE_CHECKING:
    import jinja2

    from sheetkit.report import Report

# Characters XML 1.0 cannot hold; openpyxl refuses them, so they become U+FFFD in XLSX output.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

#: A contact row for templates. Jinja2 reads ``c.name`` on a dict only after a failed attribute
#: lookup; on a named tuple it succeeds at once, which nearly halves the cost of a big contacts table.
ContactRow = namedtuple("ContactRow", CONTACT_FIELDS)  # type: ignore[misc]
#: Rendered pieces joined at a time (see _render_in_batches).
_PIECES_PER_BATCH = 10_000


def templates_dir() -> Path:
    """The built-in templates: inside the installed package, else the repository's ``templates/``."""
    installed = Path(__file__).resolve().parent / "templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


def environment(override: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment with autoescaping on, overrides searched before the built-ins."""
    import jinja2

    from sheetkit.cache import writable_cache_dir

    folders = [str(override)] if override else []
    folders.append(str(templates_dir()))
    # Compiling the templates costs about a tenth of a second a run; Jinja2 checks each
    # cached compilation against its template's source, so an edited template is recompiled.
    compiled = writable_cache_dir("jinja")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(compiled)) if compiled else None,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = percent
    env.globals["rule_label"] = lambda rule: RULE_LABELS.get(rule, rule)
    env.globals["version"] = __version__
    return env


def percent(value: float | None) -> str:
    """0.143 -> '14%'; None -> '—' (nothing to divide)."""
    return "—" if value is None else f"{value * 100:.0f}%"


# ---- charts as data for inline SVG --------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    length: float  # 0..1 of the chart's width
    text: str


def bars(items: Iterable[tuple[str, float, str]], scale: float | None = None) -> list[Bar]:
    """Horizontal bars: (label, value, shown text); lengths relative to ``scale`` or the largest value."""
    items = list(items)
    top = scale or max((value for _, value, _ in items), default=0) or 1
    return [Bar(label, value, min(value / top, 1.0), text) for label, value, text in items]


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


def render_html(report: Report, templates: Path | None = None) -> str:
    env = environment(templates)
    stats = report.stats
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
    return _render_in_batches(
        env.get_template("report.html"),
        report=report,
        student=report.tracker.student,
        institution=report.tracker.institution or report.config.branding.institution,
        colors=report.config.branding,
        overdue=report.by_state("overdue"),
        upcoming=report.by_state("upcoming"),
        stats=STATS,
        values=stats,
        contacts=[ContactRow(**row) for row in report.contact_rows()],
        problems=report.problems,
        channel_bars=channel_bars,
        thank_you_bars=thank_you_bars,
        weeks=weeks,
        tallest_week=tallest,
        generated=dt.date.today().isoformat(),
    )


def _render_in_batches(template: jinja2.Template, **context: Any) -> str:
    """``template.render(**context)``, with the output joined a batch of pieces at a time.

    ``render`` keeps every small piece until the end: for 100,000 contacts the
    pieces take several times the memory of the page itself.
    """
    generator = template.generate(**context)
    batches: list[str] = []
    while pieces := list(islice(generator, _PIECES_PER_BATCH)):
        batches.append("".join(pieces))
    return "".join(batches)


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


# ---- XLSX ---------------------------------------------------------------------------------


def xlsx_text(value: str) -> str:
    """User text made safe for a cell: XML-illegal control characters become U+FFFD."""
    return _ILLEGAL_XML.sub("\ufffd", value)


class XlsxSheetWriter:
    """Writes one formatted sheet of a report workbook; user text is always stored as text."""

    def __init__(self, workbook: Any, title: str, headers: Sequence[str], widths: Sequence[float],
                 header_color: str) -> None:
        from openpyxl.styles import Font, PatternFill

        self.sheet = workbook.create_sheet(title)
        self.rows = 1
        self.headers = headers
        for index, (header, width) in enumerate(zip(headers, widths), start=1):
            cell = self.sheet.cell(row=1, column=index, value=header)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor=header_color)
            self.sheet.column_dimensions[cell.column_letter].width = width
        self.sheet.freeze_panes = "A2"

    def append(self, values: Sequence[Any], formats: dict[int, str] | None = None) -> None:
        """Add a row; ``formats`` maps 1-based column numbers to number formats."""
        self.rows += 1
        for index, value in enumerate(values, start=1):
            cell = self.sheet.cell(row=self.rows, column=index)
            if isinstance(value, str):
                cell.value = xlsx_text(value)
                # openpyxl would take a leading '=' as a formula; user text must stay text.
                cell.data_type = "s"
            elif isinstance(value, dt.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            else:
                cell.value = value
            if formats and index in formats:
                cell.number_format = formats[index]

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


def write_xlsx(report: Report, stream: IO[bytes]) -> None:
    """Sheets Overdue, Upcoming, Contacts and Stats: formatted, filtered, real dates."""
    from openpyxl import Workbook

    from sheetkit.output import GENERATOR_MARK

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.creator = GENERATOR_MARK
    color = report.config.branding.primary_color
    followup_headers = ("Contact", "Organization", "Rule", "Due", "Days overdue", "Why", "Suggested channel")
    widths = (24, 24, 18, 12, 12, 70, 18)
    for title, state in (("Overdue", "overdue"), ("Upcoming", "upcoming")):
        sheet = XlsxSheetWriter(workbook, title, followup_headers, widths, color)
        for f in report.by_state(state):
            sheet.append((f.contact, f.organization, RULE_LABELS[f.rule], f.due, f.days_overdue, f.why,
                          f.suggested_channel))
        sheet.finish()
    contact_headers = ("Name", "Organization", "Status", "Date met", "Last sent", "Last reply", "Sent", "Replies",
                       "Next due", "Rule", "Warmth")
    sheet = XlsxSheetWriter(workbook, "Contacts", contact_headers, (24, 24, 14, 12, 12, 12, 8, 8, 12, 18, 12), color)
    for row in report.contact_rows():
        sheet.append((row["name"], row["organization"], row["status"], _date(row["date_met"]),
                      _date(row["last_outgoing"]), _date(row["last_reply"]), row["sent"], row["replies"],
                      _date(row["next_due"]), RULE_LABELS.get(row["rule"] or "", ""), row["warmth"]))
    sheet.finish()
    stats_sheet = XlsxSheetWriter(workbook, "Stats", ("Statistic", "Value", "Sent", "Replied"), (44, 28, 10, 10),
                                  color)
    for label, value, sent, replied, kind in stat_rows(report.stats):
        stats_sheet.append((label, value, sent, replied), {2: "0%"} if kind in ("rate", "breakdown") else None)
    stats_sheet.finish()
    workbook.save(stream)


def stat_rows(values: dict[str, Any]) -> list[tuple[str, Any, Any, Any, str]]:
    """The statistics flattened to (label, value, sent, replied, kind) rows, in STATS order."""
    rows: list[tuple[str, Any, Any, Any, str]] = []
    for stat in STATS:
        value = values[stat.key]
        if stat.kind == "breakdown":
            for name, part in value.items():
                rows.append((f"{stat.label}: {name}", part["rate"], part["sent"], part["replied"], stat.kind))
        elif stat.kind == "counts":
            rows.extend((f"{stat.label}: {name}", count, None, None, stat.kind) for name, count in value.items())
        elif stat.kind == "tree":
            rows.extend((f"Referred by {referrer}", ", ".join(names), None, None, stat.kind)
                        for referrer, names in value.items())
        elif stat.kind == "weekly":
            rows.extend((f"Week of {week['week']}", week["sent"] + week["received"], week["sent"], None, stat.kind)
                        for week in value)
        else:
            rows.append((stat.label, value, None, None, stat.kind))
    return rows
