"""The follow-up rules, declared once.

Each :class:`Rule` holds what every part of sheetkit says about one rule: its
JSON name (the contract), the label people read, the calendar title, and the
channels that suit it. The engine, the workbook's Start Here, ``remind``'s
event titles and the drafts all read :data:`RULE_TABLE`, so a rule is never
described in two places.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One follow-up rule.

    ``title`` is the calendar event's title: ``{who}`` is "Name (Organization)",
    ``{about}`` the contact the message is about (referrals). ``card_ok``: a
    handwritten card suits it (it arrives days later, so never for a dated or
    time-sensitive check). ``spacing_exempt``: due even within the spacing
    window after the student's last message.
    """

    name: str
    label: str
    title: str
    card_ok: bool = False
    spacing_exempt: bool = False


#: Every rule, in the order the cadence runs; the keys are the JSON contract's rule names.
RULE_TABLE: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("thank-you", "Thank-you", "Thank {who}", card_ok=True),
        Rule("first-follow-up", "First follow-up", "Follow up with {who}"),
        Rule("second-follow-up", "Second follow-up", "Follow up again with {who}"),
        Rule("keep-in-touch", "Keep in touch", "Keep in touch with {who}", card_ok=True),
        Rule("agreed-date", "Agreed date", "Get back to {who} (agreed date)", spacing_exempt=True),
        Rule("referrer-update", "Referrer update", "Update {who} about {about}"),
        Rule("reply", "Reply", "Reply to {who}", spacing_exempt=True),
        Rule("nudge", "Nudge", "Nudge {who} about your request"),
        Rule("referrer-thanks", "Thank the referrer", "Thank {who} for the introduction to {about}"),
        Rule("offer-thanks", "Tell and thank", "Tell {who} about your new job", spacing_exempt=True),
    )
}
