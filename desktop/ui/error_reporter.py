"""A last line of defence: an exception nobody caught becomes a message box, not a console
traceback and a window that silently stopped working. The details stay one click away."""

from __future__ import annotations

import sys
import traceback

from PySide6.QtCore import QTimer
from PySide6 import QtWidgets  # QMessageBox when one is shown: not needed to start
from PySide6.QtWidgets import QApplication

from desktop.engine.errors import BerthError


_shown: list = []  # the boxes on screen, kept alive


def report(exc_type, exc, tb) -> None:
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(details)
    app = QApplication.instance()
    if app is None or isinstance(exc, KeyboardInterrupt):
        return
    QMessageBox = QtWidgets.QMessageBox  # noqa: N806
    box = QMessageBox(QMessageBox.Icon.Warning, "Berth",
                      str(exc) if isinstance(exc, BerthError) else
                      "Berth hit an unexpected problem. It keeps running; the action you tried may not "
                      "have finished.", parent=app.activeWindow())
    if not isinstance(exc, BerthError):
        box.setInformativeText(f"{exc_type.__name__}: {exc}")
        box.setDetailedText(details)
    _shown.append(box)  # a box without a parent window must be kept alive by someone
    box.finished.connect(lambda _r: _shown.remove(box))
    QTimer.singleShot(0, box.open)


def install_error_reporter() -> None:
    sys.excepthook = report
