"""The live log of a build: monospace, bounded, following the end unless the person scrolled up
to read, with find-as-you-type, Copy and Save.

Lines arrive in batches (the operation's ``ItemPipe``) and each batch is one append, so a long build
costs time in proportion to its output, never to the square of it; past MAX_LINES the oldest
lines go (``drop_oldest_lines``). Steps are bold, errors red, warnings amber, Berth's own
lines (packing, sending, tagging) start with "» " and are grey. Colour codes the build's programs
print are shown as colours (``desktop.ui.ansi_format``); search, copy and save see the plain text.
A colour left on by one step ends with it: each step starts uncoloured.

Keys: Enter or F3 next match, Shift+Enter or Shift+F3 previous, Ctrl+F to the search field.
Signals: saved(str path), saveFailed(object BerthError).
"""

from __future__ import annotations

import itertools
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QGuiApplication, QSyntaxHighlighter, QTextCharFormat,
                           QTextCursor)
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.engine import ansi
from desktop.engine.build import BuildEvent, EventKind
from desktop.tasks import build_tasks
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.operations import Operation
from desktop.tasks.task import Task
from desktop.ui.ansi_format import SAVE_FILTER, AnsiFormats, drop_oldest_lines
from desktop.ui.text_search import SearchableMixin, TextSearch

MAX_LINES = 50_000
MAX_MATCHES = 5_000
INFO_PREFIX = "» "
_STEP_RE = re.compile(r"Step \d+/\d+ : ")


class _LogHighlighter(QSyntaxHighlighter):
    """Colours a line by what it is; it only ever looks at the line itself, so appending
    highlights the new lines only."""

    def __init__(self, document):
        super().__init__(document)
        self.step = QTextCharFormat()
        self.step.setFontWeight(QFont.Weight.Bold)
        self.error = QTextCharFormat()
        self.error.setFontWeight(QFont.Weight.Bold)
        self.error.setForeground(QColor("#c0392b"))
        self.warning = QTextCharFormat()
        self.warning.setForeground(QColor("#b9770e"))
        self.info = QTextCharFormat()
        self.info.setForeground(QColor("#7f8c8d"))

    def highlightBlock(self, text: str) -> None:
        if _STEP_RE.match(text):
            self.setFormat(0, len(text), self.step)
        elif text.startswith("ERROR: "):
            self.setFormat(0, len(text), self.error)
        elif text.startswith("[Warning]"):
            self.setFormat(0, len(text), self.warning)
        elif text.startswith(INFO_PREFIX):
            self.setFormat(0, len(text), self.info)


def event_line(event: BuildEvent) -> str | None:
    """The log line for an event; None for progress updates that would only flood the log."""
    if event.kind is EventKind.STATUS and event.transient:
        return None
    if event.kind is EventKind.INFO:
        return INFO_PREFIX + event.text
    return event.line


