"""Following a fast log cheaply: the reader parses frames out of big reads and splits whole-line
frames on a short path, with the same lines as frame by frame; the Logs view appends a big batch
in slices across passes of the event loop, in order, bounded, and shows every line in the end."""

from __future__ import annotations

import io
import struct

from desktop.engine.ansi import Style, style_of
from desktop.engine.logs import (READ_SIZE, STDERR, STDOUT, LineSplitter, LogBatch, LogLine, iter_chunks,
                                 iter_frame_batches)
from desktop.ui.log_view import LogView


def frame(stream: int, payload: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(payload)) + payload


class Trickle(io.RawIOBase):
    """A stream that hands out at most *step* bytes per read, as a socket may."""

    def __init__(self, data: bytes, step: int):
        self._data, self._step, self.reads = data, step, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.reads += 1
        piece = self._data[:min(len(buffer), self._step)]
        self._data = self._data[len(piece):]
        buffer[:len(piece)] = piece
        return len(piece)


class Response:
    def __init__(self, raw):
        self.raw = raw


def test_frames_cut_anywhere_by_the_reads_come_out_whole_and_in_order():
    payloads = [(STDOUT if n % 3 else STDERR, f"2026-01-01T00:00:0{n % 10}Z line {n}\n".encode()) for n in range(200)]
    data = b"".join(frame(s, p) for s, p in payloads[:100]) + frame(STDOUT, b"") + \
        b"".join(frame(s, p) for s, p in payloads[100:])
    for step in (1, 7, 8, 9, 100, READ_SIZE):
        got = list(iter_chunks(Response(Trickle(data, step)), tty=False))
        assert got == [(s, p, True) for s, p in payloads], step  # the empty frame is skipped


def test_many_frames_come_from_one_read():
    data = b"".join(frame(STDOUT, f"line {n}\n".encode()) for n in range(1000))
    raw = Trickle(data, READ_SIZE)
    batches = list(iter_frame_batches(Response(raw), tty=False))
    assert sum(len(b) for b in batches) == 1000 and len(batches) <= 2 and raw.reads <= 3


def test_a_frame_cut_by_the_end_of_the_stream_comes_as_far_as_it_got():
    data = frame(STDOUT, b"whole\n") + frame(STDERR, b"cut off here")[:-4]
    assert list(iter_chunks(Response(Trickle(data, 5)), tty=False)) == [
        (STDOUT, b"whole\n", True), (STDERR, b"cut off ", True)]
    assert list(iter_chunks(Response(Trickle(frame(STDOUT, b"x\n")[:6], 5)), tty=False)) == []  # half a header


def test_a_tty_log_is_read_in_chunks():
    data = b"".join(f"2026-01-01T00:00:00Z {n}\r\n".encode() for n in range(5000))
    got = list(iter_frame_batches(Response(Trickle(data, 1 << 20)), tty=True))
    assert all(len(batch) == 1 and len(batch[0][1]) <= READ_SIZE for batch in got)
    assert b"".join(batch[0][1] for batch in got) == data


def test_feeding_frames_in_batches_gives_the_lines_of_feeding_them_one_by_one():
    frames = [
        (STDOUT, b"2026-01-01T00:00:00.1Z \x1b[32mINFO\x1b[0m one\n", True),
        (STDERR, b"2026-01-01T00:00:00.2Z err \x1b[33mamber\n", True),  # the colour carries on...
        (STDERR, b"2026-01-01T00:00:00.3Z still amber\x1b[0m\r\n", True),  # ...on that stream only
        (STDOUT, b"2026-01-01T00:00:00.4Z first half ", True),  # a line split over frames
        (STDOUT, b"2026-01-01T00:00:00.5Z second half\n", True),
        (STDOUT, b"2026-01-01T00:00:00.6Z two\nlines\n", True),
        (STDOUT, b"no timestamp\n", True),
        (STDERR, b"2026-01-01T00:00:00.7Z caf\xc3\xa9 \xff\n", True),  # UTF-8, and a byte that is not
        (STDOUT, b"2026-01-01T00:00:00.8Z no end", True),
    ]
    one_by_one = LineSplitter()
    expected = [line for s, d, _ in frames for line in one_by_one.feed_frame(s, d)] + one_by_one.flush()
    batched = LineSplitter()
    got = batched.feed_frames(frames[:4]) + batched.feed_frames(frames[4:]) + batched.flush()
    assert got == expected
    assert [line.text for line in got] == ["INFO one", "err amber", "still amber", "first half second half",
                                           "two", "lines", "no timestamp", "caf\u00e9 \ufffd", "no end"]
    assert got[2].runs and style_of(got[2].runs[0][2]).fg == 3 and not got[3].runs
    assert got[0].timestamp == "2026-01-01T00:00:00.1Z" and got[3].timestamp == "2026-01-01T00:00:00.4Z"


