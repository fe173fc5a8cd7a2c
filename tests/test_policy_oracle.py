"""The engine against the reference policy (tests/reference_policy.py) on random small trackers.

Each example is a tracker of a few contacts with a few touchpoints each, dates
within five months of a fixed as-of day. It is written to .xlsx and run through
``build_report``; the same rows, as plain dataclasses, go to the reference.
For every contact the next step (the earliest follow-up of any state) must
agree: rule, due date, the other rules it settles (``also``) and the suggested
channel.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sheetkit
from builders import contact, touch, write_tracker
from reference_policy import Person, Touch, next_steps
from sheetkit.config import Config, Policy
from sheetkit.report import build_report
from sheetkit.spec import LISTS, OFFER_LABEL, RULES

D = dt.date
AS_OF = D(2026, 11, 20)  # a Friday: weekends fall on both sides of it
NAMES = ("Ann Lee", "Ben Ode", "Cara Diaz", "Dev Rao")
HOLIDAYS = (D(2026, 11, 26), D(2026, 11, 27), D(2026, 12, 25), D(2026, 10, 12))

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _maybe(strategy: st.SearchStrategy[Any], blank_weight: int = 1) -> st.SearchStrategy[Any]:
    """``None`` about ``blank_weight`` times in ``blank_weight + 1``."""
    return st.one_of(*([st.none()] * blank_weight), strategy)


def _day(low: int, high: int) -> st.SearchStrategy[dt.date]:
    return st.integers(low, high).map(lambda n: AS_OF + dt.timedelta(days=n))


@st.composite
def people(draw: st.DrawFn) -> list[Person]:
    names = NAMES[: draw(st.integers(1, len(NAMES)))]
    found = []
    for name in names:
        first = name.split()[0].lower()
        met = draw(_maybe(_day(-150, 0)))
        thanked = None
        if met is not None:
            after = draw(_maybe(st.integers(0, 4), 2))
            thanked = None if after is None else min(met + dt.timedelta(days=after), AS_OF)
        others = [n for n in names if n != name]
        found.append(Person(
            name=name,
            email=draw(st.sampled_from([f"{first}@example.org", f"{first}@example.org", None])),
            phone=draw(st.sampled_from(["+1 555 0100", None])),
            linkedin=draw(st.sampled_from([f"https://www.linkedin.com/in/{first}", None])),
            best_way=draw(_maybe(st.sampled_from(LISTS["channel"]), 5)),
            how_met=draw(_maybe(st.sampled_from(LISTS["how_met"]))),
            referred_by=draw(_maybe(st.sampled_from(others), 2)) if others else None,
            date_met=met,
            thank_you_sent=thanked,
            agreed_next=draw(_maybe(_day(-40, 40), 2)),
            status=draw(st.sampled_from([None, None, None, None, "Active", "Paused", "Closed", "Do not contact"])),
        ))
    return found


@st.composite
def touches(draw: st.DrawFn, names: list[str]) -> list[Touch]:
    found = []
    for name in names:
        for _ in range(draw(st.integers(0, 4))):
            date = draw(st.one_of(_day(-150, 0), _day(-30, 0), _day(1, 5)))
            direction = draw(st.sampled_from(["Sent", "Sent", "Received"]))
            got_reply = reply_date = quality = None
            if direction == "Sent":
                got_reply = draw(st.sampled_from([None, "Yes", "No"]))
                if got_reply == "Yes":
                    late = draw(_maybe(st.integers(-2, 10)))
                    reply_date = None if late is None else date + dt.timedelta(days=late)
                    quality = draw(_maybe(st.sampled_from(LISTS["reply_quality"])))
            found.append(Touch(
                date=date,
                contact=name,
                direction=direction,
                channel=draw(_maybe(st.sampled_from(LISTS["channel"]), 0)),
                purpose=draw(_maybe(st.sampled_from(LISTS["purpose"]), 0)),
                got_reply=got_reply,
                reply_date=reply_date,
                reply_quality=quality,
            ))
    # Rows in the order a student might type them: mostly by date, contacts interleaved.
    jitter = [draw(st.integers(0, 3)) for _ in found]
    return [t for _, _, t in sorted(zip((t.date for t in found), jitter, found), key=lambda x: x[:2])]


@st.composite
def trackers(draw: st.DrawFn) -> tuple[list[Person], list[Touch], Policy, dt.date | None]:
    contacts = draw(people())
    rows = draw(touches([p.name for p in contacts]))
    policy = Policy()
    if draw(st.booleans()):
        policy = replace(policy, business_days=True, holidays=tuple(sorted(draw(st.sets(st.sampled_from(HOLIDAYS))))))
    offer = draw(_maybe(_day(-20, 0), 3))
    return contacts, rows, policy, offer


def _write(path: Path, contacts: list[Person], rows: list[Touch], offer: dt.date | None) -> Path:
    """The tracker as a student's workbook, with Start Here's Offer accepted on when there is one."""
    write_tracker(
        path,
        [contact(**{k: v for k, v in asdict(p).items() if v is not None}) for p in contacts],
        [touch(t.date, t.contact, t.direction, **{k: v for k, v in asdict(t).items()
                                                  if v is not None and k not in ("date", "contact", "direction")})
         for t in rows],
        student="Sam Student",
    )
    if offer is not None:
        workbook = openpyxl.load_workbook(path)
        workbook["Start Here"].append([OFFER_LABEL, offer])
        workbook.save(path)
    return path


Step = tuple[str, str, tuple[str, ...], str]


def engine_steps(report: dict[str, Any]) -> dict[str, Step]:
    """Per contact, the earliest follow-up of the engine's report (ties by rule-table order)."""
    earliest: dict[str, dict[str, Any]] = {}
    for item in report["followups"]:
        best = earliest.get(item["contact"])
        if best is None or (item["due"], RULES.index(item["rule"])) < (best["due"], RULES.index(best["rule"])):
            earliest[item["contact"]] = item
    return {
        name: (item["rule"], item["due"], tuple(sorted(set(item.get("also", ())) - {item["rule"]})),
               item["suggested_channel"] or "")
        for name, item in earliest.items()
    }


