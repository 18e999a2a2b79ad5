"""The colour-code decoder of logs (desktop/engine/ansi.py): SGR families, stripping of every other
sequence, state across pieces, bad input ignored safely, and the palettes' readability."""

import re

import pytest
from hypothesis import given, strategies as st

from desktop.engine import ansi
from desktop.engine.ansi import DARK_16, LIGHT_16, PLAIN, AnsiDecoder, Style, apply_sgr, contrast, decode, strip

ESC = "\x1b"


def styles_of(text: str) -> list[tuple[str, Style]]:
    """(covered text, style) per run."""
    plain, runs = decode(text)
    return [(plain[start:start + length], style) for start, length, style in runs]


def test_plain_text_passes_through_unchanged():
    assert decode("hello world") == ("hello world", ())
    assert decode("") == ("", ())
    assert decode("tab\tand\nnew line") == ("tab\tand\nnew line", ())


def test_a_red_word_then_reset():
    plain, runs = decode(f"{ESC}[91mred{ESC}[0m plain")
    assert plain == "red plain"
    assert runs == ((0, 3, Style(fg=9)),)


@pytest.mark.parametrize("code, fg", [(30, 0), (31, 1), (37, 7), (90, 8), (91, 9), (97, 15)])
def test_foreground_16(code, fg):
    assert styles_of(f"{ESC}[{code}mx") == [("x", Style(fg=fg))]


@pytest.mark.parametrize("code, bg", [(40, 0), (42, 2), (47, 7), (100, 8), (104, 12), (107, 15)])
def test_background_16(code, bg):
    assert styles_of(f"{ESC}[{code}mx") == [("x", Style(bg=bg))]


@pytest.mark.parametrize("on, off, name", [(1, 22, "bold"), (2, 22, "dim"), (3, 23, "italic"), (4, 24, "underline"),
                                           (7, 27, "inverse"), (9, 29, "strike")])
def test_attributes_on_and_off(on, off, name):
    assert styles_of(f"{ESC}[{on}ma{ESC}[{off}mb") == [("a", Style(**{name: True}))]


def test_default_colours_39_and_49_keep_the_rest():
    assert styles_of(f"{ESC}[1;31;42ma{ESC}[39mb{ESC}[49mc") == [
        ("a", Style(fg=1, bg=2, bold=True)), ("b", Style(bg=2, bold=True)), ("c", Style(bold=True))]


def test_22_ends_bold_and_dim():
    assert styles_of(f"{ESC}[1;2ma{ESC}[22mb") == [("a", Style(bold=True, dim=True))]


def test_256_colours():
    assert styles_of(f"{ESC}[38;5;196ma{ESC}[48;5;21mb") == [("a", Style(fg=196)), ("b", Style(fg=196, bg=21))]


def test_24_bit_colours():
    assert styles_of(f"{ESC}[38;2;255;128;0ma{ESC}[48;2;1;2;3mb") == [
        ("a", Style(fg=(255, 128, 0))), ("b", Style(fg=(255, 128, 0), bg=(1, 2, 3)))]


def test_colon_forms():
    assert styles_of(f"{ESC}[38:2::10:20:30ma") == [("a", Style(fg=(10, 20, 30)))]  # with an empty colour space
    assert styles_of(f"{ESC}[38:2:10:20:30ma") == [("a", Style(fg=(10, 20, 30)))]
    assert styles_of(f"{ESC}[48:5:200ma") == [("a", Style(bg=200))]
    assert styles_of(f"{ESC}[4:3ma{ESC}[4:0mb") == [("a", Style(underline=True))]  # curly, then none


def test_several_codes_in_one_sequence_and_empty_means_reset():
    assert styles_of(f"{ESC}[1;4;38;5;82;48;2;0;0;0ma") == [
        ("a", Style(fg=82, bg=(0, 0, 0), bold=True, underline=True))]
    assert decode(f"{ESC}[31ma{ESC}[mb") == ("ab", ((0, 1, Style(fg=1)),))
    assert styles_of(f"{ESC}[31ma{ESC}[;1mb") == [("a", Style(fg=1)), ("b", Style(bold=True))]


