"""The containers table, as ``docker ps -a`` lists them, with a compact CPU / memory column for
running containers (fed by a sampler while the list is on screen) and ports that open in a
browser.

The Status column is worded from each row's anchor against the model's one clock (``now``), as
the engine would word it at that instant (``engine/container_status.py``): rows started together
agree, and ages advance when the view ticks ``touch_status`` without asking the engine anything.
A stop Berth asked for shows the signal sent and the grace left before the engine kills.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap

from desktop.engine.container_status import TOLERANCE_S, narrow, status_at
from desktop.engine.containers import ContainerRow, port_url
from desktop.models.formatting import exact_time, human_age, human_size
from desktop.models.keyed_table import AgeColumn, Column, KeyedTableModel

if TYPE_CHECKING:  # the stats module (and its thread pool) loads with the first sample, not at start-up
    from desktop.engine.stats import StatsSample

PORT_URLS_ROLE = Qt.ItemDataRole.UserRole + 20  # list[str]: browser addresses of the published ports
USAGE_ROLE = Qt.ItemDataRole.UserRole + 21  # StatsSample or None

STATE_COLOURS = {
    "running": "#2e9d4f",
    "paused": "#d4a017",
    "restarting": "#e67e22",
    "created": "#8e9aa6",
    "exited": "#8e9aa6",
    "dead": "#c0392b",
    "removing": "#c0392b",
}


SIGNAL_NAMES = {"1": "SIGHUP", "2": "SIGINT", "3": "SIGQUIT", "6": "SIGABRT", "9": "SIGKILL", "10": "SIGUSR1",
                "12": "SIGUSR2", "15": "SIGTERM", "28": "SIGWINCH"}  # Linux numbers, as kill events carry them


def signal_name(signal: str) -> str:
    """"15" -> "SIGTERM"; names pass through ("SIGINT", "INT")."""
    signal = str(signal or "").strip()
    if signal.isdigit():
        return SIGNAL_NAMES.get(signal, f"signal {signal}")
    return signal if not signal or signal.upper().startswith("SIG") else f"SIG{signal.upper()}"


@dataclass(frozen=True)
class Stopping:
    """A stop Berth asked for, until the container dies: which signal went when, and when the
    engine will send SIGKILL (the stop's grace period after the first signal)."""

    grace_s: float  # seconds between the stop signal and SIGKILL
    asked_at: float  # unix seconds, this machine's clock
    signal: str = ""  # the last signal the engine says it sent ("SIGTERM"), "" before it says
    signalled_at: float = 0.0

    def text(self, now: float) -> str:
        if not self.signal:
            return "Stopping…"
        if self.signal == "SIGKILL":
            return "Stopping (SIGKILL sent)"
        left = int(self.signalled_at + self.grace_s - now + 0.999)  # whole seconds, rounded up
        if left <= 0:
            return f"Stopping ({self.signal} sent, SIGKILL due)"
        return f"Stopping ({self.signal} sent, SIGKILL in {left} s)"


def status_text(row: ContainerRow, now: float | None = None) -> str:
    """The CLI's status as the engine would word it at *now* (default: this instant), with the
    state spelt out when the status hides it."""
    if row.state == "created":
        return "Created"
    if not row.status:
        return row.state
    return status_at(row.status, row.since, time.time() if now is None else now)


class ContainersModel(KeyedTableModel):
    NAME, IMAGE, COMMAND, STATUS, CPU, MEMORY, CREATED, PORTS, PROJECT = range(9)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._usage: dict[str, StatsSample] = {}
        self._stopping: dict[str, Stopping] = {}
        self._worded: dict[str, tuple[str, str]] = {}  # id -> (status, age) last signalled
        self._icons: dict[str, QIcon] = {}
        self.engine_host = ""  # where published ports are reached (set from the session)
        usage = self._usage
        self.columns = (
            Column("Name", lambda r: r.name, lambda r: r.name.lower(), tooltip=lambda r: f"{r.name}\n{r.id}"),
            Column("Image", lambda r: r.image, lambda r: r.image.lower()),
            Column("Command", lambda r: r.command, tooltip=lambda r: r.command),
            Column("Status", self.status_of, lambda r: (not r.running, r.state, -r.since),
                   tooltip=self._status_tip),
            Column("CPU", lambda r: _cpu_text(usage.get(r.id), r), lambda r: _cpu_key(usage.get(r.id), r),
                   tooltip=lambda r: _usage_tip(usage.get(r.id), r), align_right=True),
            Column("Memory", lambda r: _memory_text(usage.get(r.id), r), lambda r: _memory_key(usage.get(r.id), r),
                   tooltip=lambda r: _usage_tip(usage.get(r.id), r), align_right=True),
            AgeColumn("Created", "created"),
            Column("Ports", lambda r: r.ports_text, tooltip=self._ports_tip),
            Column("Project", lambda r: r.compose_project, lambda r: r.compose_project.lower(),
                   tooltip=lambda r: f"compose service {r.compose_service}" if r.compose_service else ""),
        )

    def filter_text(self, row: ContainerRow) -> str:
        return f"{row.name} {row.image} {row.id} {row.status} {row.compose_project} {row.compose_service}".lower()

    # --- status -------------------------------------------------------------------------------
    def status_of(self, row: ContainerRow) -> str:
        """The Status cell: a stop under way, else the status worded at the model's clock."""
        stopping = self._stopping.get(row.id)
        if stopping is not None and row.running:
            return stopping.text(self.now)
        return status_text(row, self.now)

    def _status_tip(self, row: ContainerRow) -> str:
        since = row.since
        if not since:
            return f"state: {row.state}"
        low, high = row.anchor
        what = "exited" if row.status.startswith(("Exited", "Restarting")) else "started"
        when = exact_time(since) if high - low < 1.0 else f"between {exact_time(low)} and {exact_time(high)}"
        return f"state: {row.state}\n{what} {when}"

    def touch_status(self, rows: Iterable[int] | None = None) -> None:
        """The clock moved on: reword the Status (and Created) cells of these rows (default: all),
        so every cell a person sees is worded against the same instant. Only cells whose words
        changed are signalled: a repaint costs far more than wording a row."""
        self.now = time.time()
        targets = range(len(self._rows)) if rows is None else rows
        for r in targets:
            if 0 <= r < len(self._rows):
                row = self._rows[r]
                words = (self.status_of(row), human_age(row.created, now=self.now))
                if self._worded.get(row.id) != words:
                    self._worded[row.id] = words
                    self.dataChanged.emit(self.index(r, self.STATUS), self.index(r, self.CREATED),
                                          [Qt.ItemDataRole.DisplayRole])

    def set_exact_anchors(self, anchors: dict[str, float]) -> None:
        """Exact instants (this machine's clock) the statuses count from, e.g. from an inspect.
        One outside the interval the row already knows is not taken: the container started
        again since it was asked (events will tell), or the engine's clock is not this one's."""
        rows = []
        for container_id, since in anchors.items():
            i = self._index.get(container_id, -1)
            if i < 0 or not since:
                continue
            row = self._rows[i]
            low, high = row.anchor
            if high and low - TOLERANCE_S <= since <= high + TOLERANCE_S:
                rows.append(replace(row, anchor=narrow(row.anchor, row.status, (since, since), row.status)))
        self.update_rows(rows)

    def _narrowed(self, rows: Sequence[ContainerRow]) -> list[ContainerRow]:
        """*rows* with each anchor intersected with what the model already knew of it."""
        result = []
        for new in rows:
            i = self._index.get(new.key, -1)
            if i >= 0:
                old = self._rows[i]
                anchor = narrow(old.anchor, old.status, new.anchor, new.status)
                if anchor != new.anchor:
                    new = replace(new, anchor=anchor)
            result.append(new)
        return result

    # --- stopping -------------------------------------------------------------------------------
    def stopping(self, container_id: str) -> Stopping | None:
        return self._stopping.get(container_id)

    def mark_stopping(self, ids: Iterable[str], grace_s: float) -> None:
        """Berth asked the engine to stop these containers with this grace period."""
        now = time.time()
        for container_id in ids:
            self._stopping[container_id] = Stopping(float(grace_s), now)
            self._touch_row(container_id)

    def note_signal(self, container_id: str, signal: str, at: float) -> None:
        """The engine says it sent *signal* (a kill event) at *at*; only a stop Berth asked for shows it."""
        stopping = self._stopping.get(container_id)
        if stopping is not None:
            self._stopping[container_id] = replace(stopping, signal=signal_name(signal), signalled_at=at)
            self._touch_row(container_id)

    def end_stopping(self, ids: Iterable[str]) -> None:
        for container_id in ids:
            if self._stopping.pop(container_id, None) is not None:
                self._touch_row(container_id)

    def _touch_row(self, container_id: str) -> None:
        i = self._index.get(container_id, -1)
        if i >= 0:
            self.touch_status([i])

    # --- usage --------------------------------------------------------------------------------
    def usage(self, container_id: str) -> StatsSample | None:
        return self._usage.get(container_id)

    def set_usage(self, samples: dict[str, StatsSample]) -> None:
        """New samples for some containers; only their two cells change."""
        rows = []
        for container_id, sample in samples.items():
            row = self._index.get(container_id, -1)
            if row >= 0 and self._rows[row].state == "running":
                self._usage[container_id] = sample
                rows.append(row)
        for row in rows:
            self.dataChanged.emit(self.index(row, self.CPU), self.index(row, self.MEMORY))

    def clear_usage(self) -> None:
        """The sampler stopped: old figures would mislead, so the cells empty."""
        if not self._usage:
            return
        rows = [self._index[i] for i in self._usage if i in self._index]
        self._usage.clear()
        for row in rows:
            self.dataChanged.emit(self.index(row, self.CPU), self.index(row, self.MEMORY))

    def running_ids(self) -> list[str]:
        return [r.id for r in self._rows if r.state == "running"]

    # --- Qt -------------------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        row: ContainerRow = self._rows[index.row()]
        column = index.column()
        if role == PORT_URLS_ROLE:
            return self.port_urls(row)
        if role == USAGE_ROLE:
            return self._usage.get(row.id) if row.state == "running" else None
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME:
            return self._state_icon(row.state)
        if column == self.PORTS and row.published_ports and role in (Qt.ItemDataRole.ForegroundRole,
                                                                     Qt.ItemDataRole.FontRole):
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setUnderline(True)
                return font
            return QGuiApplication.palette().color(QPalette.ColorRole.Link)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATUS and row.state in ("dead", "restarting"):
            return QColor(STATE_COLOURS[row.state])
        return super().data(index, role)

    def port_urls(self, row: ContainerRow) -> list[str]:
        return [u for u in (port_url(p, self.engine_host) for p in row.published_ports) if u]

    def _ports_tip(self, row: ContainerRow) -> str:
        urls = self.port_urls(row)
        if not urls:
            return row.ports_text
        return "Click to open " + (urls[0] if len(urls) == 1 else "one of:\n" + "\n".join(urls))

    def _state_icon(self, state: str) -> QIcon:
        icon = self._icons.get(state)
        if icon is None:
            pixmap = QPixmap(12, 12)
            pixmap.fill(QColor(0, 0, 0, 0))
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(STATE_COLOURS.get(state, "#8e9aa6")))
            if state == "paused":
                painter.drawRect(2, 2, 3, 8)
                painter.drawRect(7, 2, 3, 8)
            else:
                painter.drawEllipse(2, 2, 8, 8)
            painter.end()
            icon = self._icons[state] = QIcon(pixmap)
        return icon

    def apply(self, new_rows) -> None:
        super().apply(self._narrowed(new_rows))
        for table in (self._usage, self._stopping, self._worded):
            for container_id in [i for i in table if i not in self._index]:
                del table[container_id]
        self._end_stopped()

    def update_rows(self, rows, removed_keys=()) -> None:
        removed_keys = list(removed_keys)
        super().update_rows(self._narrowed(rows), removed_keys)
        for container_id in removed_keys:
            self._stopping.pop(container_id, None)
        self._end_stopped()

    def _end_stopped(self) -> None:
        if self._stopping:
            self.end_stopping([i for i in self._stopping if i in self._index and not self._rows[self._index[i]].running])


def _cpu_text(sample: StatsSample | None, row: ContainerRow) -> str:
    if sample is None or row.state != "running":
        return ""
    return f"{sample.cpu_percent:.1f} %"


def _cpu_key(sample: StatsSample | None, row: ContainerRow) -> float:
    return sample.cpu_percent if sample is not None and row.state == "running" else -1.0


def _memory_text(sample: StatsSample | None, row: ContainerRow) -> str:
    if sample is None or row.state != "running":
        return ""
    return human_size(sample.memory_usage)


def _memory_key(sample: StatsSample | None, row: ContainerRow) -> int:
    return sample.memory_usage if sample is not None and row.state == "running" else -1


def _usage_tip(sample: StatsSample | None, row: ContainerRow) -> str:
    if row.state != "running":
        return "Not running"
    if sample is None:
        return "Measured while the list is on screen, for the running containers in view"
    return (f"CPU {sample.cpu_percent:.2f} % (100 % is one core)\n"
            f"Memory {human_size(sample.memory_usage)} of {human_size(sample.memory_limit)} "
            f"({sample.memory_percent:.1f} %)")
