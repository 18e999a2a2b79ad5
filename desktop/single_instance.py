"""One Berth per user, display and engine: a second launch hands its files to the first and exits.

The first instance listens on a local socket: on Unix a socket in a folder only the user can
enter — ``$XDG_RUNTIME_DIR`` when it is the user's own with mode 0700, else ``berth-<uid>`` (mode
0700, made on first use) in the temp folder; on Windows a named pipe whose name carries the user.
A folder or socket there that another user owns, or that others may enter, is never used (Berth
then runs without single-instance support): another local user could otherwise listen first and
receive the file paths. Both ends also ask the kernel who the other end is (``SO_PEERCRED`` on
Linux, ``LOCAL_PEERCRED`` on macOS) and talk only to the same user.
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
import socket as pysocket
import stat
import struct
import sys
import tempfile
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


class NoPrivateFolder(Exception):
    """There is no place for the socket that only this user can reach; the message says why."""


def _uid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def private_problem(path: str) -> str | None:
    """Why *path* is not a folder only this user can enter (None when it is): not a folder (a
    symlink counts as not), owned by another uid, or open to the group or others."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or exc})"
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a folder"
    if info.st_uid != _uid():
        return f"{path} belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        return f"{path} is open to other users (mode {stat.S_IMODE(info.st_mode):o}, wanted 700)"
    return None


def private_folder(temp_dir: str | None = None) -> str:
    """``berth-<uid>`` in the temp folder, made with mode 0700 if missing; NoPrivateFolder when
    what is there is not this user's private folder (it is never changed or removed)."""
    path = os.path.join(temp_dir or tempfile.gettempdir(), f"berth-{_uid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise NoPrivateFolder(f"{path} cannot be made ({exc.strerror or exc})") from None
    problem = private_problem(path)
    if problem:
        raise NoPrivateFolder(problem)
    return path


def instance_key(host: str | None = None, env: Mapping[str, str] | None = None,
                 platform: str | None = None, temp_dir: str | None = None) -> str:
    """The server name for this user, display and engine choice: on Unix the full path of a
    socket in a private folder (made if needed), raising NoPrivateFolder when there is none."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    display = env.get("WAYLAND_DISPLAY") or env.get("DISPLAY") or ""
    if platform.startswith("win"):
        display = env.get("SESSIONNAME", "")
    engine = host or env.get("DOCKER_HOST") or env.get("DOCKER_CONTEXT") or ""
    digest = hashlib.sha256("\0".join((_user(), display, engine)).encode()).hexdigest()[:16]
    if platform.startswith("win"):
        return f"{APP_ID}-{_user()}-{digest}"
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and private_problem(runtime) is None:
        key = os.path.join(runtime, f"{APP_ID}-{digest}.sock")
    else:  # a short name: macOS's per-user temp folder is long, and a socket path has 104 bytes
        key = os.path.join(private_folder(temp_dir), f"{digest}.sock")
    try:
        info = os.lstat(key)
    except FileNotFoundError:
        return key
    except OSError as exc:
        raise NoPrivateFolder(f"{key} cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != _uid():
        raise NoPrivateFolder(f"{key} is not a socket of this user's (owner uid {info.st_uid})")
    return key


def peer_uid(descriptor: int) -> int | None:
    """The effective uid of the process at the other end of the Unix socket *descriptor*, or None
    where the system cannot tell (Windows pipes, other Unixes)."""
    if descriptor is None or descriptor < 0 or not hasattr(pysocket, "AF_UNIX"):
        return None
    try:
        sock = pysocket.fromfd(descriptor, pysocket.AF_UNIX, pysocket.SOCK_STREAM)  # a dup: Qt keeps its own
    except OSError:
        return None
    try:
        if hasattr(pysocket, "SO_PEERCRED"):  # Linux: struct ucred {pid, uid, gid}
            _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(pysocket.SOL_SOCKET, pysocket.SO_PEERCRED,
                                                                 struct.calcsize("3i")))
            return uid
        if sys.platform == "darwin":  # SOL_LOCAL, LOCAL_PEERCRED: struct xucred {version, uid, ...}
            data = sock.getsockopt(0, 0x001, 76)
            return struct.unpack_from("Ii", data)[1]
    except OSError:
        return None
    finally:
        sock.close()
    return None


def same_user(descriptor: int) -> bool:
    """True unless the system says the peer of *descriptor* runs as another user (or cannot say
    where it should be able to)."""
    uid = peer_uid(descriptor)
    if uid is None:
        return not (sys.platform.startswith("linux") or sys.platform == "darwin")
    return uid == _uid()


def _message(files: list[str], token: str) -> bytes:
    return json.dumps({"files": files, "activation_token": token}).encode() + b"\n"


def forward(key: str, files: list[str], env: Mapping[str, str] | None = None) -> bool:
    """Hand *files* to a running instance; True when it took them (this launch should exit)."""
    env = os.environ if env is None else env
    socket = QLocalSocket()
    socket.connectToServer(key)
    if not socket.waitForConnected(CONNECT_MS):
        return False
    if not same_user(int(socket.socketDescriptor())):
        socket.abort()  # someone else listens here: never hand them the paths
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
        # an existing one, silently taking a live instance's place. The socket sits in a folder
        # only this user can enter (instance_key).
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
            if not same_user(int(socket.socketDescriptor())):
                socket.abort()  # another user's process: it learns nothing and opens nothing
                socket.deleteLater()
                continue
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
