"""The Stats tab: live CPU, memory, network and block I/O of one container as QtCharts line
charts over the last minutes, with the latest figures written out above them.

Network and block I/O arrive as totals since the container started; the charts show the rate
between two samples (bytes per second), which is what a person watching wants to see.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import datetime

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from desktop.engine.stats import StatsSample
from desktop.models.formatting import human_size

HISTORY = 120  # samples (about two minutes at one a second)


class _Chart(QChartView):
    """One chart with up to two series sharing a y axis that grows to fit."""

    def __init__(self, title: str, names: tuple[str, ...], colours: tuple[str, ...], unit: str):
        chart = QChart()
        chart.setTitle(title)
        chart.legend().setVisible(len(names) > 1)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        chart.setMargins(QMargins(4, 4, 4, 4))
        super().__init__(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(150)
        self.unit = unit
        self.series: list[QLineSeries] = []
        self.x_axis = QValueAxis()
        self.x_axis.setRange(-HISTORY, 0)
        self.x_axis.setLabelFormat("%d s")
        self.x_axis.setTickCount(5)
        self.y_axis = QValueAxis()
        self.y_axis.setRange(0, 1)
        self.y_axis.setLabelFormat(f"%.4g {unit}" if unit else "%.4g")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for name, colour in zip(names, colours):
            series = QLineSeries()
            series.setName(name)
            series.setPen(QPen(QColor(colour), 2))
            chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)
            self.series.append(series)

    def set_values(self, values: list[tuple[float, ...]], ceiling: float | None = None) -> None:
        count = len(values)
        top = 0.0
        for n, series in enumerate(self.series):
            points = [QPointF(i - count + 1, v[n]) for i, v in enumerate(values)]
            series.replace(points)
            top = max([top] + [v[n] for v in values])
        if ceiling is not None:
            top = max(top, ceiling)
        self.y_axis.setRange(0, _nice(top))


def _nice(value: float) -> float:
    """A round axis top just above *value*."""
    if value <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value:
        step /= 10
    for factor in (1, 2, 2.5, 5, 10):
        if step * factor >= value * 1.1:
            return step * factor
    return step * 10


_FRACTION = re.compile(r"\.(\d+)")


def read_seconds(read: str) -> float | None:
    """The engine's sample time (RFC 3339, nanoseconds) as unix seconds."""
    text = _FRACTION.sub(lambda m: "." + m[1][:6], read.replace("Z", "+00:00"))
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def rate(newer: int, older: int, seconds: float) -> float:
    return max(0.0, (newer - older) / seconds) if seconds > 0 else 0.0


class StatsView(QWidget):
    """Shows the samples given to ``add_sample``; ``clear`` for another container."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("statsView")
        self.samples: deque[StatsSample] = deque(maxlen=HISTORY)
        self.summary = QLabel("Waiting for the first sample…")
        self.summary.setObjectName("statsSummary")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.cpu_chart = _Chart("CPU", ("CPU %",), ("#2e86de",), "%")
        self.memory_chart = _Chart("Memory", ("used",), ("#8e44ad",), "MiB")
        self.network_chart = _Chart("Network", ("received", "sent"), ("#27ae60", "#e67e22"), "kB/s")
        self.block_chart = _Chart("Block I/O", ("read", "written"), ("#16a085", "#c0392b"), "kB/s")
        grid = QGridLayout()
        grid.addWidget(self.cpu_chart, 0, 0)
        grid.addWidget(self.memory_chart, 0, 1)
        grid.addWidget(self.network_chart, 1, 0)
        grid.addWidget(self.block_chart, 1, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.summary)
        box.addLayout(grid, 1)

    def clear(self, message: str = "Waiting for the first sample…") -> None:
        self.samples.clear()
        for chart in (self.cpu_chart, self.memory_chart, self.network_chart, self.block_chart):
            chart.set_values([])
        self.summary.setText(message)

    def set_message(self, message: str) -> None:
        self.summary.setText(message)

    def add_sample(self, sample: StatsSample) -> None:
        self.samples.append(sample)
        samples = list(self.samples)
        self.cpu_chart.set_values([(s.cpu_percent,) for s in samples], ceiling=1.0)
        mib = 1024 * 1024
        self.memory_chart.set_values([(s.memory_usage / mib,) for s in samples])
        self.memory_chart.chart().setTitle(f"Memory (limit {human_size(sample.memory_limit)})")
        net, block = [], []
        for older, newer in zip(samples, samples[1:]):
            t_new, t_old = read_seconds(newer.read), read_seconds(older.read)
            seconds = t_new - t_old if t_new is not None and t_old is not None and t_new > t_old else 1.0
            net.append((rate(newer.net_rx, older.net_rx, seconds) / 1000, rate(newer.net_tx, older.net_tx, seconds) / 1000))
            block.append((rate(newer.block_read, older.block_read, seconds) / 1000,
                          rate(newer.block_write, older.block_write, seconds) / 1000))
        self.network_chart.set_values(net)
        self.block_chart.set_values(block)
        self.summary.setText(summary_text(sample))


def summary_text(sample: StatsSample) -> str:
    return (f"CPU {sample.cpu_percent:.2f} %  ·  Memory {human_size(sample.memory_usage)} / "
            f"{human_size(sample.memory_limit)} ({sample.memory_percent:.1f} %)  ·  "
            f"Network ↓ {human_size(sample.net_rx)} ↑ {human_size(sample.net_tx)}  ·  "
            f"Block I/O read {human_size(sample.block_read)}, written {human_size(sample.block_write)}  ·  "
            f"{sample.pids} process{'es' if sample.pids != 1 else ''}")
