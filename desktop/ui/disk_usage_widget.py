"""A one-line disk usage summary ("Images: 42 (1.2GB), reclaimable 300MB (25%)") with a refresh
button. ``/system/df`` is slow on big engines, so it is measured in a worker: when the widget is
first shown, when the refresh button is pressed (or ``refresh()`` called, e.g. after a prune),
when the engine connects again while shown, and after image events (an image removed, pulled,
loaded, tagged; a container created or removed changes what is reclaimable) -- once a burst has
been quiet for a second, and no sooner than a few times what the last measurement took. Hidden,
it only notes that its figures went stale and measures again when shown. The tooltip says when
the figures were measured.

Signals: loaded(object) -- the DiskUsage after each measurement.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from desktop.engine.disk_usage import DiskUsage, UsageLine
from desktop.engine.errors import BerthError
from desktop.engine.events import EngineEvent
from desktop.models.formatting import exact_time, human_size
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import HOUSEKEEPING, NOT_CONNECTED, Operation
from desktop.tasks.task import Task


def reclaimable_text(line: UsageLine) -> str:
    percent = line.reclaimable_percent
    return human_size(line.reclaimable) + (f" ({percent}%)" if percent is not None else "")


def summary_text(usage: DiskUsage) -> str:
    images = usage.images
    return f"Images: {images.total_count} ({human_size(images.size)}), reclaimable {reclaimable_text(images)}"


def details_text(usage: DiskUsage) -> str:
    """Every row of ``docker system df``, for the tooltip."""
    return "\n".join(f"{line.kind}: {line.total_count} ({line.active} active), {human_size(line.size)}, "
                     f"reclaimable {reclaimable_text(line)}" for line in usage.lines)


# the events after which the summary's figures may be wrong
CHANGING = {"image": {"delete", "untag", "tag", "pull", "load", "import"}, "container": {"create", "destroy"}}


def changes_usage(event: EngineEvent) -> bool:
    return event.base_action in CHANGING.get(event.type, ())


class DiskUsageWidget(QWidget):
    loaded = Signal(object)

    QUIET_MS = 1000  # measure once events have been quiet this long...
    MIN_GAP_S = 3.0  # ...and no sooner than this (or 4x the last measurement) after the last one

    def __init__(self, session: EngineSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("diskUsage")
        self._session = session
        self.usage: DiskUsage | None = None
        self.task: Task | None = None
        self._shown = False
        self.stale = False  # events said the figures changed since they were measured
        self.measured_at = 0.0  # unix seconds
        self._took_s = 0.0
        self._asked = 0.0  # time.monotonic() the measurement under way began
        self._finished_at = 0.0  # time.monotonic()
        self._after_events = QTimer(self)
        self._after_events.setSingleShot(True)
        self._after_events.timeout.connect(self._refresh_stale)
        self.label = QLabel("Images: disk usage not measured yet")
        self.label.setObjectName("diskUsageLabel")
        self.refresh_button = QToolButton()
        self.refresh_button.setObjectName("diskUsageRefresh")
        self.refresh_button.setText("↻")
        self.refresh_button.setAutoRaise(True)
        self.refresh_button.setToolTip("Measure disk usage again (docker system df)")
        self.refresh_button.clicked.connect(self.refresh)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.label)
        box.addWidget(self.refresh_button)
        session.connected.connect(self._on_connected)
        session.disconnected.connect(self._on_disconnected)
        session.eventReceived.connect(self._on_event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown or self.stale:
            self._shown = True
            self.refresh()

    def _on_event(self, event: EngineEvent) -> None:
        if not self._shown or not changes_usage(event):
            return
        self.stale = True
        if self.isVisible():
            gap_s = max(self.MIN_GAP_S, 4 * self._took_s) - (time.monotonic() - self._finished_at)
            self._after_events.start(max(self.QUIET_MS, int(gap_s * 1000)))

    def _refresh_stale(self) -> None:
        if self.stale and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Measure now, unless a measurement is already under way."""
        if self.task is not None:
            return
        self.stale = False
        self._asked = time.monotonic()
        self.refresh_button.setEnabled(False)
        self.label.setText("Images: measuring disk usage…" if self.usage is None else self.label.text())
        from desktop.tasks import image_ops  # with the first measurement, not at start-up

        self.task = Operation(self._session, "Measuring disk usage", image_ops.disk_usage, kind=HOUSEKEEPING,
                              action="measure disk usage").owned_by(self) \
            .on_success(self._on_loaded).on_failure(self._on_failed).on_finish(self._on_finished).run()

    def _on_loaded(self, usage: DiskUsage) -> None:
        self.usage = usage
        self.measured_at = time.time()
        self.label.setText(summary_text(usage))
        self.setToolTip(f"{details_text(usage)}\nMeasured {exact_time(self.measured_at)}")
        self.loaded.emit(usage)

    def _on_failed(self, error: BerthError) -> None:
        unavailable = "not connected" if str(error) == NOT_CONNECTED else "disk usage unavailable"
        self.label.setText(f"Images: {unavailable}")
        self.setToolTip(str(error))

    def _on_finished(self) -> None:
        self.task = None
        self._finished_at = time.monotonic()
        self._took_s = self._finished_at - self._asked
        self.refresh_button.setEnabled(True)
        if self.stale and self.isVisible() and not self._after_events.isActive():
            self._after_events.start(max(self.QUIET_MS, int(max(self.MIN_GAP_S, 4 * self._took_s) * 1000)))

    def _on_connected(self, _info) -> None:
        if self._shown and self.isVisible():
            self.refresh()

    def _on_disconnected(self, _error) -> None:
        self._after_events.stop()
        self.stale = False
        self.usage = None
        self.label.setText("Images: not connected")
        self.setToolTip("")
