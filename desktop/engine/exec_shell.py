"""An interactive shell in a running container over the engine's exec API, with a TTY: what
``docker exec -it CONTAINER sh`` does, for an embedded terminal.

``exec_create(tty=True, stdin=True)`` then ``POST /exec/{id}/start`` upgraded to a raw duplex
connection: bytes written are the keyboard, bytes read are the screen. Reads block in the
caller's thread; writes and resizes go through a small writer thread of this object, so whoever
types never waits on the engine. ``close()`` from any thread ends a blocked read at once, and
also an ``open`` or ``finish`` waiting on an engine that does not answer (their requests' sockets
are shut down); a ``close`` that comes while ``open`` is still under way leaves nothing open.

Also ``exec_run``: one command without a TTY, its exit code and output (``docker exec``).
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
from dataclasses import dataclass
from typing import Callable

from desktop.engine.cancel import CancelToken, shutdown_on_cancel
from desktop.engine.errors import BerthError, Cancelled, Conflict, NotFound, translate

# bash when the image has it, else sh: what people expect from "open a shell"
DEFAULT_SHELL = ("/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi")
TERM = "xterm"


@dataclass(frozen=True)
class ShellEnd:
    exit_code: int | None
    message: str  # what to tell the user ("" for a normal exit)


class ExecShell:
    def __init__(self, new_client: Callable[[], object], container_id: str, command=DEFAULT_SHELL,
                 rows: int = 24, cols: int = 80, user: str = "", workdir: str | None = None):
        """*new_client* makes the two private clients, in ``open`` (so in the worker): one carries
        the session (it is hijacked), the other the small requests (resize, inspect). Both are
        closed by ``finish``. Constructing the object does no I/O."""
        self._new_client = new_client
        self._client = None
        self._control = None
        self.container_id = container_id
        self.command = tuple(command)
        self._size = (max(1, rows), max(1, cols))
        self._user = user
        self._workdir = workdir
        self.exec_id = ""
        self._response = None
        self._reader = None  # buffered reader of the connection: bytes may already wait in it
        self._socket: socket.socket | None = None
        self._outbox: queue.Queue = queue.Queue()
        self._writer: threading.Thread | None = None
        self._closed = threading.Event()
        self._abort = CancelToken()  # cancelled by close: cuts the two clients' requests short
        self._lock = threading.Lock()  # open hands over the connection while close may run
        self._released = False
        self._watching = contextlib.ExitStack()
        self.write_error: BaseException | None = None

    # --- setting up (caller's thread) ------------------------------------------------------
    def open(self) -> None:
        """Create the exec and start it (blocking); Cancelled when ``close`` came meanwhile."""
        self._client = self._new_client()
        self._control = self._new_client()
        # for the shell's whole life: close() cuts every request of both clients short
        self._watching.enter_context(shutdown_on_cancel(self._client.api, self._abort))
        self._watching.enter_context(shutdown_on_cancel(self._control.api, self._abort))
        self._open()
        if self._closed.is_set():  # closed while the connection was being handed over
            self._release()
            raise Cancelled()
        self._writer = threading.Thread(target=self._write_loop, name=f"exec-{self.exec_id[:12]}", daemon=True)
        self._writer.start()
        self.resize(*self._size)

    def _open(self) -> None:
        api = self._client.api
        try:
            created = api.exec_create(self.container_id, list(self.command), stdin=True, tty=True,
                                      environment={"TERM": TERM}, user=self._user, workdir=self._workdir)
        except Exception as exc:
            if self._closed.is_set():
                raise Cancelled() from None
            error = translate(exc, "open a shell")
            if isinstance(error, NotFound):
                raise NotFound("Could not open a shell: the container no longer exists.", status_code=404) from None
            if isinstance(error, Conflict) and "is not running" in str(error):
                raise Conflict("Could not open a shell: the container is not running. Start it first.",
                               status_code=409) from None
            if isinstance(error, Conflict) and "paused" in str(error):
                raise Conflict("Could not open a shell: the container is paused. Resume it first.",
                               status_code=409) from None
            raise error from exc
        self.exec_id = created["Id"]
        response = None
        try:
            response = api._post_json(api._url("/exec/{0}/start", self.exec_id),
                                      headers={"Connection": "Upgrade", "Upgrade": "tcp"},
                                      data={"Tty": True, "Detach": False}, stream=True)
            api._raise_for_status(response)
        except Exception as exc:
            if response is not None:
                response.close()
            if self._closed.is_set():
                raise Cancelled() from None
            raise translate(exc, "start the shell") from exc
        reader = response.raw._fp.fp
        raw = getattr(reader, "raw", None)
        sock = getattr(raw, "_sock", None) or getattr(raw, "sock", None)
        if not isinstance(sock, socket.socket):
            response.close()
            raise BerthError("Could not open a shell: this kind of engine connection does not allow an "
                             "interactive session (use a unix socket or tcp:// engine).")
        sock.settimeout(None)
        with self._lock:
            self._response, self._reader, self._socket = response, reader, sock

    # --- any thread ------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        """Queue keystrokes (or pasted text) for the shell."""
        if data and not self._closed.is_set():
            self._outbox.put(("data", bytes(data)))

    def resize(self, rows: int, cols: int) -> None:
        self._size = (max(1, rows), max(1, cols))
        if not self._closed.is_set():
            self._outbox.put(("resize", self._size))

    def close(self) -> None:
        """End the session (the shell gets a hang-up); a blocked ``read`` returns b'', a blocked
        ``open`` raises Cancelled, a blocked ``finish`` gives up asking for the exit code."""
        if not self._closed.is_set():
            self._closed.set()
            self._outbox.put(("stop", None))
        self._abort.cancel()
        self._release()

    def _end_session(self) -> None:
        """The shell's connection is done with (it ended by itself): hang up, without cutting
        the control client's requests short."""
        if not self._closed.is_set():
            self._closed.set()
            self._outbox.put(("stop", None))
        self._release()

    def _release(self) -> None:
        """Shut down and close the hijacked connection, once, whoever gets here first."""
        with self._lock:
            if self._released or self._response is None:
                return
            self._released = True
            sock, response = self._socket, self._response
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            response.close()
        except Exception:  # noqa: BLE001 - closing what the engine already closed
            pass
        if sock is not None:
            sock.close()

    def _close_clients(self) -> None:
        self._watching.close()
        for client in (self._client, self._control):
            if client is not None:
                try:
                    client.close()
                except Exception:
                    pass

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # --- the reading thread ----------------------------------------------------------------
    def read(self, size: int = 65536) -> bytes:
        """What the shell printed since the last read, blocking until there is some; b'' at the end."""
        if self._reader is None or self._closed.is_set():
            return b""
        try:
            return self._reader.read1(size) or b""
        except (OSError, ValueError, AttributeError):
            return b""

    def finish(self) -> ShellEnd:
        """After ``read`` returned b'' (or ``open`` failed): how the shell ended (asks the engine, so
        not on the GUI thread; a ``close`` from another thread cuts the question short)."""
        self._end_session()
        if self._writer is not None:
            self._writer.join(2)
        code = None
        try:
            if self.exec_id and self._control is not None and not self._abort.cancelled:
                info = self._control.api.exec_inspect(self.exec_id)
                if not info.get("Running"):
                    code = info.get("ExitCode")
        except Exception:
            pass
        finally:
            self._close_clients()
        message = ""
        if code in (126, 127):
            message = (f"The shell could not start: {self.command[0]} is missing from the container's image "
                       f"(exit code {code}).")
        return ShellEnd(code, message)

    # --- the writer thread -----------------------------------------------------------------
    def _write_loop(self) -> None:
        while True:
            kind, value = self._outbox.get()
            if kind == "stop":
                return
            try:
                if kind == "data":
                    assert self._socket is not None
                    self._socket.sendall(value)
                elif kind == "resize":
                    rows, cols = value
                    self._control.api.exec_resize(self.exec_id, height=rows, width=cols)
            except Exception as exc:  # the shell went away while typing: the reader notices
                if not self._closed.is_set() and kind == "data":
                    self.write_error = exc


def exec_run(client, container_id: str, command: list[str]) -> tuple[int, str]:
    """Run *command* in a running container without a TTY; its exit code and output (stdout
    and stderr together, as ``docker exec`` prints them)."""
    try:
        exec_id = client.api.exec_create(container_id, command)["Id"]
        output = client.api.exec_start(exec_id)
        code = client.api.exec_inspect(exec_id).get("ExitCode")
    except Exception as exc:
        raise translate(exc, f"run {' '.join(command)} in the container") from exc
    if isinstance(output, bytes):
        output = output.decode("utf-8", "replace")
    return int(code if code is not None else -1), output