class BuildLogPanel(SearchableMixin, QWidget):
    saved = Signal(str)
    saveFailed = Signal(object)

    def __init__(self, session: EngineSession | None = None, parent: QWidget | None = None):
        """*tasks* runs Save in a worker; without it, Save is not offered."""
        super().__init__(parent)
        self.setObjectName("buildLog")
        self._session = session  # saving runs as an operation of this session (listed in the activity centre)
        self.save_task: Task | None = None

        self.step_label = QLabel("No build yet.")
        self.step_label.setObjectName("buildLogStep")
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        self.step_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setObjectName("buildLogCopy")
        self.copy_button.setToolTip("Copy the selected lines, or the whole log when nothing is selected")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Sa&ve…")
        self.save_button.setObjectName("buildLogSave")
        self.save_button.setToolTip("Save the whole log to a text file")
        self.save_button.setAutoDefault(False)
        self.save_button.setVisible(session is not None)
        self.save_button.clicked.connect(self._choose_save_path)

        self.text = QPlainTextEdit()
        self.text.setObjectName("buildLogText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setPlaceholderText("The build's output appears here as it runs.")
        self._highlighter = _LogHighlighter(self.text.document())
        self._decoder = ansi.AnsiDecoder()  # the build's output: a colour lasts until reset
        self._formats = AnsiFormats(self.text)
        self._plain_format = QTextCharFormat()
        self.finder = TextSearch(self.text, self, "buildLog", "Search the log", max_matches=MAX_MATCHES)
        self.search = self.finder.search
        self.previous_button = self.finder.previous_button
        self.next_button = self.finder.next_button
        self.count_label = self.finder.count_label

        bar = QHBoxLayout()
        for widget in self.finder.widgets():
            bar.addWidget(widget, 1 if widget is self.search else 0)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.step_label)
        box.addLayout(bar)
        box.addWidget(self.text, 1)

        self._follow = True
        scroll = self.text.verticalScrollBar()
        scroll.valueChanged.connect(self._on_scrolled)
        scroll.rangeChanged.connect(self._on_range)

    # --- feeding ------------------------------------------------------------------------
    def append_events(self, events: list[BuildEvent]) -> None:
        decoded = []
        for event in events:
            if event.kind is EventKind.STEP:
                self._decoder.reset()  # a new step, a new process: no colour left over
                self.step_label.setText(ansi.strip(event.text.replace(" : ", ": ", 1)))
            elif event.kind is EventKind.STATUS and event.transient:
                self.step_label.setText(ansi.strip(event.text))
            line = event_line(event)
            if line is None:
                continue
            if event.kind is EventKind.OUTPUT:
                decoded.append(self._decoder.feed(line, whole=True))
            else:  # the Dockerfile's, the engine's and Berth's own lines: their codes stay on their line
                decoded.append(ansi.decode(line))
        self._append(decoded)

    def append_lines(self, lines: list[str]) -> None:
        """Add whole lines (of the build's output) at the end, in one edit."""
        self._append([self._decoder.feed(line, whole=True) for line in lines])

    def _append(self, decoded: list[tuple[str, tuple[ansi.Run, ...]]]) -> None:
        if not decoded:
            return
        document = self.text.document()
        empty = document.characterCount() <= 1
        end_before = 0 if empty else document.characterCount() - 1
        cursor = QTextCursor(document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        base = self._plain_format
        separators = itertools.chain(("" if empty else "\n",), itertools.repeat("\n"))
        cursor.beginEditBlock()
        self._formats.insert_lines(cursor, ((separator, text, runs, base, None)
                                            for separator, (text, runs) in zip(separators, decoded)))
        cursor.endEditBlock()
        dropped = drop_oldest_lines(document, MAX_LINES)
        if self._follow:
            self.scroll_to_end()
        self.finder.text_appended(end_before, dropped > 0)

    def clear(self) -> None:
        self.text.clear()
        self._decoder.reset()
        self.step_label.setText("No build yet.")
        self._follow = True
        self.finder.find_all(keep=0, move=False)

    def set_step_text(self, text: str) -> None:
        self.step_label.setText(text)

    # --- reading ------------------------------------------------------------------------
    def plain_text(self) -> str:
        return self.text.toPlainText()

    def lines(self) -> list[str]:
        return self.plain_text().split("\n") if self.text.document().characterCount() > 1 else []

    def following(self) -> bool:
        """Whether new lines scroll the view (False once the person scrolled up to read)."""
        return self._follow

    def scroll_to_end(self) -> None:
        scroll = self.text.verticalScrollBar()
        scroll.setValue(scroll.maximum())
        self._follow = True

    def copy(self) -> None:
        selected = self.text.textCursor().selectedText().replace("\u2029", "\n")
        QGuiApplication.clipboard().setText(selected or self.plain_text())
        self.count_label.setText("Copied selection" if selected else "Copied the log")

    def save_to(self, path: str) -> Task | None:
        """Write the log to *path* in a worker; ``saved`` or ``saveFailed`` follows."""
        if self._session is None or not path:
            return None
        self.save_task = Operation(self._session, "Saving the build log", build_tasks.save_text, path,
                                   self.plain_text(), needs_engine=False, retryable=True,
                                   action="save the build log") \
            .owned_by(self).on_success(self._on_saved).on_failure(self._on_save_failed).run()
        return self.save_task

    # --- internals ------------------------------------------------------------------------
    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.text.verticalScrollBar().maximum()

    def _on_range(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.text.verticalScrollBar().setValue(maximum)

    def _choose_save_path(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save the build log as plain text (without colour codes)",
                                                    "build.log", SAVE_FILTER)
        if path:
            self.save_to(path)

    def _on_saved(self, path: str) -> None:
        self.count_label.setText(f"Saved to {path}")
        self.saved.emit(path)

    def _on_save_failed(self, error) -> None:
        self.count_label.setText(str(error))
        self.saveFailed.emit(error)
