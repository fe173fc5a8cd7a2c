"""Message drafts: one per follow-up, brief, in the channel's form, true to the relationship, never template code."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import contact, touch, write_tracker
from sheetkit.cli import cli
from sheetkit.config import Config
from sheetkit.drafts import (
    CHANNEL_FORMS,
    MAX_CHARS,
    MAX_WORDS,
    Draft,
    DraftTemplateError,
    build_drafts,
    first_name,
    note_excerpt,
    write_drafts,
)
from sheetkit.model import Followup
from sheetkit.remind import ReminderPlan, plan_reminders
from sheetkit.report import Report, build_report
from sheetkit.rules import RULE_TABLE
from staged import row_of, staged

D = dt.date
AS_OF = D(2026, 11, 22)
LONG_NOTE = ("Talked for an hour about moving from retail analytics into product work, the value of SQL, "
             "and which teams at the company hire juniors; she offered to introduce me to two colleagues.")


def every_rule_tracker(path: Path, name: str = "Alice Ng", notes: str = LONG_NOTE) -> Path:
    """Six contacts, one due under each rule as of AS_OF; the first one's name and notes as given."""
    contacts = [
        contact(name, organization="Acme Corporation", title="Data Lead", how_met="Career fair",
                date_met=D(2026, 11, 18), notes=notes, email="alice@acme.example"),
        contact("Bob Roe", organization="Globex", date_met=D(2026, 10, 20), thank_you_sent=D(2026, 10, 21)),
        contact("Carol Diaz", organization="Initech", date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 2)),
        contact("Dan Wu", organization="Hooli", date_met=D(2026, 3, 1), thank_you_sent=D(2026, 3, 2)),
        contact("Eve Ode", organization="Umbrella", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 2),
                agreed_next=D(2026, 11, 20)),
        contact("Fay Kim", organization="Vandelay", referred_by="Bob Roe", date_met=D(2026, 11, 10),
                thank_you_sent=D(2026, 11, 11), notes="Portfolio review offered"),
    ]
    touches = [
        touch(D(2026, 11, 3), "Bob Roe", channel="Email", purpose="Follow-up"),  # so his next step is the update
        touch(D(2026, 9, 20), "Carol Diaz", channel="Email", purpose="Follow-up"),
        touch(D(2026, 3, 20), "Dan Wu", channel="Email", purpose="Follow-up"),
        touch(D(2026, 4, 20), "Dan Wu", channel="LinkedIn", purpose="Follow-up"),
        touch(D(2026, 11, 10), "Fay Kim", "Received", channel="Email", notes="Happy to review my portfolio"),
    ]
    return write_tracker(path, contacts, touches, student="Sam Lee")


def plan_for(tracker: Path, days: int = 30) -> ReminderPlan:
    return plan_reminders(build_report(tracker, Config(), AS_OF), days)


#: One follow-up under each first-round rule for every_rule_tracker's contacts: (contact, rule, due, about).
FIRST_ROUND = (
    ("Alice Ng", "thank-you", D(2026, 11, 19), None),
    ("Bob Roe", "first-follow-up", D(2026, 11, 4), None),
    ("Carol Diaz", "second-follow-up", D(2026, 10, 18), None),
    ("Dan Wu", "keep-in-touch", D(2026, 8, 18), None),
    ("Eve Ode", "agreed-date", D(2026, 11, 20), None),
    ("Bob Roe", "referrer-update", D(2026, 11, 17), "Fay Kim"),
)


def staged_plan(report: Report, steps: Sequence[tuple[str, str, dt.date, str | None]],
                channel: str | None = "Email") -> ReminderPlan:
    """The reminders for exactly these follow-ups of ``report``'s contacts, whatever the engine would say."""
    followups = [
        Followup(name, None, rule, due, max((AS_OF - due).days, 0), "overdue" if due < AS_OF else "upcoming",
                 f"{RULE_TABLE[rule].label} due", channel, row_of(report, name), about=about)  # type: ignore[arg-type]
        for name, rule, due, about in steps
    ]
    return plan_reminders(staged(report, followups), 30)


