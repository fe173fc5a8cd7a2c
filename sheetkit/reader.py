"""``from sheetkit.reader import read_tracker`` keeps working; the reading layer is :mod:`sheetkit.reading`."""

from sheetkit.reading import read_tracker

__all__ = ["read_tracker"]
