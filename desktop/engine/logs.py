"""Following a container's log: ``docker logs -f`` with stdout and stderr kept apart, delivered
in batches so a container printing thousands of lines a second cannot flood whoever shows them.

The engine sends a non-TTY container's log as frames, each tagged stdout or stderr; the SDK's
``logs()`` drops that tag, so the frames are read here. A TTY container has one stream (stdout).
Timestamps are always asked for: the view can then show or hide them without asking again.

A reader thread parses frames into lines and queues them; the caller's thread hands the queue on
at most ``1 / interval`` times a second. The queue is bounded: when the receiver falls far
behind, the oldest lines are dropped and counted, so memory stays bounded whatever the rate.

The reader shares the interpreter with the GUI thread, so it is kept cheap: it reads up to 64 KB
of the connection at a time (``raw_stream.read_body``: the engine sends a frame per line, each in
an HTTP chunk of its own, and reading them one by one through the HTTP layers cost more than
everything else the reader does) and parses the frames out of that; a frame holding one whole
line, the usual case, skips the joining of split lines; and no call on one read runs long enough
to keep the GUI thread waiting for the interpreter.

Colour codes (ANSI escape sequences) are decoded on the reader thread, not the GUI's: a line
carries its plain text and its styled runs (``desktop.engine.ansi``), and a saved log is the
plain text.
"""

from __future__ import annotations

import re
import struct
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable

from desktop.engine.ansi import AnsiDecoder, Run
from desktop.engine.atomic_file import atomic_write, disk_error
from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, Cancelled, NotFound, translate
from desktop.engine.raw_stream import close_response, open_stream, read_body

STDOUT, STDERR = 1, 2
READ_SIZE = 64 * 1024  # bytes asked of the socket at a time: many lines, and yet a short C call
_HEADER = struct.Struct(">BxxxL")  # a frame: stream, 3 bytes of padding, payload length
_TIMESTAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")


@dataclass(frozen=True, slots=True)
class LogLine:
    stream: int  # STDOUT or STDERR
    text: str  # plain: escape sequences taken out
    timestamp: str = ""  # RFC 3339 with nanoseconds, as the engine wrote it
    runs: tuple[Run, ...] = ()  # the coloured parts of text: (start, length, style number: ansi.style_of)

    @property
    def is_stderr(self) -> bool:
        return self.stream == STDERR


@dataclass(frozen=True)
class LogBatch:
    lines: tuple[LogLine, ...]
    dropped: int = 0  # lines lost before this batch because the receiver fell behind


@dataclass(frozen=True)
class LogOptions:
    tail: int | None = 1000  # last lines to start with; None: the whole log
    since: float | None = None  # unix seconds; None: from the start
    follow: bool = True