def with_channel(plan: ReminderPlan, channel: str | None) -> ReminderPlan:
    """The same plan with every follow-up suggesting ``channel``."""
    reminders = [dataclasses.replace(r, followup=dataclasses.replace(r.followup, suggested_channel=channel))
                 for r in plan.reminders]
    return dataclasses.replace(plan, reminders=reminders)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> ReminderPlan:
    tracker = every_rule_tracker(tmp_path_factory.mktemp("drafts") / "tracker.xlsx")
    return staged_plan(build_report(tracker, Config(), AS_OF), FIRST_ROUND)


def assert_within_limits(draft: Draft) -> None:
    assert draft.words <= MAX_WORDS, draft.text
    assert draft.chars <= MAX_CHARS.get(draft.form, 10_000), draft.text
    assert not draft.warnings, draft.warnings


def test_the_engine_finds_follow_ups_in_the_scenario(tmp_path: Path) -> None:
    found = {(r.followup.contact, r.followup.rule) for r in plan_for(every_rule_tracker(tmp_path / "t.xlsx")).reminders}
    # Met 2026-11-18 and not thanked; Eve's agreed date 2026-11-20 has passed.
    assert {("Alice Ng", "thank-you"), ("Eve Ode", "agreed-date")} <= found


@pytest.mark.parametrize("channel", sorted(CHANNEL_FORMS))
def test_each_rule_names_the_contact_within_the_channel_limits(plan: ReminderPlan, channel: str) -> None:
    drafts = build_drafts(with_channel(plan, channel))
    assert len(drafts) == len(plan.reminders)
    for draft in drafts:
        assert draft.form == CHANNEL_FORMS[channel]
        assert first_name(draft.reminder.contact.name) in draft.text, draft.text
        assert "Sam Lee" in draft.text, draft.text
        assert_within_limits(draft)
        if draft.reminder.about is not None:
            assert draft.reminder.about.name in draft.text, draft.text


def test_forms_have_their_shape(plan: ReminderPlan) -> None:
    [email] = [d for d in build_drafts(with_channel(plan, "Email")) if d.reminder.followup.rule == "thank-you"]
    assert email.text.startswith("Subject: Thank you for your time\n\nDear Alice,\n"), email.text
    # The prompt quotes the Notes cell of the Contacts sheet.
    assert "our conversation at the career fair on November 18" in email.text
    assert 'your notes: "Talked for an hour about moving from retail analytics into product work…"' in email.text
    [voicemail] = [d for d in build_drafts(with_channel(plan, "Voicemail")) if d.reminder.followup.rule == "thank-you"]
    assert voicemail.text.startswith("Hello Alice, this is Sam Lee.") and "[your phone number]" in voicemail.text
    for short in build_drafts(with_channel(plan, "Text message")):
        assert "[" not in short.text and "Subject:" not in short.text, short.text


def test_agreed_date_and_referrer_update_drafts_use_their_facts(plan: ReminderPlan) -> None:
    drafts = {d.reminder.followup.rule: d for d in build_drafts(with_channel(plan, "Email"))}
    assert "around November 20" in drafts["agreed-date"].text
    update = drafts["referrer-update"]
    assert update.reminder.contact.name == "Bob Roe"
    assert "Dear Bob," in update.text and "introducing me to Fay Kim at Vandelay" in update.text
    # The note quoted is the referred contact's Notes (Fay's), not a touchpoint's.
    assert 'your notes: "Portfolio review offered"' in update.text, update.text
    assert "Happy to review my portfolio" not in update.text


