"""The follow-up engine, rule by rule, on small hand-computed trackers."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from builders import contact, touch, write_tracker
from sheetkit.config import Config, Policy
from sheetkit.policy import run_policy
from sheetkit.reading import read_tracker
from sheetkit.report import Report, build_report, summary_line
from sheetkit.rules import rule_timing
from sheetkit.stats import compute_stats

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
    # An update expects no answer, so it is not a request to nudge: keep in touch, 120 days after 08-01.
    report = run(tmp_path, [contact("Cold"), contact("Written")], [touch(D(2026, 8, 1), "Written", purpose="Update")])
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


def test_agreed_date_later_than_cadence_wins_too(tmp_path: Path) -> None:
    # Issue 12.2: the first follow-up (11-24) waits for the date the contact named.
    report = run(
        tmp_path,
        [contact("Ann", date_met=D(2026, 11, 10), thank_you_sent=D(2026, 11, 10), agreed_next=D(2026, 12, 20))],
    )
    assert due(report, "Ann") == [("agreed-date", "2026-12-20", "later")]
    assert report["contacts"][0]["next_due"] == "2026-12-20"


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


@pytest.mark.parametrize("status", ["Closed", "Do not contact"])
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


# ---- issue 12: one next step, the named date, usable channels, dates that cannot be right ----------


def run_with(tmp_path: Path, contacts: list[dict[str, Any]], touches: list[dict[str, Any]] = (),
             as_of: dt.date = AS_OF, policy: Policy | None = None, offer: dt.date | None = None) -> Report:
    """A report with Start Here's "Offer accepted on" set on the tracker directly."""
    path = write_tracker(tmp_path / "t.xlsx", contacts, touches)
    config = Config(policy=policy or Policy())
    tracker = read_tracker(path, config)
    tracker.offer_accepted_on = offer
    engine = run_policy(tracker, config.policy, as_of)
    return Report(source=path, as_of=as_of, config=config, tracker=tracker, engine=engine,
                  stats=compute_stats(engine))


def item(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [f for f in report["followups"] if f["contact"] == name]
    return found


def test_referrer_update_and_keep_in_touch_are_one_message(tmp_path: Path) -> None:
    # Ria: thanked 06-01, follow-ups 06-10 and 07-01, so keep in touch is due 07-01 + 120 = 10-29;
    # Ned, whom she referred, was met 11-05: the update is due 11-12. One row: the earlier, with the other in also.
    contacts = [contact("Ria Referrer", date_met=D(2026, 6, 1), thank_you_sent=D(2026, 6, 1), email="r@x.org"),
                contact("Ned New", date_met=D(2026, 11, 5), thank_you_sent=D(2026, 11, 5), referred_by="Ria Referrer")]
    touches = [touch(D(2026, 6, 10), "Ria Referrer", got_reply="Yes"), touch(D(2026, 7, 1), "Ria Referrer")]
    report = run(tmp_path, contacts, touches)
    ria = item(report, "Ria Referrer")
    assert (ria["rule"], ria["due"], ria["also"]) == ("keep-in-touch", "2026-10-29", ["referrer-update"])
    assert "Ned New" in ria["why"]


def test_thank_you_is_due_while_an_agreed_date_waits(tmp_path: Path) -> None:
    # Met 11-20, agreed to talk again 12-10: the thank-you (11-21) is the next step; the agreed date is not settled by it.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 20), agreed_next=D(2026, 12, 10), email="a@x.org")])
    assert due(report, "Ann") == [("thank-you", "2026-11-21", "overdue")]
    assert item(report, "Ann")["also"] == []


def test_cadence_counts_from_the_touch_that_met_the_agreed_date(tmp_path: Path) -> None:
    # Thanked 11-01; they named 11-05 and wrote on 11-06: the first follow-up is 14 days after 11-06, not 11-01.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 1),
                                    agreed_next=D(2026, 11, 5))],
                 [touch(D(2026, 11, 6), "Ann", direction="Received", purpose="Update")])
    assert due(report, "Ann") == [("first-follow-up", "2026-11-20", "overdue")]


