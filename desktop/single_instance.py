"""One Berth per user, display and engine: a second launch hands its files to the first and exits.

The first instance listens on a local socket (a Unix socket in ``$XDG_RUNTIME_DIR`` — private to
the user — where there is one, else a named pipe / temp-folder socket whose name carries the user).
A second launch connects, sends one JSON line ``{"files": [...], "activation_token": "..."}`` and
waits for ``ok``. The first raises its window (passing the launcher's Wayland activation token on,
so the compositor lets it take focus) and emits ``filesReceived`` with the absolute paths.

The key holds the display, so Berth on another X display or Wayland session is another instance,
and the engine chosen on the command line or in ``DOCKER_HOST``/``DOCKER_CONTEXT``, so
``berth -H tcp://other:2375`` opens a window on that engine instead of focusing the local one.
A first instance that does not answer within a few seconds is treated as gone: its stale socket
is removed and the new launch takes its place.

On macOS the system itself keeps one instance and sends it QFileOpenEvents: FileOpenRelay turns
those into the same ``filesReceived`` list.

Signals of SingleInstance:
  filesReceived(list)  -- absolute paths a later launch asked to open (may be empty)
  activated()          -- a later launch asked for the window (after it was raised)
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import sys
from typing import Mapping

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket
from PySide6.QtWidgets import QWidget

from desktop import APP_ID

CONNECT_MS = 1000
ANSWER_MS = 5000
MAX_MESSAGE = 1 << 20  # a list of paths, never more than this


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no name for this uid (containers): the uid itself is as good
        return str(os.getuid()) if hasattr(os, "getuid") else "user"


def instance_key(host: str | None = None, env: Mapping[str, str] | None = None,
                 platform: str | None = None) -> str:
    """The server name for this user, display and engine choice."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    display = env.get("WAYLAND_DISPLAY") or env.get("DISPLAY") or ""
    if platform.startswith("win"):
        display = env.get("SESSIONNAME", "")
    engine = host or env.get("DOCKER_HOST") or env.get("DOCKER_CONTEXT") or ""
    digest = hashlib.sha256("\0".join((_user(), display, engine)).encode()).hexdigest()[:16]
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and not platform.startswith("win") and os.path.isdir(runtime):
        return os.path.join(runtime, f"{APP_ID}-{digest}.sock")
    return f"{APP_ID}-{_user()}-{digest}"


def _message(files: list[str], token: str) -> bytes:
    return json.dumps({"files": files, "activation_token": token}).encode() + b"\n"


def forward(key: str, files: list[str], env: Mapping[str, str] | None = None) -> bool:
    """Hand *files* to a running instance; True when it took them (this launch should exit)."""
    env = os.environ if env is None else env
    socket = QLocalSocket()
    socket.connectToServer(key)
    if not socket.waitForConnected(CONNECT_MS):
        return False
    token = env.get("XDG_ACTIVATION_TOKEN", "")
    socket.write(_message([os.path.abspath(f) for f in files], token))
    while socket.bytesToWrite() and socket.waitForBytesWritten(ANSWER_MS):
        pass
    answer = b""
    while b"\n" not in answer and socket.waitForReadyRead(ANSWER_MS):
        answer += bytes(socket.readAll())
    socket.abort()
    return answer.strip() == b"ok"


class SingleInstance(QObject):
    filesReceived = Signal(list)
    activated = Signal()

    def __init__(self, key: str, parent: QObject | None = None):
        super().__init__(parent)
        self.key = key
        self.window: QWidget | None = None
        # No socket options on purpose: with any, Qt binds elsewhere and renames the socket over
        # an existing one, silently taking a live instance's place. The socket sits in the user's
        # private runtime folder, or is created with the umask's owner-only write permission.
        self.server = QLocalServer(self)
        self._error = ""
        self.server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        """Become the instance others talk to; False (with ``error``) when that is impossible."""
        self._error = ""
        # Windows lets two servers share a pipe name: ask first. (Unix refuses a second bind.)
        if sys.platform == "win32" and self._answers():
            self._error = "another Berth answers on this pipe"
            return False
        if self.server.listen(self.key):
            return True
        if self.server.serverError() == QAbstractSocket.SocketError.AddressInUseError and not self._answers():
            QLocalServer.removeServer(self.key)  # left behind by an instance that crashed
            if self.server.listen(self.key):
                return True
        self._error = self.server.errorString()
        return False

    def _answers(self) -> bool:
        probe = QLocalSocket()
        probe.connectToServer(self.key)
        alive = probe.waitForConnected(CONNECT_MS)
        probe.abort()
        return alive

    @property
    def error(self) -> str:
        return self._error

    def close(self) -> None:
        self.server.close()

    # --- the first instance's side ------------------------------------------------------------
    def _on_connection(self) -> None:
        # Slots take the socket from sender(), and deletion is a C++-to-C++ connection: no Python
        # reference to a socket outlives its own signal, so deleteLater cannot pull one from under it.
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready)
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready(self) -> None:
        socket = self.sender()
        if not isinstance(socket, QLocalSocket):
            return
        data = bytes(socket.property("berthBuffer") or b"") + bytes(socket.readAll())
        if b"\n" not in data:
            if len(data) > MAX_MESSAGE:
                socket.abort()
            else:
                socket.setProperty("berthBuffer", data)
            return
        line = data.split(b"\n", 1)[0]
        try:
            message = json.loads(line)
            files = [str(f) for f in message.get("files", [])]
            token = str(message.get("activation_token", ""))
        except (ValueError, AttributeError, TypeError):
            socket.write(b"error\n")
            socket.disconnectFromServer()
            return
        socket.write(b"ok\n")
        socket.flush()
        socket.disconnectFromServer()
        self._raise_window(token)
        self.activated.emit()
        self.filesReceived.emit(files)

    def _raise_window(self, token: str) -> None:
        window = self.window
        if window is None:
            return
        if token:
            # Qt's Wayland plugin reads the launcher's token from here when the window asks for
            # focus; without it a compositor may only flash the window's entry.
            os.environ["XDG_ACTIVATION_TOKEN"] = token
        if window.isMinimized():
            window.showNormal()
        window.show()
        if QGuiApplication.platformName() not in ("offscreen", "minimal"):  # no window system to ask
            window.raise_()
            window.activateWindow()


class FileOpenRelay(QObject):
    """macOS hands files opened with Berth (Finder's Open With, ``open -a Berth x.tar``, a second
    launch) to the running application as QFileOpenEvents, not as arguments. An application-wide
    event filter costs a Python call per event, so it is installed only where such events come.

    Signals: filesReceived(list) -- the path of each opened file
    """

    filesReceived = Signal(list)

    def __init__(self, app: QObject, install: bool = sys.platform == "darwin"):
        super().__init__(app)
        if install:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen:
            path = event.file()
            if path:
                self.filesReceived.emit([path])
            return True
        return False
