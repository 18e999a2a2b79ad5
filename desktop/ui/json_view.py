"""A read-only JSON text with find-as-you-type and Copy: the raw ``docker inspect`` of a Details
pane. Every match is highlighted and the current one selected, so a person sees where a key
occurs without reading the whole document.

Keys: Enter or F3 next match, Shift+Enter or Shift+F3 previous, Ctrl+F to the search field.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.ui.text_search import SearchableMixin, TextSearch

MAX_MATCHES = 10000  # past this many, highlighting costs more than it tells


class JsonView(SearchableMixin, QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("jsonView")
        self.text = QPlainTextEdit()
        self.text.setObjectName("jsonText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.finder = TextSearch(self.text, self, "json", max_matches=MAX_MATCHES)
        self.search = self.finder.search
        self.previous_button = self.finder.previous_button
        self.next_button = self.finder.next_button
        self.count_label = self.finder.count_label
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setObjectName("jsonCopy")
        self.copy_button.setToolTip("Copy the whole JSON to the clipboard")
        self.copy_button.clicked.connect(self.copy)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        for widget in self.finder.widgets()[1:]:
            bar.addWidget(widget)
        bar.addStretch(0)
        bar.addWidget(self.copy_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.text, 1)

    def set_text(self, text: str) -> None:
        """Show *text*; an unchanged text keeps the scroll position and the current match."""
        if text == self.text.toPlainText():
            return
        current = self.finder.current
        self.text.setPlainText(text)
        self.finder.find_all(keep=current, move=True)

    def plain_text(self) -> str:
        return self.text.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.count_label.setText("Copied")
