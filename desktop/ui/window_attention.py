"""How much attention a widget's window can be getting: the window the user works in (ACTIVE),
on screen behind another window or app (INACTIVE), or minimised or hidden (HIDDEN). Periodic work
(usage sampling, rewording statuses) follows it, so an idle Berth in the background costs next
to nothing.

Signals of WindowAttention: changed(str state) -- ACTIVE, INACTIVE or HIDDEN, when it changes.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QWindow
from PySide6.QtWidgets import QWidget

ACTIVE, INACTIVE, HIDDEN = "active", "inactive", "hidden"
# how often words that age with the clock ("Up 5 seconds") are refreshed, by state (none when hidden)
CLOCK_TICK_MS = {ACTIVE: 1000, INACTIVE: 10_000}


class WindowAttention(QObject):
    """Follows the top-level window of *widget* through QWindow's own signals (no event filter:
    nothing runs per event). Call ``watch()`` once the widget is shown (its window then exists)."""

    changed = Signal(str)

    def __init__(self, widget: QWidget):
        super().__init__(widget)
        self._widget = widget
        self._window: QWindow | None = None
        self._state = HIDDEN

    @property
    def state(self) -> str:
        return self._state

    def watch(self) -> str:
        """Follow the widget's window now (again after reparenting) and return the state."""
        window = self._widget.window().windowHandle()
        if window is not self._window:
            if self._window is not None and shiboken6.isValid(self._window):
                for signal in (self._window.activeChanged, self._window.visibilityChanged):
                    signal.disconnect(self.update)
            self._window = window
            if window is not None:
                window.activeChanged.connect(self.update)
                window.visibilityChanged.connect(self.update)
        self.update()
        return self._state

    def update(self, *_args) -> None:
        window = self._window
        if window is None or not self._widget.isVisible() or window.visibility() in (
                QWindow.Visibility.Hidden, QWindow.Visibility.Minimized):
            state = HIDDEN
        elif window.isActive():
            state = ACTIVE
        else:
            state = INACTIVE
        if state != self._state:
            self._state = state
            self.changed.emit(state)
