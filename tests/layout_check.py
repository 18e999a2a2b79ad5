"""What a person would see wrong in a laid-out window, found from geometry alone (offscreen
screenshots hide it): a field squeezed below the room it needs, a wrapped label cut mid-line,
two widgets drawn over each other, a label that shows the ``&`` meant as a mnemonic.

``layout_problems(root)`` walks the visible widgets under *root* and returns one line per
problem (empty: nothing wrong). The rules, and what they leave alone on purpose:

- Size: every visible widget that a layout placed is at least its effective minimum size (an
  explicit ``minimumSize()``, else ``minimumSizeHint()``; a dimension whose hint is -1 or whose
  size policy is Ignored is skipped), and a widget whose height depends on its width (a
  word-wrapped label) is at least ``heightForWidth(width)`` tall. Widgets a layout did not place
  are positioned by their parent's own code: the parts of Qt's composite widgets (a line edit's
  clear button, a combo box's line edit, a scroll area's viewport and scroll bars, a splitter's
  handles) and the pages a QStackedWidget hides; the size rule does not judge them.
- Overlap: no two visible widgets placed by the same parent's layout intersect. Widgets outside
  the parent's layout are the same composite parts as above, which Qt places over one another on
  purpose (a clear button inside its line edit).
- Scroll areas: what is inside a scroll area's viewport may be larger than what shows (that is
  what scrolling is for), so only the size of the content widget against its own minimum counts.
- Mnemonics: a visible QLabel without a buddy shows ``&`` literally; ``&`` before a letter or
  digit in such a label is a mnemonic that never became one (``QFormLayout.addRow(text, layout)``
  makes such labels: a layout cannot be a buddy).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QRect
from PySide6.QtGui import Qt  # QtGui's Qt also has mightBeRichText
from PySide6.QtWidgets import QAbstractScrollArea, QLabel, QLayout, QSizePolicy, QWidget

_MNEMONIC = re.compile(r"(?<!&)&(?=[^\W_])")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")


def _name(widget: QWidget) -> str:
    label = widget.objectName() or ""
    text = ""
    if isinstance(widget, QLabel) or hasattr(widget, "text"):
        try:
            text = str(widget.text())[:40]
        except TypeError:
            text = ""
    parts = [type(widget).__name__]
    if label:
        parts.append(f"#{label}")
    if text:
        parts.append(repr(text))
    return " ".join(parts)


def _path(widget: QWidget, root: QWidget) -> str:
    names = []
    current = widget
    while current is not None and current is not root:
        names.append(_name(current))
        current = current.parentWidget()
    return " < ".join(names)


def layout_widgets(layout: QLayout) -> list[QWidget]:
    """The widgets a layout (and the layouts nested in it) places, in order."""
    found = []
    for n in range(layout.count()):
        item = layout.itemAt(n)
        if item is None:
            continue
        if item.widget() is not None:
            found.append(item.widget())
        elif item.layout() is not None:
            found.extend(layout_widgets(item.layout()))
    return found


def _shown(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.isWindow()


def _effective_minimum(widget: QWidget) -> tuple[int, int]:
    """What a layout must give the widget (Qt's qSmartMinSize, per dimension); -1: no claim."""
    hint = widget.minimumSizeHint()
    explicit = widget.minimumSize()
    policy = widget.sizePolicy()
    width = explicit.width() or hint.width()
    height = explicit.height() or hint.height()
    if policy.horizontalPolicy() == QSizePolicy.Policy.Ignored and not explicit.width():
        width = -1
    if policy.verticalPolicy() == QSizePolicy.Policy.Ignored and not explicit.height():
        height = -1
    return width, height


def _size_problems(widget: QWidget, root: QWidget) -> list[str]:
    problems = []
    geometry = widget.geometry()
    min_width, min_height = _effective_minimum(widget)
    if min_width > 0 and geometry.width() < min_width:
        problems.append(f"{_path(widget, root)}: {geometry.width()} px wide, needs {min_width}")
    if min_height > 0 and geometry.height() < min_height:
        problems.append(f"{_path(widget, root)}: {geometry.height()} px high, needs {min_height}")
    if widget.hasHeightForWidth() and not isinstance(widget, QAbstractScrollArea):
        needed = widget.heightForWidth(geometry.width())
        if needed > geometry.height():
            problems.append(f"{_path(widget, root)}: {geometry.height()} px high, its text needs {needed} at "
                            f"{geometry.width()} px wide (cut off)")
    return problems


def _overlap_problems(placed: list[QWidget], root: QWidget) -> list[str]:
    problems = []
    for n, first in enumerate(placed):
        for second in placed[n + 1:]:
            common: QRect = first.geometry().intersected(second.geometry())
            if not common.isEmpty():
                problems.append(f"{_path(first, root)} overlaps {_name(second)} by {common.width()}x{common.height()}")
    return problems


def _label_problems(label: QLabel, root: QWidget) -> list[str]:
    if label.buddy() is not None:
        return []
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))
    if rich:
        text = _ENTITY.sub("", text)
    if _MNEMONIC.search(text):
        return [f"{_path(label, root)}: shows a literal '&' (a mnemonic without a buddy)"]
    return []


def layout_problems(root: QWidget) -> list[str]:
    """Everything wrong with the geometry and labels of the visible widgets under *root*."""
    problems: list[str] = []

    def visit(widget: QWidget) -> None:
        if isinstance(widget, QLabel):
            problems.extend(_label_problems(widget, root))
        layout = widget.layout()
        placed = [w for w in layout_widgets(layout) if _shown(w) and w.parentWidget() is widget] if layout else []
        for child in placed:
            problems.extend(_size_problems(child, root))
        problems.extend(_overlap_problems(placed, root))
        if isinstance(widget, QAbstractScrollArea):
            # the viewport's content scrolls: judge only what a layout placed inside it
            inner = [c for c in widget.viewport().findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                     if _shown(c)]
            viewport = widget.viewport()
            for child in inner:
                problems.extend(_size_problems(child, root))
                if child.width() > viewport.width() and not widget.horizontalScrollBar().isVisible():
                    problems.append(f"{_path(child, root)}: {child.width()} px wide in a {viewport.width()} px view "
                                    "that cannot scroll sideways (cut off)")
                if child.height() > viewport.height() and not widget.verticalScrollBar().isVisible():
                    problems.append(f"{_path(child, root)}: {child.height()} px high in a {viewport.height()} px view "
                                    "that cannot scroll (cut off)")
                visit(child)
            return
        for child in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if _shown(child):
                visit(child)

    problems.extend(_size_problems(root, root) if root.parentWidget() is not None else [])
    visit(root)
    return problems


def window_problems(window: QWidget) -> list[str]:
    """layout_problems, plus: the window is no smaller than its own layout's minimum."""
    problems = layout_problems(window)
    layout = window.layout()
    if layout is not None:
        needed = layout.minimumSize()
        if window.width() < needed.width() or window.height() < needed.height():
            problems.append(f"{_name(window)} is {window.width()}x{window.height()}, its layout needs "
                            f"{needed.width()}x{needed.height()}")
        if layout.hasHeightForWidth():
            needed_height = layout.heightForWidth(window.width())
            if window.height() < needed_height:
                problems.append(f"{_name(window)} is {window.height()} px high, its content needs {needed_height} at "
                                f"{window.width()} px wide")
    return problems