@pytest.mark.parametrize(("details", "channel"), [
    ({"linkedin": "https://www.linkedin.com/in/ann"}, "LinkedIn"),
    ({"phone": "555 0100"}, "Voicemail"),  # card -> email -> voicemail -> LinkedIn -> call: after email, voicemail
    ({"email": "ann@x.org", "phone": "555 0100"}, "Voicemail"),  # thanked by email: switch it up
    ({}, None),
    ({"email": "ann@x.org", "best_way": "Text message"}, "Text message"),  # Best way to reach always wins
])
def test_suggested_channel_is_one_the_student_can_use(tmp_path: Path, details: dict[str, str],
                                                       channel: str | None) -> None:
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1), **details)],
                 [touch(D(2026, 11, 2), "Ann", channel="Email", purpose="Thank-you")])
    ann = item(report, "Ann")
    assert (ann["rule"], ann["suggested_channel"]) == ("first-follow-up", channel)
    if channel is None:
        assert ann["why"].endswith("add an email address, phone number or LinkedIn profile to reach them")


def test_no_card_for_an_agreed_date(tmp_path: Path) -> None:
    # Met and thanked by email; the agreed date suits no card, and email was the last channel, but it is the only one.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1), email="a@x.org", agreed_next=D(2026, 11, 20))],
                 [touch(D(2026, 11, 1), "Ann", channel="Email", purpose="Thank-you")])
    assert (item(report, "Ann")["rule"], item(report, "Ann")["suggested_channel"]) == ("agreed-date", "Email")


def test_dates_after_as_of_count_for_nothing_and_are_flagged(tmp_path: Path) -> None:
    # A thank-you dated 12-01, after the report's day (11-22): a warning at its cell, and the thank-you is still due.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 20))],
                 [touch(D(2026, 12, 1), "Ann", purpose="Thank-you")])
    assert due(report, "Ann") == [("thank-you", "2026-11-21", "overdue")]
    assert {"severity": "warning", "sheet": "Touchpoints", "cell": "A2"} == {
        k: v for k, v in report["problems"][0].items() if k != "message"}
    assert report["stats"]["sent"] == 0


def test_reply_dates_that_cannot_be_right(tmp_path: Path) -> None:
    touches = [touch(D(2026, 11, 10), "Ann", got_reply="Yes", reply_date=D(2026, 11, 9)),
               touch(D(2026, 11, 12), "Ann", got_reply="Yes", reply_date=D(2027, 1, 5))]
    report = run(tmp_path, [contact("Ann")], touches)
    problems = {(p["severity"], p["cell"]) for p in report["problems"]}
    assert problems == {("error", "G2"), ("warning", "G3")}
    # Neither counts as a reply: one is dated before its message, the other has not happened yet.
    assert (report["stats"]["replied"], report["stats"]["sent"]) == (0, 2)


