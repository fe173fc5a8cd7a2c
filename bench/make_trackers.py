"""Realistic tracker workbooks of any size, for the benchmarks.

The same size and seed always give the same workbook: a year of networking
with meetings, thank-yous, follow-ups in rotating channels, replies received,
referrals, agreed dates, paused and closed contacts, blank cells, notes, the
odd date typed as text and the odd misspelt name, under the contract's
headers (:mod:`sheetkit.spec`). Files are written with openpyxl's write-only
mode and cached under ``bench/out/`` by size and seed.

    python bench/make_trackers.py 1000 5000
    python bench/make_trackers.py 10000 50000 --seed 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
sys.path.insert(0, str(REPO))

from sheetkit.spec import (  # noqa: E402  (the repository is put on the path above)
    CONTACT_COLUMNS,
    CONTACTS_SHEET,
    LISTS,
    START_SHEET,
    STUDENT_LABEL,
    TOUCHPOINT_COLUMNS,
    TOUCHPOINTS_SHEET,
)

#: Bump when the generator changes, so cached files are rebuilt.
GENERATOR_VERSION = 2
#: The year of activity the generated trackers cover; reports are run as of AS_OF.
YEAR_START = dt.date(2025, 11, 1)
YEAR_DAYS = 365
AS_OF = dt.date(2026, 11, 22)

FIRST_NAMES = (
    "Aisha", "Ben", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jamal", "Kai", "Lena",
    "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wei", "Ximena",
    "Yusuf", "Zoe", "Amara", "Bruno", "Chloe", "Diego", "Esther", "Felix", "Gita", "Hugo", "Ivy", "Jonas",
    "Keiko", "Luis", "Maya", "Niko", "Olga", "Pablo", "Rania", "Sofia", "Theo", "Valeria", "Will", "Yara",
)
LAST_NAMES = (
    "Okafor", "Lindqvist", "Ruiz", "Petrov", "Moreau", "Haddad", "Kim", "Tanaka", "Costa", "Brown",
    "Nguyen", "Schmidt", "Garcia", "Rahman", "Cohen", "Patel", "Murphy", "Silva", "Lee", "Aziz",
    "Novak", "Rossi", "Chen", "Lopez", "Yilmaz", "Dubois", "Mensah", "Kowalski", "Santos", "Ito",
    "Fischer", "Olsen", "Bianchi", "Sato", "Walsh", "Mbeki", "Varga", "Park", "Ortiz", "Singh",
)
ORGANIZATIONS = (
    "Northwind Analytics", "Blue Harbor Health", "Civic Data Lab", "Greenfield Energy", "Lumen Media",
    "Atlas Consulting", "Riverbend Schools", "Kestrel Robotics", "Maple & Stone LLP", "Open Shelf Books",
    "Harbor City Council", "Quanta Bio", "Summit Outdoor Co.", "Brightline Transit", "Foundry Ventures",
)
TITLES = (
    "Data Analyst", "Program Manager", "Software Engineer", "Policy Advisor", "Recruiter", "Associate",
    "Director of Operations", "UX Researcher", "Teacher", "Product Manager", "Research Scientist", "Editor",
)
INDUSTRIES = ("Technology", "Healthcare", "Education", "Energy", "Media", "Government", "Law", "Finance", "")
MEETING_NOTES = (
    "Talked about how they moved from research into industry; suggested I learn SQL properly.",
    "Coffee near campus. Offered to look at my CV and to introduce me to someone on the data team.",
    "Advised me to follow the sector newsletter and to apply in the spring hiring round.",
    "Short call between meetings; said to check back after their reorganisation.",
    "Met at the careers fair stand. Interested in my thesis on transit ridership.",
    "Very generous with time. Promised to send the name of a hiring manager.",
    "",
)
TOUCH_NOTES = (
    "Sent the article on open data we discussed.",
    "Thanked them for the time and the CV advice.",
    "Shared an update on my applications.",
    "Asked whether the team is hiring this spring.",
    "They replied with two more people to contact.",
    "Short reply: good luck!",
    "",
    "",
)
#: Channels in the order a diligent student switches between them.
CHANNEL_CYCLE = ("Email", "Handwritten card", "LinkedIn", "Voicemail", "Phone call", "Email", "Video call")

CONTACT_HEADERS = [column.header for column in CONTACT_COLUMNS]
TOUCHPOINT_HEADERS = [column.header for column in TOUCHPOINT_COLUMNS]


@dataclass
class _Contact:
    """One generated person: what their Contacts row and their touchpoints must agree on."""

    name: str
    date_met: dt.date | None
    status: str | None


def tracker_path(contacts: int, touchpoints: int, seed: int = 1) -> Path:
    """Where the cached tracker of this size and seed lives."""
    return OUT_DIR / f"tracker-v{GENERATOR_VERSION}-{contacts}c-{touchpoints}t-seed{seed}.xlsx"


def ensure_tracker(contacts: int, touchpoints: int, seed: int = 1) -> Path:
    """The cached tracker of this size, generated first if it is not there yet."""
    path = tracker_path(contacts, touchpoints, seed)
    if not path.exists():
        write_tracker(path, contacts, touchpoints, seed)
    return path


def write_tracker(path: Path, contacts: int, touchpoints: int, seed: int = 1, *, student: str = "Sam Lee") -> Path:
    """Generate and save a tracker; written to a temporary name first, so the cache never holds half a file."""
    from openpyxl import Workbook

    rng = random.Random(f"{seed}-{contacts}-{touchpoints}")
    people = _people(rng, contacts)
    workbook = Workbook(write_only=True)
    start = workbook.create_sheet(START_SHEET)
    start.append(["Follow-up tracker"])
    start.append([STUDENT_LABEL, student])
    contact_sheet = workbook.create_sheet(CONTACTS_SHEET)
    contact_sheet.append(CONTACT_HEADERS)
    for row in _contact_rows(rng, people):
        contact_sheet.append(row)
    touch_sheet = workbook.create_sheet(TOUCHPOINTS_SHEET)
    touch_sheet.append(TOUCHPOINT_HEADERS)
    for row in _touchpoint_rows(rng, people, touchpoints):
        touch_sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        workbook.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _people(rng: random.Random, count: int) -> list[_Contact]:
    """Distinct names (first, middle initial, last), meeting dates spread over the year, a few closed."""
    combos = len(FIRST_NAMES) * 26 * len(LAST_NAMES)
    if count > combos * (len(LAST_NAMES) + 1):
        raise ValueError(f"at most {combos * (len(LAST_NAMES) + 1)} distinct contacts can be generated")
    people = []
    for index in rng.sample(range(combos * max(1, -(-count // combos))), count):
        cycle, rest = divmod(index, combos)
        first, rest = divmod(rest, 26 * len(LAST_NAMES))
        initial, last = divmod(rest, len(LAST_NAMES))
        # Past the first ~50,000 names, double-barrelled surnames keep every name distinct.
        surname = f"{LAST_NAMES[last]}-{LAST_NAMES[cycle - 1]}" if cycle else LAST_NAMES[last]
        name = f"{FIRST_NAMES[first]} {chr(65 + initial)}. {surname}"
        met = YEAR_START + dt.timedelta(days=rng.randrange(YEAR_DAYS)) if rng.random() < 0.85 else None
        status = rng.choices((None, "Active", "Paused", "Closed", "Do not contact"), (70, 15, 7, 6, 2))[0]
        people.append(_Contact(name, met, status))
    return people


def _contact_rows(rng: random.Random, people: list[_Contact]) -> Iterator[list[Any]]:
    names = [p.name for p in people]
    for index, person in enumerate(people):
        first = person.name.split()[0].lower()
        last = person.name.split()[-1].lower()
        organization = rng.choice(ORGANIZATIONS) if rng.random() < 0.9 else None
        met = person.date_met
        thanked = met + dt.timedelta(days=rng.choice((0, 1, 1, 2, 5))) if met and rng.random() < 0.3 else None
        agreed = met + dt.timedelta(days=rng.randrange(20, 90)) if met and rng.random() < 0.15 else None
        referrer = names[rng.randrange(index)] if index and rng.random() < 0.12 else None
        row = {
            "name": person.name,
            "organization": organization,
            "title": rng.choice(TITLES) if rng.random() < 0.8 else None,
            "industry": rng.choice(INDUSTRIES) or None,
            "email": f"{first}.{last}@example.org" if rng.random() < 0.7 else None,
            "phone": f"0{rng.randrange(10**9, 10**10)}" if rng.random() < 0.3 else None,
            "linkedin": f"https://www.linkedin.com/in/{first}-{last}-{index}" if rng.random() < 0.5 else None,
            "best_way": rng.choice(LISTS["channel"]) if rng.random() < 0.2 else None,
            "how_met": rng.choice(LISTS["how_met"]) if met else rng.choice(("Cold outreach", None)),
            "referred_by": referrer,
            "date_met": _date_cell(rng, met),
            "thank_you_sent": thanked,
            "agreed_next": agreed,
            "status": person.status,
            "notes": rng.choice(MEETING_NOTES) or None,
        }
        # Columns the generator does not fill (the two formula columns, any added later) stay blank.
        yield [row.get(column.key) for column in CONTACT_COLUMNS]


def _touchpoint_rows(rng: random.Random, people: list[_Contact], count: int) -> Iterator[list[Any]]:
    """``count`` touchpoints in date order: each contact's history, then trimmed or topped up to size."""
    rows: list[tuple[dt.date, list[Any]]] = []
    for person in people:
        rows.extend(_history(rng, person))
    rng.shuffle(rows)
    while len(rows) < count:
        person = people[rng.randrange(len(people))]
        rows.extend(_history(rng, person, thank=False))
    del rows[count:]
    rows.sort(key=lambda entry: entry[0])
    for _, row in rows:
        yield row


