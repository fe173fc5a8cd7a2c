"""The HTML report in a real Chromium (Debian's, driven by Playwright; no browser download).

A report rendered from a workbook full of markup must run no script, fetch
nothing, log no error, fit a phone's width and still print its overdue table;
the workbook's problems come before the follow-ups, and no link has a scheme
other than mailto:, tel: or https:.

Set SHEETKIT_SCREENSHOTS=DIR to also save the sample report's screenshots
there (``SHEETKIT_SCREENSHOTS=docs pytest tests/test_browser.py`` refreshes
docs/report-screenshot.png and docs/report-phone.png).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit.cli import cli

pytestmark = pytest.mark.browser

D = dt.date
REQUIRE_REAL = os.environ.get("SHEETKIT_REQUIRE_REAL") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"viewport": {"width": 1200, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}

SCRIPT = "Eve <script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=1">'
LINK = '<a href="javascript:window.__pwned=1">Mallory</a>'


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "playwright is not installed (pip install playwright; no `playwright install` needed)"
        if REQUIRE_REAL:
            pytest.fail(message + "; SHEETKIT_REQUIRE_REAL=1 forbids skipping", pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """A page opened on a report, with everything it logged or asked the network for."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def assert_quiet(self) -> None:
        """No errors, no script from the data ran, and nothing fetched but the page itself."""
        assert self.console_errors == []
        assert self.page_errors == []
        assert self.requests == [self.page.url]
        assert self.page.evaluate("typeof window.__pwned") == "undefined"

    def assert_fits_width(self, width: int) -> None:
        assert self.page.evaluate("document.documentElement.scrollWidth") <= width + 1


@pytest.fixture
def visit(browser: Any) -> Iterator[Callable[..., Visit]]:
    """``visit(path, **context_options)`` opens a report in a fresh browser context."""
    contexts = []

    def open_report(path: Path, **options: Any) -> Visit:
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        opened = Visit(page)
        page.on("console", opened.on_console)
        page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
        page.on("request", lambda request: opened.requests.append(request.url))
        page.goto(path.as_uri(), wait_until="load")
        return opened

    yield open_report
    for context in contexts:
        context.close()


def render(tracker: Path, as_of: str) -> Path:
    destination = tracker.with_name(f"{tracker.stem}-report.html")
    result = CliRunner().invoke(
        cli, ["report", str(tracker), "--format", "html", "-o", str(destination), "--as-of", as_of, "--force"]
    )
    assert result.exit_code == 0, result.output
    return destination