def test_file_names_are_dated_and_safe(plan: ReminderPlan) -> None:
    names = [d.file_name for d in build_drafts(plan)]
    assert len(set(names)) == len(names)
    assert "2026-11-19-thank-you-alice-ng.txt" in names
    assert "2026-11-17-referrer-update-bob-roe-about-fay-kim.txt" in names
    assert all(n.endswith(".txt") and "/" not in n and "\\" not in n and not n.startswith(".") for n in names)


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "Seán O'Brien <b>&</b>", "{% raw %}Ann{% endraw %}", "李雷"])
def test_user_text_comes_out_literally(tmp_path: Path, name: str) -> None:
    notes = "{% raw %} {{ 7*7 }} O'Brien <b>"
    report = build_report(every_rule_tracker(tmp_path / "t.xlsx", name=name, notes=notes), Config(), AS_OF)
    plan = staged_plan(report, [(name, "thank-you", D(2026, 11, 19), None)])
    for channel in ("Email", "Handwritten card", "LinkedIn"):
        [draft] = [d for d in build_drafts(with_channel(plan, channel)) if d.reminder.contact.name == name]
        assert first_name(name) in draft.text and "49" not in draft.text, draft.text
        if channel == "Email":
            assert notes in draft.text, draft.text
        assert "&#39;" not in draft.text and "&lt;" not in draft.text, draft.text
        assert "/" not in draft.file_name and draft.file_name.startswith("2026-11-19-thank-you-")


def test_names_that_slug_alike_get_unique_files(tmp_path: Path) -> None:
    path = write_tracker(tmp_path / "t.xlsx", [contact("Anne Marie", date_met=D(2026, 11, 20)),
                                               contact("Anne-Marie", date_met=D(2026, 11, 20)),
                                               contact("../../Anne Marie", date_met=D(2026, 11, 20))])
    names = sorted(d.file_name for d in build_drafts(plan_for(path)))
    assert names == ["2026-11-21-thank-you-anne-marie-2.txt", "2026-11-21-thank-you-anne-marie-3.txt",
                     "2026-11-21-thank-you-anne-marie.txt"]


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=40, deadline=None)
@given(name=texts, organization=texts, note=st.text(max_size=600))
def test_any_name_and_note_stays_within_limits(plan: ReminderPlan, name: str, organization: str, note: str) -> None:
    card = {"name": name, "organization": organization, "notes": note or None}
    reminders = [dataclasses.replace(r, contact=dataclasses.replace(r.contact, **card),
                                     followup=dataclasses.replace(r.followup, suggested_channel=channel))
                 for r in plan.reminders for channel in (*CHANNEL_FORMS, "Video call", None)]
    for draft in build_drafts(dataclasses.replace(plan, reminders=reminders)):
        assert first_name(name) in draft.text
        assert_within_limits(draft)


def test_note_excerpt_is_short_and_on_one_line() -> None:
    excerpt = note_excerpt(LONG_NOTE)
    assert excerpt.endswith("…") and len(excerpt.split()) <= 12 and len(excerpt) <= 91
    assert note_excerpt("Short\nnote.") == "Short note."
    assert len(note_excerpt("x" * 500)) <= 91


def test_templates_override_by_name_and_by_form(tmp_path: Path, plan: ReminderPlan) -> None:
    folder = tmp_path / "ours" / "drafts"
    folder.mkdir(parents=True)
    (folder / "thank-you.txt").write_text("{% extends layout %}{% block message %}Many thanks from {{ sender }}, "
                                          "Northfield.{% endblock %}", encoding="utf-8")
    (folder / "thank-you.card.txt").write_text("Card for {{ contact.name }}.\n", encoding="utf-8")
    email = [d for d in build_drafts(with_channel(plan, "Email"), tmp_path / "ours")
             if d.reminder.followup.rule == "thank-you"]
    card = [d for d in build_drafts(with_channel(plan, "Handwritten card"), tmp_path / "ours")
            if d.reminder.followup.rule == "thank-you"]
    assert "Many thanks from Sam Lee, Northfield." in email[0].text and email[0].text.startswith("Subject:\n")
    assert card[0].text == "Card for Alice Ng.\n" and card[0].template == "drafts/thank-you.card.txt"


