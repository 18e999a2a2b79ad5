"""Colour codes in the container log view and the build log, against the real isolated engine:
shown as colours, never as raw escape characters; search, copy and save see the plain text."""

import itertools

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from desktop.engine.build import BuildEvent, EventKind
from desktop.engine.logs import STDERR, STDOUT, LogBatch, LogLine, LineSplitter
from desktop.ui.build_log_panel import BuildLogPanel
from desktop.ui.container_details import LOGS
from desktop.ui.dialogs.build_dialog import BuildDialog
from desktop.ui.log_view import LogView
from tests.helpers import connected_session, recent_names
from tests.test_containers_gui import build_window

pytestmark = [
    pytest.mark.engine,
    pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)",
                              "This plugin does not support grabbing the keyboard"),
]
_marks = itertools.count(1)

# what the container prints: a red word, 256 and 24-bit colours, bold, a window title and an
# erase-line (both to strip), and on stderr a colour that carries on to the next line
COLOURED = ("printf '\\033[91mred\\033[0m plain\\n'; "
            "printf '\\033[38;5;33mblue256\\033[0m \\033[38;2;0;160;0mgreen24\\033[0m \\033[1mbold\\033[0m\\n'; "
            "printf '\\033]0;a window title\\007\\033[2Kerased \\033[3Cmoved\\n'; "
            "printf 'err \\033[33mamber\\nstill amber\\033[0m done\\n' >&2; "
            "echo finished; sleep 600")


def fragments(block):
    """(text, QTextCharFormat) of each fragment of a text block."""
    out = []
    it = block.begin()
    while not it.atEnd():
        fragment = it.fragment()
        out.append((fragment.text(), fragment.charFormat()))
        it += 1
    return out


def block_with(document, text):
    block = document.firstBlock()
    while block.isValid():
        if block.text() == text:
            return block
        block = block.next()
    raise AssertionError(f"no line {text!r} in {document.toPlainText()!r}")


def is_reddish(colour: QColor) -> bool:
    return colour.red() > 150 and colour.green() < 110 and colour.blue() < 110


def coloured(fmt) -> bool:
    return fmt.hasProperty(fmt.Property.ForegroundBrush)


@pytest.fixture
def window(qtbot, docker_engine):
    window, _session, tasks = build_window(qtbot, docker_engine.docker_host)
    yield window
    window.close()
    assert tasks.shutdown(10000)


def test_a_containers_colours_show_as_colours_and_search_and_save_see_plain_text(
        qtbot, window, docker_engine, busybox_image, unique_repo, tmp_path):
    name = unique_repo.replace("/", "-")
    docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c", COLOURED)
    try:
        model = window.workspace.containers_model
        qtbot.waitUntil(lambda: any(r.name == name for r in model.rows()), timeout=10000)
        pane = window.workspace.container_details
        pane.tabs.setCurrentIndex(LOGS)
        window.workspace.containers_view.select_keys([next(r.id for r in model.rows() if r.name == name)])
        log = pane.log_view
        qtbot.waitUntil(lambda: "finished" in log.plain_text().splitlines(), timeout=15000)

        text = log.plain_text()
        lines = text.splitlines()
        assert "\x1b" not in text and "[91m" not in text and "window title" not in text and "\x07" not in text
        assert "red plain" in lines and "blue256 green24 bold" in lines and "erased moved" in lines
        assert "err amber" in lines and "still amber done" in lines

        document = log.text.document()
        (red_text, red), (plain_text, plain) = fragments(block_with(document, "red plain"))
        assert (red_text, plain_text) == ("red", " plain")
        assert is_reddish(red.foreground().color())
        assert not coloured(plain) and not is_reddish(plain.foreground().color())

        parts = dict(fragments(block_with(document, "blue256 green24 bold")))
        assert parts["blue256"].foreground().color().name() == "#0087ff"  # xterm's 256-colour 33
        assert parts["green24"].foreground().color().name() == "#00a000"
        assert parts["bold"].fontWeight() >= 700 and not coloured(parts["bold"])

        # stderr: its own colour, the program's amber inside it, carried to the next line
        assert log.stderr_lines() == ["err amber", "still amber done"]
        (err_text, err), (amber_text, amber) = fragments(block_with(document, "err amber"))
        assert (err_text, amber_text) == ("err ", "amber")
        still = fragments(block_with(document, "still amber done"))
        assert still[0][0] == "still amber" and still[0][1].foreground() == amber.foreground()
        assert amber.foreground().color() != err.foreground().color()
        assert still[1][1].foreground().color() == err.foreground().color()  # reset: back to stderr's

        # search finds words inside coloured runs, in the plain text
        qtbot.keyClicks(log.search, "red")
        assert log.match_count() == 1
        cursor = log.text.textCursor()
        assert cursor.selectedText() == "red" and cursor.block().text() == "red plain"
        log.search.clear()
        qtbot.keyClicks(log.search, "amber")
        assert log.match_count() == 2

        # timestamps shown: the colours move with the text
        log.timestamps_box.setChecked(True)
        block = next(document.findBlockByNumber(n) for n in range(document.blockCount())
                     if document.findBlockByNumber(n).text().endswith(" red plain"))
        (stamp, _), (red_after, red_format), _plain = fragments(block)
        assert stamp.endswith("Z ") and red_after == "red" and is_reddish(red_format.foreground().color())
        log.timestamps_box.setChecked(False)

        # save: the plain text, as docker logs shows it minus the codes
        target = tmp_path / "container.log"
        task = pane.save_log(str(target), False)
        qtbot.waitUntil(lambda: task.state.done, timeout=10000)
        saved = target.read_text(encoding="utf-8")
        assert "\x1b" not in saved and "\x07" not in saved
        assert sorted(saved.splitlines()) == sorted(lines)
    finally:
        docker_engine.cli("rm", "-f", name, check=False)