def _history(rng: random.Random, person: _Contact, thank: bool = True) -> list[tuple[dt.date, list[Any]]]:
    """One contact's touchpoints: a thank-you, follow-ups in rotating channels, their replies."""
    start = person.date_met or YEAR_START + dt.timedelta(days=rng.randrange(YEAR_DAYS))
    day = start + dt.timedelta(days=rng.choice((0, 1, 1, 1, 2, 4)))
    sends = rng.choice((1, 2, 2, 3, 4, 5, 6))
    channel_at = rng.randrange(len(CHANNEL_CYCLE))
    history = []
    for number in range(sends):
        if day > YEAR_START + dt.timedelta(days=YEAR_DAYS):
            break
        purpose = "Thank-you" if number == 0 and thank and person.date_met else rng.choice(LISTS["purpose"])
        channel = CHANNEL_CYCLE[(channel_at + number) % len(CHANNEL_CYCLE)]
        replied = rng.random() < 0.45
        reply_on = day + dt.timedelta(days=rng.choice((0, 1, 2, 3, 6, 12))) if replied else None
        got_reply = ("Yes" if replied else rng.choice(("No", None))) if rng.random() < 0.6 else None
        history.append((day, _touchpoint_row({
            "date": _date_cell(rng, day),
            "contact": _contact_cell(rng, person.name),
            "channel": channel if rng.random() < 0.95 else None,
            "direction": "Sent" if rng.random() < 0.98 else None,
            "purpose": purpose if rng.random() < 0.9 else None,
            "got_reply": got_reply,
            "reply_date": reply_on if got_reply == "Yes" and rng.random() < 0.5 else None,
            "reply_quality": rng.choice(("Brief", "Warm", None)) if replied else None,
            "notes": rng.choice(TOUCH_NOTES) or None,
        })))
        if reply_on is not None and rng.random() < 0.7:
            history.append((reply_on, _touchpoint_row({
                "date": reply_on,
                "contact": person.name,
                "channel": channel,
                "direction": "Received",
                "purpose": rng.choice(("Follow-up", "Update", "Question", None)),
                "reply_quality": rng.choice(("Brief", "Warm", None)),
                "notes": rng.choice(TOUCH_NOTES) or None,
            })))
        day = day + dt.timedelta(days=rng.choice((7, 10, 14, 14, 21, 30, 45, 90)))
    return history


def _touchpoint_row(cells: dict[str, Any]) -> list[Any]:
    """A Touchpoints row in the contract's column order; columns not given stay blank."""
    return [cells.get(column.key) for column in TOUCHPOINT_COLUMNS]


def _date_cell(rng: random.Random, day: dt.date | None) -> Any:
    """Mostly a real date; now and then typed as text, the way people do."""
    if day is None or rng.random() >= 0.02:
        return day
    return rng.choice((day.isoformat(), day.strftime("%b %d, %Y"), day.strftime("%d %B %Y")))


def _contact_cell(rng: random.Random, name: str) -> str:
    """The contact's name, rarely with a slip: extra spaces, other case, or a dropped letter."""
    slip = rng.random()
    if slip < 0.003:
        return f" {name.upper()} "
    if slip < 0.0035:
        cut = rng.randrange(1, len(name) - 1)
        return name[:cut] + name[cut + 1:]
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate (or find cached) benchmark trackers.")
    parser.add_argument("contacts", type=int)
    parser.add_argument("touchpoints", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(ensure_tracker(args.contacts, args.touchpoints, args.seed))


if __name__ == "__main__":
    main()
