"""Display strings for sizes, ages and ids, as the docker CLI words them (pure; no Qt).

One unit system for sizes everywhere Berth shows one, text and charts alike: decimal (kB = 1000
bytes, MB, GB), as ``docker images``, ``docker system df``, ``docker ps -s`` and the network and
block I/O columns of ``docker stats`` print them, so a figure in Berth reads the same as the CLI
beside it. (``docker stats`` alone words memory in binary MiB; Berth's memory figures stay
decimal too, rather than mix two systems on one screen.) Rates are the same units per second.

Durations are the engine's own wording (Go's ``units.HumanDuration``), kept in
``engine/container_status.py`` beside the code that reads a status back into a time.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from desktop.engine.container_status import human_duration

__all__ = ["human_size", "human_duration", "human_age", "exact_time", "size_unit", "UNITS"]

UNITS = ("B", "kB", "MB", "GB", "TB", "PB", "EB")


def human_size(size: float, precision: int = 3) -> str:
    """Decimal units with three significant digits, as ``docker images`` prints them."""
    size = float(size)
    unit = 0
    while size >= 1000 and unit < len(UNITS) - 1:
        size /= 1000.0
        unit += 1
    text = f"{size:.{precision}g}"
    if "e" in text:  # 1000 rounded up to 3 digits: carry into the next unit
        size /= 1000.0
        unit += 1
        text = f"{size:.{precision}g}"
    return f"{text}{UNITS[unit]}"


def size_unit(largest: float) -> tuple[str, float]:
    """The unit a scale up to *largest* bytes reads best in, and its size in bytes ("MB", 1e6):
    for a chart axis, whose figures all share one unit."""
    unit = 0
    while largest >= 1000 and unit < len(UNITS) - 1:
        largest /= 1000.0
        unit += 1
    return UNITS[unit], 1000.0 ** unit


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
