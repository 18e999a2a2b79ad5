"""The Stats tab: live CPU, memory, network and block I/O of one container as QtCharts line
charts over the last minutes, with the latest figures written out above them.

Network and block I/O arrive as totals since the container started; the charts show the rate
between two samples (bytes per second), which is what a person watching wants to see.

Sizes use the one decimal unit system of the rest of Berth (``models/formatting.py``): a chart
of bytes picks the unit its largest figure reads best in (B, kB, MB, GB; per second for rates),
names it on every axis label, and keeps as many labels as the plot has room for, so none is
squeezed into an ellipsis.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QMargins, QPointF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from desktop.engine.container_status import unix_seconds
from desktop.engine.stats import StatsSample
from desktop.models.formatting import human_size, size_unit

HISTORY = 120  # samples (about two minutes at one a second)


LABEL_PADDING = 4  # Qt Charts' padding around an axis label (ChartAxisElement::labelPadding)
BYTES = "B"  # a chart of sizes: the unit follows the figures
BYTES_PER_S = "B/s"  # a chart of rates


class _Chart(QChartView):
    """One chart with up to two series sharing a y axis that grows to fit. *unit* is a fixed unit
    ("%") or BYTES / BYTES_PER_S, whose figures are shown in the decimal unit that suits them."""

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
        self.shown_unit = unit  # what the labels say now ("kB/s")
        self._scale = 1.0  # raw figures per shown unit
        self.series: list[QLineSeries] = []
        self.x_axis = QValueAxis()
        self.x_axis.setRange(-HISTORY, 0)
        self.x_axis.setLabelFormat("%d s")
        self.x_axis.setTickCount(5)
        self.y_axis = QValueAxis()
        self.y_axis.setRange(0, 1)
        self._set_unit(unit)
        chart.plotAreaChanged.connect(self._fit_ticks)
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

    def _set_unit(self, unit: str) -> None:
        self.shown_unit = unit
        # a printf format: a literal percent sign is written twice
        self.y_axis.setLabelFormat(f"%.3g {unit.replace('%', '%%')}" if unit else "%.3g")

    def set_values(self, values: list[tuple[float, ...]], ceiling: float | None = None) -> None:
        """Plot *values* (raw figures: percent, bytes, bytes per second), the newest last."""
        count = len(values)
        top = max([0.0] + [v[n] for v in values for n in range(len(self.series))])
        if ceiling is not None:
            top = max(top, ceiling)
        top = _nice(top)
        if self.unit in (BYTES, BYTES_PER_S):
            name, self._scale = size_unit(top)  # of the axis' top: "1 MB", never "1e+03 kB"
            self._set_unit(name + ("/s" if self.unit == BYTES_PER_S else ""))
        for n, series in enumerate(self.series):
            series.replace([QPointF(i - count + 1, v[n] / self._scale) for i, v in enumerate(values)])
        self.y_axis.setRange(0, top / self._scale)
        self._fit_ticks()

    def label_texts(self) -> list[str]:
        """The y axis labels as drawn (for tests: what a person reads)."""
        low, high = self.y_axis.min(), self.y_axis.max()
        ticks = self.y_axis.tickCount()
        fmt = self.y_axis.labelFormat().replace("%%", "\0")
        return [(fmt % (low + (high - low) * i / (ticks - 1))).replace("\0", "%") for i in range(ticks)]

    def label_room(self) -> float:
        """The height Qt Charts needs for each y label (the font's, plus its padding above and
        below) before it elides the label to "…"."""
        return QFontMetrics(self.y_axis.labelsFont()).height() + 2 * LABEL_PADDING

    def _fit_ticks(self, *_args) -> None:
        """As many y labels as the plot's height holds without Qt eliding them to "…" (5, 3 or
        2: a quarter, a half or the whole of a round top, so steps stay round)."""
        height = self.chart().plotArea().height()
        room = int(height // self.label_room()) if height > 0 else 3
        ticks = 5 if room >= 5 else 3 if room >= 3 else 2
        if self.y_axis.tickCount() != ticks:
            self.y_axis.setTickCount(ticks)


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


def read_seconds(read: str) -> float | None:
    """The engine's sample time (RFC 3339, nanoseconds) as unix seconds."""
    return unix_seconds(read) or None


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
        self.memory_chart = _Chart("Memory", ("used",), ("#8e44ad",), BYTES)
        self.network_chart = _Chart("Network", ("received", "sent"), ("#27ae60", "#e67e22"), BYTES_PER_S)
        self.block_chart = _Chart("Block I/O", ("read", "written"), ("#16a085", "#c0392b"), BYTES_PER_S)
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
        self.memory_chart.set_values([(float(s.memory_usage),) for s in samples])
        self.memory_chart.chart().setTitle(f"Memory (limit {human_size(sample.memory_limit)})")
        net, block = [], []
        for older, newer in zip(samples, samples[1:]):
            t_new, t_old = read_seconds(newer.read), read_seconds(older.read)
            seconds = t_new - t_old if t_new is not None and t_old is not None and t_new > t_old else 1.0
            net.append((rate(newer.net_rx, older.net_rx, seconds), rate(newer.net_tx, older.net_tx, seconds)))
            block.append((rate(newer.block_read, older.block_read, seconds), rate(newer.block_write, older.block_write, seconds)))
        self.network_chart.set_values(net)
        self.block_chart.set_values(block)
        self.summary.setText(summary_text(sample))


def summary_text(sample: StatsSample) -> str:
    return (f"CPU {sample.cpu_percent:.2f} %  ·  Memory {human_size(sample.memory_usage)} / "
            f"{human_size(sample.memory_limit)} ({sample.memory_percent:.1f} %)  ·  "
            f"Network ↓ {human_size(sample.net_rx)} ↑ {human_size(sample.net_tx)}  ·  "
            f"Block I/O read {human_size(sample.block_read)}, written {human_size(sample.block_write)}  ·  "
            f"{sample.pids} process{'es' if sample.pids != 1 else ''}")