def test_the_log_view_picks_readable_colours_for_a_dark_background(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    splitter = LineSplitter()
    lines = splitter.feed_frame(STDOUT, b"\x1b[30mblack\x1b[0m and \x1b[37mwhite\x1b[0m\n")
    lines += splitter.feed_frame(STDERR, b"plain error\n")
    view.append_batch(LogBatch(tuple(lines)))
    document = view.text.document()
    black_light = dict(fragments(document.firstBlock()))["black"].foreground().color()
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    view.setPalette(dark)  # as a switch to a dark theme reaches it
    parts = dict(fragments(document.firstBlock()))
    black_dark = parts["black"].foreground().color()
    assert black_light.lightness() < 60 and black_dark.lightness() > 110  # readable on each background
    assert parts["white"].foreground().color().lightness() > 180
    assert view.plain_text() == "black and white\nplain error" and view.stderr_lines() == ["plain error"]


def test_a_build_logs_colours_show_as_colours(qtbot, docker_engine, busybox_image, unique_repo, tmp_path):
    mark = f"c{next(_marks)}"
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {busybox_image}\n"
        f"RUN printf '\\033[91mred\\033[0m plain {mark}\\n\\033[32mgreen left on\\n'\n"
        f"RUN echo next step {mark}\n")
    with connected_session(qtbot, docker_engine) as session:
        dialog = BuildDialog(session, str(context), recent=recent_names(tmp_path))
        qtbot.addWidget(dialog)
        dialog.start()
        dialog.show()
        qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.context_info.ok, timeout=10000)
        qtbot.keyClicks(dialog.editor.repo_edit, unique_repo)
        with qtbot.waitSignal(dialog.built, timeout=60000):
            qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
        try:
            log = dialog.log
            text = log.plain_text()
            assert "\x1b" not in text and "\x07" not in text
            output = [line for line in log.lines() if not line.startswith("Step ")]  # a step shows its RUN line
            assert not any("[91m" in line or "[0m" in line for line in output)
            assert f"red plain {mark}" in log.lines()
            document = log.text.document()
            (red_text, red), (plain_text, plain) = fragments(block_with(document, f"red plain {mark}"))
            assert (red_text, plain_text) == ("red", f" plain {mark}")
            assert is_reddish(red.foreground().color()) and not coloured(plain)
            # the colour left on by the first RUN ends with its step
            assert coloured(fragments(block_with(document, "green left on"))[0][1])
            step = next(line for line in log.lines() if line.startswith("Step 3/3"))
            assert not any(coloured(f) for _t, f in fragments(block_with(document, step)))
            qtbot.keyClicks(log.search, "red plain")  # across a coloured and a plain run
            assert log.match_count() == 1 and log.text.textCursor().block().text() == f"red plain {mark}"
            target = tmp_path / "build.log"
            with qtbot.waitSignal(log.saved, timeout=5000):
                log.save_to(str(target))
            assert target.read_text(encoding="utf-8") == text
        finally:
            dialog.close()
            docker_engine.cli("rmi", "-f", f"{unique_repo}:latest", check=False)


def test_build_log_lines_from_events_and_their_codes(qtbot):
    panel = BuildLogPanel()
    qtbot.addWidget(panel)
    panel.append_events([
        BuildEvent(EventKind.STEP, "Step 1/2 : RUN x", step=1, total=2),
        BuildEvent(EventKind.OUTPUT, "\x1b[1;31mfail\x1b[0m\x1b[K ok"),
        BuildEvent(EventKind.OUTPUT, "\x1b[34mblue on"),
        BuildEvent(EventKind.ERROR, "broke \x1b[33mbadly"),
        BuildEvent(EventKind.OUTPUT, "still blue"),  # the error line kept its colour to itself
        BuildEvent(EventKind.STEP, "Step 2/2 : RUN \x1b[35my", step=2, total=2),
        BuildEvent(EventKind.OUTPUT, "plain after the step"),
    ])
    assert panel.lines() == ["Step 1/2 : RUN x", "fail ok", "blue on", "ERROR: broke badly", "still blue",
                             "Step 2/2 : RUN y", "plain after the step"]
    assert panel.step_label.text() == "Step 2/2: RUN y"
    document = panel.text.document()
    fail = fragments(document.findBlockByNumber(1))[0][1]
    assert fail.fontWeight() >= 700 and is_reddish(fail.foreground().color())
    assert coloured(fragments(document.findBlockByNumber(4))[0][1])
    assert not any(coloured(f) for _t, f in fragments(document.findBlockByNumber(6)))
    panel.clear()
    panel.append_lines(["plain after clear"])
    assert not any(coloured(f) for _t, f in fragments(document.firstBlock()))