def test_a_broken_template_is_a_user_error(tmp_path: Path, plan: ReminderPlan) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "keep-in-touch.txt").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(DraftTemplateError, match="keep-in-touch.txt, line 1"):
        build_drafts(plan, tmp_path)
    (folder / "keep-in-touch.txt").write_text("{{ contact.nickname }}", encoding="utf-8")
    with pytest.raises(DraftTemplateError, match="nickname"):
        build_drafts(plan, tmp_path)


def test_a_long_override_is_flagged_not_cut(tmp_path: Path, plan: ReminderPlan) -> None:
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "thank-you.linkedin.txt").write_text("word " * 80, encoding="utf-8")
    [draft] = [d for d in build_drafts(with_channel(plan, "LinkedIn"), tmp_path)
               if d.reminder.followup.rule == "thank-you"]
    assert draft.words == 80 and any("300" in w for w in draft.warnings)


def test_write_drafts_keeps_existing_files_unless_forced(tmp_path: Path, plan: ReminderPlan) -> None:
    drafts = build_drafts(plan)
    folder = tmp_path / "drafts"
    first = write_drafts(drafts, folder)
    assert len(first.written) == len(drafts) and not first.kept
    edited = first.written[0]
    edited.write_text("my edits", encoding="utf-8")
    second = write_drafts(drafts, folder)
    assert not second.written and edited in second.kept and edited.read_text(encoding="utf-8") == "my edits"
    forced = write_drafts(drafts, folder, force=True)
    assert edited in forced.written and edited.read_text(encoding="utf-8") == drafts[0].text


