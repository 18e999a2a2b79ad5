"""A container's status wording ("Up 17 minutes", "Exited (0) 3 hours ago") read back into the
instant it counts from, and worded again for any later instant (pure; no Qt).

The list endpoint (one request for every container) carries the engine's status text as of the
listing, not ``State.StartedAt`` / ``FinishedAt``. Shown as it came, that text freezes: rows
started together disagree once they were listed at different times, and a row listed at
"Up 1 second" says so for ever. So the wording becomes an *anchor*: the interval the start (or
exit) must lie in, the listing's time minus the range of durations the words cover. Events
narrow it to their own time, a later listing intersects it, an inspect pins it; the row is then
worded from the anchor against one clock whenever it is painted, as the engine would word it.

The wording is Go's ``units.HumanDuration``, which the engine uses for the text and the docker
CLI prints unchanged (``docker ps --format '{{.Status}}'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# "Up 2 minutes (Paused)", "Up About an hour (healthy)", "Exited (137) 5 seconds ago",
# "Restarting (1) Less than a second ago"; "Created", "Dead", "Removal In Progress" carry no time
_STATUS = re.compile(r"^(?P<head>Up|Exited \(-?\d+\)|Restarting \(-?\d+\)) (?P<words>.+?)(?P<ago> ago)?"
                     r"(?P<tail> \([^()]*\))?$")
_COUNT = re.compile(r"^(\d+) (second|minute|hour|day|week|month|year)s?$")

HOUR = 3600.0
DAY = 24 * HOUR


def human_duration(seconds: float) -> str:
    """Go's ``units.HumanDuration``, the engine's wording of a duration ("About an hour", "3 days")."""
    s = int(seconds)
    if s < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = int(seconds // 60)
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = int(seconds / HOUR + 0.5)  # Go rounds hours half up
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
    return f"{int(seconds / HOUR) // 24 // 365} years"


def duration_range(words: str) -> tuple[float, float] | None:
    """The durations (seconds, [low, high)) that ``human_duration`` words as *words*; None for
    wording it never gives."""
    if words == "Less than a second":
        return 0.0, 1.0
    if words == "About a minute":
        return 60.0, 120.0
    if words == "About an hour":
        return 3600.0, 1.5 * HOUR
    match = _COUNT.match(words)
    if not match:
        return None
    n, unit = int(match[1]), match[2]
    if unit == "second":
        return (float(n), n + 1.0) if 1 <= n < 60 else None
    if unit == "minute":
        return (n * 60.0, (n + 1) * 60.0) if 2 <= n < 60 else None
    # from here on the hours are rounded half up: rounded hours h cover [h - 0.5, h + 0.5)
    if unit == "hour":
        return ((n - 0.5) * HOUR, (n + 0.5) * HOUR) if 2 <= n < 48 else None
    if unit == "day":
        low, high = 24 * n, 24 * (n + 1)
        bounds = (48, 24 * 7 * 2)
    elif unit == "week":
        low, high = 24 * 7 * n, 24 * 7 * (n + 1)
        bounds = (24 * 7 * 2, 24 * 30 * 2)
    elif unit == "month":
        low, high = 24 * 30 * n, 24 * 30 * (n + 1)
        bounds = (24 * 30 * 2, 24 * 365 * 2)
    else:  # years: whole hours, not rounded
        return (n * 365 * DAY, (n + 1) * 365 * DAY) if n >= 2 else None
    low, high = max(low, bounds[0]), min(high, bounds[1])
    if low >= high:
        return None
    return (low - 0.5) * HOUR, (high - 0.5) * HOUR


@dataclass(frozen=True)
class StatusWords:
    head: str  # "Up", "Exited (0)", "Restarting (1)"
    words: str  # the duration as worded
    ago: bool  # "... ago": counts from the exit, not the start
    tail: str  # " (Paused)", " (healthy)", ""

    @property
    def kind(self) -> str:
        """"Up", "Exited" or "Restarting": an anchor only carries over between the same kind."""
        return self.head.split(" ", 1)[0]


def parse_status(status: str) -> StatusWords | None:
    """The parts of the engine's status text, None when it carries no time ("Created")."""
    match = _STATUS.match(status or "")
    if not match or duration_range(match["words"]) is None:
        return None
    return StatusWords(match["head"], match["words"], bool(match["ago"]), match["tail"] or "")


def anchor_from_status(status: str, listed_from: float, listed_to: float) -> tuple[float, float]:
    """The interval (unix seconds) the start or exit the status counts from lies in, for a status
    the engine worded between *listed_from* and *listed_to*; (0, 0) when the status has no time."""
    words = parse_status(status)
    if words is None:
        return 0.0, 0.0
    low, high = duration_range(words.words)  # type: ignore[misc]
    return listed_from - high, listed_to - low


def status_at(status: str, since: float, now: float) -> str:
    """*status* worded for *now*, counting from *since* (unchanged when it has no time)."""
    words = parse_status(status)
    if words is None or not since:
        return status
    return f"{words.head} {human_duration(max(0.0, now - since))}{' ago' if words.ago else ''}{words.tail}"


# an anchor from another source (an event's time on the engine's clock) may stand this far outside
# a listing's interval and still be the same start: clocks, latency, rounding
TOLERANCE_S = 1.0


def narrow(old: tuple[float, float], old_status: str, new: tuple[float, float], new_status: str
           ) -> tuple[float, float]:
    """The anchor after *new* arrives for a row that had *old*: their intersection when both
    describe the same start (or exit), else *new* (the container started again)."""
    if not old[1] or not new[1]:
        return new
    old_words, new_words = parse_status(old_status), parse_status(new_status)
    if old_words is None or new_words is None or old_words.kind != new_words.kind:
        return new
    if old[0] - TOLERANCE_S > new[1] or new[0] - TOLERANCE_S > old[1]:
        return new  # disjoint: another start
    low, high = max(old[0], new[0]), min(old[1], new[1])
    if low > high:  # touching only within the tolerance: keep the more precise one
        return old if old[1] - old[0] <= new[1] - new[0] else new
    return low, high


_FRACTION = re.compile(r"\.(\d+)")


def unix_seconds(text: str) -> float:
    """An engine timestamp (RFC 3339 with nanoseconds, "2026-12-01T21:19:45.123456789Z") as unix
    seconds; 0 for the engine's zero time ("0001-01-01T00:00:00Z") or text that is not one."""
    if not text or text.startswith("0001-"):
        return 0.0
    cleaned = _FRACTION.sub(lambda m: "." + m[1][:6], text.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(cleaned).timestamp()
    except ValueError:
        return 0.0


def anchor_from_state(status: str, state: dict) -> float:
    """The exact instant *status* counts from, from an inspect's ``State`` (engine clock); 0 when
    the status has no time or the state does not say."""
    words = parse_status(status)
    if words is None:
        return 0.0
    return unix_seconds(state.get("FinishedAt" if words.ago else "StartedAt") or "")
