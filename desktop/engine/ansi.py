"""Terminal colour codes in logs: text with ANSI escape sequences in, plain text and styled runs out.

Most programs colour their log lines with SGR sequences (``ESC [ 91 m`` ... ``ESC [ 0 m``). A log
view shows the colours, but searches, copies and saves the plain text, so the codes are taken out
here and the colours kept beside the text as runs ``(start, length, Style)``. Only SGR (colours,
bold, dim, italic, underline, inverse, strike-through) is interpreted; every other escape
sequence (cursor moves, erase-line, OSC window titles, DCS...) and every control character other
than tab, line feed and carriage return is dropped.

A style carries on from one piece of text to the next until it is reset, as in a terminal; a
sequence cut at the end of a piece waits for the rest. Pure Python: no Qt, so the engine can
strip codes from a saved log and the views turn styles into their own formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

# a colour: a palette index 0-255 (0-15 the terminal's own 16, 16-231 a 6x6x6 cube, 232-255 greys),
# an (r, g, b) triple, or None for the view's default
Colour = int | tuple[int, int, int] | None


@dataclass(frozen=True, slots=True)
class Style:
    fg: Colour = None
    bg: Colour = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    inverse: bool = False
    strike: bool = False


PLAIN = Style()
# start and length in the plain text, and its style (never PLAIN): the Style itself, or (from a
# decoder made with ids=True) its number in this module's table of styles (``style_of``)
Run = tuple[int, int, "Style | int"]
MAX_PENDING = 4096  # an unterminated sequence longer than this is dropped, not kept waiting

# CSI: ESC [ params intermediates final. OSC: ESC ] ... BEL or ESC \. DCS/SOS/PM/APC: ESC P|X|^|_ ... ESC \.
# Other escapes: ESC, intermediates, one final byte (ESC ( B, ESC =, ESC 7...). A sequence cut at the
# very end is "partial"; a lone ESC that starts nothing valid goes alone; then stray controls (C0
# but tab, LF and CR; DEL; C1).
_TOKEN = re.compile(
    r"(?=[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f])"  # the first character: lets the search skip text fast
    r"(?:\x1b\[(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~])"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\|(?=\x1b))"  # an ESC that starts no ST ends it too, as in xterm
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\|(?=\x1b))"
    r"|\x1b[ -/]*[0-OQ-WYZ\\`-~]"
    r"|(?P<partial>\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|[ -/]*)\Z)"
    r"|\x1b"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]+)")
_NEEDS_WORK = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_BUT_ESC = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]")
_SGR_ONLY = re.compile(r"\x1b\[([0-9;:]*)m")  # the common case: colour codes and nothing else


class AnsiDecoder:
    """Decodes one stream of text (a container's stdout, a build's output) piece by piece,
    remembering the style and any sequence cut at the end of the last piece.

    With *ids*, runs name their style by number (``style_of`` gives it back): runs are then
    tuples of ints, which the cyclic garbage collector stops tracking, so the thousands of
    coloured lines a log view keeps cost its full collections nothing (with Style objects in
    them, each coloured line was four objects to walk, on the thread that holds the interpreter
    while a fast log is read)."""

    def __init__(self, ids: bool = False) -> None:
        self.style = PLAIN
        self._pending = ""
        self._ref = _style_id if ids else _same

    def reset(self) -> None:
        self.style = PLAIN
        self._pending = ""

    def feed(self, text: str, whole: bool = False) -> tuple[str, tuple[Run, ...]]:
        """The plain text of *text* and its styled runs. With *whole* (a complete line), a
        sequence cut at its end is dropped rather than kept for the next piece."""
        if self._pending:
            text = self._pending + text
            self._pending = ""
        style = self.style
        if not _NEEDS_WORK.search(text):  # the fast path: no escape, no control character
            return text, (((0, len(text), self._ref(style)),) if style is not PLAIN and text else ())
        parts = _SGR_ONLY.split(text)
        if len(parts) // 2 == text.count("\x1b") and not _CONTROL_BUT_ESC.search(text):
            return self._sgr_only(parts, style)
        return self._general(text, style, whole)

    def _sgr_only(self, parts: list[str], style: Style) -> tuple[str, tuple[Run, ...]]:
        """Text in which every escape is an SGR: [text, params, text, params, ..., text]."""
        runs: list[Run] = []
        length = 0
        cache = _SGR_CACHE
        plain = PLAIN
        ref = self._ref
        last = len(parts) - 1
        run_style = None  # the style of runs[-1]
        for index in range(0, last + 1, 2):
            piece = parts[index]
            if piece:
                if style is not plain:
                    if run_style is style and runs[-1][0] + runs[-1][1] == length:
                        runs[-1] = (runs[-1][0], runs[-1][1] + len(piece), runs[-1][2])  # a code that changed nothing
                    else:
                        runs.append((length, len(piece), ref(style)))
                        run_style = style
                length += len(piece)
            if index < last:
                params = parts[index + 1]
                entry = cache.get((id(style), params))
                style = entry[1] if entry is not None and entry[0] is style else _sgr_cached(style, params)
        self.style = style
        return "".join(parts[0::2]), tuple(runs)

    def _general(self, text: str, style: Style, whole: bool) -> tuple[str, tuple[Run, ...]]:
        plain: list[str] = []
        runs: list[Run] = []
        ref = self._ref
        length = 0  # of the plain text so far
        position = 0
        for match in _TOKEN.finditer(text):
            begin = match.start()
            if begin > position:
                piece = text[position:begin]
                if style is not PLAIN:
                    runs.append((length, len(piece), ref(style)))
                plain.append(piece)
                length += len(piece)
            position = match.end()
            if match["final"] == "m" and not match["inter"]:
                style = _sgr_cached(style, match["params"])
            elif match["partial"] is not None and not whole and len(match[0]) <= MAX_PENDING:
                self._pending = match[0]
        if position < len(text):
            piece = text[position:]
            if style is not PLAIN:
                runs.append((length, len(piece), ref(style)))
            plain.append(piece)
        self.style = style
        return "".join(plain), _merged(runs)


def _merged(runs: list[Run]) -> tuple[Run, ...]:
    """Neighbouring runs of one style as one (a code that changed nothing splits no run)."""
    if len(runs) < 2:
        return tuple(runs)
    out = [runs[0]]
    for start, length, style in runs[1:]:
        last_start, last_length, last_style = out[-1]
        if last_style == style and last_start + last_length == start:
            out[-1] = (last_start, last_length + length, style)
        else:
            out.append((start, length, style))
    return tuple(out)


def _same(style: Style) -> Style:
    return style


# the styles runs name by number: a log uses a few, so the table stays small; past MAX_STYLE_IDS
# distinct styles (a rainbow of 24-bit colours) runs carry their Style objects again
MAX_STYLE_IDS = 1 << 16
_STYLES: list[Style] = [PLAIN]
_STYLE_NUMBERS: dict[Style, int] = {PLAIN: 0}
_BY_IDENTITY: dict[int, tuple[Style, int]] = {}  # id(style) -> (style, number): no hashing of a Style


def _style_id(style: Style) -> Style | int:
    entry = _BY_IDENTITY.get(id(style))
    if entry is not None and entry[0] is style:
        return entry[1]
    number = _STYLE_NUMBERS.get(style)
    if number is None:
        if len(_STYLES) >= MAX_STYLE_IDS:
            return style
        number = _STYLE_NUMBERS[style] = len(_STYLES)
        _STYLES.append(style)
    if len(_BY_IDENTITY) >= 4096:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(style)] = (style, number)
    return number


def style_of(ref: Style | int) -> Style:
    """The style a run names (by number or by itself)."""
    return _STYLES[ref] if ref.__class__ is int else ref


def strip(text: str) -> str:
    """*text* without escape sequences and stray control characters (the style is forgotten)."""
    if not _NEEDS_WORK.search(text):
        return text
    return AnsiDecoder().feed(text, whole=True)[0]


def decode(text: str) -> tuple[str, tuple[Run, ...]]:
    """Plain text and runs of one self-contained piece of text."""
    return AnsiDecoder().feed(text, whole=True)


# --- SGR --------------------------------------------------------------------------------------

_FLAGS_ON = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "inverse", 9: "strike", 21: "underline"}
_FLAGS_OFF = {22: ("bold", "dim"), 23: ("italic",), 24: ("underline",), 27: ("inverse",), 29: ("strike",)}


def _number(text: str) -> int | None:
    """A parameter: empty means 0 (as terminals read ``ESC[;1m``); garbage means None."""
    if not text:
        return 0
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _extended(parts: list[int | None]) -> tuple[bool, Colour]:
    """The colour of a 38/48 parameter's tail (``5;n``, ``2;r;g;b``): (valid, colour)."""
    if len(parts) >= 2 and parts[0] == 5:
        n = parts[1]
        return (n is not None and 0 <= n <= 255), n
    if len(parts) >= 4 and parts[0] == 2:
        rgb = parts[-3:]
        if all(v is not None and 0 <= v <= 255 for v in rgb):
            return True, (rgb[0], rgb[1], rgb[2])
    return False, None


# (id(style), params) -> (style, the style after them). Keyed by identity, since hashing a Style
# costs a Python call per code; the style is kept in the entry, so its id cannot be reused while
# the entry lives. Results are interned, so a log's few styles are a few objects.
_SGR_CACHE: dict[tuple[int, str], tuple[Style, Style]] = {}
_INTERNED: dict[Style, Style] = {PLAIN: PLAIN}


def _sgr_cached(style: Style, params: str) -> Style:
    """apply_sgr, remembered: a log repeats the same few codes on every line."""
    key = (id(style), params)
    entry = _SGR_CACHE.get(key)
    if entry is not None and entry[0] is style:
        return entry[1]
    if len(_SGR_CACHE) >= 4096:
        _SGR_CACHE.clear()
        _INTERNED.clear()
        _INTERNED[PLAIN] = PLAIN
    result = apply_sgr(style, params)
    result = _INTERNED.setdefault(result, result)
    _SGR_CACHE[key] = (style, result)
    return result


def apply_sgr(style: Style, params: str) -> Style:
    """*style* after ``ESC [ params m``. Unknown or out-of-range parameters (``38;5;999``,
    ``38;2;300;0;0``) change nothing; the ones around them still apply."""
    if params and params[0] in "<=>?":
        return style  # a private SGR (xterm's key modifiers), not a style
    groups = params.split(";") if params else [""]
    changes: dict = {}
    i = 0
    while i < len(groups):
        group = groups[i]
        i += 1
        if ":" in group:  # ITU T.416 sub-parameters: 38:5:n, 38:2::r:g:b, 4:3
            subs = [_number(s) for s in group.split(":")]
            head = subs[0]
            if head in (38, 48, 58):
                tail = subs[1:]
                if len(tail) == 5 and tail[0] == 2:  # 38:2:colourspace:r:g:b
                    tail = [2, *tail[2:]]
                valid, colour = _extended(tail)
                if valid and head != 58:
                    changes["fg" if head == 38 else "bg"] = colour
            elif head == 4:
                changes["underline"] = subs[1] != 0 if len(subs) > 1 else True
            continue
        n = _number(group)
        if n is None:
            continue
        if n == 0:
            style, changes = PLAIN, {}
        elif n in _FLAGS_ON:
            changes[_FLAGS_ON[n]] = True
        elif n in _FLAGS_OFF:
            for name in _FLAGS_OFF[n]:
                changes[name] = False
        elif 30 <= n <= 37:
            changes["fg"] = n - 30
        elif 90 <= n <= 97:
            changes["fg"] = n - 90 + 8
        elif n == 39:
            changes["fg"] = None
        elif 40 <= n <= 47:
            changes["bg"] = n - 40
        elif 100 <= n <= 107:
            changes["bg"] = n - 100 + 8
        elif n == 49:
            changes["bg"] = None
        elif n in (38, 48, 58):
            kind = _number(groups[i]) if i < len(groups) else None
            if kind not in (2, 5):
                break  # what the numbers after an unknown colour kind mean cannot be known
            take = 2 if kind == 5 else 4
            tail = [_number(g) for g in groups[i:i + take]]
            i += min(take, len(groups) - i)
            valid, colour = _extended(tail)
            if valid and n != 58:  # 58: underline colour, not shown
                changes["fg" if n == 38 else "bg"] = colour
    if not changes:
        return style
    updated = replace(style, **changes)
    return PLAIN if updated == PLAIN else updated


# --- colours ----------------------------------------------------------------------------------

_CUBE_LEVELS = (0, 95, 135, 175, 215, 255)


def palette_rgb(index: int, base16: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
    """The (r, g, b) of 256-colour *index*: 0-15 from *base16* (the view picks them for its
    background), 16-231 xterm's 6x6x6 cube, 232-255 its greys."""
    if index < 16:
        return base16[index]
    if index < 232:
        index -= 16
        return _CUBE_LEVELS[index // 36], _CUBE_LEVELS[(index // 6) % 6], _CUBE_LEVELS[index % 6]
    grey = 8 + (index - 232) * 10
    return grey, grey, grey


def _hex(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


# the 16 terminal colours, darkened for a light background and lightened for a dark one, so that
# each stays readable (contrast at least 3:1, tests/test_ansi.py) where a terminal's own would not
# (white on white, black on black, yellow on white)
LIGHT_16 = tuple(_hex(c) for c in (
    "#000000", "#b3261e", "#1d7a30", "#7a6000", "#1f4fbf", "#962d96", "#0e6f7a", "#6b6b6b",
    "#595959", "#d2281a", "#22892f", "#8f6f00", "#2b63d9", "#b530b5", "#0b7f8c", "#767676"))
DARK_16 = tuple(_hex(c) for c in (
    "#8c8c8c", "#f0524f", "#4ec46a", "#d6b83a", "#5c9cf5", "#d073d0", "#3cc2cf", "#d0d0d0",
    "#a0a0a0", "#ff7b72", "#73e08c", "#f2d55c", "#86b8ff", "#e89be8", "#6fe0ea", "#ffffff"))


# the terminal's usual 16 (close to xterm's): for a background the program asked for, and for text
# on such a background (white on red must stay white; the view's default background plays no part)
STANDARD_16 = tuple(_hex(c) for c in (
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"))


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
