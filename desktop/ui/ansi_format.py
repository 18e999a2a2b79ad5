"""Terminal colours in a text view: ``desktop.engine.ansi`` styles as QTextCharFormats, the
insertion of decoded lines (plain text and runs) at a cursor, and the trimming of the oldest
lines of a bounded log. Shared by the container log view and the build log, so both colour
(and cost) alike.

The 16 terminal colours of text on the view's own background come from a palette chosen for it
(light or dark), so white-on-white or black-on-black output stays readable; a background the
program sets, and text on it, take the terminal's usual 16; 256-colour and 24-bit colours are
the program's own choice and are kept. Formats are made once per (style, base) and reused; each
names its style (a format property), so when the view's palette changes (a switch to a dark
theme) the text already shown is recoloured in place. That change is heard on a hidden child of
the view, which gets the palette and next to no other event: a filter on the view itself would
be a Python call for each of the hundreds of events a second a fast log brings it, each one
waiting for the interpreter while the log's reader holds it.
"""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QFont, QPalette, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from desktop.engine.ansi import (DARK_16, LIGHT_16, PLAIN, STANDARD_16, Colour, Run, Style, contrast, palette_rgb,
                                 style_of)

# a line to insert: prefix, plain text, its runs, its own format (stdout, stderr) and a name for that format
Line = tuple[str, str, tuple[Run, ...], QTextCharFormat, object]

# a saved log is the plain text: the save dialogs say so
SAVE_FILTER = "Plain text logs, colour codes removed (*.log *.txt);;All files (*)"
# a styled fragment's format records its style and base, so that it can be recoloured
_FLAGS, _FG, _BG, _BASE = (QTextFormat.Property.UserProperty + n for n in (10, 11, 12, 13))
_FLAG_NAMES = ("bold", "dim", "italic", "underline", "inverse", "strike")


