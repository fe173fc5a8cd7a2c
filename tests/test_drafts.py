"""Message drafts: one per due follow-up, brief, in the channel's form, and never template code."""

from __future__ import annotations

import dataclasses
import datetime as dt
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
from sheetkit.remind import ReminderPlan, plan_reminders
from sheetkit.report import build_report

D = dt.date
AS_OF = D(2026, 11, 22)
LONG_NOTE = ("Talked for an hour about moving from retail analytics into product work, the value of SQL, "
             "and which teams at the company hire juniors; she offered to introduce me to two colleagues.")


def every_rule_tracker(path: Path, name: str = "Alice Ng", notes: str = LONG_NOTE) -> Path:
    """Six contacts, one due under each rule as of AS_OF; the first one's name and notes as given."""
    contacts = [
        contact(name, organization="Acme Corporation", title="Data Lead", how_met="Career fair",
                date_met=D(2026, 11, 18), notes=notes),
        contact("Bob Roe", organization="Globex", date_met=D(2026, 10, 20), thank_you_sent=D(2026, 10, 21)),
        contact("Carol Diaz", organization="Initech", date_met=D(2026, 9, 1), thank_you_sent=D(2026, 9, 2)),
        contact("Dan Wu", organization="Hooli", date_met=D(2026, 3, 1), thank_you_sent=D(2026, 3, 2)),
        contact("Eve Ode", organization="Umbrella", date_met=D(2026, 11, 1), thank_you_sent=D(2026, 11, 2),
                agreed_next=D(2026, 11, 20)),
        contact("Fay Kim", organization="Vandelay", referred_by="Bob Roe", date_met=D(2026, 11, 10),
                thank_you_sent=D(2026, 11, 11)),
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


def with_channel(plan: ReminderPlan, channel: str) -> ReminderPlan:
    """The same plan with every follow-up suggesting ``channel``."""
    reminders = [dataclasses.replace(r, followup=dataclasses.replace(r.followup, suggested_channel=channel))
                 for r in plan.reminders]
    return dataclasses.replace(plan, reminders=reminders)


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> ReminderPlan:
    return plan_for(every_rule_tracker(tmp_path_factory.mktemp("drafts") / "tracker.xlsx"))


def assert_within_limits(draft: Draft) -> None:
    assert draft.words <= MAX_WORDS, draft.text
    assert draft.chars <= MAX_CHARS.get(draft.form, 10_000), draft.text
    assert not draft.warnings, draft.warnings


def test_scenario_has_a_follow_up_under_every_first_round_rule(plan: ReminderPlan) -> None:
    first_round = {"thank-you", "first-follow-up", "second-follow-up", "keep-in-touch", "agreed-date",
                   "referrer-update"}
    assert {r.followup.rule for r in plan.reminders} == first_round


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
    # The note quoted is the latest one with the referred contact.
    assert "Happy to review my portfolio" in update.text


def test_file_names_are_dated_and_safe(plan: ReminderPlan) -> None:
    names = [d.file_name for d in build_drafts(plan)]
    assert len(set(names)) == len(names)
    assert "2026-11-19-thank-you-alice-ng.txt" in names
    assert "2026-11-17-referrer-update-bob-roe-about-fay-kim.txt" in names
    assert all(n.endswith(".txt") and "/" not in n and "\\" not in n and not n.startswith(".") for n in names)


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "Seán O'Brien <b>&</b>", "{% raw %}Ann{% endraw %}", "李雷"])
def test_user_text_comes_out_literally(tmp_path: Path, name: str) -> None:
    notes = "{% raw %} {{ 7*7 }} O'Brien <b>"
    plan = plan_for(every_rule_tracker(tmp_path / "t.xlsx", name=name, notes=notes))
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
    card = {"name": name, "organization": organization, "last_note": note or None}
    reminders = [dataclasses.replace(r, contact=dataclasses.replace(r.contact, **card),
                                     followup=dataclasses.replace(r.followup, suggested_channel=channel))
                 for r in plan.reminders for channel in CHANNEL_FORMS]
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