def reference_steps(contacts: list[Person], rows: list[Touch], policy: Policy, offer: dt.date | None) -> dict[str, Step]:
    return {
        name: (step.rule, step.due.isoformat(), step.also, step.channel)
        for name, step in next_steps(contacts, rows, policy, AS_OF, offer).items()
    }


def _describe(contacts: list[Person], rows: list[Touch], policy: Policy, offer: dt.date | None) -> str:
    holidays = [d.isoformat() for d in policy.holidays]
    lines = [f"as of {AS_OF} ({AS_OF:%a}); offer accepted on {offer}; business_days={policy.business_days} {holidays=}"]
    for p in contacts:
        lines.append("  contact " + ", ".join(f"{k}={v}" for k, v in asdict(p).items() if v is not None))
    for t in rows:
        lines.append("  touch " + ", ".join(f"{k}={v}" for k, v in asdict(t).items() if v is not None))
    return "\n".join(lines)


@SETTINGS
@given(trackers())
def test_engine_agrees_with_the_reference_on_every_next_step(
        case: tuple[list[Person], list[Touch], Policy, dt.date | None]) -> None:
    contacts, rows, policy, offer = case
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder) / "tracker.xlsx", contacts, rows, offer)
        report = build_report(path, Config(policy=policy), AS_OF).to_json()
    engine, reference = engine_steps(report), reference_steps(contacts, rows, policy, offer)
    differences = [
        f"  {name}: engine {engine.get(name)} / reference {reference.get(name)}"
        for name in sorted(set(engine) | set(reference)) if engine.get(name) != reference.get(name)
    ]
    assert not differences, (f"next steps differ (engine from {sheetkit.__file__}):\n" + "\n".join(differences)
                             + "\n" + _describe(contacts, rows, policy, offer))


def test_the_workbook_written_is_the_tracker_given() -> None:
    """The comparison is only as good as the writing: one hand-made tracker read back as typed."""
    contacts = [Person("Ann Lee", email="ann@example.org", date_met=D(2026, 11, 2), status="Paused",
                       agreed_next=D(2026, 12, 1))]
    rows = [Touch(D(2026, 11, 3), "Ann Lee", channel="Email", purpose="Thank-you", got_reply="Yes",
                  reply_date=D(2026, 11, 4), reply_quality="Warm")]
    with tempfile.TemporaryDirectory() as folder:
        path = _write(Path(folder) / "tracker.xlsx", contacts, rows, D(2026, 11, 10))
        workbook = openpyxl.load_workbook(path)
        assert [c.value for c in workbook["Start Here"][2]][:2] == [OFFER_LABEL, dt.datetime(2026, 11, 10)]
        report = build_report(path, Config(), AS_OF).to_json()
    [ann] = report["contacts"]
    assert (ann["name"], ann["status"], ann["date_met"], ann["sent"], ann["replies"]) == (
        "Ann Lee", "Paused", "2026-11-02", 1, 1)
