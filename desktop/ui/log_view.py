"""The Logs tab: a container's log as it grows, stderr in its own colour and the program's own
colour codes shown as colours, with timestamps on demand, a since/tail choice, search with every
match highlighted, copy and save (search, copy and save see the plain text).

Staying responsive with a log that never stops: batches arrive at most ~20 times a second and are
appended at the end (runs of uncoloured stdout and stderr lines, each run one insert; a coloured
line one insert per colour); the text keeps at most ``LogBuffer.max_lines`` lines (the oldest
dropped after each append, in an edit of their own), so both memory and the cost of an append
stay bounded. A batch is appended in slices of about 10 ms each, one per pass of the event
loop, so that a big batch of coloured lines never holds the GUI thread for long: lines
not yet appended wait in order (never more than the text keeps), and what the view shows is
at most a few passes behind. Search highlights are recomputed at most a few times a second
while lines flow.

Signals:
  optionsChanged()          -- since/tail/follow changed: the stream must be restarted
  saveRequested(str, bool)  -- save the whole log to this path (with timestamps?)
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.engine.logs import STDERR, LogBatch, LogOptions
from desktop.models.log_buffer import DEFAULT_MAX_LINES, LogBuffer
from desktop.ui.ansi_format import SAVE_FILTER, AnsiFormats, drop_oldest_lines
from desktop.ui.text_search import SearchableMixin, TextSearch

MAX_MATCHES = 2000
SLICE_S = 0.010  # about the longest the GUI thread appends lines before it lets the event loop run
STDERR_COLOUR = QColor("#c0392b")
STDERR_PROPERTY = QTextFormat.Property.UserProperty + 1  # marks stderr text, whatever its colour
SINCE_CHOICES = (("All time", None), ("Last 5 minutes", 300), ("Last hour", 3600), ("Last 24 hours", 86400))
TAIL_CHOICES = (("Last 100 lines", 100), ("Last 1,000 lines", 1000), ("Last 10,000 lines", 10000),
                ("Whole log", None))


class LogView(SearchableMixin, QWidget):
    optionsChanged = Signal()
    saveRequested = Signal(str, bool)

    def __init__(self, max_lines: int = DEFAULT_MAX_LINES, parent=None):
        super().__init__(parent)
        self.setObjectName("logView")
        self.buffer = LogBuffer(max_lines)

        self.follow_box = QCheckBox("&Follow")
        self.follow_box.setObjectName("logFollow")
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip("Keep reading new lines as the container writes them (docker logs -f)")
        self.follow_box.toggled.connect(lambda _on: self.optionsChanged.emit())
        self.timestamps_box = QCheckBox("&Timestamps")
        self.timestamps_box.setObjectName("logTimestamps")
        self.timestamps_box.toggled.connect(self._rerender)
        self.since_combo = QComboBox()
        self.since_combo.setObjectName("logSince")
        for title, seconds in SINCE_CHOICES:
            self.since_combo.addItem(title, seconds)
        self.since_combo.currentIndexChanged.connect(lambda _i: self.optionsChanged.emit())
        self.tail_combo = QComboBox()
        self.tail_combo.setObjectName("logTail")
        for title, lines in TAIL_CHOICES:
            self.tail_combo.addItem(title, lines)
        self.tail_combo.setCurrentIndex(1)
        self.tail_combo.currentIndexChanged.connect(lambda _i: self.optionsChanged.emit())

        self.copy_button = QPushButton("&Copy")
        self.copy_button.setObjectName("logCopy")
        self.copy_button.setToolTip("Copy the selected lines, or every line shown when nothing is selected")
        self.copy_button.clicked.connect(self.copy)
        self.save_button = QPushButton("&Save…")
        self.save_button.setObjectName("logSave")
        self.save_button.setToolTip("Save the container's whole log to a file")
        self.save_button.clicked.connect(self._ask_save)
        self.clear_button = QPushButton("C&lear")
        self.clear_button.setObjectName("logClear")
        self.clear_button.setToolTip("Clear the view (the container's log stays on the engine)")
        self.clear_button.clicked.connect(self.clear)

        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self._stick = True  # keep showing the newest line until the user scrolls up
        scrollbar = self.text.verticalScrollBar()
        scrollbar.valueChanged.connect(self._on_scrolled)
        scrollbar.rangeChanged.connect(self._on_range_changed)
        # search: appended lines are searched as they come; once old lines fall out of the window
        # (positions move), a full search again at most a few times a second
        self.finder = TextSearch(self.text, self, "log", "Search the log", max_matches=MAX_MATCHES)
        self.search = self.finder.search
        self.match_label = self.finder.count_label
        self._research = QTimer(self)
        self._research.setSingleShot(True)
        self._research.setInterval(300)
        self._research.timeout.connect(lambda: self.finder.find_all(keep=self.finder.current, move=False))
        self.status = QLabel()
        self.status.setObjectName("logStatus")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(self.follow_box)
        top.addWidget(self.timestamps_box)
        top.addWidget(self.since_combo)
        top.addWidget(self.tail_combo)
        top.addStretch(1)
        top.addWidget(self.copy_button)
        top.addWidget(self.save_button)
        top.addWidget(self.clear_button)
        find = QHBoxLayout()
        for index, widget in enumerate(self.finder.widgets()):
            find.addWidget(widget, 1 if index == 0 else 0)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addLayout(find)
        box.addWidget(self.text, 1)
        box.addWidget(self.status)

        self._stdout_format = QTextCharFormat()
        self._stderr_format = QTextCharFormat()
        self._stderr_format.setForeground(STDERR_COLOUR)
        self._stderr_format.setProperty(STDERR_PROPERTY, True)
        self._formats = AnsiFormats(self.text)  # recolours the text when the palette changes
        self._waiting: deque = deque()  # lines of the buffer not yet in the text, oldest first
        self._slicer = QTimer(self)  # appends the next slice of them on the next pass of the loop
        self._slicer.setSingleShot(True)
        self._slicer.setInterval(0)
        self._slicer.timeout.connect(self._append_waiting)
        self._line_cost = 30e-6  # seconds an appended line took lately (what a slice can hold)
        # the line count under the log, reworded at most a few times a second while lines flow:
        # each new wording lays out and repaints the row around it, up to the window
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self._reword_status)
        self._status_stale = False
        self._state_text = ""
        self._update_status()

    # --- options ------------------------------------------------------------------------------
    def options(self) -> LogOptions:
        seconds = self.since_combo.currentData()
        return LogOptions(tail=self.tail_combo.currentData(),
                          since=time.time() - seconds if seconds else None,
                          follow=self.follow_box.isChecked())

    @property
    def timestamps(self) -> bool:
        return self.timestamps_box.isChecked()

    # --- content ------------------------------------------------------------------------------
    def clear(self) -> None:
        self.buffer.clear()
        self._waiting.clear()
        self.text.clear()
        self._stick = True
        self.finder.find_all(keep=0, move=False)
        self._update_status()

    def set_state(self, text: str) -> None:
        """A line under the log: "Following", "The container stopped", an error..."""
        self._state_text = text
        self._update_status()

    def append_batch(self, batch: LogBatch) -> None:
        if not batch.lines and not batch.dropped:
            return
        self.buffer.append(batch.lines, batch.dropped)
        self._waiting.extend(batch.lines)
        excess = len(self._waiting) - self.buffer.max_lines
        for _ in range(excess):  # lines the text would drop again at once: never inserted
            self._waiting.popleft()
        if not self._slicer.isActive():
            self._append_waiting()
        if self._status_timer.isActive():
            self._status_stale = True  # reworded when the timer ends
        else:
            self._update_status()
            self._status_timer.start()

    def _append_waiting(self) -> None:
        """Append as many waiting lines as recent ones say fit in SLICE_S, in one edit (each
        edit, its trim and the repaint after it cost the same for 50 lines as for 500); what is
        left goes on the next pass of the event loop."""
        waiting = self._waiting
        if not waiting:
            return
        count = min(len(waiting), max(20, int(SLICE_S / self._line_cost)))
        lines = [waiting.popleft() for _ in range(count)]
        began = time.perf_counter()
        start = self.text.document().characterCount() - 1
        removed = self._insert(lines)  # the text drops as many lines as the buffer
        if self.search.text() and not self._research.isActive():
            if removed:
                self._research.start()  # old lines fell out: every position moved
            else:
                self.finder.text_appended(start, lines_dropped=False)
        took = (time.perf_counter() - began) / count
        self._line_cost = min(1e-3, max(2e-6, 0.7 * self._line_cost + 0.3 * took))
        if waiting:
            self._slicer.start()

    @property
    def appending(self) -> bool:
        """Lines have arrived that the text does not show yet (they follow within a few passes)."""
        return bool(self._waiting)

    def _on_scrolled(self, value: int) -> None:
        scrollbar = self.text.verticalScrollBar()
        self._stick = value >= scrollbar.maximum() - 1

    def _on_range_changed(self, _low: int, high: int) -> None:
        if self._stick:
            self.text.verticalScrollBar().setValue(high)

    @property
    def following_end(self) -> bool:
        """The view keeps the newest line in sight (the user has not scrolled up)."""
        return self._stick

    def _insert(self, lines) -> int:
        """Append *lines* in one edit (``AnsiFormats.insert_lines``: uncoloured text of one stream
        in one insert, a coloured line an insert per colour), then drop the oldest lines beyond
        the bound; returns how many were dropped."""
        if not lines:
            return 0
        document = self.text.document()
        cursor = QTextCursor(document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        timestamps = self.timestamps
        stdout, stderr = self._stdout_format, self._stderr_format

        def items():
            separator = "" if document.isEmpty() else "\n"
            for line in lines:
                is_stderr = line.stream == STDERR
                yield (f"{separator}{line.timestamp} " if timestamps and line.timestamp else separator,
                       line.text, line.runs, stderr if is_stderr else stdout, is_stderr)
                separator = "\n"

        cursor.beginEditBlock()
        self._formats.insert_lines(cursor, items())
        cursor.endEditBlock()
        return drop_oldest_lines(document, self.buffer.max_lines)

    def _rerender(self) -> None:
        lines = self.buffer.lines()
        self._waiting.clear()
        self._slicer.stop()
        self.text.clear()
        self._stick = True
        self._insert(lines)
        self.finder.find_all(keep=self.finder.current, move=False)

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def line_count(self) -> int:
        return 0 if self.text.document().isEmpty() else self.text.document().blockCount()

    def stderr_lines(self) -> list[str]:
        """The lines the container wrote to stderr (for tests and for copying only errors)."""
        result = []
        block = self.text.document().firstBlock()
        while block.isValid():
            fragments = block.begin()
            if not fragments.atEnd() and fragments.fragment().charFormat().boolProperty(STDERR_PROPERTY):
                result.append(block.text())
            block = block.next()
        return result

    def copy(self) -> None:
        cursor = self.text.textCursor()
        text = cursor.selectedText().replace("\u2029", "\n") if cursor.hasSelection() else self.text.toPlainText()
        QGuiApplication.clipboard().setText(text)
        self.set_state("Copied to the clipboard")

    def _ask_save(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, "Save the log as plain text (without colour codes)",
                                                    "container.log", SAVE_FILTER)
        if path:
            self.saveRequested.emit(path, self.timestamps)

    def _reword_status(self) -> None:
        if self._status_stale:
            self._status_stale = False
            self._update_status()
            self._status_timer.start()

    def _update_status(self) -> None:
        parts = []
        shown = len(self.buffer)
        if shown:
            parts.append(f"{shown:,} line{'s' if shown != 1 else ''} shown")
        if self.buffer.evicted:
            parts.append(f"{self.buffer.evicted:,} older ones not kept (the view keeps the last "
                         f"{self.buffer.max_lines:,}; Save writes the whole log)")
        if self._state_text:
            parts.append(self._state_text)
        self.status.setText(" · ".join(parts))
