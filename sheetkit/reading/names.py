"""Names and "did you mean": one way to compare what people type, everywhere a name is matched.

A name copied from a web page, a Mac or a phone may hold characters that look
like the plain ones but are not: a typographic apostrophe (O’Brien), a
no-break or zero-width space, an é stored as e + accent. :func:`fold_name` is
the one comparison key for names and list values; the reader, ``remind`` and
``cohort`` all match names through it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

#: Typographic quotes and apostrophes, and their plain forms.
_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u02bc": "'", "\uff07": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
})
#: Characters that take no room: zero-width spaces and joiners, the word joiner, the byte-order
#: mark, the soft hyphen, direction marks.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
#: A "did you mean" suggestion must score at least this (0-100, as difflib's ratio x 100).
HINT_CUTOFF = 60


def fold_name(text: str) -> str:
    """The key two names are compared on: equal keys are the same name to a person reading them.

    Unicode NFKC (composed accents, compatibility forms), typographic quotes as
    plain ones, zero-width characters dropped, every kind of space as one
    space, case and surrounding space ignored.

    >>> fold_name("  Aoife\u00a0O\u2019BRIEN ") == fold_name("aoife o'brien")
    True
    """
    folded = text
    if not text.isascii() or "`" in text:
        folded = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(_QUOTES)
    key = " ".join(folded.split()).casefold()
    # A name made only of invisible characters still matches itself, typed the same way.
    return key or text.strip().casefold()


class NameHints:
    """The "did you mean" hints for names that match none of ``names`` (Contacts' names, as typed)."""

    def __init__(self, names: Sequence[str], fold: Callable[[str], str] = fold_name) -> None:
        self.names = names
        self.fold = fold  # how names are folded: the reader passes its own, which knows them already

    def closest(self, typed: Sequence[str]) -> list[str | None]:
        """For each of ``typed``, the name most like it (case, spacing and lookalike characters
        aside), or None. All at once: one scoring pass over every pair, in this thread (a few
        unknown names are the usual case, and a thread pool costs more than it saves there)."""
        names = list(dict.fromkeys(self.names)) if typed else []
        if not names:
            return [None] * len(typed)
        from rapidfuzz import fuzz, process  # imported only when a name is unknown: most trackers have none

        scores = process.cdist([fold_name(text) for text in typed], list(map(self.fold, names)),
                               scorer=fuzz.ratio, score_cutoff=HINT_CUTOFF)
        best = scores.argmax(axis=1)
        return [names[index] if scores[row, index] >= HINT_CUTOFF else None
                for row, index in enumerate(best.tolist())]

    def messages(self, typed: Sequence[str]) -> list[str]:
        """The warning for each name that matches no contact: what differs, or the closest name."""
        return [_unknown_name(text, closest) for text, closest in zip(typed, self.closest(typed))]


def _unknown_name(typed: str, closest: str | None) -> str:
    shown = preview(typed)
    if closest is not None and (difference := what_differs(typed, closest)):
        return f"'{shown}' looks like '{closest}' but {difference}; retype the name or pick it from the list"
    hint = f"did you mean '{closest}'? " if closest else ""
    return f"'{shown}' is not a name in Contacts; {hint}fix the spelling or add the contact"


def what_differs(typed: str, known: str) -> str | None:
    """Why ``typed`` is not ``known`` when the two would look the same on screen, else None.

    >>> what_differs("Ann\ue000 Lee", "Ann Lee")
    'contains an invisible character (U+E000)'
    """
    hidden = [char for char in typed if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cn", "Zl", "Zp")]
    if hidden and fold_name("".join(c for c in typed if c not in hidden)) == fold_name(known):
        return f"contains an invisible character (U+{ord(hidden[0]):04X})"
    a, b = fold_name(typed), fold_name(known)
    if len(a) != len(b):
        return None
    pairs = [(x, y) for x, y in zip(a, b) if x != y]
    if pairs and all(not x.isascii() or not y.isascii() for x, y in pairs):
        x, y = pairs[0]
        return (f"its '{x}' is {unicodedata.name(x, 'an unusual character').lower()}, "
                f"not {unicodedata.name(y, 'the usual one').lower()}")
    return None


def preview(text: str) -> str:
    """Text on one line, cut to 40 characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 40 else flat[:37] + "..."
