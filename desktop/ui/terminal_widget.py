"""An embedded terminal: paints a TerminalScreen in a fixed-width font and turns keystrokes into
the bytes a terminal sends. It knows nothing of Docker: what it sends goes out through
``sendData`` and what the program prints comes in through ``feed``.

Keys: everything goes to the program (Tab and Ctrl+C included), except Ctrl+Shift+C (copy the
selection, or the whole screen and scrollback), Ctrl+Shift+V / Shift+Insert (paste), and
Shift+PageUp/PageDown (scroll back).

Signals:
  sendData(bytes)      -- keystrokes, pastes and answers to the program's queries
  resized(int, int)    -- the screen is now this many rows and columns
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (QClipboard, QColor, QFont, QFontDatabase, QGuiApplication, QKeyEvent, QPainter,
                           QPalette)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu

from desktop.engine.ansi import STANDARD_16, palette_rgb
from desktop.models.terminal_screen import TerminalScreen, encode_key

# the xterm palette (16 colours), then the 256-colour cube and greys are computed
BACKGROUND = QColor("#1e1e1e")
FOREGROUND = QColor("#d4d4d4")
SELECTION = QColor("#264f78")

_KEYS = {
    Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down", Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right",
    Qt.Key.Key_Home: "home", Qt.Key.Key_End: "end", Qt.Key.Key_Insert: "insert", Qt.Key.Key_Delete: "delete",
    Qt.Key.Key_PageUp: "pageup", Qt.Key.Key_PageDown: "pagedown", Qt.Key.Key_Return: "enter",
    Qt.Key.Key_Enter: "enter", Qt.Key.Key_Backspace: "backspace", Qt.Key.Key_Tab: "tab",
    Qt.Key.Key_Backtab: "backtab", Qt.Key.Key_Escape: "escape",
    **{getattr(Qt.Key, f"Key_F{n}"): f"f{n}" for n in range(1, 13)},
}


def colour(value, default: QColor) -> QColor:
    """A cell's colour: the terminal's usual 16 (the logs' own, for a dark background), the 256
    palette or (r, g, b); None is *default*."""
    if value is None:
        return default
    return QColor(*(value if isinstance(value, tuple) else palette_rgb(value, STANDARD_16)))


class TerminalWidget(QAbstractScrollArea):
    sendData = Signal(bytes)
    resized = Signal(int, int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("terminal")
        self.screen = TerminalScreen()
        self.active = False  # a session is connected: keys go out
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.setFont(font)
        self.viewport().setAutoFillBackground(True)
        palette = self.viewport().palette()
        palette.setColor(QPalette.ColorRole.Base, BACKGROUND)
        palette.setColor(QPalette.ColorRole.Window, BACKGROUND)
        self.viewport().setPalette(palette)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().valueChanged.connect(self.viewport().update)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._repaint = QTimer(self)  # output is painted at most ~60 times a second
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(16)
        self._repaint.timeout.connect(self._refresh)
        self._cell = QSize(8, 16)
        self._measure()
        # the selection: (line number, column) of its first and last cell, numbered as the
        # screen numbers lines (they keep their number as output scrolls them into the scrollback)
        self.selection: tuple[tuple[int, int], tuple[int, int]] | None = None
        self._anchor: tuple[int, int] | None = None

    # --- size ---------------------------------------------------------------------------------
    def _measure(self) -> None:
        metrics = self.fontMetrics()
        self._cell = QSize(max(1, metrics.horizontalAdvance("M")), max(1, metrics.height()))

    def grid_size(self) -> tuple[int, int]:
        """Rows and columns that fit in the widget now."""
        area = self.viewport().size()
        return max(2, area.height() // self._cell.height()), max(10, area.width() // self._cell.width())

    def sizeHint(self) -> QSize:
        return QSize(self._cell.width() * 80 + 20, self._cell.height() * 24 + 4)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        rows, cols = self.grid_size()
        if (rows, cols) != (self.screen.rows, self.screen.cols):
            self.screen.resize(rows, cols)
            self._update_scrollbar(stick=True)
            self.resized.emit(rows, cols)

    # --- output -------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        """What the program printed."""
        self.screen.feed(data)
        replies = self.screen.take_replies()
        if replies and self.active:
            self.sendData.emit(replies)
        if not self._repaint.isActive():
            self._repaint.start()

    def reset(self, text: str = "") -> None:
        rows, cols = self.screen.rows, self.screen.cols
        self.screen = TerminalScreen(rows, cols)
        self.selection = self._anchor = None
        if text:
            self.screen.feed(text.replace("\n", "\r\n").encode())
        self._refresh()

    def message(self, text: str) -> None:
        """A line from Berth itself (session ended...), dimmed, on a new line."""
        prefix = "\r\n" if self.screen.cursor_col else ""
        self.screen.feed(f"{prefix}\x1b[2m\x1b[90m[{text}]\x1b[0m\r\n".encode())
        self._refresh()

    def _refresh(self) -> None:
        self._update_scrollbar(stick=True)
        self.viewport().update()

    def _update_scrollbar(self, stick: bool) -> None:
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum()
        bar.setRange(0, len(self.screen.scrollback))
        bar.setPageStep(self.screen.rows)
        if stick and at_bottom:
            bar.setValue(bar.maximum())

    # --- painting -----------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self.viewport())
        painter.setFont(self.font())
        screen = self.screen
        cw, ch = self._cell.width(), self._cell.height()
        ascent = self.fontMetrics().ascent()
        offset = self._scrolled_back()
        back = list(screen.scrollback)[len(screen.scrollback) - offset:] if offset else []
        lines = back + screen.lines[:screen.rows - len(back)] if offset else screen.lines
        painter.fillRect(self.viewport().rect(), BACKGROUND)
        top = screen.pushed - offset  # the number of the first line shown
        for y, line in enumerate(lines[:screen.rows]):
            self._paint_selection(painter, top + y, y, len(line))
            x = 0
            while x < len(line):
                attr = line[x].attr
                start = x
                while x < len(line) and line[x].attr == attr:
                    x += 1
                text = "".join(c.char for c in line[start:x])
                fg_value, bg_value, bold, underline, reverse = attr.fg, attr.bg, attr.bold, attr.underline, attr.inverse
                if bold and isinstance(fg_value, int) and fg_value < 8:
                    fg_value += 8
                fg, bg = colour(fg_value, FOREGROUND), colour(bg_value, BACKGROUND)
                if reverse:
                    fg, bg = bg, fg
                rect = QRect(start * cw, y * ch, (x - start) * cw, ch)
                if bg != BACKGROUND:
                    painter.fillRect(rect, bg)
                if text.strip():
                    font = painter.font()
                    if font.bold() != bold or font.underline() != underline:
                        font.setBold(bold)
                        font.setUnderline(underline)
                        painter.setFont(font)
                    painter.setPen(fg)
                    for i, char in enumerate(text):  # one cell per character keeps columns aligned
                        if char != " ":
                            painter.drawText(QPoint((start + i) * cw, y * ch + ascent), char)
        if screen.cursor_visible and not offset:
            rect = QRect(screen.cursor_col * cw, screen.cursor_row * ch, cw, ch)
            if self.hasFocus():
                painter.fillRect(rect, QColor(212, 212, 212, 160))
            else:
                painter.setPen(FOREGROUND)
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.end()

    def _paint_selection(self, painter: QPainter, number: int, y: int, cols: int) -> None:
        span = self.screen.span(number, *self.selection, cols) if self.selection else None
        if span is not None:
            cw, ch = self._cell.width(), self._cell.height()
            painter.fillRect(QRect(span[0] * cw, y * ch, (span[1] - span[0] + 1) * cw, ch), SELECTION)

    # --- selection ------------------------------------------------------------------------------
    def _scrolled_back(self) -> int:
        """How many lines the view is scrolled back from the live screen."""
        bar = self.verticalScrollBar()
        return bar.maximum() - bar.value()

    def cell_at(self, pos: QPoint) -> tuple[int, int]:
        """The (line number, column) of the cell under *pos*, in viewport coordinates."""
        row = min(max(pos.y() // self._cell.height(), 0), self.screen.rows - 1)
        col = min(max(pos.x() // self._cell.width(), 0), self.screen.cols - 1)
        return self.screen.pushed - self._scrolled_back() + row, col

    def selected_text(self) -> str:
        return self.screen.text_between(*self.selection) if self.selection else ""

    def _select(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        self.selection = tuple(sorted((start, end)))  # type: ignore[assignment]
        self.viewport().update()

    def _offer_selection(self) -> None:
        """X11 and Wayland paste the last selection with the middle button, as other terminals do."""
        clipboard = QGuiApplication.clipboard()
        text = self.selected_text()
        if text and clipboard.supportsSelection():
            clipboard.setText(text, QClipboard.Mode.Selection)

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._anchor = self.cell_at(event.position().toPoint())
        self.selection = None
        self.viewport().update()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if self._anchor is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._select(self._anchor, self.cell_at(event.position().toPoint()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._anchor = None
            self._offer_selection()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        number, col = self.cell_at(event.position().toPoint())
        begin, end = self.screen.word_at(number, col)
        self._select((number, begin), (number, end))
        self._offer_selection()
        event.accept()

    # --- input --------------------------------------------------------------------------------
    def focusNextPrevChild(self, _next: bool) -> bool:
        return False  # Tab belongs to the shell (completion)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        data = self.key_bytes(event)
        if data is None:
            super().keyPressEvent(event)
            return
        if data and self.active:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())
            self.sendData.emit(data)
        event.accept()

    def key_bytes(self, event: QKeyEvent) -> bytes | None:
        """The bytes for a key press; b'' for keys handled here; None for keys not ours."""
        key = event.key()
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        if ctrl and shift and key == Qt.Key.Key_C:
            self.copy()
            return b""
        if (ctrl and shift and key == Qt.Key.Key_V) or (shift and key == Qt.Key.Key_Insert):
            self.paste()
            return b""
        if shift and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            bar = self.verticalScrollBar()
            step = bar.pageStep() * (-1 if key == Qt.Key.Key_PageUp else 1)
            bar.setValue(bar.value() + step)
            return b""
        if key in _KEYS:
            return encode_key(_KEYS[key], self.screen.app_cursor_keys)
        if ctrl and Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
            return bytes([key - Qt.Key.Key_A + 1])
        if ctrl and key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_Backslash, Qt.Key.Key_BracketRight, Qt.Key.Key_Space):
            return {Qt.Key.Key_BracketLeft: b"\x1b", Qt.Key.Key_Backslash: b"\x1c",
                    Qt.Key.Key_BracketRight: b"\x1d", Qt.Key.Key_Space: b"\x00"}[key]
        text = event.text()
        if text:
            data = text.encode("utf-8")
            return b"\x1b" + data if alt else data
        return None

    def send_text(self, text: str) -> None:
        """Type *text* as if pasted (bracketed when the program asked for it)."""
        if not self.active or not text:
            return
        data = text.replace("\r\n", "\r").replace("\n", "\r").encode("utf-8")
        if self.screen.bracketed_paste:
            data = b"\x1b[200~" + data + b"\x1b[201~"
        self.sendData.emit(data)

    def paste(self) -> None:
        self.send_text(QGuiApplication.clipboard().text())

    def copy(self) -> None:
        """The selection, or everything when nothing is selected."""
        QGuiApplication.clipboard().setText(self.selected_text() or self.screen.all_text())

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.screen.all_text())

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        copy = menu.addAction("Copy", self.copy)
        copy.setEnabled(bool(self.selected_text()))
        menu.addAction("Copy all", self.copy_all)
        paste = menu.addAction("Paste", self.paste)
        paste.setEnabled(self.active)
        menu.addAction("Clear scrollback", self._clear_scrollback)
        menu.popup(self.mapToGlobal(pos))

    def _clear_scrollback(self) -> None:
        self.screen.scrollback.clear()
        self._refresh()

