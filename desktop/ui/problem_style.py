"""The one way Berth marks a problem on screen: errors in dialogs, failed operations, stderr
lines and a lost connection all share this colour, so a person learns it once."""

from __future__ import annotations

from PySide6.QtGui import QColor

PROBLEM_HEX = "#c0392b"
PROBLEM_COLOUR = QColor(PROBLEM_HEX)
PROBLEM_STYLE = f"color: {PROBLEM_HEX}"


def mark_problem(widget, problem: bool = True) -> None:
    """Colour *widget*'s text (a QLabel or similar) as a problem, or back to normal."""
    widget.setStyleSheet(PROBLEM_STYLE if problem else "")
