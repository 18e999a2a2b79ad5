"""The embedded terminal's mouse selection, driven with real mouse events on the widget: what is
dragged over is what Ctrl+Shift+C copies, and it stays on its text while output scrolls it away."""

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from desktop.models.terminal_screen import TerminalScreen
from desktop.ui.terminal_widget import TerminalWidget


@pytest.fixture
def terminal(qtbot):
    widget = TerminalWidget()
    qtbot.addWidget(widget)
    widget.resize(widget.sizeHint())
    widget.show()
    qtbot.waitExposed(widget)
    widget.feed(b"first line here\r\nsecond  word-two end\r\nthird\r\n")
    return widget


def centre(widget, row, col):
    cell = widget._cell
    return QPoint(col * cell.width() + cell.width() // 2, row * cell.height() + cell.height() // 2)


def drag(qtbot, widget, start, end):
    viewport = widget.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=centre(widget, *start))
    qtbot.mouseMove(viewport, centre(widget, *end))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=centre(widget, *end))


def copied(qtbot, widget):
    QApplication.clipboard().clear()
    qtbot.keyClick(widget, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    return QApplication.clipboard().text()


def test_a_drag_selects_what_it_covers(qtbot, terminal):
    drag(qtbot, terminal, (0, 6), (1, 6))  # "line here" .. "second " (across the line end)
    assert terminal.selected_text() == "line here\nsecond"
    assert copied(qtbot, terminal) == "line here\nsecond"
    drag(qtbot, terminal, (1, 11), (1, 0))  # backwards
    assert copied(qtbot, terminal) == "second  word"


def test_a_double_click_selects_a_word_and_a_click_clears(qtbot, terminal):
    qtbot.mouseDClick(terminal.viewport(), Qt.MouseButton.LeftButton, pos=centre(terminal, 1, 10))
    assert terminal.selected_text() == "word-two"
    qtbot.mouseClick(terminal.viewport(), Qt.MouseButton.LeftButton, pos=centre(terminal, 2, 1))
    assert terminal.selection is None
    assert copied(qtbot, terminal) == "first line here\nsecond  word-two end\nthird"  # nothing selected: all


def test_the_selection_stays_on_its_text_as_output_scrolls(qtbot, terminal):
    drag(qtbot, terminal, (1, 8), (1, 15))
    assert terminal.selected_text() == "word-two"
    terminal.feed(b"".join(b"more %d\r\n" % i for i in range(terminal.screen.rows * 2)))
    assert terminal.selected_text() == "word-two"  # now in the scrollback
    bar = terminal.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() == len(terminal.screen.scrollback))  # the next repaint
    bar.setValue(0)  # scrolled back to the top, the same cells are selectable
    drag(qtbot, terminal, (0, 0), (0, 4))
    assert terminal.selected_text() == "first"


def test_lines_gone_from_the_scrollback_drop_out_of_a_selection():
    screen = TerminalScreen(2, 10, scrollback=2)
    screen.feed(b"a\r\nb\r\nc\r\nd\r\ne")
    assert screen.pushed == 3 and [screen.text_between((n, 0), (n, 9)) for n in range(5)] == ["", "b", "c", "d", "e"]
    assert screen.text_between((0, 0), (4, 0)) == "b\nc\nd\ne"
