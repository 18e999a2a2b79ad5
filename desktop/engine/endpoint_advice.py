"""What to tell a person when no engine answers at an endpoint, by the kind of endpoint: a local
socket wants its daemon started, a tcp:// host wants a listening engine and an open port, an
ssh:// host wants a working ssh login and the docker CLI there. Advice about starting a local
daemon is wrong for a remote host, so each kind gets its own. Also: whether a typed host can be
an endpoint at all, and the hosts worth suggesting (DOCKER_HOST, the CLI's contexts)."""

from __future__ import annotations

import json
import os
import sys
from typing import Mapping
from urllib.parse import urlsplit

from desktop.engine.connection import (DEFAULT_UNIX_SOCKET, DEFAULT_WINDOWS_PIPE, Endpoint, _context_endpoint,
                                       config_dir)
from desktop.engine.errors import EngineUnavailable

SCHEMES = ("unix://", "tcp://", "ssh://", "npipe://", "http://", "https://")


def endpoint_kind(host: str) -> str:
    """'unix', 'tcp', 'ssh' or 'npipe' (http:// and https:// are tcp, as for the CLI)."""
    scheme = host.split("://", 1)[0].lower() if "://" in host else "unix"
    return {"http": "tcp", "https": "tcp"}.get(scheme, scheme)


def host_problem(text: str) -> str:
    """Why *text* cannot be an engine host, or '' when it can (a bare 'host:port' is tcp://)."""
    text = text.strip()
    if not text:
        return "Enter a host, for example tcp://192.168.1.10:2375 or ssh://user@server"
    if "://" in text and not text.lower().startswith(SCHEMES):
        return "The host must start with unix://, tcp://, ssh:// or npipe://"
    if endpoint_kind(text) in ("tcp", "ssh") and not urlsplit(text).hostname:
        return f"{text} names no host: write it as tcp://host:port or ssh://user@host"
    return ""


def how_to_start_docker(platform: str | None = None) -> str:
    """How to start the local engine on this platform."""
    platform = sys.platform if platform is None else platform
    if platform.startswith("win") or platform == "darwin":
        return "Start Docker Desktop (or another engine such as Colima or Rancher Desktop) and wait until it says it is running."
    return ("Start the engine with 'sudo systemctl start docker' (install it with your package manager, "
            "e.g. 'sudo apt install docker.io'). If the socket exists but access is denied, add yourself to "
            "the docker group: 'sudo usermod -aG docker $USER', then log in again.")


def _host_port(host: str) -> str:
    parts = urlsplit(host)
    name = parts.hostname or "?"
    if ":" in name:
        name = f"[{name}]"  # an IPv6 address
    port = parts.port or (2376 if parts.scheme == "https" else 2375)
    return f"{name}:{port}"


def advice_for(host: str, platform: str | None = None) -> str:
    """What to check when nothing answers at *host* ('unix:///…', 'tcp://…', 'ssh://…')."""
    kind = endpoint_kind(host)
    if kind == "tcp":
        where = _host_port(host)
        return (f"Nothing answers at {where} — is the engine listening there (dockerd -H tcp://{where}), "
                f"is a firewall in the way? An engine with TLS (usually port 2376) also needs its "
                f"certificates: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, or use a docker context that has them.")
    if kind == "ssh":
        parts = urlsplit(host)
        target = f"{parts.username}@{parts.hostname}" if parts.username else (parts.hostname or "the host")
        port = f" -p {parts.port}" if parts.port else ""
        return (f"Berth logs in to {target} with ssh and runs 'docker system dial-stdio' there. Check that "
                f"'ssh{port} {target} docker version' works in a terminal without asking for a password "
                f"(use a key and ssh-agent), that the host key is already known, that the docker CLI is "
                f"installed on {parts.hostname or 'the host'} and that this user may use its engine (the docker group).")
    if kind == "npipe":
        if host != DEFAULT_WINDOWS_PIPE:
            return f"No engine answers on the pipe {host}. " + how_to_start_docker("win32")
        return how_to_start_docker("win32")
    path = host[len("unix://"):] if host.startswith("unix://") else host
    if host != DEFAULT_UNIX_SOCKET and not path.endswith("/docker.sock"):
        return (f"No engine answers at the socket {path}: start the dockerd that serves it "
                f"(dockerd -H unix://{path}), or check the path. " + how_to_start_docker(platform))
    return how_to_start_docker(platform)


def suggested_endpoints(env: Mapping[str, str] | None = None, platform: str | None = None) -> list[Endpoint]:
    """Hosts worth offering in a 'connect to' field: DOCKER_HOST, every docker context of the
    CLI's config (with its TLS files), and the platform default. Reads small files: call it in
    a worker."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    found: list[Endpoint] = []
    if env.get("DOCKER_HOST"):
        found.append(Endpoint(env["DOCKER_HOST"], "DOCKER_HOST"))
    meta = config_dir(env) / "contexts" / "meta"
    try:
        files = sorted(meta.glob("*/meta.json"))
    except OSError:
        files = []
    for path in files:
        try:
            name = json.loads(path.read_text(encoding="utf-8"))["Name"]
            found.append(_context_endpoint(name, env))
        except (OSError, ValueError, KeyError, TypeError, EngineUnavailable):
            continue  # an unreadable context is not worth suggesting
    found.append(Endpoint(DEFAULT_WINDOWS_PIPE if platform.startswith("win") else DEFAULT_UNIX_SOCKET, "default"))
    unique: dict[str, Endpoint] = {}
    for endpoint in found:
        unique.setdefault(endpoint.host, endpoint)
    return list(unique.values())
