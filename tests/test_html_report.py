"""The HTML report's structure, checked on a parse of the document (no browser).

The report must be one self-contained file (no script, nothing fetched), put
the workbook's problems first, list the follow-ups in the form a student acts
on (how to reach each person, as links only when safe), and show whatever the
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
from sheetkit.config import Config, Policy
from sheetkit.model import Followup
from sheetkit.render import contact_href, render_html, soon_text
from sheetkit.report import build_report
from sheetkit.stats import STATS
from staged import row_of, staged

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


SAFE_SCHEMES = ("mailto:", "tel:", "https:")


def links(document: Element) -> list[str]:
    return [str(a.attrs.get("href")) for a in document.find_all("a")]


def test_one_self_contained_document(document: Element) -> None:
    [html] = document.find_all("html")
    assert [e.tag for e in html.children if isinstance(e, Element)] == ["head", "body"]
    assert document.find_all("script") == []
    assert document.find_all("link") == []
    assert document.find_all("iframe") == []
    for element in document.iter():
        for name in ("src", "xlink:href", "action", "srcset", "poster"):
            assert name not in element.attrs, f"<{element.tag} {name}={element.attrs[name]!r}>"
        if "href" in element.attrs:
            assert element.tag == "a" and str(element.attrs["href"]).startswith(SAFE_SCHEMES), element.attrs
    [style] = document.find_all("style")
    assert style in document.find_all("head")[0].children
    assert "url(" not in style.text() and "@import" not in style.text()
    charts = document.find_all("svg")
    assert len(charts) >= 2 and all(chart.find_all("rect") for chart in charts)


def test_problems_come_first_then_the_sections_a_student_acts_on(document: Element) -> None:
    headings = [h.text() for h in document.find_all("h2")]
    assert headings[:5] == ["Check the workbook first", "Overdue", "Coming up: due in the next 14 days",
                            "How your outreach is going", "Every contact"]
    first_stat = document.by_id(f"stat-{STATS[0].key}")
    order = [document.by_id("problems"), document.by_id("overdue"), document.by_id("upcoming"), first_stat,
             document.by_id("contacts")]
    positions = [position(document, element) for element in order]
    assert positions == sorted(positions)


def test_problems_say_how_many_and_list_errors_first(tmp_path: Path) -> None:
    # Reader order: the warning on Contacts!I3 comes before the error on Contacts!K2.
    tracker = write_tracker(tmp_path / "t.xlsx", [
        contact("Ana Souza", date_met="last Tuesday"),
        contact("Bo Chen", date_met=D(2026, 11, 1), how_met="Hackathon"),
    ], [touch(D(2026, 11, 10), "Ghost", purpose="Update", channel="Email")])
    problems = parse(render(tracker)).by_id("problems")
    assert problems.find_all("h2")[0].text() == "Fix the workbook first"
    assert "The workbook has 1 error and 2 warnings." in problems.text()
    assert "The follow-ups below may be off until they are fixed." in problems.text()
    items = [li.text() for li in problems.find_all("li")]
    assert len(items) == 3
    assert items[0].startswith("Error Contacts, cell K2: Date met: 'last Tuesday'"), items
    assert [item.split(" ", 1)[0] for item in items] == ["Error", "Check", "Check"]
    assert any(item.startswith("Check Touchpoints, cell B2: 'Ghost'") for item in items), items


def test_no_problems_no_problem_section(tmp_path: Path) -> None:
    tracker = write_tracker(tmp_path / "t.xlsx", [contact("Ana Souza", date_met=D(2026, 11, 15))])
    document = parse(render(tracker))
    assert not [e for e in document.iter() if e.attrs.get("id") == "problems"]
    assert document.find_all("h2")[0].text() == "Overdue"


def test_many_problems_fold_after_the_first_ten(tmp_path: Path) -> None:
    touches = [touch(D(2026, 11, 1), f"Ghost {n}", purpose="Update", channel="Email") for n in range(12)]
    tracker = write_tracker(tmp_path / "t.xlsx", [contact("Ana Souza", date_met=D(2026, 11, 15))], touches)
    problems = parse(render(tracker)).by_id("problems")
    [details] = problems.find_all("details")
    assert details.find_all("summary")[0].text() == "2 more"
    assert len(problems.find_all("li")) == 12 and len(details.find_all("li")) == 2


def test_hundreds_of_problems_are_counted_and_sheetkit_check_lists_them(tmp_path: Path) -> None:
    touches = [touch(D(2026, 11, 1), f"Ghost {n}", purpose="Update", channel="Email") for n in range(130)]
    tracker = write_tracker(tmp_path / "t.xlsx", [contact("Ana Souza", date_met=D(2026, 11, 15))], touches)
    problems = parse(render(tracker)).by_id("problems")
    assert "The workbook has 130 warnings." in problems.text()
    # 10 shown, 90 folded away, 30 only counted.
    assert len(problems.find_all("li")) == 100
    assert problems.find_all("summary")[0].text() == "120 more"
    assert "… and 30 more: sheetkit check t.xlsx lists every one." in problems.text()


def write_reachable_tracker(path: Path) -> Path:
    """Ana: overdue thank-you, every way to reach her typed well. Bo: thank-you due today, every value hostile."""
    contacts = [
        contact("Ana Souza", organization="Northwind", email="ana.souza@northwind.example",
                phone="+1 (555) 010-0199", linkedin="linkedin.com/in/ana-souza", date_met=D(2026, 11, 15)),
        contact("Bo Chen", email="mailto:bo@x.example?bcc=all@x.example", phone="javascript:alert(1)",
                linkedin="http://linkedin.com/in/bo-chen", date_met=D(2026, 11, 21)),
    ]
    return write_tracker(path, contacts)


@pytest.fixture(scope="module")
def reachable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reachable_tracker(tmp_path_factory.mktemp("reach") / "tracker.xlsx")


def cells(row: Element) -> dict[str, Element]:
    return {str(td.attrs["data-label"]): td for td in row.find_all("td")}


def test_each_followup_shows_how_to_reach_the_person(reachable: Path) -> None:
    document = parse(render(reachable))
    [ana] = document.by_id("overdue").find_all("tbody")[0].find_all("tr")
    how = cells(ana)["How"]
    assert [(a.attrs["href"], a.text()) for a in how.find_all("a")] == [
        ("mailto:ana.souza@northwind.example", "ana.souza@northwind.example"),
        ("tel:+15550100199", "+1 (555) 010-0199"),
        ("https://linkedin.com/in/ana-souza", "LinkedIn profile"),
    ]
    assert links(document) == [a.attrs["href"] for a in how.find_all("a")]


def test_hostile_contact_details_are_text_never_links(reachable: Path) -> None:
    document = parse(render(reachable))
    [bo] = document.by_id("upcoming").find_all("tbody")[0].find_all("tr")
    how = cells(bo)["How"]
    assert how.find_all("a") == []
    for typed in ("mailto:bo@x.example?bcc=all@x.example", "javascript:alert(1)", "http://linkedin.com/in/bo-chen"):
        assert typed in how.text()
    assert how.text().count("(not usable as typed)") == 3


def test_coming_up_has_no_days_overdue_and_today_says_today(reachable: Path) -> None:
    document = parse(render(reachable))
    overdue, upcoming = document.by_id("overdue"), document.by_id("upcoming")
    assert [th.text() for th in overdue.find_all("th")] == ["Contact", "What to do", "Due", "Days overdue", "How"]
    assert [th.text() for th in upcoming.find_all("th")] == ["Contact", "What to do", "Due", "How"]
    [ana] = overdue.find_all("tbody")[0].find_all("tr")
    # Met 2026-11-15: the thank-you was due 2026-11-16, six days before 2026-11-22.
    assert (cells(ana)["Due"].text(), cells(ana)["Days overdue"].text()) == ("2026-11-16", "6")
    assert cells(ana)["What to do"].find_all("strong")[0].text() == "Thank-you"
    [bo] = upcoming.find_all("tbody")[0].find_all("tr")
    # Met 2026-11-21: the thank-you is due 2026-11-22, the as-of day.
    assert cells(bo)["Due"].text() == "today"
    assert "Days overdue" not in cells(bo)


def test_one_message_shows_what_else_it_settles_and_a_missing_channel(reachable: Path) -> None:
    report = build_report(reachable, Config(), AS_OF)
    followups = [
        Followup("Ana Souza", "Northwind", "referrer-update", D(2026, 11, 20), 2, "overdue",
                 "Ana referred you to Bo Chen; tell Ana how it went. Also: last wrote 2026-07-01",
                 "Email", row_of(report, "Ana Souza"),
                 about="Bo Chen", also=("keep-in-touch",)),
        Followup("Bo Chen", None, "reply", D(2026, 11, 23), 0, "upcoming",
                 "Bo asked a question on 2026-11-22; add an email address, phone number or LinkedIn profile",
                 None, row_of(report, "Bo Chen")),  # type: ignore[arg-type]
    ]
    document = parse(render_html(staged(report, followups)))
    [ana] = document.by_id("overdue").find_all("tbody")[0].find_all("tr")
    # The reason carries what else the message settles, once: no second "Also settles" line.
    what = cells(ana)["What to do"].text()
    assert "Also: last wrote 2026-07-01" in what and "Also settles" not in what
    assert cells(ana)["How"].text().startswith("Email")
    [bo] = document.by_id("upcoming").find_all("tbody")[0].find_all("tr")
    assert cells(bo)["What to do"].text().startswith("Reply")
    assert cells(bo)["Due"].text() == "2026-11-23"
    assert cells(bo)["How"].text().startswith("No way to reach them yet")
    assert "add an email address" in cells(bo)["What to do"].text()


def test_an_accepted_offer_opens_the_report(reachable: Path) -> None:
    report = build_report(reachable, Config(), AS_OF)
    followups = [Followup(name, None, "offer-thanks", D(2026, 11, 27), 0, "upcoming", "You accepted an offer",
                          "Email", row_of(report, name)) for name in ("Bo Chen", "Ana Souza")]
    document = parse(render_html(staged(report, followups)))
    headings = [h.text() for h in document.find_all("h2")]
    assert headings[0] == "You accepted an offer"
    offer = document.by_id("offer").text()
    assert "2 people are owed one" in offer and "Bo Chen, Ana Souza." in offer
    assert position(document, document.by_id("offer")) < position(document, document.by_id("upcoming"))


def test_an_empty_tracker_says_what_to_do_first(tmp_path: Path) -> None:
    document = parse(render(write_tracker(tmp_path / "empty.xlsx", [])))
    start = document.by_id("start")
    assert "no contacts yet" in start.text() and "within a day" in start.text()
    assert len(start.find_all("li")) == 3
    assert "Well kept" not in document.text()
    assert not [e for e in document.iter() if e.attrs.get("id") in ("overdue", "contacts")]


def test_the_window_and_intervals_follow_the_config(tmp_path: Path, reachable: Path) -> None:
    config = tmp_path / "policy.toml"
    config.write_text("[policy]\nupcoming_days = 5\nthank_you_days = 2\n", encoding="utf-8")
    document = parse(render(reachable, "--config", str(config)))
    assert "Coming up: due in the next 5 days" in [h.text() for h in document.find_all("h2")]
    assert "due in the next 5 days" in document.find_all("section")[0].text()
    assert document.by_id("stat-upcoming").find_all("th")[0].text() == "Follow-ups due in the next 5 days"
    footer = document.find_all("footer")[0].text()
    assert "Thank within 2 days" in footer and "due in the next 14" not in document.text()


@pytest.mark.parametrize("days, words", [(0, "today"), (1, "today or tomorrow"), (5, "in the next 5 days")])
def test_soon_is_said_one_way(days: int, words: str) -> None:
    assert soon_text(Policy(upcoming_days=days)) == words


def test_reply_warmth_in_plain_words(tmp_path: Path) -> None:
    tracker = write_tracker(tmp_path / "t.xlsx", [
        contact("Ana Souza", date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 2)),
        contact("Bo Chen", date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 2)),
    ], [
        # Ana answered the next day, at length: warm and quick.
        touch(D(2026, 9, 15), "Ana Souza", purpose="Follow-up", channel="Email", got_reply="Yes",
              reply_date=D(2026, 9, 16), reply_quality="Warm"),
        # Bo never answered two messages.
        touch(D(2026, 9, 15), "Bo Chen", purpose="Follow-up", channel="Email", got_reply="No"),
        touch(D(2026, 10, 15), "Bo Chen", purpose="Follow-up", channel="LinkedIn", got_reply="No"),
    ])
    document = parse(render(tracker))
    shown = {cells(row)["Name"].text(): cells(row)["How they reply"].text()
             for row in document.by_id("contacts").find_all("tbody")[0].find_all("tr")}
    assert shown == {"Ana Souza": "Warm or quick", "Bo Chen": "Does not reply"}
    for word in ("Booster", "Curmudgeon"):
        assert word in document.text()  # kept as the legend


@pytest.mark.parametrize("kind, value, href", [
    ("email", "ana.souza+jobs@north-wind.example.org", "mailto:ana.souza+jobs@north-wind.example.org"),
    ("email", " MAILTO:ana@x.org ", "mailto:ana@x.org"),
    ("email", "o'brien@x.ie", "mailto:o'brien@x.ie"),
    ("phone", "555-0142", "tel:5550142"),
    ("phone", "+44 20 7946 0958", "tel:+442079460958"),
    ("linkedin", "https://www.linkedin.com/in/ana-souza/", "https://www.linkedin.com/in/ana-souza/"),
    ("linkedin", "linkedin.com/in/ana-souza", "https://linkedin.com/in/ana-souza"),
    ("linkedin", "HTTPS://uk.linkedin.com/in/ana", "https://uk.linkedin.com/in/ana"),
])
def test_plausible_contact_details_become_links(kind: str, value: str, href: str) -> None:
    assert contact_href(kind, value) == href  # type: ignore[arg-type]


@pytest.mark.parametrize("kind, value", [
    *[("email", v) for v in (
        "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "mailto:x@y.org?bcc=all@y.org",
        "x@y.org?bcc=all@y.org", "x@y.org&cc=all@y.org", "x@y.org\nBcc: all@y.org", "x @y.org", "x@y",
        "<x@y.org>", "x%0aBcc:a@y.org", "https://y.org", "x@y.org/", "", "@y.org", "x@-y.org")],
    *[("phone", v) for v in (
        "javascript:alert(1)", "tel:5550142", "data:,5550142", "555", "555-0142 ext. 3", "555-0142\n555-0143",
        "1234567890123456", "+1 555\t0142", "١٢٣٤٥٦٧٨")],
    *[("linkedin", v) for v in (
        "javascript:alert(1)", "http://linkedin.com/in/ana", "https://evil.example/in/ana",
        "https://linkedin.com.evil.example/in/ana", "https://evil.example/linkedin.com/in/ana",
        "https://linkedin.com/in/ana?next=https://evil.example", "https://linkedin.com/in/ana#x",
        "data:text/html;base64,PHNjcmlwdD4=", "//linkedin.com/in/ana", "https://linkedin.com/in/ana smith",
        "https://linkedin.com/in/ana\nhttps://evil.example", "https://user@linkedin.com/in/ana",
        "ftp://linkedin.com/in/ana", "https://linkedin.com/feed/", "javascript://linkedin.com/in/%0aalert(1)")],
])
def test_anything_else_never_becomes_a_link(kind: str, value: str) -> None:
    assert contact_href(kind, value) is None  # type: ignore[arg-type]


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
