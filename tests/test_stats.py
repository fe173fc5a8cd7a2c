"""The figures of issue 16.12, on small trackers worked out by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from builders import contact, touch, write_tracker
from sheetkit.config import Config
from sheetkit.report import build_report
from sheetkit.stats import Ratio, pooled

D = dt.date
AS_OF = D(2026, 11, 22)


def stats(tmp_path: Path, contacts: list[dict[str, Any]], touches: list[dict[str, Any]]) -> dict[str, Any]:
    path = write_tracker(tmp_path / "t.xlsx", contacts, touches)
    return build_report(path, Config(), AS_OF).to_json()["stats"]


def figures(tmp_path: Path) -> dict[str, Any]:
    """Ann: met 11-01, thanked 11-02, an update 11-05 (her first follow-up), a follow-up 11-20 answered 11-21.
    Bo: met 11-10, never thanked, a question 11-12 unanswered. Cy: met 11-21 (thank-you due today). Dan: no contact."""
    contacts = [contact("Ann", date_met=D(2026, 11, 1)), contact("Bo", date_met=D(2026, 11, 10)),
                contact("Cy", date_met=D(2026, 11, 21)), contact("Dan")]
    touches = [touch(D(2026, 11, 2), "Ann", channel="Email", purpose="Thank-you", got_reply="No"),
               touch(D(2026, 11, 20), "Ann", channel="Email", purpose="Follow-up", got_reply="Yes",
                     reply_date=D(2026, 11, 21)),
               touch(D(2026, 11, 5), "Ann", channel="Email", purpose="Update"),
               touch(D(2026, 11, 12), "Bo", channel="Email", purpose="Question")]
    return stats(tmp_path, contacts, touches)


def test_response_rate_is_kept_and_carries_its_parts(tmp_path: Path) -> None:
    result = figures(tmp_path)
    assert result["response_rate"] == 0.25
    assert result["rate_parts"]["response_rate"] == {"numerator": 1, "denominator": 4}


def test_share_of_people_who_replied(tmp_path: Path) -> None:
    # Written to: Ann (answered once) and Bo (never).
    result = figures(tmp_path)
    assert (result["people_replied_rate"], result["rate_parts"]["people_replied_rate"]) == (
        0.5, {"numerator": 1, "denominator": 2})


def test_share_of_follow_ups_done_on_time(tmp_path: Path) -> None:
    # Ann: thank-you due 11-02 done 11-02; first follow-up due 11-16 done 11-05; second due 12-03 done 11-20.
    # Bo: thank-you due 11-11, not done. Cy's thank-you is due today: not counted yet.
    result = figures(tmp_path)
    assert result["rate_parts"]["on_time_rate"] == {"numerator": 3, "denominator": 4}
    assert result["on_time_rate"] == 0.75


def test_one_way_purposes_say_no_reply_expected(tmp_path: Path) -> None:
    by_purpose = figures(tmp_path)["response_rate_by_purpose"]
    assert by_purpose["Update"] == {"sent": 1, "replied": 0, "rate": None, "no_reply_expected": True}
    assert by_purpose["Thank-you"]["rate"] is None and by_purpose["Thank-you"]["no_reply_expected"]
    assert by_purpose["Follow-up"] == {"sent": 1, "replied": 1, "rate": 1.0}
    assert by_purpose["Question"] == {"sent": 1, "replied": 0, "rate": 0.0}


def test_thank_you_rate_counts_only_meetings_whose_thank_you_is_due(tmp_path: Path) -> None:
    # Ann thanked; Bo's was due 11-11 and is not; Cy's falls due today: left out (1 of 2, not 1 of 3).
    result = figures(tmp_path)
    assert result["rate_parts"]["thank_you_rate"] == {"numerator": 1, "denominator": 2}
    assert result["thank_you_rate"] == 0.5
    assert result["rate_parts"]["thank_you_within_1_day_rate"] == {"numerator": 1, "denominator": 2}


def test_warmth_only_after_a_fair_wait_and_never_for_do_not_contact(tmp_path: Path) -> None:
    contacts = [contact("Dee"), contact("Eve"), contact("Flo", status="Do not contact")]
    touches = [touch(D(2026, 11, 15), "Dee", purpose="Update"), touch(D(2026, 11, 18), "Dee", purpose="Update"),
               touch(D(2026, 10, 1), "Eve", purpose="Update"), touch(D(2026, 10, 20), "Eve", purpose="Update"),
               touch(D(2026, 10, 1), "Flo", got_reply="Yes", reply_quality="Warm")]
    path = write_tracker(tmp_path / "t.xlsx", contacts, touches)
    report = build_report(path, Config(), AS_OF).to_json()
    # Dee's messages are 4 and 7 days old (a fair wait is 14); Eve's are older.
    assert [c["warmth"] for c in report["contacts"]] == ["unknown", "Curmudgeon", "unknown"]
    assert report["stats"]["warmth"] == {"Booster": 0, "Obligate": 0, "Curmudgeon": 1, "unknown": 2}


def test_pooled_rates_sum_the_parts() -> None:
    assert pooled([Ratio(1, 4), Ratio(3, 4)]) == Ratio(4, 8)
    assert pooled([Ratio(1, 4), Ratio(3, 4)]).value == 0.5
    assert Ratio(0, 0).value is None
