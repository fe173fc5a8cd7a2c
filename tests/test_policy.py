"""The follow-up engine, rule by rule, on small hand-computed trackers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from builders import contact, touch, write_tracker
from sheetkit.config import Config, Policy
from sheetkit.report import build_report

D = dt.date
AS_OF = D(2026, 11, 22)


def run(tmp_path: Path, contacts: list[dict[str, Any]], touches: list[dict[str, Any]] = (),
        as_of: dt.date = AS_OF, policy: Policy | None = None) -> dict[str, Any]:
    path = write_tracker(tmp_path / "t.xlsx", contacts, touches)
    config = Config(policy=policy or Policy())
    return build_report(path, config, as_of).to_json()


def due(report: dict[str, Any], name: str) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["due"], f["state"]) for f in report["followups"] if f["contact"] == name]


def test_thank_you_due_the_day_after_the_meeting(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 20), how_met="Informational interview")])
    [item] = report["followups"]
    assert (item["rule"], item["due"], item["state"], item["days_overdue"]) == ("thank-you", "2026-11-21", "overdue", 1)
    assert item["why"] == "Met 2026-11-20 at an informational interview; no thank-you yet"


def test_due_today_is_upcoming_not_overdue(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 21))])
    assert due(report, "Ann") == [("thank-you", "2026-11-22", "upcoming")]
    assert report["followups"][0]["days_overdue"] == 0


def test_upcoming_window_ends_fourteen_days_out(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("In", date_met=D(2026, 12, 5)), contact("Out", date_met=D(2026, 12, 6))])
    assert due(report, "In") == [("thank-you", "2026-12-06", "upcoming")]
    assert due(report, "Out") == [("thank-you", "2026-12-07", "later")]


def test_thank_you_from_column_or_touchpoint_then_first_follow_up(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Col", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 2)),
         contact("Tp", date_met=D(2026, 11, 1))],
        [touch(D(2026, 11, 3), "Tp", purpose="Thank-you", channel="Email")],
    )
    assert due(report, "Col") == [("first-follow-up", "2026-11-16", "overdue")]
    assert due(report, "Tp") == [("first-follow-up", "2026-11-17", "overdue")]
    tp = next(f for f in report["followups"] if f["contact"] == "Tp")
    assert tp["suggested_channel"] != "Email"


def test_thank_you_before_the_meeting_does_not_count(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 10))],
                 [touch(D(2026, 11, 9), "Ann", purpose="Thank-you")])
    # Spacing holds the thank-you until 7 days after the last message.
    assert due(report, "Ann") == [("thank-you", "2026-11-16", "overdue")]


def test_second_follow_up_and_a_third_channel(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 9, 1))],
        [touch(D(2026, 9, 1), "Ann", purpose="Thank-you", channel="Email"),
         touch(D(2026, 9, 15), "Ann", purpose="Follow-up", channel="Handwritten card")],
    )
    assert due(report, "Ann") == [("second-follow-up", "2026-10-13", "overdue")]
    assert report["followups"][0]["suggested_channel"] not in {"Email", "Handwritten card"}


def test_keep_in_touch_after_the_cadence(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 6, 1))],
        [touch(D(2026, 6, 1), "Ann", purpose="Thank-you"), touch(D(2026, 6, 10), "Ann"),
         touch(D(2026, 6, 12), "Ann", direction="Received"), touch(D(2026, 7, 1), "Ann", channel="LinkedIn")],
    )
    assert due(report, "Ann") == [("keep-in-touch", "2026-10-29", "overdue")]
    assert report["followups"][0]["suggested_channel"] != "LinkedIn"


def test_contact_without_meeting_is_on_keep_in_touch_only(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Cold"), contact("Written")], [touch(D(2026, 8, 1), "Written")])
    assert due(report, "Cold") == []
    assert due(report, "Written") == [("keep-in-touch", "2026-11-29", "upcoming")]


def test_spacing_pushes_a_cadence_date(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 2))],
        [touch(D(2026, 11, 1), "Ann", purpose="Question")],
    )
    # First follow-up due 11-16; the 11-01 message is before the thank-you, so no spacing change.
    assert due(report, "Ann") == [("first-follow-up", "2026-11-16", "overdue")]
    report = run(
        tmp_path,
        [contact("Bea", date_met=D(2026, 11, 18))],
        [touch(D(2026, 11, 18), "Bea", purpose="Question")],
    )
    assert due(report, "Bea") == [("thank-you", "2026-11-25", "upcoming")]
    assert "held until 7 days" in report["followups"][0]["why"]


def test_agreed_date_earlier_than_cadence_wins(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 11, 10), thank_you_sent=D(2026, 11, 10), agreed_next=D(2026, 11, 20))],
    )
    assert due(report, "Ann") == [("agreed-date", "2026-11-20", "overdue")]


def test_agreed_date_later_than_cadence_is_listed_too(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 11, 10), thank_you_sent=D(2026, 11, 10), agreed_next=D(2026, 12, 20))],
    )
    assert due(report, "Ann") == [("first-follow-up", "2026-11-24", "upcoming"), ("agreed-date", "2026-12-20", "later")]
    assert report["contacts"][0]["next_due"] == "2026-11-24"


def test_agreed_date_satisfied_by_a_touch_in_either_direction(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 1), agreed_next=D(2026, 11, 10))],
        [touch(D(2026, 11, 12), "Ann", direction="Received")],
    )
    assert [r for r, _, _ in due(report, "Ann")] == ["first-follow-up"]


def test_referrer_update_lands_on_the_referrer(tmp_path: Path) -> None:
    contacts = [
        contact("Ria Referrer", date_met=D(2026, 8, 1), thank_you_sent=D(2026, 8, 1)),
        contact("Ned New", date_met=D(2026, 11, 5), thank_you_sent=D(2026, 11, 5), referred_by="ria referrer "),
    ]
    touches = [touch(D(2026, 8, 10), "Ria Referrer"), touch(D(2026, 9, 20), "Ria Referrer")]
    report = run(tmp_path, contacts, touches)
    updates = [f for f in report["followups"] if f["rule"] == "referrer-update"]
    assert [(f["contact"], f["due"], f["state"]) for f in updates] == [("Ria Referrer", "2026-11-12", "overdue")]
    assert "Ned New" in updates[0]["why"]
    assert report["stats"]["referral_tree"] == {"Ria Referrer": ["Ned New"]}
    # Any outgoing touch to the referrer on or after the meeting satisfies it.
    touches.append(touch(D(2026, 11, 6), "Ria Referrer", purpose="Referral update"))
    report = run(tmp_path, contacts, touches)
    assert not [f for f in report["followups"] if f["rule"] == "referrer-update"]


@pytest.mark.parametrize("status", ["Paused", "Closed", "Do not contact"])
def test_closed_statuses_have_nothing_due(tmp_path: Path, status: str) -> None:
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1), status=status, agreed_next=D(2026, 11, 5))])
    assert report["followups"] == []
    assert report["contacts"][0]["status"] == status


def test_cool_off_doubles_keep_in_touch_after_three_unanswered(tmp_path: Path) -> None:
    touches = [touch(D(2026, 3, 1), "Ann", purpose="Thank-you"), touch(D(2026, 3, 15), "Ann"),
               touch(D(2026, 4, 20), "Ann")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 3, 1))], touches)
    [item] = report["followups"]
    assert (item["rule"], item["due"]) == ("keep-in-touch", "2026-12-16")  # 240 days after 04-20
    assert "cooling off" in item["why"]
    assert report["stats"]["gone_quiet"] == 1
    assert report["contacts"][0]["warmth"] == "Curmudgeon"


def test_brief_replies_also_cool_off(tmp_path: Path) -> None:
    touches = [touch(D(2026, 3, 1), "Ann", purpose="Thank-you", got_reply="Yes", reply_quality="Brief",
                     reply_date=D(2026, 3, 2)),
               touch(D(2026, 3, 15), "Ann"), touch(D(2026, 4, 20), "Ann")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 3, 1))], touches)
    assert due(report, "Ann") == [("keep-in-touch", "2026-12-16", "later")]
    assert report["contacts"][0]["warmth"] == "Obligate"


def test_business_days(tmp_path: Path) -> None:
    policy = replace(Policy(), business_days=True, holidays=(D(2026, 11, 23),))
    # Met Friday 2026-11-20: thank-you due the next business day, skipping the weekend and Monday's holiday.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 20))], policy=policy)
    assert due(report, "Ann") == [("thank-you", "2026-11-24", "upcoming")]


def test_intervals_are_configurable(tmp_path: Path) -> None:
    policy = replace(Policy(), first_follow_up_days=10)
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 1))], policy=policy)
    assert due(report, "Ann") == [("first-follow-up", "2026-11-11", "overdue")]
    assert report["policy"]["first_follow_up_days"] == 10


def test_followups_sorted_most_overdue_first(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Recent", date_met=D(2026, 11, 19)), contact("Old", date_met=D(2026, 11, 2)),
                            contact("Soon", date_met=D(2026, 11, 25))])
    assert [f["contact"] for f in report["followups"]] == ["Old", "Recent", "Soon"]
