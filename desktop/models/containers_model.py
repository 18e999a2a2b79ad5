"""The containers table, as ``docker ps -a`` lists them, with a compact CPU / memory column for
running containers (fed by a sampler while the list is on screen) and ports that open in a
browser."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap

from desktop.engine.containers import ContainerRow, port_url
from desktop.engine.stats import StatsSample
from desktop.models.formatting import human_size
from desktop.models.keyed_table import AgeColumn, Column, KeyedTableModel

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


def status_text(row: ContainerRow) -> str:
    """The CLI's status, with the state spelt out when the status hides it."""
    if row.state == "created":
        return "Created"
    return row.status or row.state


class ContainersModel(KeyedTableModel):
    NAME, IMAGE, COMMAND, STATUS, CPU, MEMORY, CREATED, PORTS, PROJECT = range(9)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._usage: dict[str, StatsSample] = {}
        self._icons: dict[str, QIcon] = {}
        self.engine_host = ""  # where published ports are reached (set from the session)
        usage = self._usage
        self.columns = (
            Column("Name", lambda r: r.name, lambda r: r.name.lower(), tooltip=lambda r: f"{r.name}\n{r.id}"),
            Column("Image", lambda r: r.image, lambda r: r.image.lower()),
            Column("Command", lambda r: r.command, tooltip=lambda r: r.command),
            Column("Status", status_text, lambda r: (not r.running, r.state, r.status),
                   tooltip=lambda r: f"state: {r.state}"),
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
        super().apply(new_rows)
        gone = [i for i in self._usage if i not in self._index]
        for container_id in gone:
            del self._usage[container_id]


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
