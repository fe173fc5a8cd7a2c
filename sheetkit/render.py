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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, not_
from pathlib import Path
from string import Formatter
from typing import IO, TYPE_CHECKING, Any

from markupsafe import Markup, escape

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
#: The columns of a follow-up table for rows(): fields of :class:`~sheetkit.policy.Followup`.
FOLLOWUP_COLUMNS: tuple[str, ...] = ("contact", "organization", "rule", "due", "days_overdue", "state", "why",
                                     "suggested_channel")
#: Table rows built, escaped and handed on at a time by rows(): memory stays bounded.
_ROWS_PER_CHUNK = 2_000
#: Joins a column's values for one escape() call. Checked to be absent from the values (else one call per
#: value); escaping never writes it (it writes only &, #, digits, letters and ;).
_SEPARATOR = "\x00"
#: Characters written to a stream at a time by render_html_to.
_BATCH_CHARS = 1 << 16
_FORMATTER = Formatter()
#: Types whose equal values always have equal text (unlike 1 == 1.0 == True, or 0.0 == -0.0).
_DISTINCT_TEXT_TYPES = frozenset({str, int, dt.date, type(None)})


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
    env.globals["rule_label"] = lambda rule: RULE_LABELS.get(rule, rule)
    env.globals["version"] = __version__
    env.globals["rows"] = rows
    env.globals["referral_columns"] = referral_columns
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
    """The HTML report as one string (see :func:`render_html_to` to write it piece by piece)."""
    return "".join(_html_pieces(report, templates))


def render_html_to(report: Report, stream: IO[str], templates: Path | None = None) -> None:
    """Write the HTML report to a text stream, a chunk of table rows or some 64 KB of other markup at a time.

    The page is never held whole, so its size adds nothing to peak memory
    however many contacts the tracker has.
    """
    for piece in _batched(_html_pieces(report, templates), _BATCH_CHARS):
        stream.write(piece)


def _html_pieces(report: Report, templates: Path | None) -> Iterator[str]:
    """The report template's output, piece by piece: small pieces of markup and chunks of table rows."""
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
    return env.get_template("report.html").generate(
        report=report,
        student=report.tracker.student,
        institution=report.tracker.institution or report.config.branding.institution,
        colors=report.config.branding,
        overdue=report.by_state("overdue"),
        upcoming=report.by_state("upcoming"),
        # Columns for rows(), computed only when a template asks for them.
        followup_columns=lambda state: _with_rule_labels(_followup_columns(report, state)),
        contact_columns=lambda: _with_rule_labels(_contact_columns(report)),
        stats=STATS,
        values=stats,
        # For templates that loop over contacts themselves: built only if one does.
        contacts=_Lazy(lambda: [ContactRow(**row) for row in report.contact_rows()]),
        problems=report.problems,
        channel_bars=channel_bars,
        thank_you_bars=thank_you_bars,
        weeks=weeks,
        tallest_week=tallest,
        generated=dt.date.today().isoformat(),
    )


def _batched(pieces: Iterable[str], size: int) -> Iterator[str]:
    """Small pieces joined into strings of about ``size`` characters; big pieces passed on as they are."""
    batch: list[str] = []
    length = 0
    for piece in pieces:
        if len(piece) >= size:
            if batch:
                yield "".join(batch)
                batch.clear()
                length = 0
            yield piece
            continue
        batch.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(batch)
            batch.clear()
            length = 0
    if batch:
        yield "".join(batch)


class _Lazy(Sequence[Any]):
    """A list built on first use."""

    def __init__(self, build: Callable[[], list[Any]]) -> None:
        self._build = build
        self._items: list[Any] | None = None

    def _list(self) -> list[Any]:
        if self._items is None:
            self._items = self._build()
        return self._items

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._list())


# ---- the big tables: rows filled in a column at a time ----------------------------------------


def _followup_columns(report: Report, state: str) -> dict[str, list[Any]]:
    """The follow-ups in ``state`` (report order) as columns named by ``FOLLOWUP_COLUMNS``; ``due`` holds dates."""
    items = report.by_state(state)
    return {name: list(map(attrgetter(name), items)) for name in FOLLOWUP_COLUMNS}


def _contact_columns(report: Report) -> dict[str, list[Any]]:
    """Every contact (sheet order) as columns named by ``CONTACT_FIELDS``, dates as YYYY-MM-DD strings or None."""
    columns = report.contact_columns()
    return {name: columns[name] for name in CONTACT_FIELDS}