@pytest.mark.parametrize("bad", ["38;5;999", "38;5;256", "38;2;300;0;0", "38;2;1;2", "38;5", "38",
                                 "38;5;99999999999999", "3<1", "?31", "38:2::1:2:999", "58;5;1", "48;7;1"])
def test_invalid_colours_change_nothing(bad):
    plain, runs = decode(f"{ESC}[{bad}mtext")
    assert plain == "text"
    assert runs == ()


def test_invalid_colour_does_not_spoil_the_codes_around_it():
    assert styles_of(f"{ESC}[1;38;5;999;4mx") == [("x", Style(bold=True, underline=True))]
    assert styles_of(f"{ESC}[38;2;300;0;0;32mx") == [("x", Style(fg=2))]


def test_unknown_sgr_numbers_are_ignored():
    assert styles_of(f"{ESC}[5;8;53;31mx") == [("x", Style(fg=1))]  # blink, hidden, overline: not shown


@pytest.mark.parametrize("sequence", [
    "[2K", "[K", "[1A", "[10;20H", "[2J", "[?25l", "[?1049h", "[6n", "[>0c", "[!p",  # CSI of every kind
    "]0;window title\x07", "]2;title\x1b\\", "]8;;https://example.org\x1b\\",  # OSC, both terminators
    "P1$r0m\x1b\\", "_application\x1b\\",  # DCS, APC
    "(B", ")0", "=", ">", "7", "8", "M", "c",  # two-byte escapes
])
def test_other_sequences_are_stripped(sequence):
    assert decode(f"a{ESC}{sequence}b") == ("ab", ())


def test_stray_control_characters_are_stripped_but_tab_newline_and_return_stay():
    assert strip("a\x00b\x07c\x08d\x7fe\x0bf\x0cg\x9bh") == "abcdefgh"
    assert strip("a\tb\nc\rd") == "a\tb\nc\rd"


def test_a_lone_escape_goes_and_the_rest_stays():
    assert decode(f"a{ESC}\x01b") == ("ab", ())
    assert decode(f"x{ESC}") == ("x", ())  # cut at the end of a whole line: dropped


def test_a_colour_carries_on_to_the_next_line_until_reset():
    decoder = AnsiDecoder()
    assert decoder.feed(f"{ESC}[32mgreen starts", whole=True) == ("green starts", ((0, 12, Style(fg=2)),))
    assert decoder.feed("still green", whole=True) == ("still green", ((0, 11, Style(fg=2)),))
    assert decoder.feed(f"green{ESC}[0m then not", whole=True) == ("green then not", ((0, 5, Style(fg=2)),))
    assert decoder.feed("plain again", whole=True) == ("plain again", ())
    assert decoder.style is PLAIN


@pytest.mark.parametrize("cut", range(1, 11))
def test_a_sequence_split_across_two_pieces_is_reassembled(cut):
    text = f"ab{ESC}[38;5;196mred"
    decoder = AnsiDecoder()
    first, first_runs = decoder.feed(text[:cut])
    second, second_runs = decoder.feed(text[cut:])
    assert first + second == "abred"
    assert ESC not in first + second and "[" not in first + second
    assert second_runs[-1][2] == Style(fg=196)


def test_an_osc_cut_short_by_another_sequence_is_dropped_as_xterm_does():
    assert decode(f"a{ESC}]0;title{ESC}[2Kb{ESC}[31mc") == ("abc", ((2, 1, Style(fg=1)),))
    assert decode(f"a{ESC}Pdata{ESC}[1mb") == ("ab", ((1, 1, Style(bold=True)),))


def test_an_osc_split_across_pieces_is_stripped_whole():
    decoder = AnsiDecoder()
    assert decoder.feed(f"a{ESC}]0;ti") == ("a", ())
    assert decoder.feed(f"tle{ESC}") == ("", ())
    assert decoder.feed("\\b") == ("b", ())


def test_an_unterminated_sequence_does_not_wait_forever():
    decoder = AnsiDecoder()
    decoder.feed(f"{ESC}]0;" + "x" * (ansi.MAX_PENDING + 10))
    assert decoder.feed("after") == ("after", ())