class LineSplitter:
    """Bytes (frames or raw chunks) per stream in, complete lines out; a line split over frames
    (the engine splits messages over 16 KiB) is joined, keeping its first timestamp. Each stream
    has its own colour state: a colour set on one line of stdout lasts until it is reset there."""

    def __init__(self) -> None:
        self._partial: dict[int, bytearray] = {}
        self._stamps: dict[int, bytes] = {}
        self._decoders: dict[int, AnsiDecoder] = {}

    def _line(self, stream: int, raw: bytes, stamp: bytes) -> LogLine:
        decoder = self._decoders.get(stream)
        if decoder is None:
            decoder = self._decoders[stream] = AnsiDecoder(ids=True)
        text, runs = decoder.feed(raw.rstrip(b"\r").decode("utf-8", "replace"), whole=True)
        return LogLine(stream, text, stamp.decode("ascii"), runs)

    def feed_frame(self, stream: int, data: bytes) -> list[LogLine]:
        """One engine log message, which starts with its timestamp."""
        stamp = b""
        match = _TIMESTAMP.match(data)
        if match:
            stamp = match[1]
            data = data[match.end():]
        if not self._partial.get(stream):
            if data.find(b"\n") == len(data) - 1:  # the usual frame: one whole line, nothing to join
                return [self._line(stream, data[:-1], stamp)]
            self._stamps[stream] = stamp
        return self._feed(stream, data)

    def feed_frames(self, frames) -> list[LogLine]:
        """The lines of ``(stream, bytes, framed)`` items (``iter_frame_batches``), in order. The
        usual frame, one whole line after its timestamp, is handled here in a few C calls: this
        runs for every line of a log that may print thousands a second."""
        lines: list[LogLine] = []
        append = lines.append
        timestamp = _TIMESTAMP.match
        partial = self._partial
        decoders = self._decoders
        for stream, data, framed in frames:
            if framed and not partial.get(stream):
                match = timestamp(data)
                body = match.end() if match else 0
                if data.find(b"\n", body) == len(data) - 1:
                    decoder = decoders.get(stream)
                    if decoder is None:
                        decoder = decoders[stream] = AnsiDecoder(ids=True)
                    text, runs = decoder.feed(data[body:-1].rstrip(b"\r").decode("utf-8", "replace"), whole=True)
                    append(LogLine(stream, text, match[1].decode("ascii") if match else "", runs))
                    continue
            lines += self.feed_frame(stream, data) if framed else self.feed_raw(data)
        return lines

    def feed_raw(self, data: bytes) -> list[LogLine]:
        """A chunk of a TTY container's log: lines, each starting with a timestamp."""
        return self._feed(STDOUT, data, stamps_inline=True)

    def _feed(self, stream: int, data: bytes, stamps_inline: bool = False) -> list[LogLine]:
        buffer = self._partial.setdefault(stream, bytearray())
        buffer += data
        if b"\n" not in data:
            return []
        *complete, rest = bytes(buffer).split(b"\n")
        self._partial[stream] = bytearray(rest)
        lines = []
        for raw in complete:
            stamp = self._stamps.get(stream, b"")
            if stamps_inline:
                match = _TIMESTAMP.match(raw)
                stamp = match[1] if match else b""
                raw = raw[match.end():] if match else raw
            lines.append(self._line(stream, raw, stamp))
        return lines

    def flush(self) -> list[LogLine]:
        """What is left without a final newline (the log ended mid-line)."""
        lines = []
        for stream, buffer in self._partial.items():
            if buffer:
                raw = bytes(buffer)
                stamp = self._stamps.get(stream, b"")
                match = _TIMESTAMP.match(raw)
                if match:
                    stamp, raw = match[1], raw[match.end():]
                lines.append(self._line(stream, raw, stamp))
        self._partial.clear()
        return lines


def iter_frame_batches(response, tty: bool):
    """Lists of (stream, bytes, framed) from a logs response until it ends: the frames (or the
    TTY's raw bytes) of one read each. A frame cut by the end of the stream comes as far as it
    got."""
    if tty:
        for data in read_body(response, READ_SIZE):
            yield [(STDOUT, data, False)]
        return
    unpack = _HEADER.unpack_from
    rest = b""
    for data in read_body(response, READ_SIZE):
        buffer = rest + data if rest else data
        size = len(buffer)
        offset = 0
        frames = []
        while size - offset >= 8:
            stream, length = unpack(buffer, offset)
            end = offset + 8 + length
            if end > size:
                break
            if length:
                frames.append((STDERR if stream == STDERR else STDOUT, buffer[offset + 8:end], True))
            offset = end
        rest = buffer[offset:]
        if frames:
            yield frames
    if len(rest) > 8:
        stream = rest[0]
        yield [(STDERR if stream == STDERR else STDOUT, rest[8:], True)]


def iter_chunks(response, tty: bool):
    """(stream, bytes, framed) from a logs response until it ends."""
    for frames in iter_frame_batches(response, tty):
        yield from frames


def _is_tty(client, container_id: str) -> bool:
    try:
        return bool((client.api.inspect_container(container_id).get("Config") or {}).get("Tty"))
    except Exception as exc:
        error = translate(exc, "read the log")
        if isinstance(error, NotFound):
            raise NotFound(f"The container {container_id[:12]} no longer exists.", status_code=404) from None
        raise error from exc