def referral_columns(tree: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The referral tree as columns for rows(): ``referrer`` and ``names`` (the referred, comma-separated)."""
    return {"referrer": list(tree), "names": [", ".join(names) for names in tree.values()]}


def _with_rule_labels(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The columns plus ``rule_label``: each rule's label as shown to the student."""
    rules = columns["rule"]
    return {**columns, "rule_label": list(map(RULE_LABELS.get, rules, rules))}


def escape_column(values: Sequence[Any]) -> list[str]:
    """Each value as escaped HTML text: None as "", anything else as ``str(value)``, then escaped.

    Done a column at a time, at C speed: the values are joined with a
    separator; if the joined text holds nothing to escape the values are
    already their own text, else it is escaped by one call of markupsafe's C
    escape and split back. A column where some value holds the separator itself
    is escaped one value at a time. Every value is treated as text, markup
    included.
    """
    try:
        joined = _SEPARATOR.join(values)
    except TypeError:  # None, numbers, dates: make them text first
        values = ["" if value is None else value for value in values]
        try:
            joined = _SEPARATOR.join(values)
        except TypeError:
            values = _texts(values)
            joined = _SEPARATOR.join(values)
    # Five scans with memchr cost less than escape()'s own scan of text with nothing to escape.
    if not ("&" in joined or "<" in joined or ">" in joined or '"' in joined or "'" in joined):
        return values if isinstance(values, list) else list(values)
    if joined.count(_SEPARATOR) != len(values) - 1:
        return [str.__str__(escape(str.__str__(value))) for value in values]
    return str.split(escape(joined), _SEPARATOR)


def _texts(values: Sequence[Any]) -> list[str]:
    """Each value as text: None as "", anything else as ``str(value)`` (a date as YYYY-MM-DD).

    Dates and numbers repeat a lot down a column and ``str(date)`` is slow, so
    a column of only ints, dates, strings and None is converted one distinct
    value at a time (equal values of these exact types have equal text).
    """
    if set(map(type, values)) <= _DISTINCT_TEXT_TYPES:
        texts = {value: _text(value) for value in set(values)}
        return list(map(texts.__getitem__, values))
    return [_text(value) for value in values]


def _text(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)


def rows(table: Mapping[str, Sequence[Any]], pattern: str, /, **fragments: str) -> Rows:
    """Table rows from a row pattern, for templates: ``{% for chunk in rows(table, row) %}{{ chunk }}{% endfor %}``.

    ``pattern`` is markup from the template with ``{name}`` wherever the text
    of column ``table[name]`` goes; values are escaped, never read as markup or
    as fields. Each keyword names a fragment pattern usable as ``{keyword}`` in
    ``pattern``: it is written only in rows where the first column it names is
    set (true, as in ``{% if %}``), otherwise left out. ``{{``/``}}`` stand for
    literal braces; nothing but plain names may go between braces. The pattern
    is trusted markup: build it from template text only, never from data.
    """
    return Rows(table, pattern, fragments)


class Rows:
    """Rows filled in from columns: iterate for chunks of rows as Markup, or use whole as ``{{ rows(...) }}``.

    A chunk is built a column at a time: each column is escaped with one C call
    (:func:`escape_column`), the pattern's literal markup and the columns'
    texts are interleaved into one list by slice assignment, fragments are
    blanked in the rows where they are not shown, and the list is joined.
    """

    def __init__(self, table: Mapping[str, Sequence[Any]], pattern: str, fragments: dict[str, str]) -> None:
        #: The pattern with fragments expanded: literal markup, or a column's name (literal None).
        self.slots: list[tuple[str | None, str | None]] = []
        #: (gate, first slot, end slot): a fragment's slots, left blank in rows where column ``gate`` is not set.
        self.spans: list[tuple[str, int, int]] = []
        used: set[str] = set()
        for literal, name in _fields(pattern):
            self._add_literal(literal)
            if name is None:
                continue
            if name not in fragments:
                self.slots.append((None, name))
                continue
            used.add(name)
            if name in table:
                raise ValueError(f"fragment {name!r} has the name of a column")
            parts = _fields(fragments[name])
            gate = next((field for _, field in parts if field is not None), None)
            if gate is None:
                raise ValueError(f"fragment {name!r} names no column to decide where it is shown")
            first = len(self.slots)
            for fragment_literal, field in parts:
                if fragment_literal:
                    self.slots.append((fragment_literal, None))
                if field is not None:
                    self.slots.append((None, field))
            self.spans.append((gate, first, len(self.slots)))
        if unused := set(fragments) - used:
            raise ValueError(f"fragments not used in the row pattern: {', '.join(sorted(unused))}")
        self.fields = list(dict.fromkeys(field for _, field in self.slots if field is not None))
        if missing := [name for name in self.fields if name not in table]:
            raise ValueError(f"no column {', '.join(map(repr, missing))}; the table has {', '.join(table)}")
        lengths = {len(table[name]) for name in self.fields}
        if len(lengths) > 1:
            raise ValueError("the table's columns differ in length")
        self.table = table
        self.length = lengths.pop() if lengths else 0

    def _add_literal(self, literal: str) -> None:
        """Literal markup outside fragments, merged with literal markup just before it."""
        if not literal:
            return
        if self.slots and self.slots[-1][1] is None and not (self.spans and self.spans[-1][2] == len(self.slots)):
            self.slots[-1] = (self.slots[-1][0] + literal, None)  # type: ignore[operator]
        else:
            self.slots.append((literal, None))

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[Markup]:
        size = max(1, _ROWS_PER_CHUNK)
        width = len(self.slots)
        for start in range(0, self.length, size):
            stop = min(start + size, self.length)
            count = stop - start
            texts = {name: escape_column(self.table[name][start:stop]) for name in self.fields}
            pieces: list[str] = [""] * (count * width)
            for index, (literal, field) in enumerate(self.slots):
                pieces[index::width] = texts[field] if literal is None else [literal] * count
            for gate, first, end in self.spans:
                blank = [""] * (end - first)
                # The rows where the gate column is not set (false, as in {% if %}): usually few.
                for row in compress(range(0, count * width, width), map(not_, self.table[gate][start:stop])):
                    pieces[row + first:row + end] = blank
            yield Markup("".join(pieces))

    def __html__(self) -> Markup:
        return Markup("".join(self))

    __str__ = __html__


def _fields(pattern: str) -> list[tuple[str, str | None]]:
    """A pattern as (literal, field name or None) pairs; only ``{name}`` fields are allowed."""
    parts = []
    for literal, name, spec, conversion in _FORMATTER.parse(str(pattern)):
        if name is not None and (not name.isidentifier() or spec or conversion):
            raise ValueError(f"only plain {{name}} fields may be used in a row pattern, not {{{name}...}}")
        parts.append((literal, name))
    return parts


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
