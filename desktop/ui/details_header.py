"""The frame both details panes share: a large bold title and a subtitle above their tabs, and a
centred message shown instead of all that when there is nothing to show; plain text throughout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard


def message_label(name: str) -> QLabel:
    """The centred, wrapping message; plain text since error texts may hold '<none>' and such."""
    label = QLabel()
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def subtitle_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(SELECTABLE)
    return label


def title_label(name: str) -> QLabel:
    label = subtitle_label(name)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.2)
    font.setBold(True)
    label.setFont(font)
    return label


def message_stack(host: QWidget, message: QLabel, content: QWidget) -> QStackedWidget:
    """Fill *host* with a stack of the message (page 0) and the content (page 1)."""
    stack = QStackedWidget()
    stack.addWidget(message)
    stack.addWidget(content)
    outer = QVBoxLayout(host)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(stack)
    return stack
