"""Find-as-you-type over a read-only QPlainTextEdit: every match highlighted, the current one
selected, "n of m", Enter/F3 next and Shift+Enter/Shift+F3 previous. Shared by the JSON views,
the build log and the container logs, so they all search alike.

Appending text only searches what was appended (``text_appended``), so a long log costs time
in proportion to its new lines, not to its length."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QTextEdit, QToolButton, QWidget


def _format(background: str) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setBackground(QColor(background))
    fmt.setForeground(QColor("#000000"))
    return fmt


class TextSearch(QObject):
    def __init__(self, text: QPlainTextEdit, host: QWidget, name: str, placeholder: str = "Search",
                 max_matches: int = 10_000):
        """*host* gets the F3 / Shift+F3 / Ctrl+F shortcuts; *name* prefixes the object names."""
        super().__init__(host)
        self.text = text
        self.max_matches = max_matches
        self.search = QLineEdit()
        self.search.setObjectName(f"{name}Search")
        self.search.setPlaceholderText(f"{placeholder}  (Enter: next, Shift+Enter: previous)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _t: self.find_all(keep=0, move=True))
        self.search.installEventFilter(self)
        self.previous_button = QToolButton()
        self.previous_button.setObjectName(f"{name}Previous")
        self.previous_button.setArrowType(Qt.ArrowType.UpArrow)
        self.previous_button.setToolTip("Previous match (Shift+F3)")
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button = QToolButton()
        self.next_button.setObjectName(f"{name}Next")
        self.next_button.setArrowType(Qt.ArrowType.DownArrow)
        self.next_button.setToolTip("Next match (F3)")
        self.next_button.clicked.connect(self.find_next)
        self.count_label = QLabel()
        self.count_label.setObjectName(f"{name}MatchCount")

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence(Qt.Key.Key_F3), host, self.find_next, context=context)
        QShortcut(QKeySequence(Qt.Modifier.SHIFT | Qt.Key.Key_F3), host, self.find_previous, context=context)
        QShortcut(QKeySequence.StandardKey.Find, host, self.focus_search, context=context)

        self.matches: list[tuple[int, int]] = []  # (start, end) document positions
        self.current = -1
        self._all_format = _format("#fff0a0")
        self._current_format = _format("#ff9f3a")
        self._update_count()

    def widgets(self) -> list[QWidget]:
        return [self.search, self.previous_button, self.next_button, self.count_label]

    # --- public -------------------------------------------------------------------------
    def match_count(self) -> int:
        return len(self.matches)

    def current_match(self) -> int:
        """1-based number of the selected match, 0 when none."""
        return self.current + 1

    def find_next(self) -> None:
        self._step(+1)

    def find_previous(self) -> None:
        self._step(-1)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def find_all(self, keep: int, move: bool) -> None:
        """Search the whole text again, keeping match number *keep* current."""
        needle = self.search.text()
        self.matches = []
        if needle:
            document = self.text.document()
            cursor = document.find(needle, 0)
            while not cursor.isNull() and len(self.matches) < self.max_matches:
                self.matches.append((cursor.selectionStart(), cursor.selectionEnd()))
                cursor = document.find(needle, cursor)
        self.current = min(max(keep, 0), len(self.matches) - 1) if self.matches else -1
        self._show(move)

    def text_appended(self, start: int, lines_dropped: bool) -> None:
        """Text was added after position *start*; if old lines were dropped, positions moved."""
        if not self.search.text():
            return
        if lines_dropped:
            self.find_all(keep=self.current, move=False)
            return
        document = self.text.document()
        needle = self.search.text()
        cursor = document.find(needle, start)
        while not cursor.isNull() and len(self.matches) < self.max_matches:
            if cursor.selectionStart() >= start:
                self.matches.append((cursor.selectionStart(), cursor.selectionEnd()))
            cursor = document.find(needle, cursor)
        if self.current < 0 and self.matches:
            self.current = 0
        self._show(move=False)

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

    def _step(self, delta: int) -> None:
        if not self.matches:
            return
        self.current = (self.current + delta) % len(self.matches)
        self._show(move=True)

    def _show(self, move: bool) -> None:
        selections = []
        for n, (start, end) in enumerate(self.matches):
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = self._current_format if n == self.current else self._all_format
            selections.append(selection)
        self.text.setExtraSelections(selections)
        if move and self.current >= 0:
            start, end = self.matches[self.current]
            cursor = self.text.textCursor()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            self.text.setTextCursor(cursor)
            self.text.centerCursor()
        self._update_count()

    def _update_count(self) -> None:
        if not self.search.text():
            self.count_label.setText("")
        elif not self.matches:
            self.count_label.setText("No matches")
        else:
            more = "+" if len(self.matches) >= self.max_matches else ""
            self.count_label.setText(f"{self.current + 1} of {len(self.matches)}{more}")
        self.previous_button.setEnabled(len(self.matches) > 1)
        self.next_button.setEnabled(len(self.matches) > 1)


class SearchableMixin:
    """The search methods of a widget that holds a TextSearch as ``self.finder``; mix in before the
    Qt base class (``class LogView(SearchableMixin, QWidget)``)."""

    finder: TextSearch

    def match_count(self) -> int:
        return self.finder.match_count()

    def current_match(self) -> int:
        """1-based number of the selected match, 0 when none."""
        return self.finder.current_match()

    def find_next(self) -> None:
        self.finder.find_next()

    def find_previous(self) -> None:
        self.finder.find_previous()

    def focus_search(self) -> None:
        self.finder.focus_search()
