"""sheetkit: follow-up tracker workbooks for networking, and the reports that read them back."""

__version__ = "0.1.0"
