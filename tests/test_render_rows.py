"""The big HTML tables, filled in a column at a time by ``rows()``, against a plain per-row Jinja loop.

Every field can hold text a person typed, so every field is escaped; the row
pattern comes from the template and user text is never read as a pattern.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import markupsafe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetkit import render
from sheetkit.config import Config
from sheetkit.policy import Followup
from sheetkit.render import (
    ContactRow,
    _contact_columns,
    _followup_columns,
    _with_rule_labels,
    environment,
    escape_column,
    render_html,
    render_html_to,
    rows,
)
from sheetkit.report import CONTACT_FIELDS, build_report
from sheetkit.spec import RULE_LABELS

AS_OF = dt.date(2026, 11, 22)
HOSTILE = [
    "<script>alert(1)</script>",
    "&amp; &lt;b&gt;",
    "\"double\" 'single'",
    "{name} {0} {} {{ }} %s %(x)s",
    "a\x00b",  # the column separator itself
    "<b>Ghost</b>",
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The tables as they were written before rows(): one Jinja loop iteration per row.
REFERENCE_FOLLOWUPS = """\
{% if items %}
<div class="table-wrap">
<table class="stack followups" id="{{ state }}">
  <thead><tr><th>Contact</th><th>Rule</th><th>Due</th><th class="num">Days overdue</th><th>Why</th><th>Try</th></tr></thead>
  <tbody>
  {% for f in items %}
    <tr class="{{ f.state }}">
      <td data-label="Contact"><strong>{{ f.contact }}</strong>{% if f.organization %}<br><span class="why">{{ f.organization }}</span>{% endif %}</td>
      <td data-label="Rule">{{ rule_label(f.rule) }}</td>
      <td data-label="Due" class="date">{{ f.due.isoformat() }}</td>
      <td data-label="Days overdue" class="num">{{ f.days_overdue if f.days_overdue else "" }}</td>
      <td data-label="Why" class="why">{{ f.why }}</td>
      <td data-label="Try">{{ f.suggested_channel }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">{{ empty_text }}</p>
{% endif %}
"""
REFERENCE_CONTACTS = """\
<div class="table-wrap">
<table class="stack contacts" id="contacts">
  <thead><tr><th>Name</th><th>Organization</th><th>Status</th><th>Met</th><th>Last sent</th><th>Last reply</th><th class="num">Sent</th><th class="num">Replies</th><th>Next due</th><th>Warmth</th></tr></thead>
  <tbody>
  {% for c in contacts %}
    <tr>
      <td data-label="Name">{{ c.name }}</td>
      <td data-label="Organization">{{ c.organization or "" }}</td>
      <td data-label="Status">{{ c.status }}</td>
      <td data-label="Met" class="date">{{ c.date_met or "" }}</td>
      <td data-label="Last sent" class="date">{{ c.last_outgoing or "" }}</td>
      <td data-label="Last reply" class="date">{{ c.last_reply or "" }}</td>
      <td data-label="Sent" class="num">{{ c.sent }}</td>
      <td data-label="Replies" class="num">{{ c.replies }}</td>
      <td data-label="Next due">{% if c.next_due %}<span class="date">{{ c.next_due }}</span> · {{ rule_label(c.rule) }}{% endif %}</td>
      <td data-label="Warmth">{{ c.warmth }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
"""

# Text of every kind, with markup, entities, braces and the separator turning up often.
TEXT = st.lists(st.sampled_from([*"<>&\"'{}%\x00 ·—é", "amp;", "{name}", "{0}"]) | st.characters(),
                max_size=8).map("".join)
MAYBE_TEXT = st.none() | TEXT
RULES = st.sampled_from(sorted(RULE_LABELS)) | TEXT
ISO = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31)).map(dt.date.isoformat)


@st.composite
def followups(draw: st.DrawFn) -> Followup:
    return Followup(
        contact=draw(TEXT), organization=draw(MAYBE_TEXT), rule=draw(RULES),
        due=draw(st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))),
        days_overdue=draw(st.sampled_from([0, 0, 1, 7, 400, -3])),
        state=draw(st.sampled_from(["overdue", "upcoming"]) | TEXT),
        why=draw(TEXT), suggested_channel=draw(TEXT), contact_row=2,
    )


@st.composite
def contact_rows(draw: st.DrawFn) -> dict[str, Any]:
    next_due = draw(st.none() | ISO)
    return {
        "name": draw(TEXT), "organization": draw(MAYBE_TEXT), "status": draw(TEXT),
        "date_met": draw(st.none() | ISO), "last_outgoing": draw(st.none() | ISO), "last_reply": draw(st.none() | ISO),
        "sent": draw(st.integers(0, 99)), "replies": draw(st.integers(0, 99)), "next_due": next_due,
        # The old loop showed "None" for a missing rule beside a due date; the data never has one.
        "rule": draw(RULES) if next_due else draw(st.none() | RULES), "warmth": draw(TEXT),
    }


def fast_followups(items: list[Followup], state: str = "overdue") -> str:
    report = SimpleNamespace(by_state=lambda wanted: items)
    return environment().get_template("_followups.html").render(
        items=items, state=state, empty_text="Nothing.",
        followup_columns=lambda wanted: _with_rule_labels(_followup_columns(report, wanted)))


def slow_followups(items: list[Followup], state: str = "overdue") -> str:
    return environment().from_string(REFERENCE_FOLLOWUPS).render(items=items, state=state, empty_text="Nothing.")


def fast_contacts(records: list[dict[str, Any]]) -> str:
    report = SimpleNamespace(contact_columns=lambda: {key: [row[key] for row in records] for key in CONTACT_FIELDS})
    return environment().get_template("_contacts.html").render(
        contact_columns=lambda: _with_rule_labels(_contact_columns(report)))


def slow_contacts(records: list[dict[str, Any]]) -> str:
    return environment().from_string(REFERENCE_CONTACTS).render(contacts=[ContactRow(**row) for row in records])


# ---- the tables against the per-row loop ---------------------------------------------------


@SETTINGS
@given(items=st.lists(followups(), max_size=12))
def test_followup_table_matches_the_per_row_loop(items: list[Followup]) -> None:
    with patch.object(render, "_ROWS_PER_CHUNK", 5):  # several chunks, one cut short
        assert fast_followups(items) == slow_followups(items)


@SETTINGS
@given(records=st.lists(contact_rows(), max_size=12))
def test_contact_table_matches_the_per_row_loop(records: list[dict[str, Any]]) -> None:
    with patch.object(render, "_ROWS_PER_CHUNK", 5):
        assert fast_contacts(records) == slow_contacts(records)


def test_hostile_followups_match_the_per_row_loop() -> None:
    items = [
        Followup(contact=text, organization=text, rule=text, due=dt.date(2026, 11, 1), days_overdue=3,
                 state=text, why=text, suggested_channel=text, contact_row=2)
        for text in HOSTILE
    ]
    html = fast_followups(items)
    assert html == slow_followups(items)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp;amp; &amp;lt;b&amp;gt;" in html
    assert "&#34;double&#34; &#39;single&#39;" in html
    assert "{name} {0} {} {{ }} %s %(x)s" in html  # braces shown as typed, never filled in
    assert "a\x00b" in html


def test_a_real_report_matches_the_per_row_loops(tmp_path: Path, sample_tracker: Path) -> None:
    """The whole page, built-in templates against the per-row loops given as overriding templates."""
    loops = tmp_path / "loops"
    loops.mkdir()
    (loops / "_followups.html").write_text(REFERENCE_FOLLOWUPS, encoding="utf-8")
    (loops / "_contacts.html").write_text(REFERENCE_CONTACTS, encoding="utf-8")
    tracker = Path(shutil.copy(sample_tracker, tmp_path / "tracker.xlsx"))
    report = build_report(tracker, Config(), AS_OF)
    assert report.by_state("overdue") and report.contact_rows()
    page = render_html(report)
    assert page == render_html(report, loops)
    assert 'id="overdue"' in page and 'id="contacts"' in page and 'id="stat-weekly_activity"' in page


def test_render_html_to_writes_the_same_page(tmp_path: Path, sample_tracker: Path) -> None:
    tracker = Path(shutil.copy(sample_tracker, tmp_path / "tracker.xlsx"))
    report = build_report(tracker, Config(), AS_OF)
    stream = io.StringIO()
    with patch.object(render, "_ROWS_PER_CHUNK", 2), patch.object(render, "_BATCH_CHARS", 100):
        render_html_to(report, stream)
        assert stream.getvalue() == render_html(report)


def test_no_followups_shows_the_empty_text() -> None:
    assert fast_followups([]) == slow_followups([])
    assert '<p class="empty">Nothing.</p>' in fast_followups([])


# ---- rows() itself ------------------------------------------------------------------------


def table_html(table: dict[str, list[Any]], pattern: str, **fragments: str) -> str:
    return "".join(rows(table, pattern, **fragments))


def test_every_value_is_escaped_and_none_is_blank() -> None:
    values = [*HOSTILE, None, "", 0, 7, dt.date(2026, 1, 2), markupsafe.Markup("<i>typed</i>")]
    html = table_html({"v": values}, "<td>{v}</td>")
    expected = "".join(f"<td>{markupsafe.escape(render._text(str(v) if v is not None else None))}</td>"
                       for v in values)
    assert html == expected
    assert "<td></td><td></td><td>0</td><td>7</td><td>2026-01-02</td><td>&lt;i&gt;typed&lt;/i&gt;</td>" in html


def test_braces_and_percent_in_user_text_are_never_fields() -> None:
    table = {"a": ["{b}", "{a!r}", "{0}", "%s", "{"], "b": ["B"] * 5}
    assert table_html(table, "[{a}|{b}]") == "[{b}|B][{a!r}|B][{0}|B][%s|B][{|B]"


def test_literal_braces_in_the_pattern() -> None:
    assert table_html({"a": ["x"]}, "{{{a}}}") == "{x}"


def test_fragments_only_where_their_first_column_is_set() -> None:
    table = {"org": ["Acme", None, "", "<Co>"], "n": [3, 0, 5, None], "label": ["L1", "L2", None, "L4"]}
    html = table_html(table, "<tr>{org_line}|{days}|{both}</tr>", org_line="<br>{org}", days="{n}",
                      both="<i>{n}</i>·{label}")
    assert html == ("<tr><br>Acme|3|<i>3</i>·L1</tr>"
                    "<tr>||</tr>"
                    "<tr>|5|<i>5</i>·</tr>"
                    "<tr><br>&lt;Co&gt;||</tr>")


def test_whole_table_in_one_expression() -> None:
    template = environment().from_string("{{ rows(t, '<td>{a}</td>') }}")
    assert template.render(t={"a": ["<x>", None, 1]}) == "<td>&lt;x&gt;</td><td></td><td>1</td>"


def test_empty_table() -> None:
    assert table_html({"a": []}, "<td>{a}</td>") == ""
    assert table_html({}, "<td>no fields</td>") == ""


@pytest.mark.parametrize("pattern", ["{a!r}", "{a:>5}", "{a.upper}", "{a[0]}", "{}", "{0}", "{a", "a}"])
def test_only_plain_names_in_patterns(pattern: str) -> None:
    with pytest.raises(ValueError):
        rows({"a": ["x"]}, pattern)


def test_pattern_mistakes_are_reported() -> None:
    with pytest.raises(ValueError, match="no column 'b'"):
        rows({"a": ["x"]}, "{b}")
    with pytest.raises(ValueError, match="not used"):
        rows({"a": ["x"]}, "{a}", extra="{a}")
    with pytest.raises(ValueError, match="name of a column"):
        rows({"a": ["x"]}, "{a}", a="{a}")
    with pytest.raises(ValueError, match="names no column"):
        rows({"a": ["x"]}, "{a}{f}", f="<br>")
    with pytest.raises(ValueError, match="differ in length"):
        rows({"a": ["x"], "b": []}, "{a}{b}")


def test_chunks_are_bounded_and_markup() -> None:
    with patch.object(render, "_ROWS_PER_CHUNK", 4):
        chunks = list(rows({"a": list(range(10))}, "{a},"))
    assert chunks == ["0,1,2,3,", "4,5,6,7,", "8,9,"]
    assert all(isinstance(chunk, markupsafe.Markup) for chunk in chunks)


# ---- escape_column -------------------------------------------------------------------------

VALUES = (st.none() | TEXT | st.integers(-10, 10) | st.booleans() | st.floats(allow_nan=False)
          | st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2020, 1, 9)))


@SETTINGS
@given(values=st.lists(VALUES, max_size=20))
def test_escape_column_is_escape_per_value(values: list[Any]) -> None:
    expected = [str(markupsafe.escape("" if value is None else str(value))) for value in values]
    assert escape_column(values) == expected


def test_equal_values_of_different_types_keep_their_own_text() -> None:
    assert escape_column([1, True, 1.0, 0.0, -0.0, 0, False]) == ["1", "True", "1.0", "0.0", "-0.0", "0", "False"]
    assert escape_column([dt.date(2026, 1, 2), dt.datetime(2026, 1, 2), None]) == [
        "2026-01-02", "2026-01-02 00:00:00", ""]


def test_contact_columns_are_the_contact_rows(sample_tracker: Path, tmp_path: Path) -> None:
    report = build_report(Path(shutil.copy(sample_tracker, tmp_path / "tracker.xlsx")), Config(), AS_OF)
    columns = _contact_columns(report)
    assert tuple(columns) == CONTACT_FIELDS
    assert [dict(zip(CONTACT_FIELDS, values)) for values in zip(*columns.values())] == report.contact_rows()
