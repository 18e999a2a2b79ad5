"""Dialogs that grow with their content, within the screen.

A top-level window never asks its word-wrapped labels how tall they are at its width: Qt gives it
the layout's plain minimum, so when a hint, warning or error appears the layout squeezes the
fields below their usable height and cuts the message mid-line. ``grow_with_content(dialog)``
makes the dialog's minimum size its layout's (``SetMinimumSize``) and, whenever its layout changes
or its width does, makes it as tall as its content needs at that width. It never grows past the
screen's available area; content that can be taller than a small screen belongs in a scroll area.
When it first shows, a dialog larger than the screen is made to fit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, QTimer
from PySide6.QtWidgets import QDialog, QLayout


class _Grower(QObject):
    def __init__(self, dialog: QDialog):
        super().__init__(dialog)
        self._dialog = dialog
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Show:
            self._fit_screen()
        if kind in (QEvent.Type.LayoutRequest, QEvent.Type.Resize, QEvent.Type.Show):
            self._timer.start()
        return False

    def _available(self) -> QSize:
        screen = self._dialog.screen()
        return screen.availableGeometry().size() if screen is not None else QSize(1 << 20, 1 << 20)

    def _fit_screen(self) -> None:
        available = self._available()
        size = self._dialog.size()
        if size.width() > available.width() or size.height() > available.height():
            self._dialog.resize(size.boundedTo(available))

    def fit(self) -> None:
        """Make the dialog as tall as its content needs at its width (growing only)."""
        layout = self._dialog.layout()
        if layout is None or not self._dialog.isVisible():
            return
        layout.activate()
        width = self._dialog.width()
        needed = layout.minimumSize().height()
        if layout.hasHeightForWidth():
            needed = max(needed, layout.heightForWidth(width))
        needed = min(needed, self._available().height())
        if needed > self._dialog.height():
            self._dialog.resize(width, needed)


def grow_with_content(dialog: QDialog) -> None:
    """Call once the dialog's layout is set (see the module's docstring)."""
    dialog.layout().setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
    _Grower(dialog)
