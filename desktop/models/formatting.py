"""Display strings for sizes, ages and ids, as the docker CLI words them (pure; no Qt)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def human_size(size: float, precision: int = 3) -> str:
    """Decimal units with three significant digits, as ``docker images`` prints them."""
    size = float(size)
    unit = 0
    while size >= 1000 and unit < len(_UNITS) - 1:
        size /= 1000.0
        unit += 1
    text = f"{size:.{precision}g}"
    if "e" in text:  # 1000 rounded up to 3 digits: carry into the next unit
        size /= 1000.0
        unit += 1
        text = f"{size:.{precision}g}"
    return f"{text}{_UNITS[unit]}"


def human_duration(seconds: float) -> str:
    """The docker CLI's wording of a duration ('About an hour', '3 days')."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def human_age(timestamp: float, now: float | None = None) -> str:
    if not timestamp:
        return "N/A"
    now = time.time() if now is None else now
    return f"{human_duration(max(0.0, now - timestamp))} ago"


def exact_time(timestamp: float) -> str:
    if not timestamp:
        return ""
    local = datetime.fromtimestamp(timestamp, tz=timezone.utc).astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")