def test_meeting_more_than_a_year_ahead_is_an_error(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Ann", date_met=D(2027, 12, 1)), contact("Bo", date_met=D(2027, 11, 1))])
    assert [(p["severity"], p["cell"]) for p in report["problems"]] == [("error", "K2")]
    assert due(report, "Ann") == []
    assert due(report, "Bo") == [("thank-you", "2027-11-02", "later")]


def test_summary_line_uses_the_policy_window(tmp_path: Path) -> None:
    policy = replace(Policy(), upcoming_days=3)
    report = run_with(tmp_path, [contact("Ann", date_met=D(2026, 11, 10)), contact("Bo", date_met=D(2026, 11, 23)),
                                 contact("Cy", date_met=D(2026, 11, 30))], policy=policy)
    assert summary_line(report) == "1 overdue, 1 due in the next 3 days, response rate — (0 of 0 sent)"
    assert rule_timing("thank-you", replace(Policy(), thank_you_days=2)) == "within 2 days of the meeting"


# ---- issue 16: reading the relationship ---------------------------------------------------------


def test_their_question_puts_a_reply_due_the_next_day_in_their_channel(tmp_path: Path) -> None:
    # Hannah (agreed 11-10) asked on 11-03 by email. Her question does not meet the agreed date: the reply (11-04)
    # is the next step, and sending it today (after 11-10) also keeps the agreed date.
    contacts = [contact("Hannah Lee", date_met=D(2026, 10, 20), thank_you_sent=D(2026, 10, 21),
                        agreed_next=D(2026, 11, 10), email="h@x.org", linkedin="https://linkedin.com/in/h")]
    touches = [touch(D(2026, 11, 2), "Hannah Lee", channel="LinkedIn", purpose="Update"),
               touch(D(2026, 11, 3), "Hannah Lee", direction="Received", channel="Email", purpose="Question")]
    report = run(tmp_path, contacts, touches)
    hannah = item(report, "Hannah Lee")
    assert (hannah["rule"], hannah["due"], hannah["suggested_channel"]) == ("reply", "2026-11-04", "Email")
    assert hannah["also"] == ["agreed-date"]
    # Any later message of yours settles it. Sent 8 days after her question it is no mere answer but the second
    # follow-up (the 11-02 update was the first), and it met the agreed date: keep in touch 120 days after it.
    touches.append(touch(D(2026, 11, 11), "Hannah Lee", channel="Email", purpose="Other"))
    report = run(tmp_path, contacts, touches)
    assert due(report, "Hannah Lee") == [("keep-in-touch", "2027-03-11", "later")]


def test_a_reply_goes_in_the_first_channel_they_asked_in_that_can_carry_it(tmp_path: Path) -> None:
    # Ivo asked on Tuesday 11-17 by card (a card cannot carry a reply), then by email: answer by email, due
    # the day after the first question (11-18), not by the rotation's voicemail.
    contacts = [contact("Ivo Petrov", email="i@x.org", phone="+1 555 0100")]
    touches = [touch(D(2026, 11, 16), "Ivo Petrov", channel="Email", purpose="Other"),
               touch(D(2026, 11, 17), "Ivo Petrov", direction="Received", channel="Handwritten card", purpose="Question"),
               touch(D(2026, 11, 18), "Ivo Petrov", direction="Received", channel="Email", purpose="Question")]
    ivo = item(run(tmp_path, contacts, touches), "Ivo Petrov")
    assert (ivo["rule"], ivo["due"], ivo["suggested_channel"]) == ("reply", "2026-11-18", "Email")


def test_thanks_said_in_person_is_not_the_note(tmp_path: Path) -> None:
    contacts = [contact("Ann", date_met=D(2026, 11, 20), email="a@x.org")]
    report = run(tmp_path, contacts, [touch(D(2026, 11, 20), "Ann", channel="In person", purpose="Thank-you")])
    # Not held by spacing either: thanks at the meeting is not a message.
    assert due(report, "Ann") == [("thank-you", "2026-11-21", "overdue")]
    report = run(tmp_path, contacts, [touch(D(2026, 11, 20), "Ann", channel="Voicemail", purpose="Thank-you")])
    assert due(report, "Ann") == [("first-follow-up", "2026-12-04", "upcoming")]


def test_second_meeting_gets_its_own_thank_you(tmp_path: Path) -> None:
    touches = [touch(D(2026, 10, 1), "Ann", purpose="Thank-you"),
               touch(D(2026, 11, 18), "Ann", channel="Video call", purpose="Meeting")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 10, 1))], touches)
    assert due(report, "Ann") == [("thank-you", "2026-11-19", "overdue")]
    assert item(report, "Ann")["why"].startswith("Met again 2026-11-18")


def test_unanswered_request_gets_a_nudge_in_another_form_then_rests(tmp_path: Path) -> None:
    contacts = [contact("Cold Contact", email="c@x.org", linkedin="https://linkedin.com/in/c")]
    touches = [touch(D(2026, 11, 10), "Cold Contact", channel="Email", purpose="Meeting request")]
    report = run_with(tmp_path, contacts, touches).to_json()
    cold = item(report, "Cold Contact")
    assert (cold["rule"], cold["due"], cold["suggested_channel"]) == ("nudge", "2026-11-17", "LinkedIn")
    touches.append(touch(D(2026, 11, 17), "Cold Contact", channel="LinkedIn", purpose="Follow-up"))
    report = run_with(tmp_path, contacts, touches).to_json()
    assert due(report, "Cold Contact") == []
    assert "let it rest" in report["advice"][0]["advice"]


