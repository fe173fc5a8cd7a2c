"""The follow-up rules, declared once.

Each :class:`Rule` holds what every part of sheetkit says about one rule: its
JSON name (the contract), the label people read, the calendar title, the reason
the report gives, and the channels that suit it. The engine, the workbook's
Start Here, ``remind``'s event titles and the drafts all read :data:`RULE_TABLE`,
so a rule is never described in two places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sheetkit.config import Policy


@dataclass(frozen=True)
class Rule:
    """One follow-up rule.

    ``title`` is the calendar event's title: ``{who}`` is "Name (Organization)",
    ``{about}`` the contact the message is about (referrals). ``card_ok``: a
    handwritten card suits it (it arrives days later, so never for a dated or
    time-sensitive check). ``spacing_exempt``: due even within the spacing
    window after the student's last message. ``channels``: the only channels
    that suit it, best first (empty: any usable channel, rotated). ``reason``:
    the report's "why", a :meth:`str.format` pattern the engine fills; ``variants``
    holds the other wordings (``"job"`` for job interviews, ``"warm"``...).
    ``timing``: when it falls due, in words, from the policy's keys.
    """

    name: str
    label: str
    title: str
    reason: str = ""
    timing: str = ""
    card_ok: bool = False
    spacing_exempt: bool = False
    channels: tuple[str, ...] = ()
    variants: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


#: Every rule, in the order the cadence runs; the keys are the JSON contract's rule names.
RULE_TABLE: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("thank-you", "Thank-you", "Thank {who}",
             reason="Met {met}{where}; no thank-you yet",
             timing="within {thank_you_days} of the meeting",
             card_ok=True,
             variants={
                 "job": "Interviewed {met}; thank the interviewer by email (a card may follow, never instead)",
                 "warm": "{first_name} answered warmly on {replied}; thank them",
                 "meeting": "Met again {met}; no thank-you for this meeting yet",
             }),
        Rule("first-follow-up", "First follow-up", "Follow up with {who}",
             reason="Thanked {thanked}; nothing sent since, so a first follow-up is due",
             timing="{first_follow_up_days} after the thank-you",
             variants={"job": "Thanked the interviewer {thanked}; ask about the status of the role and next steps"}),
        Rule("second-follow-up", "Second follow-up", "Follow up again with {who}",
             reason="First follow-up sent {first}; time for a second, in another form",
             timing="{second_follow_up_days} after the first follow-up"),
        Rule("keep-in-touch", "Keep in touch", "Keep in touch with {who}",
             reason="Last wrote {last}; keep in touch every {interval} days{cooling}",
             timing="every {keep_in_touch_days} ({warm_keep_in_touch_days} for a warm contact)",
             card_ok=True),
        Rule("agreed-date", "Agreed date", "Get back to {who} (agreed date)",
             reason="You agreed to be in touch again on {agreed}",
             timing="on the date you agreed", spacing_exempt=True),
        Rule("referrer-update", "Referrer update", "Update {who} about {about}",
             reason="{name} referred you to {about}, whom you met {met}; tell {first_name} how it went",
             timing="{referrer_update_days} after meeting the person they referred"),
        Rule("reply", "Reply", "Reply to {who}",
             reason="{first_name} sent you a {purpose} on {asked}; answer it",
             timing="{reply_days} after their message", spacing_exempt=True),
        Rule("nudge", "Nudge", "Nudge {who} about your request",
             reason="No answer to your request of {asked}; a short nudge, in another form",
             timing="{nudge_days} after an unanswered request"),
        Rule("referrer-thanks", "Thank the referrer", "Thank {who} for the introduction to {about}",
             reason="You wrote to {about} on {wrote}, whom {first_name} introduced; thank {first_name} for it",
             timing="within {referrer_thanks_days} of acting on an introduction"),
        Rule("offer-thanks", "Tell and thank", "Tell {who} about your new job",
             reason="You accepted an offer on {offer}; tell {first_name} and thank them for their help",
             timing="within {offer_thanks_days} of accepting an offer",
             spacing_exempt=True, channels=("Email",)),
    )
}

#: Channels for a job interview's thank-you and status check (the employer's clock: no card, no LinkedIn).
JOB_INTERVIEW_CHANNELS: dict[str, tuple[str, ...]] = {
    "thank-you": ("Email",),
    "first-follow-up": ("Email", "Phone call"),
}


def plural(count: int, noun: str) -> str:
    """A count of something, in words every message uses: plural(1, "error") -> '1 error', plural(3, "error") -> '3 errors'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def days(count: int) -> str:
    """'1 day', '14 days'."""
    return plural(count, "day")


def rule_timing(name: str, policy: Policy) -> str:
    """When a rule falls due, in words from the configured policy: ``"within 2 days of the meeting"``."""
    values = {key: days(value) for key, value in policy.to_json().items()
              if isinstance(value, int) and not isinstance(value, bool)}
    return RULE_TABLE[name].timing.format(**values)
