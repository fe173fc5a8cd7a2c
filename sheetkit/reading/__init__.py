"""The reading layer: a filled-in tracker workbook, checked and read into tables.

* :mod:`~sheetkit.reading.kind` - what kind of file it is (a regular file, a zip, a sheetkit report...)
* :mod:`~sheetkit.reading.limits` - zip limits and bounded inflation; :func:`inspect_workbook`
* :mod:`~sheetkit.reading.guard` - values far outside a sheet's table set aside
* :mod:`~sheetkit.reading.sheet_xml` - formulas, links, merged cells, tables and rich text from the XML
* :mod:`~sheetkit.reading.dates` - what people type in a date cell
* :mod:`~sheetkit.reading.names` - one way to compare names, and "did you mean"
* :mod:`~sheetkit.reading.tables` - cells to the two tables of a :class:`~sheetkit.model.Tracker`
"""

from sheetkit.reading.tables import read_tracker

__all__ = ["read_tracker"]
