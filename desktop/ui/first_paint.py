"""Work the first frame does not need waits until it has been shown: ``after_first_paint``.

Every millisecond before a window's first paint is one the user stares at nothing; setting up
what only matters once the user acts (watching the children for drops, say) can wait until the
window is on screen. A window that is never painted (started minimised, or a test that never
shows it) still gets the work done after *fallback_ms*.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, callback: Callable[[], object], fallback_ms: int | None):
        super().__init__(widget)
        self._callback: Callable[[], object] | None = callback
        widget.installEventFilter(self)
        if fallback_ms is not None:
            QTimer.singleShot(fallback_ms, self, self._run)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)  # after this paint has been flushed
        return False

    def _run(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            self.parent().removeEventFilter(self)
            callback()
            self.deleteLater()


def after_first_paint(widget: QWidget, callback: Callable[[], object], fallback_ms: int | None = 1000) -> None:
    """Call *callback* once, right after *widget* has first been painted, or after *fallback_ms*
    (None: only on a paint) if that comes first."""
    _FirstPaint(widget, callback, fallback_ms)
