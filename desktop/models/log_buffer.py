"""The lines of a followed log that stay in memory: a bounded window over the latest lines, so a
container that prints without end costs a fixed amount of memory. The log view mirrors it (its
text holds the same number of lines) and re-renders from it when timestamps are toggled or the
colours change. A line is plain text and its colour runs, decoded on the reader's thread."""

from __future__ import annotations

from collections import deque
from typing import Iterable

from desktop.engine.logs import LogLine

DEFAULT_MAX_LINES = 10000


class LogBuffer:
    def __init__(self, max_lines: int = DEFAULT_MAX_LINES):
        self.max_lines = max_lines
        self._lines: deque[LogLine] = deque(maxlen=max_lines)
        self.received = 0  # lines that arrived since the last clear
        self.dropped = 0  # lines the stream dropped before they arrived (the reader fell behind)

    def __len__(self) -> int:
        return len(self._lines)

    def append(self, lines: Iterable[LogLine], dropped: int = 0) -> int:
        """Add lines; returns how many old lines fell out of the window."""
        lines = list(lines)
        before = len(self._lines)
        self._lines.extend(lines)
        self.received += len(lines)
        self.dropped += dropped
        return max(0, before + len(lines) - self.max_lines)

    def lines(self) -> list[LogLine]:
        return list(self._lines)

    def clear(self) -> None:
        self._lines.clear()
        self.received = 0
        self.dropped = 0

    @property
    def evicted(self) -> int:
        """Lines no longer in the window (scrolled out, or dropped on the way)."""
        return self.received - len(self._lines) + self.dropped

    @staticmethod
    def render(line: LogLine, timestamps: bool) -> str:
        if timestamps and line.timestamp:
            return f"{line.timestamp} {line.text}"
        return line.text

    def text(self, timestamps: bool) -> str:
        return "\n".join(self.render(line, timestamps) for line in self._lines)