def test_warm_answer_from_someone_not_met_is_thanked_within_a_day(tmp_path: Path) -> None:
    touches = [touch(D(2026, 11, 10), "Ann", channel="Email", purpose="Question"),
               touch(D(2026, 11, 18), "Ann", direction="Received", channel="Email", reply_quality="Warm")]
    report = run(tmp_path, [contact("Ann", email="a@x.org")], touches)
    assert due(report, "Ann") == [("thank-you", "2026-11-19", "overdue")]


def test_job_interview_thank_you_by_email_then_status_check_a_week_later(tmp_path: Path) -> None:
    contacts = [contact("Iris Hiring", how_met="Job interview", date_met=D(2026, 11, 16), email="i@x.org",
                        phone="555 0100")]
    report = run(tmp_path, contacts)
    iris = item(report, "Iris Hiring")
    assert (iris["rule"], iris["due"], iris["suggested_channel"]) == ("thank-you", "2026-11-17", "Email")
    report = run(tmp_path, contacts, [touch(D(2026, 11, 16), "Iris Hiring", channel="Email", purpose="Thank-you")])
    iris = item(report, "Iris Hiring")
    # 7 days after the thank-you, by email or phone (not the thank-you's email again).
    assert (iris["rule"], iris["due"], iris["suggested_channel"]) == ("first-follow-up", "2026-11-23", "Phone call")
    assert "status of the role" in iris["why"]


def test_answering_their_message_is_not_the_first_follow_up(tmp_path: Path) -> None:
    touches = [touch(D(2026, 11, 2), "Ann", purpose="Thank-you"),
               touch(D(2026, 11, 3), "Ann", direction="Received"),
               touch(D(2026, 11, 4), "Ann", purpose="Other")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1))], touches)
    assert due(report, "Ann") == [("first-follow-up", "2026-11-16", "overdue")]


def test_after_a_brief_reply_skip_the_second_follow_up(tmp_path: Path) -> None:
    touches = [touch(D(2026, 9, 1), "Ann", purpose="Thank-you"),
               touch(D(2026, 9, 15), "Ann", got_reply="Yes", reply_date=D(2026, 9, 16), reply_quality="Brief")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 9, 1))], touches)
    # Cooled keep-in-touch: 240 days after 09-15.
    assert due(report, "Ann") == [("keep-in-touch", "2027-05-13", "later")]


def test_warm_contact_every_sixty_days_and_updates_do_not_cool_it(tmp_path: Path) -> None:
    touches = [touch(D(2026, 6, 1), "Ann", purpose="Thank-you"),
               touch(D(2026, 6, 10), "Ann", purpose="Follow-up", got_reply="Yes", reply_quality="Warm"),
               touch(D(2026, 7, 10), "Ann", purpose="Follow-up", got_reply="Yes", reply_quality="Warm"),
               touch(D(2026, 8, 1), "Ann", purpose="Update"), touch(D(2026, 8, 20), "Ann", purpose="Update"),
               touch(D(2026, 9, 10), "Ann", purpose="Article or resource")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 6, 1))], touches)
    assert due(report, "Ann") == [("keep-in-touch", "2026-11-09", "overdue")]  # 60 days after 09-10
    assert "cooling" not in item(report, "Ann")["why"]


def test_four_unanswered_in_a_row_stops_and_suggests_closed_or_paused(tmp_path: Path) -> None:
    touches = [touch(D(2026, 6, 2), "Ann", purpose="Thank-you"), touch(D(2026, 6, 20), "Ann"),
               touch(D(2026, 7, 20), "Ann"), touch(D(2026, 8, 20), "Ann")]
    report = run_with(tmp_path, [contact("Ann", date_met=D(2026, 6, 1))], touches).to_json()
    assert report["followups"] == []
    [advice] = report["advice"]
    assert (advice["contact"], advice["contact_row"]) == ("Ann", 2)
    assert "Paused" in advice["advice"] and "Closed" in advice["advice"]