def test_reset_forgets_the_style():
    decoder = AnsiDecoder()
    decoder.feed(f"{ESC}[31mred", whole=True)
    decoder.reset()
    assert decoder.feed("plain", whole=True) == ("plain", ())


def test_neighbouring_runs_of_one_style_are_one():
    assert decode(f"{ESC}[31mab{ESC}[31mcd{ESC}[Kef")[1] == ((0, 6, Style(fg=1)),)
    assert decode(f"{ESC}[31mab{ESC}[31mcd{ESC}[1m{ESC}[22mef")[1] == ((0, 6, Style(fg=1)),)  # only SGR codes


def test_real_world_lines():
    # npm, Python's logging with colorlog, a progress line with erase-to-end
    assert decode(f"{ESC}[37;40mnpm{ESC}[0m {ESC}[0m{ESC}[31;40mERR!{ESC}[0m code E404") == (
        "npm ERR! code E404", ((0, 3, Style(fg=7, bg=0)), (4, 4, Style(fg=1, bg=0))))
    assert strip(f"{ESC}[1m{ESC}[33mWARNING{ESC}[0m:root:disk almost full") == "WARNING:root:disk almost full"
    assert strip(f"\r{ESC}[K 45% [=====>    ]{ESC}[?25h") == "\r 45% [=====>    ]"


def test_non_ascii_digits_are_no_numbers():
    assert apply_sgr(PLAIN, "3\u00b9;1") == Style(bold=True)  # a superscript one: ignored, not a crash


def test_private_sgr_is_not_a_style():
    assert apply_sgr(Style(fg=1), ">4;1") == Style(fg=1)


def test_fast_path_gives_the_same_as_the_general_one():
    # only SGR codes (fast) and SGR codes beside another sequence (general) agree
    fast = decode(f"{ESC}[1;31mA{ESC}[0m b {ESC}[38;2;1;2;3mc")
    general = decode(f"{ESC}[1;31mA{ESC}[0m b {ESC}[K{ESC}[38;2;1;2;3mc")
    assert fast == general


@given(st.lists(st.sampled_from(["a", "b c", "\t", "\r", ESC, "[", "]", ";", "m", "3", "8", "5", "2", "9",
                                 "\x07", "\\", "K", "\x00", "\x9b", "é", "P", "?", ":"]), max_size=40),
       st.integers(min_value=0, max_value=40))
def test_any_input_gives_clean_text_and_runs_inside_it(pieces, cut):
    text = "".join(pieces)
    decoder = AnsiDecoder()
    a, runs_a = decoder.feed(text[:cut])
    b, runs_b = decoder.feed(text[cut:], whole=True)
    for plain, runs in ((a, runs_a), (b, runs_b)):
        assert not re.search(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]", plain)
        position = 0
        for start, length, style in runs:
            assert start >= position and length > 0 and start + length <= len(plain)
            assert style is not PLAIN
            position = start + length
    assert strip(text) == decode(text)[0]


@pytest.mark.parametrize("palette, backgrounds", [
    (LIGHT_16, [(255, 255, 255), (246, 246, 246)]),  # a light window: white or nearly
    (DARK_16, [(30, 30, 30), (45, 45, 45), (53, 53, 53)]),  # dark themes' text backgrounds
])
def test_the_16_colours_are_readable_on_their_background(palette, backgrounds):
    for index, colour in enumerate(palette):
        for background in backgrounds:
            assert contrast(colour, background) >= 3.0, (index, colour, background)


def test_256_palette_cube_and_greys():
    assert ansi.palette_rgb(1, LIGHT_16) == LIGHT_16[1]
    assert ansi.palette_rgb(16, LIGHT_16) == (0, 0, 0)
    assert ansi.palette_rgb(196, LIGHT_16) == (255, 0, 0)
    assert ansi.palette_rgb(231, LIGHT_16) == (255, 255, 255)
    assert ansi.palette_rgb(232, LIGHT_16) == (8, 8, 8)
    assert ansi.palette_rgb(255, LIGHT_16) == (238, 238, 238)
