"""A read-only JSON text with find-as-you-type and Copy: the raw ``docker inspect`` of a Details
pane. Every match is highlighted and the current one selected, so a person sees where a key
occurs without reading the whole document.

Keys: Enter or F3 next match, Shift+Enter or Shift+F3 previous, Ctrl+F to the search field.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QFontDatabase, QGuiApplication, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

MAX_MATCHES = 10000  # past this many, highlighting costs more than it tells


class JsonView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("jsonView")
        self.search = QLineEdit()
        self.search.setObjectName("jsonSearch")
        self.search.setPlaceholderText("Search  (Enter: next, Shift+Enter: previous)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_changed)
        self.search.installEventFilter(self)
        self.previous_button = QToolButton()
        self.previous_button.setObjectName("jsonPrevious")
        self.previous_button.setArrowType(Qt.ArrowType.UpArrow)
        self.previous_button.setToolTip("Previous match (Shift+F3)")
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button = QToolButton()
        self.next_button.setObjectName("jsonNext")
        self.next_button.setArrowType(Qt.ArrowType.DownArrow)
        self.next_button.setToolTip("Next match (F3)")
        self.next_button.clicked.connect(self.find_next)
        self.count_label = QLabel()
        self.count_label.setObjectName("jsonMatchCount")
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setObjectName("jsonCopy")
        self.copy_button.setToolTip("Copy the whole JSON to the clipboard")
        self.copy_button.clicked.connect(self.copy)

        self.text = QPlainTextEdit()
        self.text.setObjectName("jsonText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.count_label)
        bar.addStretch(0)
        bar.addWidget(self.copy_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.text, 1)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(Qt.Key.Key_F3), self, self.find_next, context=context)
        QShortcut(QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F3), self, self.find_previous, context=context)
        QShortcut(QKeySequence.StandardKey.Find, self, self.focus_search, context=context)

        self._matches: list[tuple[int, int]] = []  # (start, end) document positions
        self._current = -1
        self._all_format = QTextCharFormat()
        self._all_format.setBackground(QColor("#fff0a0"))
        self._all_format.setForeground(QColor("#000000"))
        self._current_format = QTextCharFormat()
        self._current_format.setBackground(QColor("#ff9f3a"))
        self._current_format.setForeground(QColor("#000000"))
        self._update_count()

    # --- public -------------------------------------------------------------------------
    def set_text(self, text: str) -> None:
        """Show *text*; an unchanged text keeps the scroll position and the current match."""
        if text == self.text.toPlainText():
            return
        current = self._current
        self.text.setPlainText(text)
        self._find_all(keep=current)

    def plain_text(self) -> str:
        return self.text.toPlainText()

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

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.count_label.setText("Copied")

    # --- internals ------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.find_previous()
            else:
                self.find_next()
            return True
        return super().eventFilter(watched, event)

    def _on_search_changed(self, _text: str) -> None:
        self._find_all(keep=0)

    def _find_all(self, keep: int) -> None:
        needle = self.search.text()
        self._matches = []
        if needle:
            document = self.text.document()
            cursor = document.find(needle, 0)
            while not cursor.isNull() and len(self._matches) < MAX_MATCHES:
                self._matches.append((cursor.selectionStart(), cursor.selectionEnd()))
                cursor = document.find(needle, cursor)
        self._current = min(max(keep, 0), len(self._matches) - 1) if self._matches else -1
        self._show()

    def _step(self, delta: int) -> None:
        if not self._matches:
            return
        self._current = (self._current + delta) % len(self._matches)
        self._show()

    def _show(self) -> None:
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
        if self._current >= 0:
            start, end = self._matches[self._current]
            cursor = self.text.textCursor()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            self.text.setTextCursor(cursor)
            self.text.centerCursor()
        self._update_count()

    def _update_count(self) -> None:
        has_needle = bool(self.search.text())
        if not has_needle:
            self.count_label.setText("")
        elif not self._matches:
            self.count_label.setText("No matches")
        else:
            more = "+" if len(self._matches) >= MAX_MATCHES else ""
            self.count_label.setText(f"{self._current + 1} of {len(self._matches)}{more}")
        self.previous_button.setEnabled(len(self._matches) > 1)
        self.next_button.setEnabled(len(self._matches) > 1)