def test_more_than_two_unanswered_within_a_week_is_badgering(tmp_path: Path) -> None:
    touches = [touch(D(2026, 11, 10), "Ann"), touch(D(2026, 11, 12), "Ann"), touch(D(2026, 11, 16), "Ann"),
               touch(D(2026, 11, 10), "Bo"), touch(D(2026, 11, 14), "Bo"), touch(D(2026, 11, 17), "Bo")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 1)), contact("Bo", date_met=D(2026, 11, 1))],
                 touches)
    # Bo's three span a full week (11-10 to 11-17): not within one.
    [warning] = [p for p in report["problems"] if "badgering" in p["message"]]
    assert (warning["severity"], warning["cell"]) == ("warning", "A2")
    assert "rows 2, 3, 4" in warning["message"]


def test_paused_with_an_agreed_date_is_due_on_that_date_only(tmp_path: Path) -> None:
    contacts = [contact("Jamal", date_met=D(2026, 9, 1), status="Paused", agreed_next=D(2027, 2, 1)),
                contact("Kim", date_met=D(2026, 9, 1), status="Paused")]
    report = run(tmp_path, contacts)
    assert due(report, "Jamal") == [("agreed-date", "2027-02-01", "later")]
    assert due(report, "Kim") == []


def test_writing_to_a_referred_person_thanks_the_referrer_within_two_days(tmp_path: Path) -> None:
    contacts = [contact("Ria Referrer", date_met=D(2026, 8, 1), thank_you_sent=D(2026, 8, 1), email="r@x.org"),
                contact("Ned New", referred_by="Ria Referrer", email="n@x.org", linkedin="https://linkedin.com/in/n")]
    touches = [touch(D(2026, 8, 10), "Ria Referrer", got_reply="Yes"), touch(D(2026, 9, 20), "Ria Referrer"),
               touch(D(2026, 11, 18), "Ned New", channel="Email", purpose="Meeting request")]
    report = run(tmp_path, contacts, touches)
    ria = item(report, "Ria Referrer")
    assert (ria["rule"], ria["due"], ria["state"]) == ("referrer-thanks", "2026-11-20", "overdue")
    assert ria["also"] == ["keep-in-touch"]
    # The referred person gets the unanswered-request nudge.
    assert due(report, "Ned New") == [("nudge", "2026-11-25", "upcoming")]


def test_referral_without_referred_by_is_a_warning_on_that_cell(tmp_path: Path) -> None:
    report = run(tmp_path, [contact("Ann", how_met="Referral"), contact("Bo", how_met="Referral", referred_by="Ann")])
    assert [(p["severity"], p["cell"]) for p in report["problems"]] == [("warning", "J2")]


def test_offer_accepted_tell_and_thank_everyone_who_helped(tmp_path: Path) -> None:
    # Offer accepted Monday 11-16: a note within 7 days (11-23), by email. Ria referred Ned, the interviewer:
    # she comes first. Tom was met; Uma never was; Ned is the employer's interviewer.
    thanked = {"thank_you_sent": D(2026, 10, 1)}
    contacts = [contact("Tom Met", date_met=D(2026, 10, 1), **thanked),
                contact("Ria Referrer", date_met=D(2026, 10, 1), email="r@x.org", **thanked),
                contact("Ned Interviewer", how_met="Job interview", date_met=D(2026, 10, 20),
                        thank_you_sent=D(2026, 10, 20), referred_by="Ria Referrer"),
                contact("Uma Unmet")]
    touches = [touch(D(2026, day.month, day.day), who, got_reply="Yes")
               for who in ("Tom Met", "Ria Referrer", "Ned Interviewer")
               for day in (D(2026, 10, 22), D(2026, 11, 10))]
    report = run_with(tmp_path, contacts, touches, offer=D(2026, 11, 16)).to_json()
    offers = [(f["contact"], f["due"], f["suggested_channel"]) for f in report["followups"] if f["rule"] == "offer-thanks"]
    assert offers == [("Ria Referrer", "2026-11-23", "Email"), ("Tom Met", "2026-11-23", None)]


