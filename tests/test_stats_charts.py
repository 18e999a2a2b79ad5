"""The Stats tab's charts: every y label names its unit, in the one decimal system the text
beside them uses, and the axis keeps only as many labels as the plot has room for, so Qt never
elides one to "…". Samples are built by hand: the figures are the point, not the engine."""

import pytest
from PySide6.QtWidgets import QWidget, QVBoxLayout

from desktop.engine.stats import StatsSample
from desktop.models.formatting import human_size
from desktop.ui.stats_charts import StatsView, read_seconds, summary_text


def sample(i, memory=800_000, rx_per_s=100, written_per_s=3_000_000):
    return StatsSample(container_id="c", read=f"2026-12-01T21:19:{10 + i:02d}.500000000Z", cpu_percent=20.0 + i,
                       memory_usage=memory + i * 1000, memory_limit=64_000_000, net_rx=rx_per_s * i, net_tx=0,
                       block_read=0, block_write=written_per_s * i, pids=1, cpu_total=0, system_total=0,
                       online_cpus=1)


@pytest.fixture
def stats(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    view = StatsView()
    QVBoxLayout(host).addWidget(view)
    return host, view


def charts(view):
    return (view.cpu_chart, view.memory_chart, view.network_chart, view.block_chart)


def test_axis_labels_name_their_units_in_the_text_units(qtbot, stats):
    host, view = stats
    host.resize(1000, 420)
    host.show()
    for i in range(6):
        view.add_sample(sample(i))
    qtbot.waitUntil(lambda: all(c.chart().plotArea().height() > 0 for c in charts(view)), timeout=5000)
    labels = {c.chart().title().split(" (")[0]: c.label_texts() for c in charts(view)}
    assert labels["CPU"][0] == "0 %" and all(t.endswith(" %") for t in labels["CPU"])
    # memory is about 0.8 MB: megabytes, as the summary words it, not MiB
    assert labels["Memory"][-1] == "1 MB" and all(t.endswith(" MB") for t in labels["Memory"])
    assert "MB" in human_size(view.samples[-1].memory_usage) or "kB" in human_size(view.samples[-1].memory_usage)
    assert "MiB" not in summary_text(view.samples[-1]) and "MiB" not in " ".join(sum(labels.values(), []))
    assert view.memory_chart.chart().title() == "Memory (limit 64MB)"
    # rates: 100 B/s received, 3 MB/s written -- each axis in the unit its figures read best in
    assert labels["Network"][-1].endswith(" B/s") and all(t.endswith(" B/s") for t in labels["Network"])
    assert all(t.endswith(" MB/s") for t in labels["Block I/O"]) and labels["Block I/O"][-1] == "5 MB/s"
    assert all("e+" not in t for t in sum(labels.values(), []))
    assert view.block_chart.series[1].at(view.block_chart.series[1].count() - 1).y() == pytest.approx(3.0)


@pytest.mark.parametrize("size", [(1000, 420), (700, 300), (1200, 900)])
def test_the_axes_keep_only_labels_that_fit(qtbot, stats, size):
    host, view = stats
    host.resize(*size)
    host.show()
    for i in range(4):
        view.add_sample(sample(i))
    qtbot.waitUntil(lambda: all(c.chart().plotArea().height() > 0 for c in charts(view)), timeout=5000)
    for chart in charts(view):
        ticks = chart.y_axis.tickCount()
        height = chart.chart().plotArea().height()
        assert ticks in (2, 3, 5)
        # Qt Charts elides a y label to "…" when its share of the axis is below the label's height
        assert ticks == 2 or height / ticks >= chart.label_room(), (chart.chart().title(), height, ticks)
        assert len(chart.label_texts()) == ticks


def test_no_samples_and_bad_times(qtbot, stats):
    host, view = stats
    host.show()
    view.add_sample(sample(0))
    view.clear("gone")
    assert view.summary.text() == "gone" and all(c.series[0].count() == 0 for c in charts(view))
    assert view.memory_chart.label_texts()[0] == "0 B"
    assert read_seconds("2026-12-01T21:19:10.5Z") == pytest.approx(read_seconds("2026-12-01T21:19:10Z") + 0.5)
    assert read_seconds("not a time") is None
