"""The tracker workbook's contract, declared once.

Sheet names, column headers, dropdown lists and the aliases people use for
them live here; the builder, the reader, the validator and the docs all read
this module, so a header is never spelled twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from sheetkit.rules import RULE_TABLE

ColumnKind = Literal["text", "date", "choice", "contact", "formula"]

START_SHEET = "Start Here"
CONTACTS_SHEET = "Contacts"
TOUCHPOINTS_SHEET = "Touchpoints"
DASHBOARD_SHEET = "Dashboard"
LISTS_SHEET = "Lists"

#: Sheet-name aliases accepted when reading (normalised with :func:`normalize_label`).
SHEET_ALIASES: dict[str, tuple[str, ...]] = {
    CONTACTS_SHEET: ("contacts", "contact", "contact list", "people", "network", "my contacts"),
    TOUCHPOINTS_SHEET: (
        "touchpoints",
        "touchpoint",
        "touch points",
        "interactions",
        "outreach",
        "activity",
        "log",
        "contact log",
        "follow ups",
        "followups",
    ),
    START_SHEET: ("start here", "start", "read me", "readme", "instructions"),
}

#: Ends the header of every helper column the workbook adds (hidden); the reader skips such columns.
AUTO_SUFFIX = "(auto)"

#: Labels on the Start Here sheet whose right-hand neighbour holds the value.
STUDENT_LABEL = "Student"
INSTITUTION_LABEL = "Institution"
#: The student's email (filled from a roster), read back by the cohort view to match the roster.
EMAIL_LABEL = "Email"
#: The day the student accepted an offer: everyone who helped is owed a "tell and thank" note.
OFFER_LABEL = "Offer accepted on"


@dataclass(frozen=True)
class Column:
    """One column of a tracker sheet.

    ``key`` is the snake_case name used in DataFrames and JSON; ``header`` is
    the exact text in the workbook (the contract); ``aliases`` are other
    headers accepted when reading files people made or renamed.
    """

    header: str
    key: str
    kind: ColumnKind
    width: float
    help: str
    choices: str | None = None
    aliases: tuple[str, ...] = ()
    required: bool = False


# Dropdown lists: key -> values, in the order the dropdown shows them.
LISTS: dict[str, tuple[str, ...]] = {
    "how_met": (
        "Informational interview",
        "Networking event",
        "Job interview",
        "Career fair",
        "Class or campus",
        "Online community",
        "Cold outreach",
        "Referral",
        "Other",
    ),
    "channel": (
        "Email",
        "Handwritten card",
        "Phone call",
        "Voicemail",
        "LinkedIn",
        "In person",
        "Video call",
        "Text message",
        "Other",
    ),
    "direction": ("Sent", "Received"),
    "purpose": (
        "Thank-you",
        "Follow-up",
        "Update",
        "Article or resource",
        "Question",
        "Referral update",
        "Meeting request",
        "Meeting",
        "Other",
    ),
    "got_reply": ("Yes", "No"),
    "reply_quality": ("Brief", "Warm"),
    "status": ("Active", "Paused", "Closed", "Do not contact"),
}

#: Headers of the Lists sheet, one column per list, in LISTS order.
LIST_TITLES: dict[str, str] = {
    "how_met": "How we met",
    "channel": "Channel",
    "direction": "Direction",
    "purpose": "Purpose",
    "got_reply": "Got reply",
    "reply_quality": "Reply quality",
    "status": "Status",
}

#: Other spellings people type for list values (normalised -> canonical).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "direction": {
        "out": "Sent",
        "outgoing": "Sent",
        "outbound": "Sent",
        "to them": "Sent",
        "me": "Sent",
        "in": "Received",
        "incoming": "Received",
        "inbound": "Received",
        "from them": "Received",
        "them": "Received",
        "reply": "Received",
    },
    "got_reply": {
        "y": "Yes",
        "true": "Yes",
        "1": "Yes",
        "replied": "Yes",
        "n": "No",
        "false": "No",
        "0": "No",
        "no reply": "No",
    },
    "purpose": {
        "thank you": "Thank-you",
        "thanks": "Thank-you",
        "thank you note": "Thank-you",
        "followup": "Follow-up",
        "follow up": "Follow-up",
        "article": "Article or resource",
        "resource": "Article or resource",
        "referral": "Referral update",
    },
    "channel": {
        "e mail": "Email",
        "mail": "Email",
        "card": "Handwritten card",
        "thank you card": "Handwritten card",
        "phone": "Phone call",
        "call": "Phone call",
        "voice mail": "Voicemail",
        "linked in": "LinkedIn",
        "meeting": "In person",
        "coffee": "In person",
        "zoom": "Video call",
        "teams": "Video call",
        "video": "Video call",
        "text": "Text message",
        "sms": "Text message",
    },
    "status": {"": "Active", "open": "Active", "on hold": "Paused", "done": "Closed", "dnc": "Do not contact"},
    "reply_quality": {"short": "Brief", "one line": "Brief", "long": "Warm", "encouraging": "Warm"},
    "how_met": {
        "informational": "Informational interview",
        "info interview": "Informational interview",
        "networking": "Networking event",
        "interview": "Job interview",
        "career fair": "Career fair",
        "job fair": "Career fair",
        "class": "Class or campus",
        "campus": "Class or campus",
        "online": "Online community",
        "cold": "Cold outreach",
        "cold email": "Cold outreach",
        "referred": "Referral",
    },
}

#: Statuses under which nothing is ever due.
CLOSED_STATUSES: frozenset[str] = frozenset({"Paused", "Closed", "Do not contact"})

CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("Name", "name", "text", 24, "The person's full name, as you will type it in Touchpoints.",
           aliases=("contact name", "contact", "full name", "person", "who"), required=True),
    Column("Organization", "organization", "text", 24, "Company, school or organisation.",
           aliases=("company", "organisation", "org", "employer", "firm")),
    Column("Title", "title", "text", 20, "Their job title.", aliases=("job title", "position", "role")),
    Column("Industry", "industry", "text", 16, "Industry or field.", aliases=("sector", "field")),
    Column("Email", "email", "text", 26, "Email address.", aliases=("e mail", "email address", "mail")),
    Column("Phone", "phone", "text", 16, "Phone number, typed as text so leading zeros stay.",
           aliases=("phone number", "telephone", "mobile", "cell", "tel")),
    Column("LinkedIn", "linkedin", "text", 26, "LinkedIn profile address.",
           aliases=("linkedin url", "linkedin profile", "linked in")),
    Column("Best way to reach", "best_way", "choice", 16,
           "How they said they like to be reached; when filled, every follow-up suggests it.",
           choices="channel", aliases=("best way", "preferred channel", "preferred contact", "reach by")),
    Column("How we met", "how_met", "choice", 22, "Pick how you met from the list.", choices="how_met",
           aliases=("how met", "met at", "met via", "met through", "context", "source")),
    Column("Referred by", "referred_by", "contact", 20, "Who introduced you: a name from this sheet.",
           aliases=("referrer", "referral from", "introduced by", "referred")),
    Column("Date met", "date_met", "date", 12, "The date of the meeting, e.g. 2026-11-10.",
           aliases=("met on", "meeting date", "date of meeting", "first met", "met", "date")),
    Column("Thank-you sent", "thank_you_sent", "date", 14, "The date you sent your thank-you.",
           aliases=("thank you sent", "thank you date", "thanked on", "thank you", "thanks sent")),
    Column("Agreed next contact", "agreed_next", "date", 16,
           "A date they named for the next contact (it wins over the usual schedule).",
           aliases=("agreed date", "next contact", "agreed follow up", "follow up on", "check back on")),
    Column("Status", "status", "choice", 14, "Blank means Active. Paused, Closed or Do not contact: nothing is due.",
           choices="status", aliases=("state",)),
    Column("Next follow-up due", "next_due_formula", "formula", 14, "Worked out for you: leave it alone.",
           aliases=("next follow up due", "next follow up", "next due")),
    Column("Days overdue", "days_overdue_formula", "formula", 10, "Worked out for you: leave it alone.",
           aliases=("overdue days",)),
    Column("Notes", "notes", "text", 40, "What you talked about, what you promised.",
           aliases=("note", "comments", "comment")),
)

TOUCHPOINT_COLUMNS: tuple[Column, ...] = (
    Column("Date", "date", "date", 12, "When you sent or received it, e.g. 2026-11-12.",
           aliases=("date sent", "on", "when", "touch date"), required=True),
    Column("Contact", "contact", "contact", 24, "A name from the Contacts sheet.",
           aliases=("name", "contact name", "person", "who", "to from"), required=True),
    Column("Channel", "channel", "choice", 16, "How: email, card, call...", choices="channel",
           aliases=("medium", "method", "via", "how")),
    Column("Direction", "direction", "choice", 11, "Sent (you to them) or Received (them to you).",
           choices="direction", aliases=("sent received", "in out", "from to")),
    Column("Purpose", "purpose", "choice", 18, "Why you got in touch.", choices="purpose",
           aliases=("type", "reason", "kind")),
    Column("Got reply", "got_reply", "choice", 10, "Did they answer this one?", choices="got_reply",
           aliases=("reply", "replied", "response", "answered")),
    Column("Reply date", "reply_date", "date", 12, "When they answered.",
           aliases=("replied on", "response date", "date replied")),
    Column("Reply quality", "reply_quality", "choice", 13,
           "Brief (a line) or Warm (advice, encouragement).", choices="reply_quality",
           aliases=("quality", "response quality")),
    Column("Notes", "notes", "text", 40, "What was said.", aliases=("note", "comments", "comment", "summary")),
)

#: Rule names (the JSON contract's names) and labels, from the one rule table in :mod:`sheetkit.rules`.
RULES: tuple[str, ...] = tuple(RULE_TABLE)
RULE_LABELS: dict[str, str] = {name: rule.label for name, rule in RULE_TABLE.items()}

#: Follow-up states in the JSON contract.
STATES: tuple[str, ...] = ("overdue", "upcoming", "later")

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize_label(text: object) -> str:
    """Fold a header, sheet name or list value for loose matching.

    >>> normalize_label("  Thank-you   SENT? ")
    'thank you sent'
    """
    return _NON_WORD.sub(" ", str(text).casefold()).strip()


@dataclass(frozen=True)
class SheetSpec:
    """A data sheet: its canonical name and columns."""

    name: str
    columns: tuple[Column, ...]
    extra_headers: tuple[str, ...] = field(default=())

    def header_lookup(self) -> dict[str, Column]:
        """Normalised header or alias -> column; canonical headers win over aliases."""
        lookup: dict[str, Column] = {}
        for column in self.columns:
            for alias in column.aliases:
                lookup.setdefault(normalize_label(alias), column)
        for column in self.columns:
            lookup[normalize_label(column.header)] = column
        return lookup

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


CONTACTS = SheetSpec(CONTACTS_SHEET, CONTACT_COLUMNS)
TOUCHPOINTS = SheetSpec(TOUCHPOINTS_SHEET, TOUCHPOINT_COLUMNS)


def column_letter(index: int) -> str:
    """1-based column number -> spreadsheet letters (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_address(column: int, row: int) -> str:
    """1-based column and row -> an A1 address (``cell_address(28, 5)`` is ``"AB5"``)."""
    return f"{column_letter(column)}{row}"
