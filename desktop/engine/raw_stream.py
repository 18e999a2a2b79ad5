"""Long-lived HTTP responses from the engine (logs, stats) that another thread can end.

The SDK's generators for these either lose information (``logs`` merges stdout and stderr) or
cannot be closed (``stats``), so the request is made here and the response handed back;
``close_response`` shuts the socket down, which wakes a reader blocked on it at once.
"""

from __future__ import annotations

import socket
from typing import Callable, Iterator

from desktop.engine.errors import translate


def open_stream(client, path: str, *path_args: str, params: dict | None = None, action: str = ""):
    """GET *path* (a format with ``{0}`` for *path_args*) as a stream; raises the project's errors."""
    api = client.api
    try:
        response = api._get(api._url(path, *path_args), params=params or {}, stream=True)
        api._raise_for_status(response)
    except Exception as exc:
        raise translate(exc, action) from exc
    for sock in _sockets(response):
        try:
            sock.settimeout(None)  # a quiet container must not time the stream out
        except OSError:
            pass
    return response


def _sockets(response) -> list:
    found = []
    try:
        fp = response.raw._fp.fp
        raw = getattr(fp, "raw", None)
        for candidate in (getattr(raw, "_sock", None), getattr(raw, "sock", None), getattr(fp, "_sock", None)):
            if isinstance(candidate, socket.socket):
                found.append(candidate)
    except AttributeError:
        pass
    return found


def close_response(response) -> None:
    """End *response* from any thread: a reader blocked on it returns (EOF or an error) at once."""
    from docker.types.daemon import CancellableStream  # here, not at import: the GUI thread starts without the SDK

    try:
        CancellableStream(iter(()), response).close()
    except Exception:
        pass
    try:
        response.close()
    except Exception:
        pass


def read_body(response, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body of a streamed *response* as it arrives, in pieces of at most about *size* bytes,
    until it ends. http.client hands a chunked body out one chunk at a time, and the engine sends
    a chunk per log line: read that way, each line cost a dozen Python calls through three HTTP
    layers (some 20 µs of a reader thread that shares the interpreter with the GUI thread). So a
    plain chunked response nobody has read from yet is taken apart here, from reads of *size*
    bytes of the connection itself; any other goes through urllib3 as before."""
    fp = _unread_chunked_body(response.raw)
    if fp is not None:
        yield from _dechunked(fp.read1, size)
        return
    raw = response.raw
    read = raw.read1 if hasattr(raw, "read1") else raw.read
    while True:
        data = read(size)
        if not data:
            return
        yield data


def _unread_chunked_body(raw):
    """The buffered connection under *raw* (a urllib3 response) when its body is chunked, not
    encoded and not yet read from; else None."""
    try:
        if not raw.chunked or raw._fp_bytes_read or len(raw._decoded_buffer):
            return None
        inner = raw._fp  # the http.client response, which has read the headers and nothing more
        encoding = (raw.headers.get("content-encoding") or "identity").strip().lower()
        if inner.chunk_left is not None or encoding != "identity":
            return None
        fp = inner.fp
    except (AttributeError, TypeError):
        return None
    return fp if hasattr(fp, "read1") else None


MAX_SIZE_LINE = 4096  # a chunk's size line longer than this is no chunked encoding


def _dechunked(read: Callable[[int], bytes], size: int) -> Iterator[bytes]:
    """The data of a chunked body (RFC 9112 7.1) read with *read*, one piece per read."""
    buffer = b""
    pos = 0
    left = 0  # bytes of the current chunk still to come
    crlf = False  # the line break after a chunk's data is still to come
    while True:
        data = read(size)
        if not data:
            return
        buffer = buffer[pos:] + data if pos < len(buffer) else data
        pos, end = 0, len(buffer)
        pieces = []
        while pos < end:
            if left:
                take = min(left, end - pos)
                pieces.append(buffer[pos:pos + take])
                pos += take
                left -= take
                crlf = not left
            elif crlf:
                if end - pos < 2:
                    break
                if buffer[pos:pos + 2] != b"\r\n":
                    raise ValueError("a chunk of the engine's answer does not end where its size said")
                pos += 2
                crlf = False
            else:
                line_end = buffer.find(b"\r\n", pos)
                if line_end < 0:
                    if end - pos > MAX_SIZE_LINE:
                        raise ValueError("the engine's answer is not chunked as it said")
                    break
                chunk = int(buffer[pos:line_end].split(b";", 1)[0].strip() or b"x", 16)
                pos = line_end + 2
                if chunk == 0:  # the last chunk (trailers are of no interest)
                    if pieces:
                        yield b"".join(pieces)
                    return
                left = chunk
        if pieces:
            yield b"".join(pieces)