def test_business_days_move_due_dates_to_the_next_working_day(tmp_path: Path) -> None:
    policy = replace(Policy(), business_days=True, holidays=(D(2026, 11, 23),))
    # Thanked Sunday 11-08: 14 calendar days is Sunday 11-22, then past Monday's holiday to Tuesday 11-24.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 8), thank_you_sent=D(2026, 11, 8))], policy=policy)
    assert due(report, "Ann") == [("first-follow-up", "2026-11-24", "upcoming")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 8), thank_you_sent=D(2026, 11, 8))])
    assert due(report, "Ann") == [("first-follow-up", "2026-11-22", "upcoming")]


def test_calls_are_never_due_on_a_weekend(tmp_path: Path) -> None:
    # Met Friday 11-20; they like a call: the thank-you call would fall on Saturday, so Monday 11-23.
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 11, 20), phone="555 0100", best_way="Phone call")])
    ann = item(report, "Ann")
    assert (ann["due"], ann["suggested_channel"]) == ("2026-11-23", "Phone call")
    # Without the preference a card is suggested (no email address), and Saturday stands.
    report = run(tmp_path, [contact("Bo", date_met=D(2026, 11, 20), phone="555 0100")])
    assert (item(report, "Bo")["due"], item(report, "Bo")["suggested_channel"]) == ("2026-11-21", "Handwritten card")


def test_no_text_message_to_someone_met_once(tmp_path: Path) -> None:
    touches = [touch(D(2026, 9, 1), "Ann", channel="Phone call", purpose="Thank-you"),
               touch(D(2026, 9, 15), "Ann", channel="Voicemail", purpose="Follow-up")]
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 9, 1), phone="555 0100")], touches)
    assert (item(report, "Ann")["rule"], item(report, "Ann")["suggested_channel"]) == ("second-follow-up", "Phone call")
    touches.append(touch(D(2026, 9, 10), "Ann", channel="In person", purpose="Meeting"))
    touches.append(touch(D(2026, 9, 10), "Ann", channel="Phone call", purpose="Thank-you"))
    report = run(tmp_path, [contact("Ann", date_met=D(2026, 9, 1), phone="555 0100")], touches)
    assert (item(report, "Ann")["rule"], item(report, "Ann")["suggested_channel"]) == ("second-follow-up", "Text message")


def test_offer_thanks_leave_out_an_interviewer_the_referral_chain_loops_back_to(tmp_path: Path) -> None:
    # Ben, met at a job interview, was referred by Ann, and Ann's row names Ben as her referrer: a loop.
    # The chain behind Ben's interview is Ann alone; Ben, the interviewer, is not thanked (README's
    # rule table: "interviewers left out"). Offer accepted Friday 11-20: Ann's note is due 7 days later, 11-27.
    contacts = [contact("Ann Lee", email="ann@example.org", referred_by="Ben Ode"),
                contact("Ben Ode", email="ben@example.org", how_met="Job interview", referred_by="Ann Lee")]
    report = run_with(tmp_path, contacts, offer=D(2026, 11, 20), as_of=D(2026, 11, 20)).to_json()
    assert [(f["contact"], f["rule"], f["due"], f["suggested_channel"]) for f in report["followups"]] == [
        ("Ann Lee", "offer-thanks", "2026-11-27", "Email")]


def test_someone_not_met_the_cadence_counts_from_the_touch_that_met_the_agreed_date(tmp_path: Path) -> None:
    # README: once an agreed date is met, "the cadence then counts from the touch that met it" -- for
    # people not met yet too. Both agreed to talk again around 11-10.
    # Ann: your thank-you note 11-01 (asks nothing, so no nudge); her update 11-12 meets the agreed date.
    #   Keep in touch: 120 days from 11-12 is 2027-03-12 (not from your 11-01 message: 2027-03-01).
    # Bo: your question 11-01, unanswered; your update 11-12 meets the agreed date. With spacing at 3 days,
    #   the nudge is 7 days from 11-12: 11-19 (not 7 from 11-01, held by spacing to 11-15).
    contacts = [contact("Ann", email="ann@example.org", agreed_next=D(2026, 11, 10)),
                contact("Bo", email="bo@example.org", agreed_next=D(2026, 11, 10))]
    touches = [touch(D(2026, 11, 1), "Ann", channel="Email", purpose="Thank-you"),
               touch(D(2026, 11, 12), "Ann", "Received", channel="Email", purpose="Update"),
               touch(D(2026, 11, 1), "Bo", channel="Email", purpose="Question", got_reply="No"),
               touch(D(2026, 11, 12), "Bo", channel="Email", purpose="Update")]
    report = run(tmp_path, contacts, touches, policy=replace(Policy(), spacing_days=3))
    assert due(report, "Ann") == [("keep-in-touch", "2027-03-12", "later")]
    assert due(report, "Bo") == [("nudge", "2026-11-19", "overdue")]