def test_cli_drafts(runner: CliRunner, tmp_path: Path) -> None:
    tracker = every_rule_tracker(tmp_path / "tracker.xlsx")
    out = tmp_path / "drafts"
    result = runner.invoke(cli, ["remind", str(tracker), "--as-of", AS_OF.isoformat(), "--drafts", str(out),
                                 "-o", "-"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == len(plan_for(tracker).reminders), result.output
    assert "2026-11-19-thank-you-alice-ng.txt" in files
    assert f"{len(files)} written" in result.stderr, result.output
    assert result.stdout.startswith("BEGIN:VCALENDAR"), result.output


def test_cli_reports_a_broken_template(runner: CliRunner, tmp_path: Path) -> None:
    tracker = every_rule_tracker(tmp_path / "tracker.xlsx")
    (tmp_path / "ours" / "drafts").mkdir(parents=True)
    (tmp_path / "ours" / "drafts" / "_email.txt").write_text("{% block %}", encoding="utf-8")
    result = runner.invoke(cli, ["remind", str(tracker), "--as-of", AS_OF.isoformat(), "--drafts",
                                 str(tmp_path / "d"), "--templates", str(tmp_path / "ours")])
    assert result.exit_code == 1 and "_email.txt" in result.output, result.output
    assert not tracker.with_name("tracker-reminders.ics").exists()


# ---- drafts true to the relationship ------------------------------------------------------------------------

FORMS = (*CHANNEL_FORMS, "Video call", None)
RULES_ABOUT_SOMEONE_ELSE = ("referrer-update", "referrer-thanks")


def relationship_tracker(path: Path) -> Path:
    """People at every stage: met, never met, met only by a warm reply, a job interview, a referral chain."""
    contacts = [
        contact("Priya Natarajan", organization="Harborline", how_met="Informational interview",
                date_met=D(2026, 11, 19), notes="Suggested I learn SQL window functions."),
        contact("Beatriz Costa", organization="Tidewater Bank", how_met="Cold outreach",
                notes="Found through the alumni directory."),
        contact("Wen Zhao", organization="Lumen", how_met="Online community", notes="Sent a list of resources."),
        contact("Tom Becker", organization="Alder & Finch", how_met="Job interview", date_met=D(2026, 11, 12),
                notes="Second-round interview for the analyst role."),
        contact("Hannah Schmidt", organization="Northfield University", how_met="Class or campus",
                date_met=D(2026, 10, 5)),
        contact("Grace Liu", date_met=D(2026, 6, 10)),
        contact("Lucia Romero", referred_by="Grace Liu", date_met=D(2026, 7, 24)),
        contact("Omar Haddad", referred_by="Lucia Romero", date_met=D(2026, 11, 9),
                notes="Told me about the spring analyst pool."),
    ]
    touches = [
        touch(D(2026, 11, 20), "Priya Natarajan", "Received", channel="LinkedIn",
              notes="Accepted my connection request"),
        touch(D(2026, 11, 1), "Beatriz Costa", purpose="Meeting request", channel="Email", got_reply="No"),
        touch(D(2026, 11, 1), "Wen Zhao", purpose="Question", channel="Email", got_reply="Yes",
              reply_date=D(2026, 11, 3), reply_quality="Warm"),
        touch(D(2026, 11, 3), "Hannah Schmidt", "Received", purpose="Question", channel="Email",
              notes="How is the résumé coming along?"),
        touch(D(2026, 11, 18), "Grace Liu", "Received", purpose="Meeting request", channel="Email",
              notes="Coffee next week?"),
    ]
    return write_tracker(path, contacts, touches, student="Jordan Rivera")


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return build_report(relationship_tracker(tmp_path_factory.mktemp("people") / "t.xlsx"), Config(), AS_OF)


def draft(report: Report, name: str, rule: str, channel: str | None = "Email", about: str | None = None) -> Draft:
    [made] = build_drafts(staged_plan(report, [(name, rule, D(2026, 11, 21), about)], channel))
    assert_within_limits(made)
    return made


def test_the_takeaway_prompt_quotes_the_contacts_notes(people: Report) -> None:
    text = draft(people, "Priya Natarajan", "thank-you").text
    assert '[Name one thing you took away; your notes: "Suggested I learn SQL window functions."]' in text, text
    assert "connection request" not in text


@pytest.mark.parametrize("rule", [rule for rule in RULE_TABLE if rule not in RULES_ABOUT_SOMEONE_ELSE])
def test_someone_never_met_or_heard_from_is_never_told_we_spoke(people: Report, rule: str) -> None:
    for channel in FORMS:
        text = draft(people, "Beatriz Costa", rule, channel).text.casefold()
        for claim in ("since we", "we spoke", "our conversation", "your reply", "your advice", "your guidance",
                      "the interview", "informational interview"):
            assert claim not in text, (channel, text)


def test_a_met_contact_hears_since_we_were_last_in_touch(people: Report) -> None:
    assert "It has been a while since we were last in touch" in draft(people, "Hannah Schmidt", "keep-in-touch").text
    assert "since we" not in draft(people, "Beatriz Costa", "keep-in-touch").text
    assert "I wrote to you a while ago" in draft(people, "Beatriz Costa", "keep-in-touch").text


def test_someone_not_met_who_answered_warmly_is_thanked_for_the_reply(people: Report) -> None:
    text = draft(people, "Wen Zhao", "thank-you").text
    assert text.startswith("Subject: Thank you for your help\n"), text
    assert "Thank you for your reply, and for taking the time to help me." in text
    assert "interview" not in text and "our conversation" not in text


@pytest.mark.parametrize("rule", ["thank-you", "first-follow-up", "second-follow-up", "keep-in-touch", "agreed-date"])
def test_job_interview_wording_is_about_the_role_and_next_steps(people: Report, rule: str) -> None:
    for channel in FORMS:
        text = draft(people, "Tom Becker", rule, channel).text
        assert "role" in text, (channel, text)
        for wrong in ("stay in touch", "advice", "guidance", "our conversation"):
            assert wrong not in text, (channel, text)
    email = draft(people, "Tom Becker", rule).text
    if rule == "thank-you":
        assert email.startswith("Subject: Thank you for the interview\n\nDear Tom,\n\nThank you for interviewing me "
                                "on November 12."), email
    if rule in ("thank-you", "first-follow-up", "second-follow-up", "agreed-date"):
        assert "next steps" in email, email


def test_an_agreed_date_draft_never_asks_for_another_time(people: Report) -> None:
    for name in ("Hannah Schmidt", "Tom Becker"):
        for channel in FORMS:
            text = draft(people, name, "agreed-date", channel).text
            assert "around November 21" in text, text
            assert "another time" not in text and "better time" not in text, text


def test_a_reply_answers_their_question_or_their_invitation(people: Report) -> None:
    question = draft(people, "Hannah Schmidt", "reply").text
    assert question.startswith("Subject: Re: your question\n\nDear Hannah,\n\nThank you for your message of "
                               "November 3.\n[Answer their question; they asked: \"How is the résumé coming "
                               "along?\"]"), question
    meeting = draft(people, "Grace Liu", "reply").text
    assert "Thank you for suggesting we meet (your message of November 18). I would be glad to." in meeting
    assert 'they wrote: "Coffee next week?"' in meeting
    assert "[accept their time, or offer two or three]" in draft(people, "Grace Liu", "reply", "LinkedIn").text


def test_a_nudge_follows_up_on_the_request(people: Report) -> None:
    text = draft(people, "Beatriz Costa", "nudge").text
    assert "I am following up on my earlier message" in text and "20 minutes" in text and "Tidewater Bank" in text
    assert 'your notes: "Found through the alumni directory."' in text


def test_the_referrer_is_thanked_for_the_introduction(people: Report) -> None:
    text = draft(people, "Lucia Romero", "referrer-thanks", about="Omar Haddad").text
    assert "Dear Lucia," in text and "Thank you for introducing me to Omar Haddad. I have written to Omar" in text


def test_offer_thanks_drafts_thank_the_referral_chain_for_their_introductions(people: Report) -> None:
    chain = {name: draft(people, name, "offer-thanks").text for name in ("Grace Liu", "Lucia Romero", "Omar Haddad")}
    for text in chain.values():
        assert "I have accepted an offer at [organization, and the role]." in text, text
    assert "Thank you for your help along the way, especially for introducing me to Lucia Romero." in chain["Grace Liu"]
    assert "especially for introducing me to Omar Haddad." in chain["Lucia Romero"]
    assert ('especially [what they did that helped; your notes: "Told me about the spring analyst pool."]'
            in chain["Omar Haddad"]), chain["Omar Haddad"]
    short = draft(people, "Grace Liu", "offer-thanks", "LinkedIn").text
    assert "especially for introducing me to Lucia Romero" in short


@pytest.mark.parametrize("rule", list(RULE_TABLE))
def test_a_subject_line_only_for_email(people: Report, rule: str) -> None:
    about = "Omar Haddad" if rule in RULES_ABOUT_SOMEONE_ELSE else None
    for channel in FORMS:
        text = draft(people, "Lucia Romero", rule, channel, about).text
        assert text.startswith("Subject: ") == (channel == "Email"), (channel, text)
        assert "Subject:" not in text.split("\n", 1)[1], text


def test_no_usable_channel_says_how_to_reach_them_is_missing(people: Report) -> None:
    text = draft(people, "Hannah Schmidt", "first-follow-up", None).text
    row = row_of(people, "Hannah Schmidt")
    assert text.startswith(f"[How to reach Hannah is missing: add an email, phone number or LinkedIn profile in "
                           f"Contacts row {row}.]\n\nDear Hannah,\n"), text
    assert "Video call" not in text and "[How to reach" not in draft(people, "Hannah Schmidt", "thank-you",
                                                                      "Video call").text
