"""The layout checker finds each kind of problem it promises (and none in a sound form), and the
dialogs' growing helpers do what dialog_layout.py says."""

from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout,
                               QWidget)

from desktop.ui.dialogs.dialog_layout import buddy_label, form_grid, grow_with_content
from tests.layout_check import layout_problems, window_problems

LONG_TEXT = "This warning is long enough to need several lines at a few hundred pixels wide. " * 3


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_sound_form_has_no_problems(qtbot):
    window = QWidget()
    edit = QLineEdit()
    message = QLabel(LONG_TEXT)
    message.setWordWrap(True)
    form_grid([(buddy_label("&Name:", edit), edit), (None, message)], window)
    window.setFixedWidth(400)
    shown(qtbot, window)
    window.resize(400, window.layout().heightForWidth(400))  # what grow_with_content does for a dialog
    qtbot.waitUntil(lambda: not layout_problems(window))
    assert window_problems(window) == []


def test_a_squeezed_field_a_cut_message_and_a_literal_ampersand_are_found(qtbot):
    window = QWidget()
    box = QVBoxLayout(window)
    box.addWidget(QLabel("&Tags:"))  # no buddy
    for _ in range(3):
        box.addWidget(QLineEdit())
    message = QLabel(LONG_TEXT)
    message.setWordWrap(True)
    box.addWidget(message)
    window.setFixedSize(300, 60)  # what a fixed-height dialog does to its content
    shown(qtbot, window)
    problems = "\n".join(window_problems(window))
    assert "QLabel '&Tags:': shows a literal '&'" in problems
    assert "QLineEdit" in problems and "px high, needs" in problems
    assert "its text needs" in problems and "(cut off)" in problems
    assert "QWidget is 300x60, its layout needs" in problems


def test_widgets_drawn_over_each_other_are_found(qtbot):
    window = QWidget()
    grid = QGridLayout(window)
    first, second = QPushButton("first"), QPushButton("second")
    first.setObjectName("first")
    grid.addWidget(first, 0, 0)
    grid.addWidget(second, 0, 0)  # the same cell
    shown(qtbot, window)
    assert any(p.startswith("QPushButton #first 'first' overlaps QPushButton 'second'") for p in layout_problems(window))


def test_a_double_ampersand_or_a_buddy_is_no_literal_mnemonic(qtbot):
    window = QWidget()
    box = QVBoxLayout(window)
    edit = QLineEdit()
    box.addWidget(buddy_label("&Name:", edit))
    box.addWidget(edit)
    box.addWidget(QLabel("Tom && Jerry"))
    rich = QLabel("<b>Fish &amp; chips</b>")
    box.addWidget(rich)
    shown(qtbot, window)
    assert layout_problems(window) == []


def test_a_dialog_grows_when_a_message_appears_and_shrinks_back(qtbot):
    dialog = QDialog()
    box = QVBoxLayout(dialog)
    box.addWidget(QLineEdit())
    message = QLabel()
    message.setWordWrap(True)
    message.setVisible(False)
    box.addWidget(message)
    box.addWidget(QDialogButtonBox(QDialogButtonBox.StandardButton.Ok))
    grow_with_content(dialog)
    dialog.resize(360, 0)
    shown(qtbot, dialog)
    first = dialog.height()
    message.setText(LONG_TEXT)
    message.setVisible(True)
    qtbot.waitUntil(lambda: dialog.height() >= box.heightForWidth(dialog.width()) > first)
    qtbot.waitUntil(lambda: not window_problems(dialog))
    message.setVisible(False)
    qtbot.waitUntil(lambda: dialog.height() == first)
