"""Write sample_data/tracker.xlsx: a filled-in tracker that exercises every follow-up rule.

Jordan Rivera, a student at Northfield University Career Center, has been
networking since February 2026. Every person and company is invented. The
workbook is built by sheetkit's own builder, so it carries the live formulas,
dropdowns and formats of a fresh `sheetkit new`. Read as of 2026-11-22
(``sheetkit report sample_data/tracker.xlsx --as-of 2026-11-22``), with the
default policy, each contact's next step is:

==================  =====================================================================
Priya Natarajan     thank-you overdue: met 11-19, nothing sent (due 11-20)
Marcus Oyelaran     thank-you due today 11-22; only a phone number to reach him by
Elena Vasquez-Hart  first follow-up upcoming (card 11-11, due 11-25); reply marked Got reply
                    Yes, with a Received email, a Reply date and Reply quality Warm
Tom Becker          job interview; second follow-up overdue: first on LinkedIn 09-30, due 10-28
Grace Liu           warm (her latest rated reply): keep in touch every 60 days, last message
                    07-28, due 09-26; she referred Lucia and was told how it went (07-28)
Lucia Romero        referred by Grace; she introduced Omar, whom the student wrote to on 10-21
                    before meeting him: thank Lucia by 10-23 (then tell her how the 11-09
                    meeting went, due 11-16; warm keep in touch 11-04)
Omar Haddad         end of the chain Grace -> Lucia -> Omar; first follow-up upcoming 11-24
Daniel Okafor       agreed date 11-20 (before the first follow-up 11-27); Best way to reach:
                    Phone call
Hannah Schmidt      she asked a Question on 11-03 (after the agreed 11-02): reply due 11-04
Kevin Marsh         cool-off, gone quiet: 3 unanswered sends (Got reply No); keep in touch
                    doubled to 240 days, due 11-25 instead of 07-28
Aisha Rahman        brief replies: no second follow-up, keep in touch doubled, 2027-04-17
Beatriz Costa       not met, only a LinkedIn profile; one unanswered request 07-20: nudge 07-27
Robert Chen         Closed: nothing due
Sofia Marin         Do not contact: nothing due
Jamal Wright        Paused, on leave until February: back on the agreed 2027-02-01
==================  =====================================================================

The workbook's own Next follow-up due column shows these dates (one next step
per contact); `sheetkit report` applies the same rules.

Run from the repository root (it is deterministic: the same file every time,
bar the zip timestamps)::

    python sample_data/make_sample.py
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

SAMPLE_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SAMPLE_DIR.parent))

from sheetkit import spec
from sheetkit.config import Config
from sheetkit.workbook import build_workbook, workbook_bytes

STUDENT = "Jordan Rivera"
INSTITUTION = "Northfield University Career Center"
AS_OF = dt.date(2026, 11, 22)


def d(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


CONTACTS: list[dict[str, Any]] = [
    {"name": "Priya Natarajan", "organization": "Harborline Logistics", "title": "Senior Data Analyst",
     "industry": "Logistics", "email": "priya.natarajan@harborline.example", "how_met": "Informational interview",
     "date_met": d(11, 19),
     "notes": "Walked me through how her team forecasts shipping demand. Suggested I learn SQL window functions."},
    {"name": "Marcus Oyelaran", "organization": "Brightwater Health", "title": "Product Manager",
     "industry": "Healthcare", "phone": "555-0187", "how_met": "Networking event",
     "date_met": d(11, 21), "notes": "Alumni brunch. Interested in my capstone on clinic wait times."},
    {"name": "Elena Vasquez-Hart", "organization": "Copperline Design Studio", "title": "UX Research Lead",
     "industry": "Design", "email": "elena@copperline.example", "linkedin": "linkedin.com/in/example-elena-vh",
     "how_met": "Informational interview", "date_met": d(11, 10),
     "notes": "Offered to review my portfolio once the case study is written up."},
    {"name": "Tom Becker", "organization": "Alder & Finch Consulting", "title": "Associate Director",
     "industry": "Consulting", "email": "tbecker@alderfinch.example", "phone": "555-0142",
     "how_met": "Job interview", "date_met": d(9, 15),
     "notes": "Second-round interview; no role for me this year, but he asked me to stay in touch."},
    {"name": "Grace Liu", "organization": "Meridian Public Library Foundation", "title": "Director of Programs",
     "industry": "Nonprofit", "email": "gliu@meridianlibrary.example", "how_met": "Informational interview",
     "date_met": d(6, 10), "notes": "Generous with time; introduced me to Lucia."},
    {"name": "Lucia Romero", "organization": "Saltmarsh Analytics", "title": "Data Scientist",
     "industry": "Technology", "email": "lucia.romero@saltmarsh.example", "how_met": "Referral",
     "referred_by": "Grace Liu", "date_met": d(7, 24),
     "notes": "Talked about moving from research into industry. Introduced me to Omar."},
    {"name": "Omar Haddad", "organization": "Keystone Transit Authority", "title": "Planning Analyst",
     "industry": "Government", "email": "ohaddad@keystonetransit.example", "how_met": "Referral",
     "referred_by": "Lucia Romero", "date_met": d(11, 9),
     "notes": "Public-sector hiring takes months; apply to the spring analyst pool."},
    {"name": "Daniel Okafor", "organization": "Greenfield Renewables", "title": "Operations Manager",
     "industry": "Energy", "email": "d.okafor@greenfield.example", "phone": "555-0119",
     "best_way": "Phone call", "how_met": "Informational interview",
     "date_met": d(11, 12), "agreed_next": d(11, 20),
     "notes": "Budget for an intern decided on the 19th; he said to check back the day after."},
    {"name": "Hannah Schmidt", "organization": "Northfield University", "title": "Alumni Relations Officer",
     "industry": "Education", "email": "h.schmidt@northfield.example", "how_met": "Class or campus",
     "date_met": d(10, 5), "agreed_next": d(11, 2),
     "notes": "Agreed I would send my resume early November; she wrote first."},
    {"name": "Kevin Marsh", "organization": "Ironbridge Manufacturing", "title": "HR Business Partner",
     "industry": "Manufacturing", "email": "kmarsh@ironbridge.example", "how_met": "Career fair",
     "date_met": d(2, 26), "thank_you_sent": d(2, 27),
     "notes": "Busy recruiter at the spring fair; no answers since."},
    {"name": "Aisha Rahman", "organization": "Lumen Media Group", "title": "Content Strategist",
     "industry": "Media", "email": "aisha.r@lumenmedia.example", "how_met": "Online community",
     "date_met": d(7, 8), "notes": "Met in a writers' forum video chat. Replies are short."},
    {"name": "Beatriz Costa", "organization": "Tidewater Bank", "title": "Risk Analyst", "industry": "Finance",
     "linkedin": "https://www.linkedin.com/in/example-beatriz-costa", "how_met": "Cold outreach", "notes": "Found through the alumni directory; have not met yet."},
    {"name": "Robert Chen", "organization": "Oakhurst Capital", "title": "Portfolio Manager",
     "industry": "Finance", "email": "rchen@oakhurst.example", "how_met": "Networking event",
     "date_met": d(4, 2), "thank_you_sent": d(4, 3), "status": "Closed",
     "notes": "Retired in June; wished me luck."},
    {"name": "Sofia Marin", "organization": "Vantage Recruiting", "title": "Recruiter", "industry": "Staffing",
     "how_met": "Career fair", "date_met": d(9, 22), "status": "Do not contact",
     "notes": "Asked to be taken off all lists."},
    {"name": "Jamal Wright", "organization": "Cobalt Robotics Lab", "title": "Engineering Manager",
     "industry": "Technology", "email": "jamal.wright@cobalt.example", "how_met": "Job interview",
     "date_met": d(10, 1), "agreed_next": d(2, 1, 2027), "status": "Paused",
     "notes": "On leave until February; will reconnect when he is back."},
]


def sent(when: dt.date, who: str, channel: str, purpose: str, notes: str = "", **more: Any) -> dict[str, Any]:
    return {"date": when, "contact": who, "channel": channel, "direction": "Sent", "purpose": purpose,
            "notes": notes, **more}


def received(when: dt.date, who: str, channel: str, notes: str = "", purpose: str = "Other",
             **more: Any) -> dict[str, Any]:
    return {"date": when, "contact": who, "channel": channel, "direction": "Received", "purpose": purpose,
            "notes": notes, **more}


TOUCHPOINTS: list[dict[str, Any]] = [
    sent(d(2, 27), "Kevin Marsh", "Email", "Thank-you", "Thanks for the chat at the fair.", got_reply="No"),
    sent(d(3, 12), "Kevin Marsh", "LinkedIn", "Follow-up", "Connection request with a note.", got_reply="No"),
    sent(d(3, 30), "Kevin Marsh", "Voicemail", "Follow-up", "Left a short message.", got_reply="No"),
    sent(d(4, 3), "Robert Chen", "Handwritten card", "Thank-you", "Card to his office."),
    received(d(4, 10), "Robert Chen", "Email", "Thanked me for the card."),
    sent(d(6, 11), "Grace Liu", "Handwritten card", "Thank-you", "Card mailed the next morning."),
    sent(d(6, 25), "Grace Liu", "Email", "Follow-up", "Shared the grant-writing course she mentioned.",
         got_reply="Yes", reply_date=d(6, 27), reply_quality="Warm"),
    received(d(6, 27), "Grace Liu", "Email", "Long reply with three people to talk to.", reply_quality="Warm"),
    sent(d(7, 8), "Aisha Rahman", "Video call", "Meeting request", "Asked for twenty minutes."),
    sent(d(7, 9), "Aisha Rahman", "Email", "Thank-you", "Thanks for the call."),
    received(d(7, 10), "Aisha Rahman", "Email", "'Glad it helped!'", reply_quality="Brief"),
    sent(d(7, 20), "Beatriz Costa", "LinkedIn", "Meeting request", "Asked for a short call about risk roles."),
    sent(d(7, 23), "Grace Liu", "Phone call", "Follow-up", "Called to say the course was useful.",
         got_reply="Yes", reply_quality="Warm"),
    sent(d(7, 23), "Aisha Rahman", "LinkedIn", "Follow-up", "Sent my article draft.", got_reply="Yes",
         reply_date=d(7, 24), reply_quality="Brief"),
    sent(d(7, 25), "Lucia Romero", "Email", "Thank-you", "Thanks for the coffee."),
    received(d(7, 26), "Lucia Romero", "Email", "Sent two job boards to watch.", reply_quality="Warm"),
    sent(d(7, 28), "Grace Liu", "Email", "Referral update", "Told her the coffee with Lucia went well."),
    sent(d(8, 8), "Lucia Romero", "LinkedIn", "Article or resource", "Shared a talk on causal inference."),
    sent(d(8, 20), "Aisha Rahman", "Text message", "Update", "Said I started the content course."),
    sent(d(9, 5), "Lucia Romero", "Handwritten card", "Update", "Card after finishing my summer project."),
    sent(d(9, 16), "Tom Becker", "Email", "Thank-you", "Thanked him for the interview.", got_reply="Yes",
         reply_date=d(9, 17), reply_quality="Warm"),
    received(d(9, 17), "Tom Becker", "Email", "Encouraging note with advice on case interviews.",
             reply_quality="Warm"),
    sent(d(9, 23), "Sofia Marin", "Email", "Thank-you", "Thanks for the fair conversation."),
    received(d(9, 24), "Sofia Marin", "Email", "Asked me not to contact her again."),
    sent(d(9, 30), "Tom Becker", "LinkedIn", "Follow-up", "Shared an article on operations strategy."),
    sent(d(10, 2), "Jamal Wright", "Handwritten card", "Thank-you", "Card after the interview."),
    sent(d(10, 6), "Hannah Schmidt", "Email", "Thank-you", "Thanks for the alumni office tour."),
    sent(d(10, 20), "Hannah Schmidt", "Voicemail", "Follow-up", "Said the resume is on its way soon."),
    received(d(11, 3), "Hannah Schmidt", "Email", "Asked how the resume is coming along.", "Question",
             reply_quality="Warm"),
    sent(d(11, 10), "Omar Haddad", "Email", "Thank-you", "Thanks, and the spring pool link."),
    sent(d(11, 11), "Elena Vasquez-Hart", "Handwritten card", "Thank-you", "Card to the studio.",
         got_reply="Yes", reply_date=d(11, 13), reply_quality="Warm"),
    received(d(11, 13), "Elena Vasquez-Hart", "Email", "Loved the card; portfolio offer stands.",
             reply_quality="Warm"),
    sent(d(11, 13), "Daniel Okafor", "Email", "Thank-you", "Thanks for the site visit."),
    received(d(11, 14), "Daniel Okafor", "Email", "Will know about the internship budget on the 19th."),
    received(d(11, 18), "Omar Haddad", "LinkedIn", "Accepted my connection request."),
    sent(d(10, 21), "Omar Haddad", "Email", "Meeting request", "Lucia's introduction: asked for a call."),
    received(d(10, 22), "Omar Haddad", "Email", "Happy to talk on November 9."),
    received(d(11, 16), "Priya Natarajan", "Email", "Confirmed Thursday's call; sent a dial-in link."),
    received(d(10, 3), "Jamal Wright", "Email", "Thanks; he is on leave from November to February."),
    received(d(10, 7), "Hannah Schmidt", "Email", "Glad I enjoyed the tour."),
]


def build(path: Path) -> None:
    """Build the sample workbook with sheetkit and fill it in."""
    workbook = build_workbook(Config(), student=STUDENT, institution=INSTITUTION)
    contacts, touchpoints = workbook[spec.CONTACTS_SHEET], workbook[spec.TOUCHPOINTS_SHEET]
    contact_at = {c.key: i for i, c in enumerate(spec.CONTACT_COLUMNS, start=1)}
    touch_at = {c.key: i for i, c in enumerate(spec.TOUCHPOINT_COLUMNS, start=1)}
    for row, person in enumerate(CONTACTS, start=2):
        for key, value in person.items():
            contacts.cell(row, contact_at[key], value)
    for row, touch in enumerate(sorted(TOUCHPOINTS, key=lambda t: t["date"]), start=2):
        for key, value in touch.items():
            if value != "":
                touchpoints.cell(row, touch_at[key], value)
    stamp = dt.datetime(2026, 11, 22, 9, 0)
    workbook.properties.creator = STUDENT
    workbook.properties.created = stamp
    path.write_bytes(workbook_bytes(workbook))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_DIR / "tracker.xlsx"
    build(target)
    print(f"wrote {target}", file=sys.stderr)
