"""Small JSON GETs on a local engine's unix socket with plain ``http.client``.

A request through the SDK (requests + urllib3) costs about 3 ms of CPU here; the same request on
a kept-alive ``http.client`` connection about 0.6 ms. That matters only for work repeated all day
with nobody looking, such as sampling the running containers' usage every few seconds: it is
most of what Berth spends while idle. Every other request goes through the SDK, as do engines
on TCP, TLS, SSH or a Windows pipe (``json_getter`` returns None for them).
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any
from urllib.parse import quote, urlencode

from desktop.engine.errors import EngineError, NotFound


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class LocalJson:
    """``get(path, *args, **params)`` -> the answer's JSON, on one kept-alive connection (one
    thread at a time, like an SDK client)."""

    def __init__(self, socket_path: str, api_version: str, timeout: float = 30):
        self._connection = _UnixConnection(socket_path, timeout)
        self._prefix = f"/v{api_version}"

    def get(self, path: str, *args: str, **params: Any) -> Any:
        url = self._prefix + path.format(*(quote(a, safe="") for a in args))
        if params:
            url += "?" + urlencode(params)
        try:
            self._connection.request("GET", url)
            response = self._connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()  # the next request opens a new connection
            raise
        if response.status >= 400:
            message = _message(body) or response.reason
            raise (NotFound if response.status == 404 else EngineError)(message)
        return json.loads(body)

    def close(self) -> None:
        self._connection.close()


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace").strip()


def json_getter(client, timeout: float = 30) -> LocalJson | None:
    """A LocalJson beside *client* (an SDK DockerClient) when it talks to a unix socket, else None."""
    api = getattr(client, "api", client)
    if not str(getattr(api, "base_url", "")).startswith("http+docker://"):
        return None
    adapter = api.adapters.get("http+docker://")
    socket_path = getattr(adapter, "socket_path", None)
    if not socket_path or not hasattr(socket, "AF_UNIX"):
        return None
    return LocalJson(socket_path, api._version, timeout)

