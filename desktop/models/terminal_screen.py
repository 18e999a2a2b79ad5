"""The screen of a terminal: what a shell's output draws, cell by cell, as an xterm would.

It understands what shells, line editors and the usual full-screen tools send with TERM=xterm:
cursor movement, erasing, insert/delete of characters and lines, scroll regions, the alternate
screen, 16/256/true colours and bold/underline/reverse, and it answers the queries they ask
(cursor position, device attributes) through ``replies``. Lines that scroll off the top of the
main screen go to a bounded scrollback. Pure Python, no Qt: the widget only paints it.
"""

from __future__ import annotations

import codecs
from collections import deque
from dataclasses import dataclass

from desktop.engine.ansi import PLAIN, Style, apply_sgr

DEFAULT_ATTR = PLAIN  # an ansi.Style: colours, bold, underline, inverse...
MAX_PARAMS = 32


@dataclass
class Cell:
    char: str = " "
    attr: Style = DEFAULT_ATTR


def _blank_line(cols: int, attr: Style = DEFAULT_ATTR) -> list[Cell]:
    return [Cell(" ", attr) for _ in range(cols)]


class TerminalScreen:
    def __init__(self, rows: int = 24, cols: int = 80, scrollback: int = 5000):
        self.rows = max(1, rows)
        self.cols = max(1, cols)
        self.scrollback: deque[list[Cell]] = deque(maxlen=scrollback)
        self._main = [_blank_line(self.cols) for _ in range(self.rows)]
        self._alt = [_blank_line(self.cols) for _ in range(self.rows)]
        self.lines = self._main
        self.alternate = False
        self.cursor_row = 0
        self.cursor_col = 0
        self.cursor_visible = True
        self.app_cursor_keys = False
        self.bracketed_paste = False
        self.autowrap = True
        self.title = ""
        self.replies: list[bytes] = []  # answers to queries, to be sent back to the program
        self.bell = False
        self._attr = DEFAULT_ATTR
        self._wrap_pending = False
        self._top = 0
        self._bottom = self.rows - 1
        self._saved = (0, 0, DEFAULT_ATTR)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._state = "ground"
        self._params = ""
        self._osc = ""
        self.changes = 0  # bumped on every feed: the widget repaints when it moved
        # lines ever moved into the scrollback: with it, a line keeps one number while it scrolls
        # (screen row r is line pushed + r), so a selection stays on its text as output arrives
        self.pushed = 0

    # --- input ----------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        for ch in text:
            self._put(ch)
        self.changes += 1

    def take_replies(self) -> bytes:
        out = b"".join(self.replies)
        self.replies.clear()
        return out

    # --- reading the screen ---------------------------------------------------------------
    def line_text(self, row: int) -> str:
        return "".join(c.char for c in self.lines[row]).rstrip()

    def text(self) -> str:
        """The visible screen as text, trailing blanks and blank last lines dropped."""
        lines = [self.line_text(r) for r in range(self.rows)]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def all_text(self) -> str:
        """Scrollback and screen, as a person would copy them."""
        lines = ["".join(c.char for c in line).rstrip() for line in self.scrollback]
        lines += [self.line_text(r) for r in range(self.rows)]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)

    def numbered_line(self, number: int) -> list[Cell] | None:
        """Line *number* (see ``pushed``) from the scrollback or the screen; None once gone."""
        first = self.pushed - len(self.scrollback)
        if first <= number < self.pushed:
            return self.scrollback[number - first]
        if self.pushed <= number < self.pushed + self.rows:
            return self.lines[number - self.pushed]
        return None

    @staticmethod
    def span(number: int, start: tuple[int, int], end: tuple[int, int], width: int) -> tuple[int, int] | None:
        """The first and last column of line *number* (of *width* cells) that lie between cell
        *start* and cell *end* (line number, column; in order), or None if it lies outside."""
        (first_line, first_col), (last_line, last_col) = start, end
        if not first_line <= number <= last_line:
            return None
        return (first_col if number == first_line else 0), (last_col if number == last_line else width - 1)

    def text_between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        """The text from cell *start* to cell *end* (line number, column), both included, as a
        person would copy it: trailing blanks dropped from each line."""
        start, end = sorted((start, end))
        out = []
        for number in range(start[0], end[0] + 1):
            line = self.numbered_line(number)
            if line is not None:
                begin, last = self.span(number, start, end, len(line))
                out.append("".join(c.char for c in line[begin:last + 1]).rstrip())
        return "\n".join(out)

    def word_at(self, number: int, col: int) -> tuple[int, int]:
        """The columns of the word (a run of non-blank characters) around *col* on line *number*."""
        line = self.numbered_line(number) or []
        if not 0 <= col < len(line) or line[col].char == " ":
            return col, col
        begin = end = col
        while begin > 0 and line[begin - 1].char != " ":
            begin -= 1
        while end + 1 < len(line) and line[end + 1].char != " ":
            end += 1
        return begin, end

    # --- size -----------------------------------------------------------------------------
    def resize(self, rows: int, cols: int) -> None:
        rows, cols = max(1, rows), max(1, cols)
        if (rows, cols) == (self.rows, self.cols):
            return
        for buffer in (self._main, self._alt):
            for line in buffer:
                if cols > len(line):
                    line.extend(_blank_line(cols - len(line)))
                else:
                    del line[cols:]
        # shrinking drops blank lines below the cursor first, then moves the top lines to the
        # scrollback, so the cursor's line stays in view
        main = self._main
        cursor = self.cursor_row if not self.alternate else min(self.cursor_row, len(main) - 1)
        while len(main) > rows and len(main) - 1 > cursor:
            main.pop()
        while len(main) > rows:
            self.scrollback.append(main.pop(0))
            self.pushed += 1
            cursor -= 1
        while len(main) < rows:
            main.append(_blank_line(cols))
        if not self.alternate:
            self.cursor_row = cursor
        while len(self._alt) > rows:
            self._alt.pop()
        while len(self._alt) < rows:
            self._alt.append(_blank_line(cols))
        for line in self.scrollback:
            if cols > len(line):
                line.extend(_blank_line(cols - len(line)))
        self.rows, self.cols = rows, cols
        self.lines = self._alt if self.alternate else self._main
        self._top, self._bottom = 0, rows - 1
        self.cursor_row = min(max(self.cursor_row, 0), rows - 1)
        self.cursor_col = min(self.cursor_col, cols - 1)
        self._wrap_pending = False
        self.changes += 1

    # --- the parser -----------------------------------------------------------------------
    def _put(self, ch: str) -> None:
        state = self._state
        if state == "ground":
            if ch >= " " and ch != "\x7f":
                self._print(ch)
            elif ch == "\x1b":
                self._state = "escape"
            else:
                self._control(ch)
        elif state == "escape":
            self._escape(ch)
        elif state == "csi":
            if "0" <= ch <= "9" or ch in ";:?>=!<":
                if len(self._params) < 64:
                    self._params += ch
            elif " " <= ch <= "/":
                self._params += ch  # intermediate bytes
            elif "@" <= ch <= "~":
                self._state = "ground"
                self._csi(ch, self._params)
            elif ch == "\x1b":
                self._state = "escape"
            else:
                self._control(ch)
        elif state == "osc":
            if ch == "\x07":
                self._end_osc()
            elif ch == "\x1b":
                self._state = "osc_escape"
            elif len(self._osc) < 1024:
                self._osc += ch
        elif state == "osc_escape":
            self._end_osc() if ch == "\\" else None
            self._state = "ground" if ch == "\\" else "osc"
        elif state == "charset":
            self._state = "ground"  # ESC ( B and friends: one byte, ignored

    def _end_osc(self) -> None:
        self._state = "ground"
        number, _, text = self._osc.partition(";")
        if number in ("0", "2"):
            self.title = text
        self._osc = ""

    def _control(self, ch: str) -> None:
        if ch == "\r":
            self.cursor_col = 0
            self._wrap_pending = False
        elif ch in "\n\x0b\x0c":
            self._line_feed()
        elif ch == "\x08":
            if self.cursor_col > 0:
                self.cursor_col -= 1
            self._wrap_pending = False
        elif ch == "\t":
            self.cursor_col = min(self.cols - 1, (self.cursor_col // 8 + 1) * 8)
        elif ch == "\x07":
            self.bell = True

    def _escape(self, ch: str) -> None:
        self._state = "ground"
        if ch == "[":
            self._state = "csi"
            self._params = ""
        elif ch == "]":
            self._state = "osc"
            self._osc = ""
        elif ch in "()*+":
            self._state = "charset"
        elif ch == "7":
            self._saved = (self.cursor_row, self.cursor_col, self._attr)
        elif ch == "8":
            self.cursor_row, self.cursor_col, self._attr = self._saved
            self._wrap_pending = False
        elif ch == "D":
            self._line_feed()
        elif ch == "E":
            self.cursor_col = 0
            self._line_feed()
        elif ch == "M":
            self._reverse_index()
        elif ch == "c":
            self._reset()

    def _reset(self) -> None:
        rows, cols = self.rows, self.cols
        self._main = [_blank_line(cols) for _ in range(rows)]
        self._alt = [_blank_line(cols) for _ in range(rows)]
        self.lines = self._main
        self.alternate = False
        self.cursor_row = self.cursor_col = 0
        self._attr = DEFAULT_ATTR
        self._top, self._bottom = 0, rows - 1
        self._wrap_pending = False
        self.cursor_visible = True
        self.app_cursor_keys = False

    # --- printing -------------------------------------------------------------------------
    def _print(self, ch: str) -> None:
        if self._wrap_pending:
            self.cursor_col = 0
            self._line_feed()
            self._wrap_pending = False
        line = self.lines[self.cursor_row]
        line[self.cursor_col] = Cell(ch, self._attr)
        if self.cursor_col >= self.cols - 1:
            if self.autowrap:
                self._wrap_pending = True
        else:
            self.cursor_col += 1

    def _line_feed(self) -> None:
        self._wrap_pending = False
        if self.cursor_row == self._bottom:
            self._scroll_up(1)
        elif self.cursor_row < self.rows - 1:
            self.cursor_row += 1

    def _reverse_index(self) -> None:
        if self.cursor_row == self._top:
            self._scroll_down(1)
        elif self.cursor_row > 0:
            self.cursor_row -= 1

    def _scroll_up(self, n: int) -> None:
        for _ in range(min(n, self._bottom - self._top + 1)):
            line = self.lines.pop(self._top)
            if self._top == 0 and not self.alternate:
                self.scrollback.append(line)
                self.pushed += 1
            self.lines.insert(self._bottom, _blank_line(self.cols, self._blank_attr()))

    def _scroll_down(self, n: int) -> None:
        for _ in range(min(n, self._bottom - self._top + 1)):
            del self.lines[self._bottom]
            self.lines.insert(self._top, _blank_line(self.cols, self._blank_attr()))

    def _blank_attr(self) -> Style:
        return Style(bg=self._attr.bg) if self._attr.bg is not None else PLAIN

    # --- CSI ------------------------------------------------------------------------------
    def _csi(self, final: str, params: str) -> None:
        private = params[:1] if params[:1] in "?>=<!" else ""
        body = params[len(private):]
        body = "".join(c for c in body if c.isdigit() or c in ";:")
        numbers = [int(p) if p.isdigit() else 0 for p in body.replace(":", ";").split(";")][:MAX_PARAMS] if body else []

        def arg(i: int = 0, default: int = 1) -> int:
            value = numbers[i] if i < len(numbers) else 0
            return value or default

        self._wrap_pending = False
        row, col = self.cursor_row, self.cursor_col
        if private == "?" and final in "hl":
            self._private_modes(numbers, final == "h")
        elif private:
            if final == "c":
                self.replies.append(b"\x1b[>0;10;1c")
        elif final == "A":
            self.cursor_row = max(self._top if row >= self._top else 0, row - arg())
        elif final == "B":
            self.cursor_row = min(self._bottom if row <= self._bottom else self.rows - 1, row + arg())
        elif final == "C":
            self.cursor_col = min(self.cols - 1, col + arg())
        elif final == "D":
            self.cursor_col = max(0, col - arg())
        elif final == "E":
            self.cursor_row = min(self.rows - 1, row + arg())
            self.cursor_col = 0
        elif final == "F":
            self.cursor_row = max(0, row - arg())
            self.cursor_col = 0
        elif final in "G`":
            self.cursor_col = min(self.cols - 1, arg() - 1)
        elif final == "d":
            self.cursor_row = min(self.rows - 1, arg() - 1)
        elif final in "Hf":
            self.cursor_row = min(self.rows - 1, arg(0) - 1)
            self.cursor_col = min(self.cols - 1, arg(1) - 1)
        elif final == "J":
            self._erase_display(numbers[0] if numbers else 0)
        elif final == "K":
            self._erase_line(numbers[0] if numbers else 0)
        elif final == "X":
            line = self.lines[row]
            for c in range(col, min(self.cols, col + arg())):
                line[c] = Cell(" ", self._blank_attr())
        elif final == "@":
            line = self.lines[row]
            for _ in range(min(arg(), self.cols - col)):
                line.insert(col, Cell(" ", self._blank_attr()))
                line.pop()
        elif final == "P":
            line = self.lines[row]
            for _ in range(min(arg(), self.cols - col)):
                del line[col]
                line.append(Cell(" ", self._blank_attr()))
        elif final == "L":
            if self._top <= row <= self._bottom:
                for _ in range(min(arg(), self._bottom - row + 1)):
                    del self.lines[self._bottom]
                    self.lines.insert(row, _blank_line(self.cols, self._blank_attr()))
                self.cursor_col = 0
        elif final == "M":
            if self._top <= row <= self._bottom:
                for _ in range(min(arg(), self._bottom - row + 1)):
                    del self.lines[row]
                    self.lines.insert(self._bottom, _blank_line(self.cols, self._blank_attr()))
                self.cursor_col = 0
        elif final == "S":
            self._scroll_up(arg())
        elif final == "T":
            self._scroll_down(arg())
        elif final == "m":
            self._attr = apply_sgr(self._attr, body)  # the logs' reading of colour codes
        elif final == "n":
            if arg(0, 0) == 6:
                self.replies.append(f"\x1b[{row + 1};{col + 1}R".encode())
            elif arg(0, 0) == 5:
                self.replies.append(b"\x1b[0n")
        elif final == "c":
            self.replies.append(b"\x1b[?1;2c")
        elif final == "r":
            top = arg(0) - 1
            bottom = (numbers[1] if len(numbers) > 1 and numbers[1] else self.rows) - 1
            if 0 <= top < bottom < self.rows:
                self._top, self._bottom = top, bottom
                self.cursor_row, self.cursor_col = 0, 0
        elif final == "s":
            self._saved = (row, col, self._attr)
        elif final == "u":
            self.cursor_row, self.cursor_col, self._attr = self._saved

    def _private_modes(self, numbers: list[int], on: bool) -> None:
        for mode in numbers:
            if mode == 1:
                self.app_cursor_keys = on
            elif mode == 7:
                self.autowrap = on
            elif mode == 25:
                self.cursor_visible = on
            elif mode == 2004:
                self.bracketed_paste = on
            elif mode in (47, 1047, 1049):
                self._switch_screen(on, save_cursor=mode == 1049)

    def _switch_screen(self, alternate: bool, save_cursor: bool) -> None:
        if alternate == self.alternate:
            return
        if alternate:
            if save_cursor:
                self._saved = (self.cursor_row, self.cursor_col, self._attr)
            self._alt = [_blank_line(self.cols) for _ in range(self.rows)]
            self.lines = self._alt
        else:
            self.lines = self._main
            if save_cursor:
                self.cursor_row, self.cursor_col, self._attr = self._saved
        self.alternate = alternate
        self._top, self._bottom = 0, self.rows - 1

    def _erase_display(self, mode: int) -> None:
        blank = self._blank_attr()
        row, col = self.cursor_row, self.cursor_col
        if mode == 0:
            self._erase_line(0)
            for r in range(row + 1, self.rows):
                self.lines[r] = _blank_line(self.cols, blank)
        elif mode == 1:
            self._erase_line(1)
            for r in range(0, row):
                self.lines[r] = _blank_line(self.cols, blank)
        elif mode in (2, 3):
            if mode == 3:
                self.scrollback.clear()
            for r in range(self.rows):
                self.lines[r] = _blank_line(self.cols, blank)
        self.cursor_row, self.cursor_col = row, col

    def _erase_line(self, mode: int) -> None:
        line = self.lines[self.cursor_row]
        blank = self._blank_attr()
        if mode == 0:
            span = range(self.cursor_col, self.cols)
        elif mode == 1:
            span = range(0, self.cursor_col + 1)
        else:
            span = range(self.cols)
        for c in span:
            line[c] = Cell(" ", blank)

def encode_key(key: str, app_cursor: bool = False) -> bytes:
    """The bytes xterm sends for a named key ('up', 'home', 'f5'...); b'' for unknown names."""
    cursor = {"up": "A", "down": "B", "right": "C", "left": "D", "home": "H", "end": "F"}
    if key in cursor:
        return ("\x1bO" if app_cursor else "\x1b[").encode() + cursor[key].encode()
    tilde = {"insert": 2, "delete": 3, "pageup": 5, "pagedown": 6, "f5": 15, "f6": 17, "f7": 18, "f8": 19,
             "f9": 20, "f10": 21, "f11": 23, "f12": 24}
    if key in tilde:
        return f"\x1b[{tilde[key]}~".encode()
    ss3 = {"f1": "P", "f2": "Q", "f3": "R", "f4": "S"}
    if key in ss3:
        return f"\x1bO{ss3[key]}".encode()
    simple = {"enter": "\r", "backspace": "\x7f", "tab": "\t", "backtab": "\x1b[Z", "escape": "\x1b"}
    return simple.get(key, "").encode()
