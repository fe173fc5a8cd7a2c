"""Short message drafts for the follow-ups a reminder plan holds, one per follow-up.

Each draft comes from a plain-text Jinja2 template under ``templates/drafts/``:
``<rule>.txt`` (e.g. ``thank-you.txt``) fills the blocks ``subject``,
``message`` and ``short``, and extends the layout of the suggested channel's
form (``_email.txt``, ``_card.txt``, ``_phone.txt``, ``_linkedin.txt``,
``_text.txt``, ``_note.txt``), which arranges them: a Subject line and body
for email, a card text, a spoken script, a note for LinkedIn, a short text
message, and a plain note (no Subject line) for any other channel or when no
way to reach the person is recorded. A file named ``<rule>.<form>.txt``
(``thank-you.card.txt``) replaces both for that one form. ``--templates DIR``
overrides any of them by name (``DIR/drafts/...``).

The wording follows the relationship, read from the tracker: whether you have
met (a Date met), whether they have ever replied, and whether the meeting was
a job interview (then the role and next steps, never "stay in touch"). The
bracketed prompt quotes the contact's Notes from the Contacts sheet.

The templates are plain text, so the environment does not HTML-escape
(O'Brien stays O'Brien). What people typed in the tracker reaches a template
only as variable values, which Jinja2 never evaluates as template code.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from sheetkit.errors import OutputError, SheetkitError
from sheetkit.output import write_bytes_atomic
from sheetkit.remind import ContactCard, Reminder, ReminderPlan
from sheetkit.render import environment
from sheetkit.rules import RULE_TABLE

#: Suggested channel -> the form its draft takes.
CHANNEL_FORMS: dict[str, str] = {
    "Email": "email",
    "Handwritten card": "card",
    "Phone call": "phone",
    "Voicemail": "phone",
    "LinkedIn": "linkedin",
    "Text message": "text",
}
#: The form for any other channel, and for none: a plain note, with no Subject line.
NOTE_FORM = "note"
#: Purposes of a received message that ask for an answer (the reply rule).
ASKING_PURPOSES = ("Question", "Meeting request")
#: Rules whose message is about the contact the referrer introduced: they quote that contact's notes.
ABOUT_RULES = frozenset({"referrer-update", "referrer-thanks"})

#: Every draft stays under 100 words: brief, every time.
MAX_WORDS = 99
#: Character limits per form: LinkedIn's connection-note limit, and two SMS segments.
MAX_CHARS: dict[str, int] = {"linkedin": 300, "text": 320}

#: How much of a note a draft quotes.
NOTE_WORDS = 12
NOTE_CHARS = 90

#: How we met -> the meeting as a phrase that reads after "Thank you for".
OCCASIONS: dict[str, str] = {
    "Informational interview": "the informational interview",
    "Networking event": "our conversation at the networking event",
    "Job interview": "the interview",
    "Career fair": "our conversation at the career fair",
    "Class or campus": "our conversation on campus",
    "Online community": "our conversation online",
}
DEFAULT_OCCASION = "our conversation"

#: First words that are titles, not first names ("Dr. Lee" is greeted as "Dr. Lee").
_HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "mx", "miss", "prof", "professor", "sir", "dame"})
_SLUG_GAPS = re.compile(r"[^0-9a-z]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SLUG_LENGTH = 40


class DraftTemplateError(SheetkitError):
    """A draft template cannot be loaded or rendered (a typo in an institution's override)."""


@dataclass(frozen=True)
class DraftContact:
    """A contact as the templates see them: ``contact.first_name``, ``contact.occasion``, ..."""

    name: str
    first_name: str
    organization: str | None
    title: str | None
    how_met: str | None
    #: The meeting as a phrase: "the informational interview", "our conversation at the career fair".
    occasion: str
    #: The meeting date in words ("November 10"; the year is added when it is not the as-of year).
    met_on: str | None
    #: You have met them (a Date met on or before the as-of date): never "since we last spoke" otherwise.
    met: bool
    #: They have answered at least one of your messages.
    replied: bool
    #: How we met is "Job interview": the wording is about the role and next steps.
    job_interview: bool
    #: The contacts they introduced you to.
    introduced: tuple[str, ...]
    row: int


@dataclass(frozen=True)
class Asked:
    """Their latest message that asked something (for a reply draft)."""

    purpose: str
    on: str
    note: str | None


@dataclass(frozen=True)
class Draft:
    """One message draft: its text, the file it goes to, and any limit it breaks."""

    reminder: Reminder
    form: str
    template: str
    file_name: str
    text: str
    warnings: tuple[str, ...] = ()

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def chars(self) -> int:
        return len(self.text.rstrip("\n"))


@dataclass
class WrittenDrafts:
    """What :func:`write_drafts` did: files written, and existing files left as they were."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def draft_environment(override: Path | None = None) -> jinja2.Environment:
    """The report's sandboxed template environment (same folders, same overrides) without HTML escaping.

    Compiled templates depend on the escaping setting, so the escaping environment's
    on-disk compilation cache is not shared here. A template's error is a :class:`DraftTemplateError`.
    """
    env = environment(override).overlay(autoescape=False, bytecode_cache=None)
    env.error = DraftTemplateError  # type: ignore[attr-defined]
    return env


def build_drafts(plan: ReminderPlan, templates: Path | None = None) -> list[Draft]:
    """One draft per reminder in ``plan``, in the plan's order, with unique file names."""
    env = draft_environment(templates)
    taken: set[str] = set()
    drafts = []
    for reminder in plan.reminders:
        name = _unique(draft_file_name(reminder), taken)
        drafts.append(_draft(env, reminder, plan, name))
    return drafts


def write_drafts(drafts: Sequence[Draft], folder: Path, *, force: bool = False) -> WrittenDrafts:
    """Write each draft into ``folder`` (created if missing); existing files are kept unless ``force``.

    A draft already there may have been edited, so a re-run leaves it alone.
    """
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: is a file; give --drafts the name of a folder")
    if not folder.parent.exists():
        raise OutputError(f"{folder.parent}: folder does not exist; create it first or choose another --drafts folder")
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the drafts folder ({exc.strerror}); choose another one") from None
    result = WrittenDrafts()
    for draft in drafts:
        path = folder / draft.file_name
        if path.is_dir():
            raise OutputError(f"{path}: is a folder; move it away or choose another --drafts folder")
        if path.exists() and not force:
            result.kept.append(path)
            continue
        write_bytes_atomic(path, draft.text.encode("utf-8"))
        result.written.append(path)
    return result


def draft_file_name(reminder: Reminder) -> str:
    """'2026-11-23-thank-you-alice-ng.txt': due date, rule, contact (and referred contact)."""
    followup = reminder.followup
    stem = f"{followup.due.isoformat()}-{followup.rule}-{_slug(reminder.contact.name, reminder.contact.row)}"
    if reminder.about is not None:
        stem += f"-about-{_slug(reminder.about.name, reminder.about.row)}"
    return stem + ".txt"


def note_excerpt(note: str, words: int = NOTE_WORDS, chars: int = NOTE_CHARS) -> str:
    """The start of a note, on one line, cut at a word boundary with '…' when shortened.

    >>> note_excerpt("Advised me to learn SQL first.   Then talk to Bob in analytics.", words=6)
    'Advised me to learn SQL first…'
    """
    flat = " ".join(note.split())
    cut = " ".join(flat.split(" ")[:words])
    if len(cut) > chars:
        cut = cut[:chars].rsplit(" ", 1)[0]
    if cut == flat:
        return flat
    return cut.rstrip(" ,;:.-") + "…"


def first_name(name: str) -> str:
    """What to call someone in a greeting: their first word, or the whole name if that is a title.

    >>> first_name("Alice Ng"), first_name("Dr. Jane Roe"), first_name("{{ 7*7 }}")
    ('Alice', 'Dr. Jane Roe', '{{ 7*7 }}')
    """
    words = name.split()
    first = words[0] if words else name
    if first.rstrip(".").casefold() in _HONORIFICS or not any(c.isalpha() for c in first):
        return " ".join(words) or name
    return first


def _draft(env: jinja2.Environment, reminder: Reminder, plan: ReminderPlan, file_name: str) -> Draft:
    followup = reminder.followup
    channel = followup.suggested_channel
    form = CHANNEL_FORMS.get(channel, NOTE_FORM) if channel else NOTE_FORM
    noted = reminder.about if reminder.about and followup.rule in ABOUT_RULES else reminder.contact
    note = note_excerpt(noted.notes) if noted.notes else None
    context: dict[str, Any] = {
        "contact": _draft_contact(reminder.contact, plan.as_of),
        "about": _about(reminder, plan.as_of),
        "rule": followup.rule,
        "rule_label": RULE_TABLE[followup.rule].label,
        "channel": channel,
        "form": form,
        "due": _long_date(followup.due, plan.as_of),
        "notes": note,
        "asked": _asked(plan, reminder.contact) if followup.rule == "reply" else None,
        "sender": plan.report.tracker.student,
        "signature": plan.report.tracker.student or "[Your name]",
        "layout": f"drafts/_{form}.txt",
    }
    names = [f"drafts/{followup.rule}.{form}.txt", f"drafts/{followup.rule}.txt"]
    template = _template(env, names)
    text = _tidy(template.render(context))
    if _over_limits(text, form) and note:
        # Quoting the note made it too long: drop the quote before giving up on the limits.
        text = _tidy(template.render({**context, "notes": None}))
    return Draft(
        reminder=reminder,
        form=form,
        template=str(template.name),
        file_name=file_name,
        text=text,
        warnings=tuple(_over_limits(text, form)),
    )


def _about(reminder: Reminder, as_of: dt.date) -> DraftContact | None:
    """The contact a referrer's message is about: their card, else just the name the follow-up gives."""
    if reminder.about is not None:
        return _draft_contact(reminder.about, as_of)
    name = reminder.followup.about
    if name is None:
        return None
    return DraftContact(name=name, first_name=first_name(name), organization=None, title=None, how_met=None,
                        occasion=DEFAULT_OCCASION, met_on=None, met=False, replied=False, job_interview=False,
                        introduced=(), row=0)


def _asked(plan: ReminderPlan, card: ContactCard) -> Asked | None:
    """The contact's latest received Question or Meeting request on or before the as-of date, if any."""
    touches = plan.report.tracker.touchpoints
    contacts = plan.report.tracker.contacts
    keys = contacts.loc[contacts["row"] == card.row, "key"].tolist()
    if not keys or touches.empty:
        return None
    theirs = touches[(touches["contact_key"] == keys[0]) & (touches["direction"] == "Received")
                     & touches["purpose"].isin(ASKING_PURPOSES)]
    theirs = theirs[theirs["date"].notna() & (theirs["date"].dt.date <= plan.as_of)].sort_values("date", kind="stable")
    if theirs.empty:
        return None
    latest = theirs.iloc[-1]
    note = latest["notes"] if isinstance(latest["notes"], str) and latest["notes"].strip() else None
    return Asked(purpose=latest["purpose"], on=_long_date(latest["date"].date(), plan.as_of),
                 note=note_excerpt(note) if note else None)


def _template(env: jinja2.Environment, names: list[str]) -> jinja2.Template:
    try:
        return env.select_template(names)
    except jinja2.TemplatesNotFound:
        raise DraftTemplateError(
            f"no draft template {names[-1]} (or {names[0]}) in --templates or the built-in templates; "
            "restore the file or add it to your templates folder"
        ) from None


def _tidy(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, one newline at the end."""
    lines = "\n".join(line.rstrip() for line in text.strip().split("\n"))
    return _BLANK_LINES.sub("\n\n", lines) + "\n"


def _over_limits(text: str, form: str) -> list[str]:
    problems = []
    words = len(text.split())
    if words > MAX_WORDS:
        problems.append(f"{words} words; keep it under {MAX_WORDS + 1}")
    limit = MAX_CHARS.get(form)
    chars = len(text.rstrip("\n"))
    if limit is not None and chars > limit:
        problems.append(f"{chars} characters, over the {limit} a {form} message allows")
    return problems


def _draft_contact(card: ContactCard, as_of: dt.date) -> DraftContact:
    return DraftContact(
        name=card.name,
        first_name=first_name(card.name),
        organization=card.organization,
        title=card.title,
        how_met=card.how_met,
        occasion=OCCASIONS.get(card.how_met or "", DEFAULT_OCCASION),
        met_on=_long_date(card.date_met, as_of) if card.date_met else None,
        met=card.date_met is not None and card.date_met <= as_of,
        replied=card.replied,
        job_interview=card.how_met == "Job interview",
        introduced=card.introduced,
        row=card.row,
    )


def _long_date(day: dt.date, as_of: dt.date) -> str:
    text = f"{day:%B} {day.day}"
    return text if day.year == as_of.year else f"{text}, {day.year}"


def _slug(name: str, row: int) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").casefold()
    slug = _SLUG_GAPS.sub("-", folded).strip("-")
    if len(slug) > _SLUG_LENGTH:
        slug = slug[:_SLUG_LENGTH].rsplit("-", 1)[0]
    return slug or f"row-{row}"


def _unique(name: str, taken: set[str]) -> str:
    stem, suffix = name.removesuffix(".txt"), ".txt"
    candidate, number = name, 2
    while candidate.casefold() in taken:
        candidate = f"{stem}-{number}{suffix}"
        number += 1
    taken.add(candidate.casefold())
    return candidate
