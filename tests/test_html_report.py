"""The HTML report's structure, checked on a parse of the document (no browser).

The report must be one self-contained file (no script, nothing fetched), list
the sections in the order a student acts on them, and show whatever the
workbook holds as text, never as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit.cli import cli
from sheetkit.config import Config
from sheetkit.report import build_report
from sheetkit.spec import RULE_LABELS
from sheetkit.stats import STATS

D = dt.date
AS_OF = D(2026, 11, 22)

SCRIPT = "Eve <script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
LINK = '<a href="javascript:window.__pwned=1">Mallory</a>'
SVG = '<svg onload="window.__pwned=1">'
HOSTILE = (SCRIPT, IMG, LINK, SVG)

# Elements with no end tag in HTML.
VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
                           "track", "wbr"})


@dataclass
class Element:
    """A parsed element: tag, attributes, and children (elements or text)."""

    tag: str
    attrs: dict[str, str | None]
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        """This element and every element under it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str) -> list[Element]:
        return [e for e in self.iter() if e.tag == tag]

    def by_id(self, element_id: str) -> Element:
        [found] = [e for e in self.iter() if e.attrs.get("id") == element_id]
        return found

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class TreeBuilder(HTMLParser):
    """Builds an :class:`Element` tree; an end tag that closes anything but the open element fails."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.open[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse(html: str) -> Element:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.open == [builder.root], f"unclosed: {[e.tag for e in builder.open[1:]]}"
    return builder.root


def write_hostile_tracker(path: Path) -> Path:
    """Overdue and upcoming follow-ups, replies on several channels, and markup typed into cells."""
    contacts = [
        contact(SCRIPT, organization=IMG, date_met=D(2026, 10, 1), how_met="Informational interview",
                notes=SCRIPT + IMG),
        contact(LINK, organization="Acme", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 2), notes=LINK),
        contact("Ana Souza", organization="Northwind", date_met=D(2026, 11, 15), thank_you_sent=D(2026, 11, 16),
                how_met="Networking event"),
        contact("Cy Ortiz", date_met=D(2026, 11, 18), thank_you_sent=D(2026, 11, 18), referred_by="Ana Souza"),
        contact("Bo Chen", organization="Initech", date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 2)),
    ]
    touchpoints = [
        touch(D(2026, 9, 2), "Bo Chen", purpose="Thank-you", channel="Email", got_reply="Yes",
              reply_date=D(2026, 9, 3)),
        touch(D(2026, 9, 16), "Bo Chen", purpose="Follow-up", channel=SVG, got_reply="No"),
        touch(D(2026, 10, 20), "Bo Chen", purpose="Update", channel="LinkedIn"),
        touch(D(2026, 10, 22), "Bo Chen", "Received", channel="LinkedIn", notes=IMG),
        touch(D(2026, 11, 2), LINK, purpose="Thank-you", channel="Handwritten card"),
        touch(D(2026, 11, 10), "<b>Ghost</b>", purpose="Update", channel="Email"),
    ]
    return write_tracker(path, contacts, touchpoints, student=SCRIPT)


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_hostile_tracker(tmp_path_factory.mktemp("html") / "tracker.xlsx")


def render(tracker: Path, *options: str) -> str:
    result = CliRunner().invoke(
        cli, ["report", str(tracker), "--format", "html", "-o", "-", "--as-of", AS_OF.isoformat(), *options]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def document(tracker: Path) -> Element:
    return parse(render(tracker))


def position(document: Element, element: Element) -> int:
    return next(index for index, e in enumerate(document.iter()) if e is element)


def test_one_self_contained_document(document: Element) -> None:
    [html] = document.find_all("html")
    assert [e.tag for e in html.children if isinstance(e, Element)] == ["head", "body"]
    assert document.find_all("script") == []
    assert document.find_all("link") == []
    assert document.find_all("iframe") == []
    for element in document.iter():
        for name in ("src", "href", "xlink:href", "action", "srcset", "poster"):
            assert name not in element.attrs, f"<{element.tag} {name}={element.attrs[name]!r}>"
    [style] = document.find_all("style")
    assert style in document.find_all("head")[0].children
    assert "url(" not in style.text() and "@import" not in style.text()
    charts = document.find_all("svg")
    assert len(charts) >= 2 and all(chart.find_all("rect") for chart in charts)


def test_sections_in_the_order_a_student_acts_on_them(document: Element) -> None:
    headings = [h.text() for h in document.find_all("h2")]
    assert headings[:4] == ["Overdue", "Coming up", "How your outreach is going", "Every contact"]
    first_stat = document.by_id(f"stat-{STATS[0].key}")
    order = [document.by_id("overdue"), document.by_id("upcoming"), first_stat, document.by_id("contacts")]
    positions = [position(document, element) for element in order]
    assert positions == sorted(positions)


def test_overdue_table_lists_the_overdue_followups_in_order(tracker: Path, document: Element) -> None:
    expected = [
        (f.contact, f.due.isoformat(), RULE_LABELS[f.rule])
        for f in build_report(tracker, Config(), AS_OF).by_state("overdue")
    ]
    assert len(expected) >= 2
    [body] = document.by_id("overdue").find_all("tbody")
    shown = []
    for row in body.find_all("tr"):
        cells = {td.attrs["data-label"]: td for td in row.find_all("td")}
        [name] = cells["Contact"].find_all("strong")
        shown.append((name.text(), cells["Due"].text(), cells["Rule"].text()))
    assert shown == expected


def test_statistics_in_the_declared_order(document: Element) -> None:
    shown = [e.attrs["id"][len("stat-"):] for e in document.iter() if (e.attrs.get("id") or "").startswith("stat-")]
    assert shown == [stat.key for stat in STATS]
    assert document.by_id("stat-response_rate").text().count("%") == 1


def test_hostile_text_is_shown_as_text(document: Element) -> None:
    tags = {e.tag for e in document.iter()}
    assert not tags & {"script", "img", "a", "iframe"}
    assert [b for b in document.find_all("b") if b.text() == "Ghost"] == []
    assert [e.tag for e in document.find_all("svg") if e.attrs.get("onload") is not None] == []
    for element in document.iter():
        assert not [name for name in element.attrs if name.startswith("on")], element
    text = document.text()
    for hostile in (*HOSTILE, "<b>Ghost</b>"):
        assert hostile in text
    assert SCRIPT in document.find_all("title")[0].text()
    assert SCRIPT in document.find_all("h1")[0].text()
    overdue = document.by_id("overdue").text()
    assert SCRIPT in overdue and IMG in overdue and LINK in overdue


def test_custom_report_template_is_used_and_still_escapes(tmp_path: Path, tracker: Path) -> None:
    (tmp_path / "report.html").write_text(
        '<!doctype html><html lang="en"><head><title>Ours</title>{% include "_style.html" %}</head>'
        '<body><h1 id="custom">Careers office: {{ student }}</h1></body></html>'
    )
    document = parse(render(tracker, "--templates", str(tmp_path)))
    assert document.by_id("custom").text() == f"Careers office: {SCRIPT}"
    assert document.find_all("script") == []
    assert "--brand" in document.find_all("style")[0].text()


def test_custom_style_partial_replaces_the_built_in_one(tmp_path: Path, tracker: Path) -> None:
    (tmp_path / "_style.html").write_text("<style>/* institution */ body { color: #123456; }</style>\n")
    document = parse(render(tracker, "--templates", str(tmp_path)))
    [style] = document.find_all("style")
    assert style.text() == "/* institution */ body { color: #123456; }"
    assert document.by_id("overdue").find_all("tbody")


def test_compiled_templates_are_cached_and_refreshed_on_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sheetkit.render import environment

    monkeypatch.setenv("SHEETKIT_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "hello.html").write_text("one {{ 1 + 1 }}", encoding="utf-8")
    assert environment(templates).get_template("hello.html").render() == "one 2"
    assert list((tmp_path / "cache" / "jinja-sandboxed").iterdir())
    (templates / "hello.html").write_text("two {{ 2 + 2 }}", encoding="utf-8")
    assert environment(templates).get_template("hello.html").render() == "two 4"
