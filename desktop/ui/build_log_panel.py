"""The live log of a build: monospace, bounded, following the end unless the person scrolled up
to read, with find-as-you-type, Copy and Save.

Lines arrive in batches (see ``BuildEventPipe``) and each batch is one append, so a long build
costs time in proportion to its output, never to the square of it; past MAX_LINES the oldest
lines go (``setMaximumBlockCount``). Steps are bold, errors red, warnings amber, Berth's own
lines (packing, sending, tagging) start with "» " and are grey.

Keys: Enter or F3 next match, Shift+Enter or Shift+F3 previous, Ctrl+F to the search field.
Signals: saved(str path), saveFailed(object BerthError).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import (QColor, QFont, QFontDatabase, QGuiApplication, QKeySequence, QShortcut, QSyntaxHighlighter,
                           QTextCharFormat, QTextCursor)
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTextEdit,
                               QToolButton, QVBoxLayout, QWidget)

from desktop.engine.build import BuildEvent, EventKind
from desktop.tasks import build_tasks
from desktop.tasks.manager import TaskManager
from desktop.tasks.task import Task

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


class BuildLogPanel(QWidget):
    saved = Signal(str)
    saveFailed = Signal(object)

    def __init__(self, tasks: TaskManager | None = None, parent: QWidget | None = None):
        """*tasks* runs Save in a worker; without it, Save is not offered."""
        super().__init__(parent)
        self.setObjectName("buildLog")
        self._tasks = tasks
        self.save_task: Task | None = None

        self.step_label = QLabel("No build yet.")
        self.step_label.setObjectName("buildLogStep")
        self.step_label.setTextFormat(Qt.TextFormat.PlainText)
        self.step_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.search = QLineEdit()
        self.search.setObjectName("buildLogSearch")
        self.search.setPlaceholderText("Search the log  (Enter: next, Shift+Enter: previous)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self._find_all(keep=0, move=True))
        self.search.installEventFilter(self)
        self.previous_button = QToolButton()
        self.previous_button.setObjectName("buildLogPrevious")
        self.previous_button.setArrowType(Qt.ArrowType.UpArrow)
        self.previous_button.setToolTip("Previous match (Shift+F3)")
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button = QToolButton()
        self.next_button.setObjectName("buildLogNext")
        self.next_button.setArrowType(Qt.ArrowType.DownArrow)
        self.next_button.setToolTip("Next match (F3)")
        self.next_button.clicked.connect(self.find_next)
        self.count_label = QLabel()
        self.count_label.setObjectName("buildLogMatchCount")
        self.copy_button = QPushButton("Cop&y")
        self.copy_button.setObjectName("buildLogCopy")
        self.copy_button.setToolTip("Copy the selected lines, or the whole log when nothing is selected")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("Sa&ve…")
        self.save_button.setObjectName("buildLogSave")
        self.save_button.setToolTip("Save the whole log to a text file")
        self.save_button.setAutoDefault(False)
        self.save_button.setVisible(tasks is not None)
        self.save_button.clicked.connect(self._choose_save_path)

        self.text = QPlainTextEdit()
        self.text.setObjectName("buildLogText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setPlaceholderText("The build's output appears here as it runs.")
        self._highlighter = _LogHighlighter(self.text.document())

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.count_label)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.step_label)
        box.addLayout(bar)
        box.addWidget(self.text, 1)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(Qt.Key.Key_F3), self, self.find_next, context=context)
        QShortcut(QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F3), self, self.find_previous, context=context)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search, context=context)

        self._follow = True
        scroll = self.text.verticalScrollBar()
        scroll.valueChanged.connect(self._on_scrolled)
        scroll.rangeChanged.connect(self._on_range)
        self._matches: list[tuple[int, int]] = []
        self._current = -1
        self._all_format = QTextCharFormat()
        self._all_format.setBackground(QColor("#fff0a0"))
        self._all_format.setForeground(QColor("#000000"))
        self._current_format = QTextCharFormat()
        self._current_format.setBackground(QColor("#ff9f3a"))
        self._current_format.setForeground(QColor("#000000"))
        self._update_count()

    # --- feeding ------------------------------------------------------------------------
    def append_events(self, events: list[BuildEvent]) -> None:
        lines = []
        for event in events:
            if event.kind is EventKind.STEP:
                self.step_label.setText(event.text.replace(" : ", ": ", 1))
            elif event.kind is EventKind.STATUS and event.transient:
                self.step_label.setText(event.text)
            line = event_line(event)
            if line is not None:
                lines.append(line)
        self.append_lines(lines)

    def append_lines(self, lines: list[str]) -> None:
        """Add whole lines at the end, in one edit."""
        if not lines:
            return
        document = self.text.document()
        empty = document.characterCount() <= 1
        blocks_before = 0 if empty else document.blockCount()
        end_before = 0 if empty else document.characterCount() - 1
        joined = "\n".join(lines)
        self.text.appendPlainText(joined)
        if self._follow:
            self.scroll_to_end()
        if self.search.text():
            if document.blockCount() < blocks_before + joined.count("\n") + 1:
                self._find_all(keep=self._current, move=False)  # old lines went: positions moved
            else:
                self._find_more(end_before)

    def clear(self) -> None:
        self.text.clear()
        self.step_label.setText("No build yet.")
        self._follow = True
        self._find_all(keep=0, move=False)

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
        if self._tasks is None or not path:
            return None
        task = Task("Saving the build log", build_tasks.save_text, path, self.plain_text(), background=True,
                    action="save the build log")
        task.signals.succeeded.connect(self._on_saved)
        task.signals.failed.connect(self._on_save_failed)
        self.save_task = task
        self._tasks.submit(task)
        return task

    # --- search -------------------------------------------------------------------------
    def match_count(self) -> int:
        return len(self._matches)

    def current_match(self) -> int:
        """1-based number of the selected match, 0 when none."""
        return self._current + 1

    def find_next(self) -> None:
        self._step(+1)

    def find_previous(self) -> None:
        self._step(-1)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # --- internals ------------------------------------------------------------------------
    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.text.verticalScrollBar().maximum()

    def _on_range(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.text.verticalScrollBar().setValue(maximum)

    def _choose_save_path(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save the build log", "build.log",
                                                    "Log files (*.log *.txt);;All files (*)")
        if path:
            self.save_to(path)

    def _on_saved(self, path: str) -> None:
        self.count_label.setText(f"Saved to {path}")
        self.saved.emit(path)

    def _on_save_failed(self, error) -> None:
        self.count_label.setText(str(error))
        self.saveFailed.emit(error)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.find_previous()
            else:
                self.find_next()
            return True
        return super().eventFilter(watched, event)

    def _find_all(self, keep: int, move: bool) -> None:
        needle = self.search.text()
        self._matches = []
        if needle:
            document = self.text.document()
            cursor = document.find(needle, 0)
            while not cursor.isNull() and len(self._matches) < MAX_MATCHES:
                self._matches.append((cursor.selectionStart(), cursor.selectionEnd()))
                cursor = document.find(needle, cursor)
        self._current = min(max(keep, 0), len(self._matches) - 1) if self._matches else -1
        self._show(move)

    def _find_more(self, start: int) -> None:
        """Matches in what was appended after *start* only, so a search costs nothing per line
        already searched."""
        document = self.text.document()
        cursor = document.find(self.search.text(), start)
        while not cursor.isNull() and len(self._matches) < MAX_MATCHES:
            if cursor.selectionStart() >= start:
                self._matches.append((cursor.selectionStart(), cursor.selectionEnd()))
            cursor = document.find(self.search.text(), cursor)
        if self._current < 0 and self._matches:
            self._current = 0
        self._show(move=False)

    def _step(self, delta: int) -> None:
        if not self._matches:
            return
        self._current = (self._current + delta) % len(self._matches)
        self._show(move=True)

    def _show(self, move: bool) -> None:
        selections = []
        for n, (start, end) in enumerate(self._matches):
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = self._current_format if n == self._current else self._all_format
            selections.append(selection)
        self.text.setExtraSelections(selections)
        if move and self._current >= 0:
            start, end = self._matches[self._current]
            cursor = self.text.textCursor()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            self.text.setTextCursor(cursor)
            self.text.centerCursor()
        self._update_count()

    def _update_count(self) -> None:
        if not self.search.text():
            self.count_label.setText("")
        elif not self._matches:
            self.count_label.setText("No matches")
        else:
            more = "+" if len(self._matches) >= MAX_MATCHES else ""
            self.count_label.setText(f"{self._current + 1} of {len(self._matches)}{more}")
        self.previous_button.setEnabled(len(self._matches) > 1)
        self.next_button.setEnabled(len(self._matches) > 1)
