"""The cohort page in a real Chromium: a desktop reads it at a glance, a phone still gets cards.

The cohort comes back from a learning platform with long folder names; with a
roster and an earlier run, every column the page can show is there. Set
SHEETKIT_SCREENSHOTS=DIR to save docs/cohort-desktop.png and docs/cohort-phone.png
(``SHEETKIT_SCREENSHOTS=docs pytest tests/test_cohort_browser.py``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builders import contact, touch, write_tracker
from sheetkit.cli import cli

pytestmark = pytest.mark.browser

D = dt.date
REQUIRE_REAL = os.environ.get("SHEETKIT_REQUIRE_REAL") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
NAMES = ("Amara Okonkwo-Bergström", "Bo Chen", "Carmen de la Fuente Villanueva", "Dmitri Alexandrovich Ivanov",
         "Eve Stone", "Farah Al-Hashimi", "Gustavo Henrique Nascimento", "Hana Watanabe", "Ines Moreau-Lefebvre",
         "Jonah Whitfield")
#: Lines of text a cell may take at 1280 px: "a row is a few lines at most".
MOST_LINES = 3


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if REQUIRE_REAL:
            pytest.fail("playwright is not installed; SHEETKIT_REQUIRE_REAL=1 forbids skipping", pytrace=False)
        pytest.skip("playwright is not installed (pip install playwright; no `playwright install` needed)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cohort as a learning platform hands it back, one long folder per submission, with a roster and last week."""
    root = tmp_path_factory.mktemp("lms")
    folder = root / "Networking Tracker (Autumn 2026, Section 03) - Download Nov 22, 2026 1042 AM"
    for number, name in enumerate(NAMES[:-2]):
        submission = folder / f"{name}_{550100 + number}_assignsubmission_file_"
        submission.mkdir(parents=True)
        met = D(2026, 8 + number % 4, 3 + 2 * number)
        contacts = [contact(f"Contact {n}", date_met=met + dt.timedelta(days=n)) for n in range(number % 4)]
        touches = [touch(met + dt.timedelta(days=1), "Contact 0", purpose="Thank-you", channel="Email")] \
            if number % 4 and number % 3 else []
        write_tracker(submission / f"{name.lower().replace(' ', '-')}-networking-tracker-final-version.xlsx",
                      contacts, touches)
    duplicate = folder / f"{NAMES[1]}_550199_assignsubmission_file_"
    duplicate.mkdir()
    write_tracker(duplicate / "tracker-older-draft.xlsx", [], student=NAMES[1])
    os.utime(duplicate / "tracker-older-draft.xlsx", (0, 0))
    (root / "roster.csv").write_text("Name\n" + "\n".join(NAMES) + "\n", encoding="utf-8")
    runner = CliRunner()
    common = [str(folder), "--roster", str(root / "roster.csv"), "--jobs", "1"]
    earlier = runner.invoke(cli, ["cohort", *common, "--as-of", "2026-11-15", "--format", "json",
                                  "-o", str(root / "last-week.json")])
    assert earlier.exit_code == 0, earlier.output
    result = runner.invoke(cli, ["cohort", *common, "--as-of", "2026-11-22", "--since", str(root / "last-week.json"),
                                 "-o", str(root / "cohort.html")])
    assert result.exit_code == 0, result.output
    return root / "cohort.html"


def _open(browser: Any, path: Path, **options: Any) -> Any:
    context = browser.new_context(**options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri(), wait_until="load")
    assert errors == []
    return page


def _screenshot(page: Any, name: str, full_page: bool = True) -> None:
    folder = os.environ.get("SHEETKIT_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=full_page)


def test_on_a_desktop_no_student_cell_is_taller_than_a_few_lines(browser: Any, page_file: Path) -> None:
    page = _open(browser, page_file, **DESKTOP)
    # A cell's own text, measured with a Range: a td itself is as tall as the row's tallest cell.
    cells = page.evaluate("""() => Array.from(document.querySelectorAll('#students tbody td')).map(td => {
        const range = document.createRange();
        range.selectNodeContents(td);
        const lineHeight = parseFloat(getComputedStyle(td).lineHeight);
        return [td.innerText.slice(0, 40), range.getBoundingClientRect().height / lineHeight];
    })""")
    assert len(cells) == len(NAMES) * 10, "ten columns: nine figures and, with --since, the change"
    tall = [(text, round(lines, 1)) for text, lines in cells if lines > MOST_LINES + 0.5]
    assert tall == [], f"cells taller than {MOST_LINES} lines at 1280 px"
    widths = page.evaluate("[document.querySelector('#students').offsetWidth, document.documentElement.clientWidth]")
    assert widths[0] >= 0.9 * widths[1], "the table uses the window's width"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    file_cell = page.locator("#students tbody tr", has_text=NAMES[2]).locator(".file-name")
    assert file_cell.inner_text() == "carmen-de-la-fuente-villanueva-networking-tracker-final-version.xlsx"
    assert file_cell.get_attribute("title").endswith(
        f"{NAMES[2]}_550102_assignsubmission_file_/carmen-de-la-fuente-villanueva-networking-tracker-final-version.xlsx")
    _screenshot(page, "cohort-desktop.png")


def test_on_a_phone_the_students_are_cards_that_fit(browser: Any, page_file: Path) -> None:
    page = _open(browser, page_file, **PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 376
    assert page.evaluate("getComputedStyle(document.querySelector('#students thead')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('#students tbody tr')).display") == "block"
    page.evaluate("document.querySelector('#students').scrollIntoView()")
    _screenshot(page, "cohort-phone.png", full_page=False)
