"""How every report format writes a value: unknown (None) is "—", never the word "None"."""
from __future__ import annotations

from typing import Any

UNKNOWN = "—"


def shown(value: Any) -> str:
    """`value` as report text; None (a price, a latency, a model or a place nobody knows) as "—"."""
    return UNKNOWN if value is None else str(value)