def _params(options: LogOptions) -> dict:
    params = {"stdout": 1, "stderr": 1, "timestamps": 1, "follow": 1 if options.follow else 0,
              "tail": "all" if options.tail is None else max(0, int(options.tail))}
    if options.since:
        params["since"] = f"{options.since:.9f}"
    return params


def follow_logs(client, container_id: str, options: LogOptions, token: CancelToken,
                on_batch: Callable[[LogBatch], None], interval: float = 0.05, max_pending: int = 20000) -> None:
    """Read the log of *container_id* and call *on_batch* (from this thread) at most every
    *interval* seconds until the log ends (the container stopped, or ``follow`` is off) or
    *token* is cancelled (then Cancelled is raised). *client* must be private to this call."""
    tty = _is_tty(client, container_id)
    response = open_stream(client, "/containers/{0}/logs", container_id, params=_params(options),
                           action="read the log")
    unregister = token.on_cancel(lambda: close_response(response))
    lock = threading.Lock()
    pending: deque[LogLine] = deque()
    dropped = 0
    failure: list[BaseException] = []
    splitter = LineSplitter()

    def push(lines: list[LogLine]) -> None:
        nonlocal dropped
        if not lines:
            return
        with lock:
            pending.extend(lines)
            excess = len(pending) - max_pending
            if excess > 0:
                for _ in range(excess):
                    pending.popleft()
                dropped += excess

    def read() -> None:
        try:
            for frames in iter_frame_batches(response, tty):
                push(splitter.feed_frames(frames))
            push(splitter.flush())
        except Exception as exc:  # a cancel closes the socket under the reader: not a failure
            if not token.cancelled:
                failure.append(exc)

    reader = threading.Thread(target=read, name=f"logs-{container_id[:12]}", daemon=True)
    reader.start()
    try:
        while True:
            finished = not reader.is_alive()
            if token.wait(interval):
                break
            with lock:
                lines, count = tuple(pending), dropped
                pending.clear()
                dropped = 0
            if lines or count:
                on_batch(LogBatch(lines, count))
            if finished:
                break
    finally:
        unregister()
        close_response(response)
        reader.join(5)
    if token.cancelled:
        raise Cancelled()
    if failure:
        raise translate(failure[0], "follow the log")


def save_logs(client, container_id: str, path: str, timestamps: bool, token: CancelToken,
              on_progress: Callable[[int, int, str], None] | None = None) -> int:
    """Write the whole log to *path* as ``docker logs`` prints it (stdout and stderr
    interleaved), as plain UTF-8 text without colour codes; returns the number of lines written.
    The file appears whole or not at all: a failed or cancelled save leaves an existing file as
    it was."""
    tty = _is_tty(client, container_id)
    response = open_stream(client, "/containers/{0}/logs", container_id,
                           params=_params(LogOptions(tail=None, follow=False)), action="save the log")
    unregister = token.on_cancel(lambda: close_response(response))
    splitter = LineSplitter()
    count = 0
    try:
        with atomic_write(path, "the log") as out:
            def write(lines: list[LogLine]) -> None:
                nonlocal count
                if not lines:
                    return
                out.write("".join(f"{line.timestamp} {line.text}\n" if timestamps and line.timestamp
                                  else f"{line.text}\n" for line in lines).encode("utf-8"))
                count += len(lines)
                if on_progress is not None:
                    on_progress(count, 0, f"{count:,} lines written")

            for frames in iter_frame_batches(response, tty):
                write(splitter.feed_frames(frames))
            write(splitter.flush())
            token.raise_if_cancelled()  # a cancel that closed the stream is no complete log
    except BerthError:
        if token.cancelled:
            raise Cancelled() from None
        raise
    except OSError as exc:
        if token.cancelled:
            raise Cancelled() from None
        raise disk_error(exc, path, "the log") from exc
    except Exception as exc:
        if token.cancelled:
            raise Cancelled() from None
        raise translate(exc, "save the log") from exc
    finally:
        unregister()
        close_response(response)
    return count
