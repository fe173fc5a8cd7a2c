"""The reference policy engine checked by hand, rule by rule.

Every expected date is worked out in the comment beside it. Calendar of the
dates used: 2026-11-01 is a Sunday, so Saturdays are 11-07, 11-14, 11-21,
11-28 and 10-03, 10-10, 10-17, 10-24, 10-31; Thursday 11-26 is the holiday
used with business days. AS_OF is Friday 2026-11-20.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from reference_policy import Person, Touch, followups, next_steps
from sheetkit.config import Policy

D = dt.date
AS_OF = D(2026, 11, 20)
POLICY = Policy()


def steps(people: list[Person], touches: list[Touch] = (), policy: Policy = POLICY, as_of: dt.date = AS_OF,
          offer: dt.date | None = None) -> dict[str, tuple]:
    """Contact -> (rule, due, channel, also)."""
    found = next_steps(list(people), list(touches), policy, as_of, offer)
    return {name: (s.rule, s.due, s.channel, s.also) for name, s in found.items()}


def rules(people: list[Person], touches: list[Touch] = (), **kw) -> list[tuple[str, str, dt.date]]:
    """Every item before merging: (contact, rule, due), sorted."""
    items = followups(list(people), list(touches), kw.get("policy", POLICY), kw.get("as_of", AS_OF), kw.get("offer"))
    return sorted((i.contact, i.rule, i.due) for i in items)


# ---- thank-you ----------------------------------------------------------------------------


def test_thank_you_the_day_after_the_meeting_by_email() -> None:
    # Met Tue 11-17: due 11-17 + 1 = Wed 11-18; email on file, so Email.
    assert steps([Person("Ann", email="a@x.org", date_met=D(2026, 11, 17))]) == {
        "Ann": ("thank-you", D(2026, 11, 18), "Email", ())}


def test_thank_you_by_card_when_there_is_no_address() -> None:
    # Met 11-17, no email: a card suits a thank-you (after a meeting).
    assert steps([Person("Ann", date_met=D(2026, 11, 17))])["Ann"][2] == "Handwritten card"


def test_thanks_said_at_the_meeting_is_not_the_note_but_a_call_later_that_day_is() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 10))
    at_meeting = Touch(D(2026, 11, 10), "Ann", channel="In person", purpose="Thank-you")
    # The in-person thanks is the meeting itself: the thank-you is due 11-11, not held by spacing.
    assert steps([ann], [at_meeting])["Ann"][:2] == ("thank-you", D(2026, 11, 11))
    call = Touch(D(2026, 11, 10), "Ann", channel="Phone call", purpose="Thank-you")
    # Thanked 11-10 by phone: first follow-up 11-10 + 14 = 11-24.
    assert steps([ann], [at_meeting, call])["Ann"][:2] == ("first-follow-up", D(2026, 11, 24))


def test_thank_you_sent_column_counts_and_a_second_meeting_needs_its_own() -> None:
    ann = Person("Ann", date_met=D(2026, 10, 1), thank_you_sent=D(2026, 10, 2))
    # Thanked 10-02 (column): first follow-up 10-02 + 14 = 10-16.
    assert steps([ann])["Ann"][:2] == ("first-follow-up", D(2026, 10, 16))
    again = Touch(D(2026, 11, 18), "Ann", channel="In person", purpose="Meeting")
    # Met again Wed 11-18: thank-you due Thu 11-19.
    assert steps([ann], [again])["Ann"][:2] == ("thank-you", D(2026, 11, 19))


# ---- first and second follow-up -----------------------------------------------------------


def test_first_follow_up_in_another_form() -> None:
    ann = Person("Ann", email="a@x.org", phone="555", date_met=D(2026, 11, 2))
    thanks = Touch(D(2026, 11, 3), "Ann", channel="Email", purpose="Thank-you")
    # 11-03 + 14 = 11-17; after Email the rotation goes to Voicemail (a number on file).
    assert steps([ann], [thanks]) == {"Ann": ("first-follow-up", D(2026, 11, 17), "Voicemail", ())}


def test_an_answer_to_their_question_is_not_the_first_follow_up() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 2))
    touches = [Touch(D(2026, 11, 3), "Ann", channel="Email", purpose="Thank-you"),
               Touch(D(2026, 11, 5), "Ann", direction="Received", channel="Email", purpose="Question"),
               Touch(D(2026, 11, 6), "Ann", channel="Email", purpose="Other")]
    # Still 11-03 + 14 = 11-17 (spacing from 11-06 ends 11-13, earlier).
    assert steps([ann], touches)["Ann"][:2] == ("first-follow-up", D(2026, 11, 17))
    # Without the question, the 11-06 message was the first follow-up: second due 11-06 + 28 = 12-04.
    assert steps([ann], [touches[0], touches[2]])["Ann"][:2] == ("second-follow-up", D(2026, 12, 4))


def test_second_follow_up_a_third_channel() -> None:
    ann = Person("Ann", email="a@x.org", phone="555", linkedin="https://linkedin.com/in/ann",
                 date_met=D(2026, 10, 1))
    touches = [Touch(D(2026, 10, 1), "Ann", channel="Email", purpose="Thank-you"),
               Touch(D(2026, 10, 10), "Ann", channel="Voicemail", purpose="Follow-up")]
    # 10-10 + 28 = 11-07; after Voicemail comes LinkedIn (neither Email nor Voicemail).
    assert steps([ann], touches) == {"Ann": ("second-follow-up", D(2026, 11, 7), "LinkedIn", ())}


def test_second_follow_up_rotates_on_from_the_last_message_of_the_day() -> None:
    ann = Person("Ann", email="a@x.org", phone="555", linkedin="https://linkedin.com/in/ann",
                 date_met=D(2026, 10, 1))
    touches = [Touch(D(2026, 10, 1), "Ann", channel="Email", purpose="Thank-you"),
               Touch(D(2026, 10, 10), "Ann", channel="Voicemail", purpose="Follow-up"),
               Touch(D(2026, 10, 10), "Ann", channel="LinkedIn", purpose="Follow-up")]
    # Due 10-10 + 28 = Sat 11-07; after LinkedIn, neither Email nor Voicemail: Phone call, so Mon 11-09.
    assert steps([ann], touches) == {"Ann": ("second-follow-up", D(2026, 11, 9), "Phone call", ())}


def test_job_interview_status_check_a_week_after_the_thank_you_by_email_or_phone() -> None:
    ann = Person("Ann", email="a@x.org", phone="555", how_met="Job interview", date_met=D(2026, 11, 9))
    # The thank-you: by email, due 11-10.
    assert steps([ann])["Ann"] == ("thank-you", D(2026, 11, 10), "Email", ())
    thanks = Touch(D(2026, 11, 9), "Ann", channel="Email", purpose="Thank-you")
    # Status check 11-09 + 7 = Mon 11-16; after Email, the phone.
    assert steps([ann], [thanks])["Ann"] == ("first-follow-up", D(2026, 11, 16), "Phone call", ())


def test_job_interview_thank_you_is_never_a_card() -> None:
    ann = Person("Ann", phone="555", how_met="Job interview", date_met=D(2026, 11, 19))
    # No email, no card: the next usable channel from Email on is Voicemail.
    assert steps([ann])["Ann"] == ("thank-you", D(2026, 11, 20), "Voicemail", ())


# ---- keep in touch, warmth, cool-off, stop ------------------------------------------------


def _cadence(reply_quality: str | None = None, **first: object) -> list[Touch]:
    return [Touch(D(2026, 7, 1), "Ann", channel="Email", purpose="Thank-you", got_reply="Yes"),
            Touch(D(2026, 7, 15), "Ann", channel="Voicemail", purpose="Follow-up",
                  got_reply="Yes" if reply_quality else None, reply_quality=reply_quality, **first),
            Touch(D(2026, 8, 12), "Ann", channel="LinkedIn", purpose="Follow-up", got_reply="Yes")]


def test_keep_in_touch_every_120_days() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 7, 1))
    # Last 08-12 + 120: Aug 19 left -> 101, Sep 30 -> 71, Oct 31 -> 40, Nov 30 -> 10: 12-10.
    assert steps([ann], _cadence())["Ann"][:3] == ("keep-in-touch", D(2026, 12, 10), "Handwritten card")


def test_warm_contact_every_60_days() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 7, 1))
    # Latest rated reply Warm: 08-12 + 60: Aug 19 left -> 41, Sep 30 -> 11: 10-11.
    assert steps([ann], _cadence("Warm"))["Ann"][:2] == ("keep-in-touch", D(2026, 10, 11))


def test_after_a_brief_reply_no_second_follow_up_and_a_slower_keep_in_touch() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 7, 1))
    touches = _cadence("Brief")[:2]
    # First follow-up 07-15 got a Brief reply: keep in touch 07-15 + 240:
    # Jul 16 left -> 224, Aug 31 -> 193, Sep 30 -> 163, Oct 31 -> 132, Nov 30 -> 102, Dec 31 -> 71,
    # Jan 31 -> 40, Feb 28 -> 12: 2027-03-12.
    assert steps([ann], touches)["Ann"][:2] == ("keep-in-touch", D(2027, 3, 12))


def test_three_unanswered_cool_off_but_not_for_a_warm_contact_sending_updates() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 6, 1), thank_you_sent=D(2026, 6, 1))
    touches = [Touch(D(2026, 6, 10), "Ann", purpose="Question", got_reply="Yes", reply_quality="Warm"),
               Touch(D(2026, 7, 1), "Ann", purpose="Update"), Touch(D(2026, 8, 1), "Ann", purpose="Update"),
               Touch(D(2026, 9, 1), "Ann", purpose="Article or resource")]
    # Warm, and the three unanswered messages asked nothing: 60 days from 09-01 = 10-31.
    assert steps([ann], touches)["Ann"][:2] == ("keep-in-touch", D(2026, 10, 31))
    cold = [replace(t, reply_quality=None, got_reply=None) for t in touches[:3]] + [
        replace(touches[3], purpose="Question")]
    # Not warm: four unanswered messages in a row: nothing more is due.
    assert steps([ann], cold) == {}
    # Three unanswered (the first answered): cool-off doubles 120 -> 240: 09-01 + 240:
    # Sep 29 left -> 211, Oct 31 -> 180, Nov 30 -> 150, Dec 31 -> 119, Jan 31 -> 88, Feb 28 -> 60,
    # Mar 31 -> 29: 2027-04-29.
    cold[0] = replace(cold[0], got_reply="Yes")
    assert steps([ann], cold)["Ann"][:2] == ("keep-in-touch", D(2027, 4, 29))


def test_every_rated_reply_brief_cools_off() -> None:
    ann = Person("Ann", date_met=D(2026, 5, 1), thank_you_sent=D(2026, 5, 1))
    touches = [Touch(D(2026, 5, 10), "Ann", got_reply="Yes", reply_quality="Brief"),
               Touch(D(2026, 6, 10), "Ann", got_reply="Yes"), Touch(D(2026, 7, 10), "Ann", got_reply="Yes")]
    # Keep in touch from 07-10, 240 days: Jul 21 left -> 219, Aug 31 -> 188, Sep 30 -> 158, Oct 31 -> 127,
    # Nov 30 -> 97, Dec 31 -> 66, Jan 31 -> 35, Feb 28 -> 7: 2027-03-07.
    assert steps([ann], touches)["Ann"][:2] == ("keep-in-touch", D(2027, 3, 7))


# ---- agreed date --------------------------------------------------------------------------


def test_agreed_date_later_than_the_cadence_wins() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 2), thank_you_sent=D(2026, 11, 2),
                 agreed_next=D(2026, 12, 10))
    # The first follow-up (11-16) waits for the contact's date.
    assert rules([ann]) == [("Ann", "agreed-date", D(2026, 12, 10))]
    assert steps([ann])["Ann"] == ("agreed-date", D(2026, 12, 10), "Email", ())


def test_agreed_date_pending_still_owes_the_thank_you() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 16), agreed_next=D(2026, 12, 1))
    # Thank-you 11-17 first; sent today (11-20) it is before 12-01, so it does not settle the date.
    assert steps([ann])["Ann"] == ("thank-you", D(2026, 11, 17), "Email", ())
    assert rules([ann]) == [("Ann", "agreed-date", D(2026, 12, 1)), ("Ann", "thank-you", D(2026, 11, 17))]


def test_once_the_agreed_date_is_met_the_cadence_counts_from_that_touch() -> None:
    ann = Person("Ann", date_met=D(2026, 10, 1), thank_you_sent=D(2026, 10, 1), agreed_next=D(2026, 10, 20))
    heard = Touch(D(2026, 10, 22), "Ann", direction="Received", purpose="Update")
    # Their update 10-22 meets the date; first follow-up 10-22 + 14 = 11-05.
    assert steps([ann], [heard])["Ann"][:2] == ("first-follow-up", D(2026, 11, 5))


def test_their_question_does_not_meet_the_agreed_date_but_one_answer_settles_both() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 10, 1), thank_you_sent=D(2026, 10, 1),
                 agreed_next=D(2026, 11, 1))
    asked = Touch(D(2026, 11, 3), "Ann", direction="Received", channel="Email", purpose="Question")
    # Agreed 11-01 still pending (earliest), reply due 11-04; a message today settles both.
    assert steps([ann], [asked])["Ann"] == ("agreed-date", D(2026, 11, 1), "Email", ("reply",))


# ---- reply, nudge, warm thanks to people not met ------------------------------------------


def test_reply_next_day_in_their_channel_whatever_the_spacing() -> None:
    ann = Person("Ann", email="a@x.org", linkedin="https://linkedin.com/in/ann",
                 date_met=D(2026, 10, 1), thank_you_sent=D(2026, 10, 1))
    touches = [Touch(D(2026, 11, 17), "Ann", channel="Email", purpose="Update"),
               Touch(D(2026, 11, 18), "Ann", direction="Received", channel="LinkedIn", purpose="Question")]
    # Reply 11-19 in LinkedIn although 11-17 was three days before. The 11-17 update was the first
    # follow-up, so the second is due 11-17 + 28 = 12-15; the answer (sent 11-19, one day after their
    # question) is a reply inside the conversation, not a follow-up: it does not settle the second.
    assert steps([ann], touches)["Ann"] == ("reply", D(2026, 11, 19), "LinkedIn", ())
    assert rules([ann], touches) == [("Ann", "reply", D(2026, 11, 19)), ("Ann", "second-follow-up", D(2026, 12, 15))]


def test_a_question_asked_on_a_video_call_was_answered_there() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 10, 1), thank_you_sent=D(2026, 10, 1),
                 agreed_next=D(2026, 11, 2))
    call = Touch(D(2026, 11, 4), "Ann", direction="Received", channel="Video call", purpose="Question")
    # No reply due; the call meets the agreed date, and the first follow-up counts from it: 11-04 + 14 = 11-18.
    assert rules([ann], [call]) == [("Ann", "first-follow-up", D(2026, 11, 18))]


def test_nudge_a_week_after_an_unanswered_request_then_let_it_rest() -> None:
    ann = Person("Ann", email="a@x.org", phone="555")
    first = Touch(D(2026, 11, 10), "Ann", channel="Email", purpose="Meeting request")
    # Not met, unanswered: nudge 11-10 + 7 = 11-17, in another form (Voicemail after Email).
    assert steps([ann], [first]) == {"Ann": ("nudge", D(2026, 11, 17), "Voicemail", ())}
    second = Touch(D(2026, 11, 17), "Ann", channel="Voicemail", purpose="Meeting request")
    assert steps([ann], [first, second]) == {}
    answered = replace(first, got_reply="Yes", reply_date=D(2026, 11, 11))
    # Answered (not warm), nothing else: keep in touch 11-10 + 120 = 2027-03-10.
    assert steps([ann], [answered])["Ann"][:2] == ("keep-in-touch", D(2027, 3, 10))


def test_warm_reply_from_someone_not_met_is_thanked_within_a_day() -> None:
    ann = Person("Ann", email="a@x.org")
    asked = Touch(D(2026, 11, 10), "Ann", channel="Email", purpose="Question", got_reply="Yes",
                  reply_date=D(2026, 11, 16), reply_quality="Warm")
    # Reply 11-16: thank-you 11-17 (spacing from 11-10 ends 11-17 too); it also keeps in touch.
    assert steps([ann], [asked])["Ann"] == ("thank-you", D(2026, 11, 17), "Email", ("keep-in-touch",))


# ---- statuses -----------------------------------------------------------------------------


def test_paused_comes_back_on_its_agreed_date_and_closed_never() -> None:
    paused = Person("Pat", email="p@x.org", date_met=D(2026, 9, 1), status="Paused", agreed_next=D(2027, 2, 1))
    assert rules([paused]) == [("Pat", "agreed-date", D(2027, 2, 1))]
    assert rules([replace(paused, agreed_next=None)]) == []
    assert rules([replace(paused, status="Closed")]) == []
    assert rules([replace(paused, status="Do not contact")]) == []


# ---- referrals and the offer --------------------------------------------------------------


def test_referrer_thanks_then_referrer_update_and_one_note_keeps_in_touch() -> None:
    ria = Person("Ria", email="r@x.org", date_met=D(2026, 6, 1), thank_you_sent=D(2026, 6, 1))
    ned = Person("Ned", email="n@x.org", referred_by="ria ")
    ria_touches = [Touch(D(2026, 6, 15), "Ria", got_reply="Yes"), Touch(D(2026, 7, 20), "Ria", got_reply="Yes")]
    wrote = Touch(D(2026, 11, 16), "Ned", channel="Email", purpose="Meeting request")
    # Wrote to Ned Mon 11-16: thank Ria by 11-18. Ria's keep in touch: 07-20 + 120 = 11-17, earlier:
    # so keep in touch is the step, and it settles the referrer thanks. The last message to Ria has
    # no channel, so the rotation starts at Email.
    assert steps([ria, ned], ria_touches + [wrote])["Ria"] == ("keep-in-touch", D(2026, 11, 17), "Email",
                                                               ("referrer-thanks",))
    met = Touch(D(2026, 11, 18), "Ned", channel="Video call", purpose="Meeting")
    items = rules([ria, ned], ria_touches + [wrote, met])
    # Met Ned 11-18: update Ria by 11-25.
    assert ("Ria", "referrer-update", D(2026, 11, 25)) in items
    assert ("Ria", "referrer-thanks", D(2026, 11, 18)) in items


def test_one_note_to_a_referrer_just_met_thanks_them_too() -> None:
    ria = Person("Ria", email="r@x.org", date_met=D(2026, 11, 17))
    ned = Person("Ned", referred_by="Ria", date_met=D(2026, 11, 9), thank_you_sent=D(2026, 11, 9))
    # Update Ria about Ned: 11-09 + 7 = 11-16; her own thank-you 11-18; the one message does both.
    assert steps([ria, ned])["Ria"] == ("referrer-update", D(2026, 11, 16), "Email", ("thank-you",))


def test_offer_accepted_tell_and_thank_everyone_who_helped() -> None:
    ria = Person("Ria", email="r@x.org")  # never met, but referred the interviewer
    ivan = Person("Ivan", email="i@x.org", how_met="Job interview", referred_by="Ria",
                  date_met=D(2026, 11, 2), thank_you_sent=D(2026, 11, 2))
    mia = Person("Mia", email="m@x.org", how_met="Informational interview",
                 date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 1))
    cole = Person("Cole", email="c@x.org", status="Closed", date_met=D(2026, 10, 1))
    mia_touches = [Touch(D(2026, 9, 15), "Mia", got_reply="Yes"), Touch(D(2026, 10, 13), "Mia", got_reply="Yes")]
    people = [ria, ivan, mia, cole]
    found = steps(people, mia_touches, offer=D(2026, 11, 16))
    # Offer Mon 11-16: a note due 11-23 to Ria (up the chain from the interviewer) and Mia (met);
    # Cole is closed; Ivan, the interviewer, is the employer's side. Ria is owed an update about
    # meeting Ivan since 11-02 + 7 = 11-09: that is her step, and it tells and thanks too.
    assert found["Ria"] == ("referrer-update", D(2026, 11, 9), "Email", ("offer-thanks",))
    # Mia: keep in touch 10-13 + 120 = 2027-02-10 is later, so the offer note is the step.
    assert found["Mia"] == ("offer-thanks", D(2026, 11, 23), "Email", ("keep-in-touch",))
    # Ivan's status check 11-02 + 7 = 11-09, with no offer note.
    assert found["Ivan"] == ("first-follow-up", D(2026, 11, 9), "Email", ())
    assert "Cole" not in found
    assert [i for i in rules(people, mia_touches, offer=D(2026, 11, 16)) if i[1] == "offer-thanks"] == [
        ("Mia", "offer-thanks", D(2026, 11, 23)), ("Ria", "offer-thanks", D(2026, 11, 23))]


def test_nudge_after_a_request_even_when_an_update_followed() -> None:
    ann = Person("Ann", email="a@x.org")
    touches = [Touch(D(2026, 11, 2), "Ann", channel="Email", purpose="Meeting request"),
               Touch(D(2026, 11, 12), "Ann", channel="Email", purpose="Update")]
    # Request 11-02 unanswered: nudge 11-09, held by spacing to 11-12 + 7 = 11-19; LinkedIn is not on
    # file and no phone, so the only usable channel, Email.
    assert steps([ann], touches)["Ann"] == ("nudge", D(2026, 11, 19), "Email", ())


def test_a_conversation_in_person_is_never_an_unanswered_message() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 6, 1), thank_you_sent=D(2026, 6, 1))
    touches = [Touch(D(2026, 6, 10), "Ann"), Touch(D(2026, 7, 10), "Ann"),
               Touch(D(2026, 8, 10), "Ann", channel="In person"), Touch(D(2026, 9, 10), "Ann")]
    # Only 09-10 is unanswered since the in-person talk: keep in touch 09-10 + 120:
    # Sep 20 left -> 100, Oct 31 -> 69, Nov 30 -> 39, Dec 31 -> 8: 2027-01-08.
    assert steps([ann], touches)["Ann"][:2] == ("keep-in-touch", D(2027, 1, 8))


# ---- working days, weekends, channels, dates that have not happened ------------------------


def test_business_days_move_the_due_date_not_the_interval() -> None:
    policy = replace(Policy(), business_days=True, holidays=(D(2026, 11, 26),))
    # Met Fri 11-20: thank-you Sat 11-21 -> Mon 11-23.
    assert steps([Person("Ann", email="a@x.org", date_met=D(2026, 11, 20))], policy=policy)["Ann"][1] == D(2026, 11, 23)
    # Met Wed 11-25: thank-you Thu 11-26 is the holiday -> Fri 11-27.
    met = [Person("Ann", email="a@x.org", date_met=D(2026, 11, 25))]
    assert steps(met, policy=policy, as_of=D(2026, 11, 25))["Ann"][1] == D(2026, 11, 27)
    # Thanked 11-02: first follow-up 11-16 (calendar days, a Monday) stays.
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 2), thank_you_sent=D(2026, 11, 2))
    assert steps([ann], policy=policy)["Ann"][1] == D(2026, 11, 16)


def test_business_days_move_a_named_date_and_the_end_of_spacing_too() -> None:
    policy = replace(Policy(), business_days=True, holidays=(D(2026, 11, 26),))
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 10, 1), thank_you_sent=D(2026, 10, 1),
                 agreed_next=D(2026, 11, 28))
    # Agreed Sat 11-28: Mon 11-30 with business days; in calendar mode by email it stays Saturday.
    assert steps([ann], policy=policy)["Ann"][:2] == ("agreed-date", D(2026, 11, 30))
    assert steps([ann])["Ann"][:2] == ("agreed-date", D(2026, 11, 28))
    bob = Person("Bob", email="b@x.org", date_met=D(2026, 11, 18))
    asked = Touch(D(2026, 11, 19), "Bob", channel="Email", purpose="Question")
    # Thank-you 11-19, held by spacing to 11-19 + 7 = Thu 11-26, the holiday: Fri 11-27.
    assert steps([bob], [asked], policy=policy, as_of=D(2026, 11, 20))["Bob"][:2] == ("thank-you", D(2026, 11, 27))
    # Holidays only count with business days: calendar mode keeps Thu 11-26.
    calendar = replace(policy, business_days=False)
    assert steps([bob], [asked], policy=calendar)["Bob"][:2] == ("thank-you", D(2026, 11, 26))


def test_calls_never_fall_due_on_a_weekend() -> None:
    ann = Person("Ann", phone="555", date_met=D(2026, 10, 1))
    touches = [Touch(D(2026, 10, 1), "Ann", channel="Handwritten card", purpose="Thank-you"),
               Touch(D(2026, 10, 10), "Ann", channel="LinkedIn", purpose="Follow-up")]
    # Second follow-up 10-10 + 28 = Sat 11-07; the rotation after LinkedIn is Phone call -> Mon 11-09.
    assert steps([ann], touches)["Ann"] == ("second-follow-up", D(2026, 11, 9), "Phone call", ())


def test_no_text_message_to_someone_met_once_and_nothing_when_no_channel_is_usable() -> None:
    ann = Person("Ann", phone="555", date_met=D(2026, 11, 2), thank_you_sent=D(2026, 11, 2))
    touches = [Touch(D(2026, 11, 3), "Ann", channel="Phone call")]
    # First follow-up: after Phone call comes Text message, not for one meeting: round to Voicemail.
    assert steps([ann], touches)["Ann"][2] == "Voicemail"
    twice = touches + [Touch(D(2026, 10, 20), "Ann", channel="In person", purpose="Meeting")]
    assert steps([ann], twice)["Ann"][2] == "Text message"
    bare = Person("Bo", date_met=D(2026, 11, 2), thank_you_sent=D(2026, 11, 2))
    # 11-02 + 14 = 11-16, no address of any kind: no channel.
    assert steps([bare])["Bo"] == ("first-follow-up", D(2026, 11, 16), "", ())


def test_best_way_to_reach_is_the_channel_for_every_rule_but_a_reply_in_their_channel() -> None:
    ann = Person("Ann", email="a@x.org", best_way="LinkedIn", date_met=D(2026, 11, 19))
    assert steps([ann])["Ann"] == ("thank-you", D(2026, 11, 20), "LinkedIn", ())
    thanked = replace(ann, thank_you_sent=D(2026, 11, 19))
    asked = Touch(D(2026, 11, 20), "Ann", direction="Received", channel="Email", purpose="Question")
    # They asked by email on 11-20: reply 11-21 by email; the first follow-up (11-19 + 14 = 12-03) stays LinkedIn.
    assert steps([thanked], [asked])["Ann"] == ("reply", D(2026, 11, 21), "Email", ())
    assert rules([thanked], [asked]) == [("Ann", "first-follow-up", D(2026, 12, 3)), ("Ann", "reply", D(2026, 11, 21))]


def test_touches_and_replies_that_have_not_happened_satisfy_nothing() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 16))
    later = Touch(D(2026, 11, 25), "Ann", channel="Email", purpose="Thank-you")
    # The thank-you dated 11-25 has not happened: thank-you still due 11-17.
    assert steps([ann], [later])["Ann"][:2] == ("thank-you", D(2026, 11, 17))
    bob = Person("Bob", email="b@x.org")
    request = Touch(D(2026, 11, 10), "Bob", channel="Email", purpose="Question", got_reply="Yes",
                    reply_date=D(2026, 11, 5))
    # A reply dated before its message does not count: still unanswered, nudge 11-17.
    assert steps([bob], [request])["Bob"][:2] == ("nudge", D(2026, 11, 17))


def test_spacing_holds_everything_but_the_named_date() -> None:
    ann = Person("Ann", email="a@x.org", date_met=D(2026, 11, 18), agreed_next=D(2026, 11, 19))
    asked = Touch(D(2026, 11, 18), "Ann", channel="Email", purpose="Question")
    # Thank-you 11-19 held to 11-18 + 7 = 11-25; the agreed date 11-19 is not held.
    assert rules([ann], [asked]) == [("Ann", "agreed-date", D(2026, 11, 19)), ("Ann", "thank-you", D(2026, 11, 25))]
