"""Drop image archives anywhere on the main window to load them.

An event filter on the window (and on the few children that take drops themselves, such as line
edits) watches drags of files. While files are dragged over the window an overlay covers it and
says whether they can be dropped ("Drop image archives to load") or not ("Not an image archive:
notes.txt"); a drop hands the acceptable paths to ``on_files`` (by default the load flow). The
overlay ignores the mouse, so it never hides what is under it from the drag.

Signals of ArchiveDropHandler: filesDropped(list[str] paths, list[str] refused names).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QLabel, QMainWindow, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.ui.problem_style import PROBLEM_COLOUR, mark_problem
from desktop.ui.first_paint import after_first_paint

if TYPE_CHECKING:  # what a drag needs is imported at the first drag, not at start-up
    from desktop.ui.build_drop import BuildDrop

ACCEPT_COLOUR = QColor(41, 128, 185)  # a refusal is a problem: Berth's one problem colour
_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def sort_drop(urls: list[QUrl]) -> tuple[list[str], list[str]]:
    """Split dropped URLs into archive paths to load and names of what cannot be loaded."""
    from desktop.engine.archive import is_archive_name

    accepted, refused = [], []
    for url in urls:
        if not url.isLocalFile():
            refused.append(url.toDisplayString())
            continue
        path = url.toLocalFile()
        if is_archive_name(path):
            accepted.append(path)
        else:
            refused.append(os.path.basename(path.rstrip("/")) or path)
    return accepted, refused


def _names(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class DropOverlay(QWidget):
    """A translucent panel over the whole window while a drag is over it."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("archiveDropOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.accepting = True
        self.title = QLabel()
        self.title.setObjectName("archiveDropTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.detail = QLabel()
        self.detail.setObjectName("archiveDropDetail")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        for label in (self.title, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        box = QVBoxLayout(self)
        box.addStretch(1)
        box.addWidget(self.title)
        box.addWidget(self.detail)
        box.addStretch(1)
        self.hide()

    def show_state(self, accepting: bool, title: str, detail: str) -> None:
        self.accepting = accepting
        for label in (self.title, self.detail):
            if accepting:
                label.setStyleSheet(f"color: {ACCEPT_COLOUR.darker(130).name()}")
            else:
                mark_problem(label)
        self.title.setText(title)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = ACCEPT_COLOUR if self.accepting else PROBLEM_COLOUR
        fill = QColor(self.palette().window().color())
        fill.setAlpha(225)
        painter.fillRect(self.rect(), fill)
        tint = QColor(colour)
        tint.setAlpha(28)
        pen = QPen(colour, 3, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(tint)
        painter.drawRoundedRect(self.rect().adjusted(12, 12, -12, -12), 14, 14)


class ArchiveDropHandler(QObject):
    filesDropped = Signal(list, list)

    def __init__(self, window: QWidget, session: EngineSession,
                 on_files: Callable[[list[str]], object] | None = None,
                 on_build: Callable[[BuildDrop], object] | None = None, routed: bool = False):
        """*on_build*, when given, takes a dropped folder or Dockerfile (a build context). With
        *routed*, the window hands its own drag events to ``handle`` (overriding its drag event
        handlers, which costs a Python call per drag event only) instead of being filtered: a
        filter on the window is a Python call for each of its events, paints included."""
        super().__init__(window)
        self.on_build = on_build
        self.window = window
        self.session = session
        if on_files is None:
            def on_files(paths: list[str]) -> None:
                from desktop.ui.archive_actions import load_archives

                load_archives(window, session, paths)
        self.on_files = on_files
        self.overlay = DropOverlay(window)
        window.setAcceptDrops(True)
        if not routed:
            self.watch(window)
        # no drop can come before the window is on screen; walking every child costs 20 ms
        after_first_paint(window, lambda: self.watch_children(window))

    def watch(self, widget: QWidget) -> None:
        """Also catch file drags on *widget* (a child that takes drops of its own, added later)."""
        widget.installEventFilter(self)

    def watch_children(self, widget: QWidget) -> None:
        """Catch file drags on every child of *widget* that takes drops itself (a page built later).
        A read-only text view refuses a drag, which then reaches the window anyway: it is not
        watched, since a filter is a Python call for every event, and a followed log sends its
        view hundreds a second."""
        read_only = [view for kind in (QPlainTextEdit, QTextEdit) for view in widget.findChildren(kind)
                     if view.isReadOnly()]
        skip = {id(view) for view in read_only} | {id(view.viewport()) for view in read_only}
        for child in widget.findChildren(QWidget):
            if child.acceptDrops() and child is not self.overlay and id(child) not in skip:
                self.watch(child)

    # --- events -----------------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        return self.handle(event)

    def handle(self, event: QEvent) -> bool:
        """Answer a drag or drop event on the window or a watched child; True when it was a
        drag of files (taken care of here), False for anything else."""
        kind = event.type()
        if kind in _DRAG_EVENTS:
            mime = event.mimeData()
            if mime is None or not mime.hasUrls():
                return False  # text and other drags go to the widgets as usual
            from desktop.ui.build_drop import build_drop_target

            connected = self.session.state == CONNECTED
            build = build_drop_target(mime) if self.on_build is not None else None
            if build is not None:
                return self._build_drag(kind, event, build, connected)
            accepted, refused = sort_drop(mime.urls())
            if kind == QEvent.Type.DragEnter:
                event.acceptProposedAction()  # always: the overlay needs the leave that follows
                self._show(accepted, refused, connected)
            elif kind == QEvent.Type.DragMove:
                self._show(accepted, refused, connected)
                if accepted and connected:
                    event.setDropAction(Qt.DropAction.CopyAction)
                    event.accept()
                else:
                    event.ignore()
            else:
                self.overlay.hide()
                if not (accepted and connected):
                    event.ignore()
                    return True
                event.setDropAction(Qt.DropAction.CopyAction)
                event.accept()
                self.filesDropped.emit(accepted, refused)
                if refused:
                    self._status(f"Skipped {_names(refused)}: not an image archive.")
                # after the drop returns: the source application is waiting for the answer
                QTimer.singleShot(0, lambda paths=list(accepted): self.on_files(paths))
            return True
        if kind == QEvent.Type.DragLeave:
            self.overlay.hide()
            return False
        return False

    def _build_drag(self, kind, event, build: BuildDrop, connected: bool) -> bool:
        if kind == QEvent.Type.DragEnter:
            event.acceptProposedAction()
        if not connected:
            self._show([], [], False)
        else:
            what = f"{build.dockerfile} in {build.context_dir}" if build.dockerfile else build.context_dir
            self.overlay.show_state(True, "Drop to build an image", what)
        if kind == QEvent.Type.DragMove:
            event.accept() if connected else event.ignore()
        elif kind == QEvent.Type.Drop:
            self.overlay.hide()
            if not connected:
                event.ignore()
                return True
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            QTimer.singleShot(0, lambda: self.on_build(build))
        return True

    def _show(self, accepted: list[str], refused: list[str], connected: bool) -> None:
        if not connected:
            self.overlay.show_state(False, "Not connected to a Docker engine",
                                    "Connect to an engine first, then drop the archives again.")
        elif not accepted:
            from desktop.engine.archive import ARCHIVE_SUFFIXES

            noun = "an image archive" if len(refused) == 1 else "image archives"
            self.overlay.show_state(False, f"Not {noun}: {_names(refused)}",
                                    f"Berth loads {', '.join(ARCHIVE_SUFFIXES[:-1])} and {ARCHIVE_SUFFIXES[-1]} files.")
        else:
            detail = _names([os.path.basename(p) for p in accepted])
            if refused:
                detail += f"\nNot an image archive (skipped): {_names(refused)}"
            self.overlay.show_state(True, "Drop image archives to load", detail)

    def _status(self, text: str) -> None:
        if isinstance(self.window, QMainWindow):
            self.window.statusBar().showMessage(text, 15000)
