"""CSV cells that a spreadsheet will not run: the one guard every CSV the project writes goes through.

A cell starting with =, +, -, @, tab or carriage return is a formula to Excel, LibreOffice
and Google Sheets (CSV injection); model output and queries are untrusted. As OWASP
recommends, such a cell gets a leading single quote, also when the trigger follows leading
whitespace. Numbers stay numbers (-2.5 is data, not a formula).
"""
from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should show it; strings that could run as a formula are quoted."""
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(" \n\x0b\x0c\u00a0")
    if value[0] in TRIGGERS or (stripped and stripped[0] in TRIGGERS):
        return "'" + value
    return value


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: safe_cell(value) for key, value in row.items()}