def test_log_lines_without_codes_keep_their_text_exactly():
    splitter = LineSplitter()
    lines = splitter.feed_frame(STDOUT, b"2026-01-01T00:00:00Z tab\there [not a code] 100%\r\n")
    assert lines == [LogLine(STDOUT, "tab\there [not a code] 100%", "2026-01-01T00:00:00Z")]


def test_the_log_view_keeps_its_bound_and_searches_what_is_left(qtbot):
    view = LogView(max_lines=100)
    qtbot.addWidget(view)
    view.show()
    splitter = LineSplitter()
    qtbot.keyClicks(view.search, "item 1")
    for start in (0, 60, 120):
        frames = b"".join(f"\x1b[36mitem {n}\x1b[0m done\n".encode() for n in range(start, start + 60))
        view.append_batch(LogBatch(tuple(splitter.feed_frame(STDOUT, frames))))
    assert view.line_count() == 100 and view.text.document().blockCount() == 100
    lines = view.plain_text().splitlines()
    assert lines[0] == "item 80 done" and lines[-1] == "item 179 done"
    assert view.buffer.evicted == 80
    qtbot.waitUntil(lambda: "80 older ones not kept" in view.status.text(), timeout=3000)  # reworded a few times a second
    first = fragments(view.text.document().firstBlock())
    assert [text for text, _f in first] == ["item 80", " done"] and coloured(first[0][1])
    expected = sum("item 1" in line for line in lines)  # item 100..179 (and none of the dropped ones)
    qtbot.waitUntil(lambda: view.match_count() == expected, timeout=3000)
    assert expected == 80


def test_a_background_the_program_chose_keeps_its_text_readable(qtbot):
    view = LogView()
    qtbot.addWidget(view)
    splitter = LineSplitter()
    view.append_batch(LogBatch(tuple(splitter.feed_frame(
        STDOUT, b"\x1b[41;97m FAIL \x1b[0m \x1b[7minverse\x1b[0m \x1b[43mwarn\x1b[0m \x1b[97mwhite\x1b[0m\n"))))
    parts = dict(fragments(view.text.document().firstBlock()))
    fail = parts[" FAIL "]
    assert fail.foreground().color().name() == "#ffffff" and fail.background().color().name() == "#cd3131"
    palette = view.text.palette()
    inverse = parts["inverse"]
    assert inverse.foreground().color() == palette.color(QPalette.ColorRole.Base)
    assert inverse.background().color() == palette.color(QPalette.ColorRole.Text)
    assert parts["white"].foreground().color().lightness() < 140  # white text on the light view: grey
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    view.setPalette(dark)
    parts = dict(fragments(view.text.document().firstBlock()))
    assert parts["warn"].foreground().color().name() == "#000000"  # not light grey on yellow
    assert parts["white"].foreground().color().lightness() > 200


def test_a_palette_switch_recolours_the_build_log_and_keeps_stderr_marked(qtbot):
    panel = BuildLogPanel()
    qtbot.addWidget(panel)
    panel.append_lines(["\x1b[30mblack\x1b[0m text", "\x1b[38;2;10;20;30mtrue\x1b[1m bold\x1b[0m"])
    view = LogView()
    qtbot.addWidget(view)
    view.append_batch(LogBatch(tuple(LineSplitter().feed_frame(STDERR, b"\x1b[34mblue\x1b[0m error\n"))))
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    for widget in (panel, view):
        widget.setPalette(dark)
    document = panel.text.document()
    black = fragments(document.firstBlock())[0]
    assert black[0] == "black" and black[1].foreground().color().lightness() > 110
    true, bold = fragments(document.lastBlock())[:2]
    assert true[1].foreground().color().name() == bold[1].foreground().color().name() == "#0a141e"  # kept
    assert bold[1].fontWeight() >= 700 and true[1].fontWeight() < 700
    assert panel.plain_text() == "black text\ntrue bold"
    assert view.stderr_lines() == ["blue error"]
    blue = fragments(view.text.document().firstBlock())[0][1]
    assert blue.foreground().color().name() == "#5c9cf5"  # the dark palette's blue
