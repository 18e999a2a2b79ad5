"""Finding and reaching the Docker engine the way the docker CLI does.

Order, as the CLI: ``DOCKER_HOST``; else the context named by ``DOCKER_CONTEXT`` or by
``currentContext`` in the CLI's config.json (``DOCKER_CONFIG`` or ``~/.docker``), read from
``contexts/meta/<sha256 of name>/meta.json``; else the platform default socket or pipe. When the
default socket is missing, a few well-known alternates (rootless, Docker Desktop) are tried too.
Every attempt is recorded so the UI can say exactly what was tried.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping

if TYPE_CHECKING:
    import docker

from desktop.engine.errors import EngineUnavailable, describe_connection_failure

DEFAULT_UNIX_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_WINDOWS_PIPE = "npipe:////./pipe/docker_engine"
CONNECT_TIMEOUT = 10  # seconds for the first request; long operations pass their own timeout
# The newest Engine API Berth asks for (docker SDK 7.1's); an older SDK's own newest caps the SDK
# clients further (open_client). Known without importing the SDK, which connecting no longer does.
API_VERSION_CAP = "1.45"


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    verify: bool = True


@dataclass(frozen=True)
class Endpoint:
    """Where an engine is expected, and why Berth looks there."""

    host: str
    source: str  # "DOCKER_HOST", "context", "default", "alternate", "user"
    context: str = "default"
    tls: TlsFiles | None = None

    @property
    def display_name(self) -> str:
        """How Berth names the engine here: its context, else its address."""
        return self.context if self.source == "context" else self.host

    def describe(self) -> str:
        labels = {
            "DOCKER_HOST": "from DOCKER_HOST",
            "context": f"from docker context '{self.context}'",
            "default": "platform default",
            "alternate": "well-known alternate",
            "user": "entered by you",
        }
        return f"{self.host} ({labels.get(self.source, self.source)})"


@dataclass(frozen=True)
class Attempt:
    endpoint: Endpoint
    reason: str


@dataclass(frozen=True)
class EngineInfo:
    """What the connected engine says about itself (from ``/version``)."""

    endpoint: Endpoint
    version: str
    api_version: str
    min_api_version: str
    os: str
    arch: str
    kernel: str
    platform_name: str

    @property
    def display_name(self) -> str:
        return self.endpoint.display_name

    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    def api_at_least(self, wanted: str) -> bool:
        return version_tuple(self.api_version) >= version_tuple(wanted)


def version_tuple(text: str) -> tuple[int, ...]:
    """'20.10.24+dfsg1' -> (20, 10, 24); used to decide features by the engine's version."""
    parts = []
    for piece in text.split("."):
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def config_dir(env: Mapping[str, str]) -> Path:
    if env.get("DOCKER_CONFIG"):
        return Path(env["DOCKER_CONFIG"])
    return Path(env.get("HOME") or Path.home()) / ".docker"


def _tls_from_env(env: Mapping[str, str]) -> TlsFiles | None:
    # as the docker CLI (and the SDK's kwargs_from_env): any non-empty value, "0" included, verifies
    verify = env.get("DOCKER_TLS_VERIFY", "") != ""
    cert_path = env.get("DOCKER_CERT_PATH")
    if not verify and not cert_path:
        return None
    base = Path(cert_path) if cert_path else config_dir(env)
    return TlsFiles(
        ca_cert=str(base / "ca.pem") if (base / "ca.pem").exists() else None,
        client_cert=str(base / "cert.pem") if (base / "cert.pem").exists() else None,
        client_key=str(base / "key.pem") if (base / "key.pem").exists() else None,
        verify=verify,
    )