def coloured_batch(first: int, count: int) -> LogBatch:
    splitter = LineSplitter()
    return LogBatch(tuple(splitter.feed_frames(
        [(STDOUT, f"\x1b[32mINFO\x1b[0m line {n} \x1b[1;31mhot\x1b[0m\n".encode(), True)
         for n in range(first, first + count)])))


def test_a_big_batch_is_appended_in_slices_and_shown_whole_in_the_end(qtbot):
    view = LogView(max_lines=10000)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    view.append_batch(coloured_batch(0, 6000))
    # one pass of the event loop appends a few milliseconds' worth, not thousands of coloured lines
    assert view.appending and 0 < view.line_count() < 6000
    assert len(view.buffer) == 6000 and "6,000 lines shown" in view.status.text()
    view.append_batch(coloured_batch(6000, 10))  # queued behind the rest, in order
    qtbot.waitUntil(lambda: not view.appending, timeout=20000)
    lines = view.plain_text().splitlines()
    assert len(lines) == 6010 and lines[0] == "INFO line 0 hot" and lines[-1] == "INFO line 6009 hot"
    assert lines == [f"INFO line {n} hot" for n in range(6010)]


def test_lines_the_text_would_drop_at_once_are_never_inserted(qtbot):
    view = LogView(max_lines=500)
    qtbot.addWidget(view)
    view.show()
    view.append_batch(coloured_batch(0, 3000))
    qtbot.waitUntil(lambda: not view.appending, timeout=20000)
    lines = view.plain_text().splitlines()
    assert lines == [f"INFO line {n} hot" for n in range(2500, 3000)]
    assert view.buffer.evicted == 2500 and view.text.document().blockCount() == 500


def test_timestamps_or_clear_while_slices_wait(qtbot):
    view = LogView(max_lines=10000)
    qtbot.addWidget(view)
    view.show()
    view.append_batch(coloured_batch(0, 4000))
    assert view.appending
    view.timestamps_box.setChecked(True)  # re-rendered from the buffer: every line once
    assert not view.appending
    lines = view.plain_text().splitlines()
    assert lines == [f"INFO line {n} hot" for n in range(4000)]  # these lines carry no timestamp
    view.append_batch(coloured_batch(4000, 4000))
    view.clear()
    qtbot.wait(50)
    assert view.plain_text() == "" and not view.appending and len(view.buffer) == 0


# --- the chunked body, read from the connection ----------------------------------------------------

def chunked(pieces: list[bytes], extension: bytes = b"") -> bytes:
    return b"".join(f"{len(p):x}".encode() + extension + b"\r\n" + p + b"\r\n" for p in pieces) + b"0\r\nX-Trailer: 1\r\n\r\n"


def dechunk(data: bytes, step: int) -> list[bytes]:
    from desktop.engine.raw_stream import _dechunked

    stream = io.BytesIO(data)
    return list(_dechunked(lambda n: stream.read(min(n, step)), 65536))


