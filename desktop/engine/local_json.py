"""The reads Berth makes all day, on a local engine's unix socket, with plain ``http.client``.

A request through the SDK (requests + urllib3) costs about 3 ms of CPU here; the same request on
a kept-alive ``http.client`` connection about 0.6 ms. That matters for work repeated all day with
nobody looking (sampling the running containers' usage every few seconds, re-listing after
events) and at start-up: importing the SDK takes about 0.2 s, so connecting, watching the event
stream and the first listings go this way and the window shows its images before the SDK is
even loaded. ``LocalClient`` answers those few calls (``version``, ``ping``, ``events``,
``images``, ``containers``) exactly as the SDK's ``APIClient`` does, so the engine functions
take either; everything else goes through the SDK, as do engines on TCP, TLS, SSH or a Windows
pipe (``json_getter`` returns None for them).
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from typing import Any, Iterator
from urllib.parse import quote, urlencode

from desktop.engine.cancel import shut_socket
from desktop.engine.errors import ConnectionLost, EngineError, NoAnswer, NotFound


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float | None, shut: threading.Event):
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path
        self._shut = shut

    def connect(self) -> None:
        if self._shut.is_set():
            raise ConnectionAbortedError("the connection to the engine was shut down")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        if self._shut.is_set():  # shut down while connecting: shutdown() found no socket yet
            shut_socket(sock)


class LocalJson:
    """``get(path, *args, **params)`` -> the answer's JSON, on one kept-alive connection (one
    thread at a time, like an SDK client). ``shutdown`` (from any thread) wakes the request under
    way and refuses later ones: how a cancel reaches an engine that stopped answering."""

    def __init__(self, socket_path: str, api_version: str, timeout: float | None = 30):
        self.socket_path = socket_path
        self.api_version = api_version
        self._shut = threading.Event()
        self._connection = _UnixConnection(socket_path, timeout, self._shut)
        self._prefix = f"/v{api_version}"

    def url(self, path: str, *args: str, **params: Any) -> str:
        """The versioned URL of *path* ("/containers/{0}/json") with *args* quoted into it."""
        url = self._prefix + path.format(*(quote(a, safe="") for a in args))
        params = {k: v for k, v in params.items() if v is not None}
        return url + "?" + urlencode(params) if params else url

    def get(self, path: str, *args: str, **params: Any) -> Any:
        return json.loads(self.request(self.url(path, *args, **params)))

    def request(self, url: str) -> bytes:
        """GET *url* on the kept-alive connection: the body, or the engine's refusal raised."""
        try:
            self._connection.request("GET", url)
            response = self._connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()  # the next request opens a new connection
            raise _transport_error(exc) from exc
        if response.status >= 400:
            _raise_refusal(response.status, response.reason, body)
        return body

    def stream(self, path: str, **params: Any) -> "JsonLines":
        """A long GET (``/events``) on a connection of its own, without a read timeout: its
        answer's JSON lines, one by one, until ``close`` from any thread (or ``shutdown``)."""
        connection = _UnixConnection(self.socket_path, None, self._shut)
        try:
            try:
                connection.request("GET", self.url(path, **params))
                response = connection.getresponse()
                if response.status >= 400:
                    _raise_refusal(response.status, response.reason, response.read())
            except (OSError, http.client.HTTPException) as exc:
                raise _transport_error(exc) from exc
        except BaseException:
            connection.close()
            raise
        return JsonLines(connection, response)

    def shutdown(self) -> None:
        self._shut.set()
        shut_socket(self._connection.sock)

    def close(self) -> None:
        self._connection.close()


class JsonLines:
    """The JSON items of a streamed answer that sends one per line (the engine's events)."""

    def __init__(self, connection: http.client.HTTPConnection, response: http.client.HTTPResponse):
        self._connection = connection
        self._response = response

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                line = self._response.readline()  # http.client reads the chunked body a line at a time
            except (OSError, http.client.HTTPException, ValueError, AttributeError) as exc:  # closed meanwhile
                raise _transport_error(exc) from exc
            if not line:
                return
            line = line.strip()
            if line:
                yield json.loads(line)

    def close(self) -> None:
        """End the stream from any thread: a read blocked on it returns at once."""
        shut_socket(self._connection.sock)
        self._connection.close()


class LocalApi(LocalJson):
    """The few calls of the SDK's ``APIClient`` that Berth makes all day, with its names,
    arguments and answers, so engine functions written for the SDK take this too."""

    def version(self, api_version: bool = True) -> dict:
        return json.loads(self.request(self.url("/version") if api_version else "/version"))

    def ping(self) -> bool:
        return self.request(self.url("/_ping")).decode("ascii", "replace") == "OK"

    def images(self, all: bool = False) -> list:  # noqa: A002 - the SDK's name
        return self.get("/images/json", only_ids=0, all=1 if all else 0)

    def containers(self, all: bool = False, filters: dict | None = None) -> list:  # noqa: A002
        return self.get("/containers/json", limit=-1, all=1 if all else 0, size=0, trunc_cmd=0,
                        filters=convert_filters(filters) if filters else None)

    def events(self, decode: bool = True, filters: dict | None = None) -> JsonLines:
        """The event stream, decoded (the SDK's ``decode=True``, the only way Berth reads it)."""
        if not decode:
            raise ValueError("the local event stream is always decoded")
        return self.stream("/events", filters=convert_filters(filters) if filters else None)


class LocalClient:
    """``LocalApi`` where the SDK's ``DockerClient`` would be: ``client.api.images()``."""

    def __init__(self, socket_path: str, api_version: str, timeout: float | None = 30):
        self.api = LocalApi(socket_path, api_version, timeout)

    def close(self) -> None:
        self.api.close()


def convert_filters(filters: dict) -> str:
    """Filters as the engine wants them, as the SDK writes them: every value a list of strings."""
    result = {}
    for key, value in filters.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, list):
            value = [value]
        result[key] = [item if isinstance(item, str) else str(item) for item in value]
    return json.dumps(result)


def _transport_error(exc: BaseException) -> Exception:
    """What a transport failure is raised as: a timeout stays one, the rest mean the engine is lost."""
    if isinstance(exc, TimeoutError):
        return NoAnswer(f"the engine did not answer within the timeout ({exc})")
    return ConnectionLost(str(exc) or type(exc).__name__)


def _raise_refusal(status: int, reason: str, body: bytes):
    message = _message(body) or reason
    raise (NotFound if status == 404 else EngineError)(message, status_code=status)


def unix_socket_path(host: str) -> str | None:
    """The socket's path for a ``unix://`` engine address on a system that has them, else None."""
    if not host.startswith("unix://") or not hasattr(socket, "AF_UNIX"):
        return None
    return host[len("unix://"):] or None


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace").strip()


def json_getter(client, timeout: float = 30) -> LocalJson | None:
    """A LocalJson beside *client* (an SDK DockerClient) when it talks to a unix socket, else None."""
    api = getattr(client, "api", client)
    if isinstance(api, LocalJson):
        return LocalJson(api.socket_path, api.api_version, timeout)
    if not str(getattr(api, "base_url", "")).startswith("http+docker://"):
        return None
    adapter = api.adapters.get("http+docker://")
    socket_path = getattr(adapter, "socket_path", None)
    if not socket_path or not hasattr(socket, "AF_UNIX"):
        return None
    return LocalJson(socket_path, api._version, timeout)