def _context_endpoint(name: str, env: Mapping[str, str]) -> Endpoint:
    digest = hashlib.sha256(name.encode()).hexdigest()
    base = config_dir(env) / "contexts"
    meta_file = base / "meta" / digest / "meta.json"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        docker_ep = meta["Endpoints"]["docker"]
        host = docker_ep["Host"]
    except FileNotFoundError:
        raise EngineUnavailable(
            f"The docker context '{name}' is selected but does not exist ({meta_file} is missing). "
            f"Run 'docker context use default' or choose another host.",
            attempts=(),
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EngineUnavailable(
            f"The docker context '{name}' could not be read from {meta_file}: {exc}", attempts=()
        ) from None
    tls_dir = base / "tls" / digest / "docker"
    tls = None
    if tls_dir.is_dir() or host.startswith(("tcp://", "https://")) and not docker_ep.get("SkipTLSVerify"):
        files = {n: tls_dir / n for n in ("ca.pem", "cert.pem", "key.pem")}
        if any(p.exists() for p in files.values()):
            tls = TlsFiles(
                ca_cert=str(files["ca.pem"]) if files["ca.pem"].exists() else None,
                client_cert=str(files["cert.pem"]) if files["cert.pem"].exists() else None,
                client_key=str(files["key.pem"]) if files["key.pem"].exists() else None,
                verify=not docker_ep.get("SkipTLSVerify", False),
            )
    return Endpoint(host=host, source="context", context=name, tls=tls)


def current_context_name(env: Mapping[str, str]) -> str:
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    try:
        config = json.loads((config_dir(env) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "default"
    name = config.get("currentContext") if isinstance(config, dict) else None
    return name or "default"


def _default_endpoints(env: Mapping[str, str], platform: str) -> list[Endpoint]:
    if platform.startswith("win"):
        return [Endpoint(DEFAULT_WINDOWS_PIPE, "default")]
    endpoints = [Endpoint(DEFAULT_UNIX_SOCKET, "default")]
    home = Path(env.get("HOME") or Path.home())
    alternates = []
    if env.get("XDG_RUNTIME_DIR"):
        alternates.append(Path(env["XDG_RUNTIME_DIR"]) / "docker.sock")  # rootless dockerd
    alternates.append(home / ".docker" / "run" / "docker.sock")  # Docker Desktop (macOS)
    alternates.append(home / ".docker" / "desktop" / "docker.sock")  # Docker Desktop (Linux)
    for path in alternates:
        if path.exists():
            endpoints.append(Endpoint(f"unix://{path}", "alternate"))
    return endpoints


def candidate_endpoints(env: Mapping[str, str] | None = None, platform: str | None = None) -> list[Endpoint]:
    """The endpoints to try, first the one the docker CLI would use."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("DOCKER_HOST"):
        return [Endpoint(env["DOCKER_HOST"], "DOCKER_HOST", tls=_tls_from_env(env))]
    name = current_context_name(env)
    if name != "default":
        return [_context_endpoint(name, env)]
    tls = _tls_from_env(env)
    return [Endpoint(e.host, e.source, tls=tls) for e in _default_endpoints(env, platform)]


def user_endpoint(host: str) -> Endpoint:
    """An endpoint typed by the user; a bare 'host:port' means tcp:// as the CLI's -H does."""
    host = host.strip()
    if "://" not in host and not host.startswith("/"):
        host = f"tcp://{host}"
    elif host.startswith("/"):
        host = f"unix://{host}"
    return Endpoint(host, "user")


def _tls_config(tls: TlsFiles | None):
    if tls is None:
        return False
    import docker.tls

    client_cert = (tls.client_cert, tls.client_key) if tls.client_cert and tls.client_key else None
    return docker.tls.TLSConfig(client_cert=client_cert, ca_cert=tls.ca_cert, verify=tls.verify)


def open_client(endpoint: Endpoint, api_version: str = "auto", timeout: int | None = CONNECT_TIMEOUT) -> docker.DockerClient:
    """A new SDK client for *endpoint*. With ``api_version='auto'`` this makes one request."""
    import docker  # here, in a worker: the GUI thread starts without the SDK
    import docker.constants

    if api_version != "auto":  # never newer than this SDK speaks
        api_version = negotiate_api_version(api_version, docker.constants.DEFAULT_DOCKER_API_VERSION)
    use_ssh_client = endpoint.host.startswith("ssh://")
    client = docker.DockerClient(
        base_url=endpoint.host,
        version=api_version,
        timeout=timeout,
        tls=_tls_config(endpoint.tls),
        use_ssh_client=use_ssh_client,
    )
    if endpoint.tls is not None and endpoint.tls.ca_cert:
        # REQUESTS_CA_BUNDLE in the environment would silently replace the engine's CA.
        client.api.trust_env = False
    if endpoint.host.startswith(("unix://", "npipe://")):
        # A local socket or pipe has no proxy, CA bundle or .netrc account: without trust_env,
        # requests stops looking them up at every request (a fifth of its CPU time here, which
        # the GUI thread waits for when many operations run: bench/results/operations.md).
        client.api.trust_env = False
    return client


def negotiate_api_version(server_api: str, client_max: str = API_VERSION_CAP) -> str:
    """As the CLI negotiates: the engine's API version, capped at the newest the client speaks
    (*client_max*, by default Berth's)."""
    if not server_api:
        return client_max
    return server_api if version_tuple(server_api) <= version_tuple(client_max) else client_max


def open_light_client(endpoint: Endpoint, api_version: str = API_VERSION_CAP,
                      timeout: float | None = CONNECT_TIMEOUT):
    """A plain http.client stand-in for the SDK's client on a local unix socket (the reads Berth
    makes all day, see ``local_json``), or None for every other transport."""
    from desktop.engine import local_json  # in a worker: http.client is not needed to paint

    path = local_json.unix_socket_path(endpoint.host)
    return local_json.LocalClient(path, api_version, timeout) if path else None


def _probe(endpoint: Endpoint, timeout: int):
    """The engine's EngineInfo and the client that asked (the caller closes it)."""
    if endpoint.host.startswith("unix://") and not os.path.exists(endpoint.host[len("unix://"):]):
        raise FileNotFoundError(2, "No such file or directory", endpoint.host)
    # A local socket is asked without the SDK, which is then imported while the first lists show.
    client = open_light_client(endpoint, timeout=timeout)
    if client is None:
        # A fixed version keeps the constructor from talking to the engine; /version is unversioned.
        client = open_client(endpoint, API_VERSION_CAP, timeout)
    try:
        data = client.api.version(api_version=False)
    except Exception:
        client.close()
        raise
    info = EngineInfo(
        endpoint=endpoint,
        version=str(data.get("Version", "?")),
        api_version=negotiate_api_version(str(data.get("ApiVersion", ""))),
        min_api_version=str(data.get("MinAPIVersion", "")),
        os=str(data.get("Os", "")),
        arch=str(data.get("Arch", "")),
        kernel=str(data.get("KernelVersion", "")),
        platform_name=str((data.get("Platform") or {}).get("Name", "")),
    )
    return info, client


def connect(endpoints: list[Endpoint], timeout: int = CONNECT_TIMEOUT) -> EngineInfo:
    """Try *endpoints* in order; return the first engine that answers or raise EngineUnavailable."""
    attempts: list[Attempt] = []
    for endpoint in endpoints:
        try:
            info, client = _probe(endpoint, timeout)
        except Exception as exc:  # every failure becomes one line of "what was tried"
            attempts.append(Attempt(endpoint, describe_connection_failure(exc)))
            continue
        client.close()
        return info
    raise EngineUnavailable(unavailable_message(attempts), attempts=tuple(attempts))


def unavailable_message(attempts: list[Attempt]) -> str:
    if not attempts:
        return "No Docker engine endpoint to try."
    lines = ["Berth could not reach a Docker engine."]
    lines += [f"  • {a.endpoint.describe()}: {a.reason}" for a in attempts]
    return "\n".join(lines)


class ClientFactory:
    """Hands each thread its own SDK client: an APIClient is a requests.Session and must not be
    shared by concurrent threads. The negotiated API version is pinned, so no extra request.

    ``light_client`` is the same for the reads made all day (listings, the event stream, pings):
    plain http.client on a local socket (``local_json``), the SDK client elsewhere."""

    def __init__(self, info: EngineInfo, timeout: int | None = 60):
        from desktop.engine import local_json  # already loaded by the connect probe

        self.info = info
        self._timeout = timeout
        self._local_socket = local_json.unix_socket_path(info.endpoint.host) is not None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[docker.DockerClient] = []
        self._closed = False

    def client(self) -> docker.DockerClient:
        client = getattr(self._local, "client", None)
        if client is None:
            with self._lock:
                if self._closed:
                    raise EngineUnavailable("The connection to the Docker engine was closed.")
                client = open_client(self.info.endpoint, self.info.api_version, self._timeout)
                self._clients.append(client)
            self._local.client = client
        return client

    def light_client(self):
        """This thread's client for listings: a ``LocalClient`` on a local socket, else ``client()``."""
        if not self._local_socket:
            return self.client()
        light = getattr(self._local, "light", None)
        if light is None:
            with self._lock:
                if self._closed:
                    raise EngineUnavailable("The connection to the Docker engine was closed.")
                light = open_light_client(self.info.endpoint, self.info.api_version, self._timeout)
                self._clients.append(light)
            self._local.light = light
        return light

    @contextlib.contextmanager
    def private_light_client(self, timeout: float | None = None) -> Iterator:
        """``private_client`` for the event stream and the pings: a ``LocalClient`` on a local
        socket (its ``api.shutdown`` works with ``shutdown_on_cancel``), else the SDK's."""
        light = open_light_client(self.info.endpoint, self.info.api_version, timeout)
        if light is None:
            with self.private_client(timeout) as client:
                yield client
            return
        try:
            yield light
        finally:
            light.close()

    def new_client(self, timeout: int | None = None) -> docker.DockerClient:
        """A private client for a long-lived stream (events, logs) that another thread may close."""
        return open_client(self.info.endpoint, self.info.api_version, timeout)

    @contextlib.contextmanager
    def private_client(self, timeout: int | None = None) -> Iterator[docker.DockerClient]:
        """``new_client`` for one long operation, closed when it ends however it ends."""
        client = self.new_client(timeout)
        try:
            yield client
        finally:
            client.close()

    def reload_auth(self) -> None:
        """Make every client read the CLI's accounts again (the SDK caches them): after a sign-in
        or sign-out, pushes and pulls use the new account. Private clients read them when made."""
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            reload_config = getattr(client.api, "reload_config", None)  # a LocalClient lists only
            if reload_config is not None:
                reload_config()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            clients, self._clients = self._clients, []
        for client in clients:
            try:
                client.close()
            except Exception:
                pass
