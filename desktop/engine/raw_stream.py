"""Long-lived HTTP responses from the engine (logs, stats) that another thread can end.

The SDK's generators for these either lose information (``logs`` merges stdout and stderr) or
cannot be closed (``stats``), so the request is made here and the response handed back;
``close_response`` shuts the socket down, which wakes a reader blocked on it at once.
"""

from __future__ import annotations

import socket

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