def test_a_chunked_body_cut_anywhere_comes_out_whole():
    pieces = [frame(STDOUT, f"line {n}\n".encode()) for n in range(300)] + [b"x" * 70000]
    body = b"".join(pieces)
    for step in (1, 2, 3, 5, 16, 1000, 65536):
        for extension in (b"", b";name=value"):
            assert b"".join(dechunk(chunked(pieces, extension), step)) == body, (step, extension)
    got = dechunk(chunked(pieces[:300]), 65536)
    assert len(got) <= 2  # many chunks per read come out as one piece


def test_a_body_that_is_not_chunked_as_it_said_is_an_error():
    import pytest

    with pytest.raises(ValueError):
        dechunk(b"zz\r\nhello\r\n0\r\n\r\n", 100)
    with pytest.raises(ValueError):
        dechunk(b"5\r\nhelloXY0\r\n\r\n", 100)  # no line break where the size said the chunk ends
    with pytest.raises(ValueError):
        dechunk(b"1" * 5000, 100)  # a size line without end
    assert dechunk(b"5\r\nhel", 100) == [b"hel"]  # a body cut short ends with what came


def test_the_engines_log_read_from_the_connection_is_the_clis(docker_client, docker_engine, busybox_image):
    """The logs endpoint's real (chunked) answer, taken apart here, gives what docker logs prints."""
    from desktop.engine.raw_stream import _unread_chunked_body, close_response, open_stream

    name = "berth-chunks-" + str(abs(hash(busybox_image)) % 10_000_000)
    docker_engine.cli("run", "--name", name, busybox_image, "sh", "-c",
                      "seq 1 3000; echo to-stderr >&2; printf 'no newline at the end'")
    try:
        response = open_stream(docker_client, "/containers/{0}/logs", name,
                               params={"stdout": 1, "stderr": 1, "follow": 0, "tail": "all"})
        try:
            assert _unread_chunked_body(response.raw) is not None  # the fast path is taken
            frames = [f for batch in iter_frame_batches(response, tty=False) for f in batch]
        finally:
            close_response(response)
        stdout = b"".join(data for stream, data, _ in frames if stream == STDOUT).decode()
        stderr = b"".join(data for stream, data, _ in frames if stream == STDERR).decode()
        cli = docker_engine.cli("logs", name)
        assert stdout == cli.stdout and stderr == cli.stderr == "to-stderr\n"
        assert stdout.endswith("3000\nno newline at the end")
    finally:
        docker_engine.cli("rm", "-f", name)


def test_a_logs_runs_name_their_styles_by_number_so_the_collector_drops_them():
    """Runs of ints are tuples the cyclic collector stops tracking: a coloured line the log view
    keeps is one object for full collections to walk, not four."""
    import gc

    line = LineSplitter().feed_frames([(STDOUT, b"\x1b[32mINFO\x1b[0m line \x1b[1;31mhot\x1b[0m\n", True)])[0]
    assert [(s, n, style_of(ref)) for s, n, ref in line.runs] == [(0, 4, Style(fg=2)), (10, 3, Style(fg=1, bold=True))]
    assert all(isinstance(ref, int) for _s, _n, ref in line.runs)
    gc.collect()  # the runs go untracked in this one; the tuple of them in the next
    gc.collect()
    assert not gc.is_tracked(line.runs) and not any(gc.is_tracked(run) for run in line.runs)


def test_past_the_table_of_numbered_styles_runs_carry_their_styles(monkeypatch):
    from desktop.engine import ansi

    monkeypatch.setattr(ansi, "MAX_STYLE_IDS", len(ansi._STYLES))  # the table is full
    decoder = ansi.AnsiDecoder(ids=True)
    text, runs = decoder.feed("\x1b[38;2;1;2;250mnever seen before\x1b[0m", whole=True)
    assert runs == ((0, 17, Style(fg=(1, 2, 250))),) and style_of(runs[0][2]) == Style(fg=(1, 2, 250))
    view = LogView()
    view.append_batch(LogBatch((LogLine(STDOUT, text, "", runs),)))
    assert view.plain_text() == "never seen before"
    view.deleteLater()
