"""Mangled sheet XML for the safety tests: tags dropped, duplicated, swapped, cut, and strays spliced in."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence


def mutate_tags(xml: bytes, rng: random.Random, strays: Sequence[bytes], *, rounds: int = 6,
                cut_chance: float = 1.0) -> bytes:
    """Shuffle, cut, duplicate and splice the tags of a sheet, sometimes adding ``strays``.

    Between 1 and ``rounds`` operations; a chosen "cut" truncates the whole
    sheet with probability ``cut_chance``.
    """
    tokens = [token for token in re.split(rb"(<[^>]*>)", xml) if token]
    for _ in range(rng.randint(1, rounds)):
        operation = rng.choice(["drop", "duplicate", "swap", "insert", "insert", "cut"])
        i, j = rng.randrange(len(tokens)), rng.randrange(len(tokens))
        if operation == "drop":
            tokens.pop(i)
        elif operation == "duplicate":
            tokens.insert(j, tokens[i])
        elif operation == "swap":
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif operation == "insert":
            tokens.insert(i, rng.choice(strays))
        elif rng.random() < cut_chance:
            joined = b"".join(tokens)
            tokens = [joined[: rng.randrange(len(joined))]]
        if not tokens:
            tokens = [b"<worksheet/>"]
    return b"".join(tokens)