#: What people type as contact details that must never become a link of their own kind.
HOSTILE_DETAILS = {
    "email": "javascript:window.__pwned=1//@x.example",
    "phone": "data:text/html,<script>window.__pwned=1</script>",
    "linkedin": "http://linkedin.com/in/mallory",
}
SAFE_PROTOCOLS = {"mailto:", "tel:", "https:"}


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Markup in names, notes, a channel, contact details and the student's name, plus an address too long to wrap;
    one contact reachable by a real address, number and profile."""
    contacts = [
        contact(SCRIPT, organization=IMG, date_met=D(2026, 10, 1), notes=SCRIPT + IMG, **HOSTILE_DETAILS),
        contact(LINK, organization="averyveryverylongemailaddress@example-university.edu",
                email="averyveryverylongemailaddress@example-university.edu", date_met=D(2026, 11, 1),
                thank_you_sent=D(2026, 11, 2), notes=LINK),
        contact("Ana Souza", organization="Northwind", date_met=D(2026, 11, 15), thank_you_sent=D(2026, 11, 16),
                email="ana@northwind.example", phone="+1 555 010 0199", linkedin="linkedin.com/in/ana-souza"),
    ]
    touchpoints = [
        touch(D(2026, 11, 2), LINK, purpose="Thank-you", channel='<svg onload="window.__pwned=1">'),
        touch(D(2026, 11, 16), "Ana Souza", purpose="Thank-you", channel="Email", got_reply="Yes"),
        touch(D(2026, 11, 17), IMG, purpose="Update", channel="Email"),
    ]
    folder = tmp_path_factory.mktemp("browser")
    return render(write_tracker(folder / "hostile.xlsx", contacts, touchpoints, student=SCRIPT), "2026-11-22")


def test_hostile_report_runs_no_script_and_fetches_nothing(visit: Callable[..., Visit], hostile_report: Path) -> None:
    opened = visit(hostile_report, **DESKTOP)
    opened.assert_quiet()
    overdue = opened.page.locator("#overdue")
    assert overdue.is_visible()
    assert SCRIPT in overdue.inner_text()
    assert LINK in overdue.inner_text()
    assert opened.page.locator("img, script").count() == 0
    assert LINK in opened.page.locator("#contacts").inner_text()
    opened.assert_fits_width(1200)


def test_problems_come_before_the_followups(visit: Callable[..., Visit], hostile_report: Path) -> None:
    opened = visit(hostile_report, **DESKTOP)
    problems, overdue = opened.page.locator("#problems"), opened.page.locator("#overdue")
    assert problems.is_visible() and "Check the workbook first" in problems.inner_text()
    # The unknown channel and the touchpoint for a name not in Contacts are both listed.
    assert "Touchpoints" in problems.inner_text()
    problems_box, overdue_box = problems.bounding_box(), overdue.bounding_box()
    assert problems_box is not None and overdue_box is not None
    assert problems_box["y"] + problems_box["height"] <= overdue_box["y"], (problems_box, overdue_box)


def link_protocols(opened: Visit) -> list[str]:
    return opened.page.evaluate("[...document.querySelectorAll('a[href], [href]')].map(e => e.protocol ?? "
                                "new URL(e.getAttribute('href'), document.baseURI).protocol)")


def test_links_are_only_mailto_tel_and_https(visit: Callable[..., Visit], hostile_report: Path) -> None:
    opened = visit(hostile_report, **DESKTOP)
    protocols = link_protocols(opened)
    # Ana's address, number and profile, and the long address; nothing from the hostile details.
    assert sorted(protocols) == ["https:", "mailto:", "mailto:", "tel:"], protocols
    hrefs = opened.page.evaluate("[...document.links].map(a => a.href)")
    assert "tel:+15550100199" in hrefs and "https://linkedin.com/in/ana-souza" in hrefs, hrefs
    for typed in HOSTILE_DETAILS.values():
        assert typed in opened.page.locator("#overdue").inner_text()
    opened.assert_quiet()


def test_overdue_table_fits_a_phone(visit: Callable[..., Visit], hostile_report: Path) -> None:
    opened = visit(hostile_report, **PHONE)
    opened.assert_quiet()
    first_name = opened.page.locator("#overdue tbody tr").first.locator("td").first
    assert first_name.is_visible()
    box = first_name.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    opened.assert_fits_width(375)


def test_print_still_shows_the_overdue_table(visit: Callable[..., Visit], hostile_report: Path, tmp_path: Path) -> None:
    opened = visit(hostile_report, **DESKTOP)
    opened.page.emulate_media(media="print")
    assert opened.page.locator("#overdue").is_visible()
    assert opened.page.locator("#overdue tbody tr").count() == 2
    assert opened.page.pdf(path=str(tmp_path / "report.pdf"), format="A4")[:5] == b"%PDF-"
    opened.assert_quiet()


def test_sample_report_screenshots(visit: Callable[..., Visit], sample_tracker: Path, tmp_path: Path) -> None:
    """The sample report on a desktop and a phone; SHEETKIT_SCREENSHOTS=DIR keeps the pictures."""
    tracker = shutil.copy(sample_tracker, tmp_path / "tracker.xlsx")
    report = render(Path(tracker), "2026-11-22")
    desktop = visit(report, **DESKTOP)
    desktop.assert_quiet()
    desktop.assert_fits_width(1200)
    desktop.page.screenshot(path=str(tmp_path / "report-screenshot.png"), full_page=True)
    assert set(link_protocols(desktop)) <= SAFE_PROTOCOLS
    problems = desktop.page.locator("#problems")
    if problems.count():
        assert problems.bounding_box()["y"] < desktop.page.locator("#overdue").bounding_box()["y"]
    phone = visit(report, **PHONE)
    phone.assert_quiet()
    phone.assert_fits_width(375)
    assert phone.page.locator("#overdue").is_visible()
    phone.page.screenshot(path=str(tmp_path / "report-phone.png"))
    keep = os.environ.get("SHEETKIT_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for name in ("report-screenshot.png", "report-phone.png"):
            shutil.copy(tmp_path / name, Path(keep) / name)
