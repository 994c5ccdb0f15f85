"""Cells of CSV files the platform offers for download, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is read by Excel, LibreOffice and
Google Sheets as a formula, so text someone else typed, such as `=HYPERLINK(...)`, could run in the spreadsheet
of whoever opens the file (OWASP, "CSV Injection"). Such a cell gets a leading `'`, which spreadsheets show as
text. One function for every export (pay's reports, the exchange's register), so none forgets it.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text, with an apostrophe before anything a spreadsheet would take for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