class AnsiFormats(QObject):
    def __init__(self, widget: QPlainTextEdit):
        """*widget* is the text view whose palette (its Base and Text roles) the colours suit,
        and whose text is recoloured when that palette changes."""
        super().__init__(widget)
        self._widget = widget
        # (id(style), key) -> (style, format): by identity, as hashing a Style is a Python call
        # (the decoder interns its styles, so a log's few styles are a few objects)
        self._cache: dict[tuple[int, object], tuple[Style, QTextCharFormat]] = {}
        self._numbered: dict[tuple[int, object], QTextCharFormat] = {}  # (style number, key) -> format
        self._bases: list[tuple[object, QTextCharFormat]] = []  # the (key, base) of each _BASE number
        self._base16 = LIGHT_16
        self._background = QColor("#ffffff")
        self._text = QColor("#000000")
        self.refresh()
        self._probe = QWidget(widget)  # inherits the view's palette; hidden, it is sent little else
        self._probe.setObjectName("paletteProbe")
        self._probe.hide()
        self._probe.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._probe and event.type() == QEvent.Type.PaletteChange and self.refresh():
            self.recolour()
        return super().eventFilter(watched, event)

    def refresh(self) -> bool:
        """Follow the widget's palette; True if the colours changed (shown text is then stale)."""
        palette = self._widget.palette()
        background = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Text)
        base16 = DARK_16 if background.lightness() < 128 else LIGHT_16
        changed = (base16, background, text) != (self._base16, self._background, self._text)
        self._base16, self._background, self._text = base16, background, text
        if changed:
            self._cache.clear()
            self._numbered.clear()
        return changed

    def colour(self, value: Colour, on_default_background: bool = True) -> QColor | None:
        """*value* as a colour: the 16 picked for the view's background for text on it, the
        terminal's usual 16 for a background and for text on one the program chose."""
        if value is None:
            return None
        if isinstance(value, int):
            return QColor(*palette_rgb(value, self._base16 if on_default_background else STANDARD_16))
        return QColor(*value)

    def format(self, style: Style, base: QTextCharFormat, key: object = None) -> QTextCharFormat:
        """*base* (a line's own format: stdout or stderr) with *style* on top; *key* names
        *base* for the cache."""
        cached = self._cache.get((id(style), key))
        if cached is not None and cached[0] is style:
            return cached[1]
        if len(self._cache) >= 4096:
            self._cache.clear()
            self._numbered.clear()
        fmt = QTextCharFormat(base)
        if style is not PLAIN:
            own_background = style.bg is not None or style.inverse
            fg, bg = self.colour(style.fg, not own_background), self.colour(style.bg, False)
            if style.inverse or style.dim:
                if fg is None:  # the line's own colour (stderr's, or the view's text)
                    fg = base.foreground().color() if base.hasProperty(QTextCharFormat.Property.ForegroundBrush) \
                        else self._text
                if style.inverse:
                    fg, bg = (bg or self._background), fg
                if style.dim:
                    fg = _blend(fg, bg or self._background, 0.45)
            elif fg is None and bg is not None and _contrast(self._text, bg) < 3:
                # the view's text colour on the program's background (light text on yellow in a
                # dark theme): black or white instead, whichever reads better
                fg = max((QColor("#000000"), QColor("#ffffff")), key=lambda c: _contrast(c, bg))
            if fg is not None:
                fmt.setForeground(fg)
            if bg is not None:
                fmt.setBackground(bg)
            if style.bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            if style.italic:
                fmt.setFontItalic(True)
            if style.underline:
                fmt.setFontUnderline(True)
            if style.strike:
                fmt.setFontStrikeOut(True)
        if style is not PLAIN:
            fmt.setProperty(_FLAGS, 64 | sum(1 << n for n, name in enumerate(_FLAG_NAMES) if getattr(style, name)))
            fmt.setProperty(_FG, _colour_code(style.fg))
            fmt.setProperty(_BG, _colour_code(style.bg))
            fmt.setProperty(_BASE, self._base_number(key, base))
        self._cache[(id(style), key)] = (style, fmt)
        return fmt

    def _base_number(self, key: object, base: QTextCharFormat) -> int:
        for number, (known, _base) in enumerate(self._bases):
            if known == key:
                return number
        self._bases.append((key, QTextCharFormat(base)))
        return len(self._bases) - 1

    def recolour(self) -> None:
        """Give every styled fragment of the view the format of the current palette."""
        document = self._widget.document()
        spans = []
        block = document.begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                fmt = fragment.charFormat()
                if fmt.hasProperty(_FLAGS):
                    spans.append((fragment.position(), fragment.length(), (
                        fmt.intProperty(_FLAGS), fmt.intProperty(_FG), fmt.intProperty(_BG), fmt.intProperty(_BASE))))
                fragments += 1
            block = block.next()
        if not spans:
            return
        formats: dict[tuple[int, int, int, int], QTextCharFormat] = {}
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        for position, length, codes in spans:
            fmt = formats.get(codes)
            if fmt is None:
                flags, fg, bg, number = codes
                key, base = self._bases[number]
                style = Style(fg=_colour_of(fg), bg=_colour_of(bg),
                              **{name: bool(flags & (1 << n)) for n, name in enumerate(_FLAG_NAMES)})
                fmt = formats[codes] = self.format(style, base, key)
            cursor.setPosition(position)
            cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(fmt)
        cursor.endEditBlock()

    def insert_lines(self, cursor: QTextCursor, lines: Iterable[Line]) -> None:
        """Insert decoded lines at *cursor*: each ``(prefix, text, runs, base, key)`` is *prefix*
        (a line break, a timestamp) and *text* in the line's *base* format, with its styled runs
        on top. Neighbouring text of one format goes in as one insert, across lines too: a
        coloured line costs an insert per colour, an uncoloured one nothing of its own. A bare
        line break before a line that starts coloured goes in with that colour (a line break
        shows no colour), which saves an insert on every line of a log coloured from its start."""
        cache = self._cache
        numbered = self._numbered
        insert = cursor.insertText
        pending: list[str] = []  # text in pending_base, waiting to go in as one insert
        pending_base: QTextCharFormat | None = None
        for prefix, text, runs, base, key in lines:
            if base is not pending_base:
                if pending:
                    insert("".join(pending), pending_base)
                    pending = []
                pending_base = base
            if not runs:
                pending.append(prefix)
                pending.append(text)
                continue
            lead = ""  # what goes in with the first run
            if prefix == "\n" and not pending and runs[0][0] == 0:
                lead = prefix
            elif prefix:
                pending.append(prefix)
            position = 0
            for start, length, style in runs:
                if start > position:
                    pending.append(text[position:start])
                if pending:
                    insert("".join(pending), base)
                    pending = []
                if style.__class__ is int:  # a style number (a log's lines): formats by number
                    fmt = numbered.get((style, key))
                    if fmt is None:
                        fmt = numbered[(style, key)] = self.format(style_of(style), base, key)
                else:
                    cached = cache.get((id(style), key))
                    fmt = cached[1] if cached is not None and cached[0] is style else self.format(style, base, key)
                insert(lead + text[start:start + length] if lead else text[start:start + length], fmt)
                lead = ""
                position = start + length
            if position < len(text):
                pending.append(text[position:])
        if pending:
            insert("".join(pending), pending_base)


def drop_oldest_lines(document: QTextDocument, keep: int) -> int:
    """Remove the lines of *document* before its last *keep*, in an edit of their own; returns
    how many went. This is what ``setMaximumBlockCount`` does, but that trims inside the edit
    that appended, and the layout then looks at every line of the document again: a log view
    that keeps 10,000 lines paid for all of them on every append."""
    excess = document.blockCount() - keep
    if excess <= 0:
        return 0
    cursor = QTextCursor(document)
    cursor.setPosition(document.findBlockByNumber(excess).position(), QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    return excess


def _colour_code(value: Colour) -> int:
    """A colour as one int for a format property: -1 none, 0-255 an index, else 1 << 24 | rgb."""
    if value is None:
        return -1
    if isinstance(value, int):
        return value
    r, g, b = value
    return 1 << 24 | r << 16 | g << 8 | b


def _colour_of(code: int) -> Colour:
    if code < 0:
        return None
    if code < 1 << 24:
        return code
    return (code >> 16) & 255, (code >> 8) & 255, code & 255


def _contrast(a: QColor, b: QColor) -> float:
    return contrast((a.red(), a.green(), a.blue()), (b.red(), b.green(), b.blue()))


def _blend(colour: QColor, towards: QColor, amount: float) -> QColor:
    """*colour* moved *amount* (0 to 1) of the way to *towards*."""
    keep = 1 - amount
    return QColor(round(colour.red() * keep + towards.red() * amount),
                  round(colour.green() * keep + towards.green() * amount),
                  round(colour.blue() * keep + towards.blue() * amount))
