"""The range every KPI value must stay in, by unit: a plain subscriber's sanity check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RANGES: dict[str, tuple[float, float]] = {
    "%": (0.0, 100.0),
    "points": (-100.0, 100.0),  # NPS
    "score": (1.0, 7.0),  # CES
    "s": (0.0, float("inf")),
}
MONEY = (0.0, float("inf"))  # any three-letter currency unit


def out_of_range(latest: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Keys of the stream records whose value (or CI bound) lies outside its unit's range."""
    bad = []
    for key, event in latest.items():
        data = event["data"]
        low, high = RANGES.get(data["unit"], MONEY)
        bounds = [data["value"]] + (
            [data["ci_low"], data["ci_high"]] if data["unit"] in ("%", "points") else []
        )
        if any(b is not None and not low <= b <= high for b in bounds):
            bad.append(f"{key} = {data['value']}")
    return bad