def test_an_agreed_date_is_met_by_talking_in_person_even_when_they_asked_there(tmp_path: Path) -> None:
    # Agreed to talk again on 11-20; on 11-20 Cara asked a question in person, and it was answered there
    # (no reply is due). That conversation meets the agreed date: nothing is due (nothing was ever sent).
    # A question by email the same day would not: the agreed date stays due, beside the reply it asks for.
    contacts = [contact("Cara", email="cara@example.org", agreed_next=D(2026, 11, 20))]
    in_person = [touch(D(2026, 11, 20), "Cara", "Received", channel="In person", purpose="Question")]
    assert run(tmp_path, contacts, in_person, as_of=D(2026, 11, 20))["followups"] == []
    by_email = [touch(D(2026, 11, 20), "Cara", "Received", channel="Email", purpose="Question")]
    report = run(tmp_path, contacts, by_email, as_of=D(2026, 11, 20))
    assert [(f["rule"], f["due"], f["also"]) for f in report["followups"]] == [("agreed-date", "2026-11-20", ["reply"])]


def test_a_message_on_the_agreed_day_keeps_it_though_a_call_would_wait_for_monday(tmp_path: Path) -> None:
    # Met Friday 11-20, agreed to talk again Saturday 11-21; a phone number and LinkedIn, no email.
    # The thank-you (a card, they were met) is due Saturday 11-21. The agreed date would be a voicemail,
    # never due on a weekend: Monday 11-23. The card sent on Saturday is a message on the agreed day,
    # so it keeps the agreed date too.
    contacts = [contact("Ann", phone="555 0100", linkedin="https://www.linkedin.com/in/ann",
                        date_met=D(2026, 11, 20), agreed_next=D(2026, 11, 21))]
    report = run(tmp_path, contacts, as_of=D(2026, 11, 20))
    assert [(f["rule"], f["due"], f["suggested_channel"], f["also"]) for f in report["followups"]] == [
        ("thank-you", "2026-11-21", "Handwritten card", ["agreed-date"])]


def test_a_thank_you_sent_date_still_to_come_thanks_nobody_yet(tmp_path: Path) -> None:
    # As of 11-22. Ann, met 11-01, has 11-30 typed in Thank-you sent: not happened yet, so it satisfies
    # nothing and the thank-you (due 11-02) is 20 days overdue, not a first follow-up from 11-30.
    report = run(tmp_path, [contact("Ann", email="ann@example.org", date_met=D(2026, 11, 1),
                                    thank_you_sent=D(2026, 11, 30))])
    [item] = report["followups"]
    assert (item["rule"], item["due"], item["days_overdue"]) == ("thank-you", "2026-11-02", 20)


def test_the_thank_you_sent_column_thanks_a_warm_reply_from_someone_not_met(tmp_path: Path) -> None:
    # Bo, not met, answered your 11-10 email warmly on 11-12; Thank-you sent says 11-13: thanked, so no
    # thank-you is due, only keep in touch.
    touches = [touch(D(2026, 11, 10), "Bo", channel="Email", purpose="Question", got_reply="Yes",
                     reply_date=D(2026, 11, 12), reply_quality="Warm")]
    report = run(tmp_path, [contact("Bo", email="bo@example.org", thank_you_sent=D(2026, 11, 13))], touches)
    assert [f["rule"] for f in report["followups"]] == ["keep-in-touch"]
