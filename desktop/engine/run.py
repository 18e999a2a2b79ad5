"""``docker run -d``: create, then start, and never leave a half-made container behind.

The CLI leaves a created container when start fails (a port taken, a command that does not exist);
here it is removed again unless the user asked to keep it, and the message says which step failed
and why in words a person can act on. Clashes that can be seen beforehand (a host port another
container publishes, two mappings of one run on the same port) are refused before anything is
created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from desktop.engine.cancel import CancelToken
from desktop.engine.errors import Cancelled, Conflict, EngineError, NotFound, translate
from desktop.engine.run_spec import PortSpec, RunSpec, create_body

_NOT_FOUND_EXEC = re.compile(r'exec: "([^"]*)": (?:executable file not found in \$PATH|stat [^:]*: no such file or directory)')
_PORT_ALLOCATED = re.compile(r"Bind for ([^ ]+) failed: port is already allocated")
_ADDRESS_IN_USE = re.compile(r"listen (?:tcp|udp|sctp)[46]? ([^ ]+): bind: address already in use")
_CANNOT_ASSIGN = re.compile(r"listen (?:tcp|udp|sctp)[46]? ([^ ]+): bind: cannot assign requested address")
_NO_USER = re.compile(r"unable to find user ([^:]+):")
_NO_BIND_SOURCE = re.compile(r"bind source path does not exist: (.+)$")


@dataclass(frozen=True)
class ImageDefaults:
    """What the image itself says about running it: the Run dialog's starting values."""

    image: str
    id: str
    cmd: tuple[str, ...]
    entrypoint: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    exposed_ports: tuple[tuple[int, str], ...]  # (port, protocol)
    working_dir: str
    user: str
    volumes: tuple[str, ...]


def defaults_from_inspect(image: str, data: dict) -> ImageDefaults:
    config = data.get("Config") or {}
    ports = []
    for key in (config.get("ExposedPorts") or {}):
        number, _, proto = key.partition("/")
        try:
            ports.append((int(number), proto or "tcp"))
        except ValueError:
            continue
    env = []
    for item in config.get("Env") or []:
        key, _, value = item.partition("=")
        env.append((key, value))
    return ImageDefaults(
        image=image,
        id=data.get("Id", ""),
        cmd=tuple(config.get("Cmd") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        env=tuple(env),
        exposed_ports=tuple(sorted(ports)),
        working_dir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        volumes=tuple(sorted(config.get("Volumes") or {})),
    )


def image_defaults(client, image: str) -> ImageDefaults:
    try:
        data = client.api.inspect_image(image)
    except Exception as exc:
        error = translate(exc, f"read the settings of image {image}")
        if isinstance(error, NotFound):
            raise NotFound(f"The image {image} is not on the engine any more (was it removed?).") from None
        raise error from exc
    return defaults_from_inspect(image, data)


def list_networks(client) -> list[str]:
    """Network names for the Run dialog's network choice."""
    try:
        return sorted(n.get("Name", "") for n in client.api.networks() if n.get("Name"))
    except Exception as exc:
        raise translate(exc, "list the networks") from exc


@dataclass(frozen=True)
class RunResult:
    id: str
    name: str
    warnings: tuple[str, ...] = ()
    detached: bool = True  # False: the user wants to follow its output (the Logs tab)


def _wildcard(ip: str) -> bool:
    return ip in ("", "0.0.0.0", "::")


def published_clashes(spec: RunSpec, containers: list[dict]) -> list[str]:
    """Host ports of *spec* that running containers already publish (from ``/containers/json``)."""
    problems = []
    for port in spec.ports:
        if port.host_port is None:
            continue
        for item in containers:
            for published in item.get("Ports") or []:
                if (published.get("PublicPort") == port.host_port
                        and (published.get("Type") or "tcp") == port.protocol
                        and (_wildcard(port.host_ip) or _wildcard(published.get("IP") or "")
                             or published.get("IP") == port.host_ip)):
                    name = ((item.get("Names") or ["?"])[0]).lstrip("/")
                    problems.append(f"Host port {_host(port)} is already published by container {name}.")
                    break
            else:
                continue
            break
    return problems


def _host(port: PortSpec) -> str:
    ip = port.host_ip or "0.0.0.0"
    return f"{ip}:{port.host_port}/{port.protocol}"


def explain_start_failure(message: str, spec: RunSpec) -> str:
    """The engine's start error in words a person can act on."""
    match = _NOT_FOUND_EXEC.search(message)
    if match:
        return (f"the command “{match[1]}” does not exist in the image {spec.image} "
                "(check the command and entrypoint)")
    match = _PORT_ALLOCATED.search(message) or _ADDRESS_IN_USE.search(message)
    if match:
        return (f"the host port {match[1]} is already in use; choose another host port, or leave it "
                "empty to let the engine pick a free one")
    match = _CANNOT_ASSIGN.search(message)
    if match:
        return f"the host address in {match[1]} does not belong to the engine's machine"
    match = _NO_USER.search(message)
    if match:
        return f"the user “{match[1]}” does not exist in the image"
    return message


def explain_create_failure(message: str, spec: RunSpec) -> str:
    """The engine's create error in words a person can act on."""
    match = _NO_BIND_SOURCE.search(message)
    if match:
        return (f"the folder {match[1].strip()} does not exist on the engine's machine; a bind mount "
                "shares a folder that is already there (create it, or use a volume)")
    if "No command specified" in message:
        return f"the image {spec.image} has no default command: type the command to run"
    return message


def _remove_quietly(client, container_id: str) -> bool:
    import docker.errors  # here, not at import: the GUI thread starts without the SDK

    try:
        client.api.remove_container(container_id, force=True, v=True)
        return True
    except docker.errors.NotFound:
        return True  # auto-remove got there first
    except Exception:
        return False


def run_container(client, spec: RunSpec, token: CancelToken | None = None,
                  on_progress: Callable[[int, int, str], None] | None = None) -> RunResult:
    """Create and start a container for *spec*; on a failed start remove it again (unless
    ``spec.keep_on_failure``). Raises SpecError, Conflict (a clash), NotFound (no such image or
    network) or EngineError, each saying what failed."""
    spec.check()
    label = spec.name or spec.image
    progress = on_progress or (lambda done, total, text: None)
    if token is not None:
        token.raise_if_cancelled()
    if any(p.host_port is not None for p in spec.ports):
        try:
            running = client.api.containers()
        except Exception as exc:
            raise translate(exc, f"check the ports of {label}") from exc
        clashes = published_clashes(spec, running)
        if clashes:
            raise Conflict(f"Could not run {label}: " + " ".join(clashes)
                           + " Choose another host port, or leave it empty to let the engine pick a free one.")
    progress(0, 2, f"Creating {label}")
    try:
        created = client.api.create_container_from_config(create_body(spec), spec.name or None)
    except Exception as exc:
        error = translate(exc)
        text = str(error)
        if isinstance(error, NotFound) and "No such image" in text:
            raise NotFound(f"Could not create {label}: the image {spec.image} is not on the engine any more "
                           "(was it removed?). Pull or build it again, or choose another image.",
                           status_code=404) from None
        if isinstance(error, EngineError):
            raise type(error)(f"Could not create {label}: {explain_create_failure(text, spec)}",
                              status_code=error.status_code, detail=error.detail) from None
        raise translate(exc, f"create {label}") from exc
    container_id = created.get("Id", "")
    warnings = tuple(w for w in created.get("Warnings") or () if w)
    name = spec.name
    if token is not None and token.cancelled:
        _remove_quietly(client, container_id)
        raise Cancelled()
    progress(1, 2, f"Starting {label}")
    try:
        client.api.start(container_id)
    except Exception as exc:
        error = translate(exc)
        reason = explain_start_failure(str(error), spec)
        if spec.keep_on_failure:
            after = f"It was kept, stopped, as {name or container_id[:12]}, so you can look at it."
        elif _remove_quietly(client, container_id):
            after = "It was removed again, so nothing is left behind."
        else:
            after = f"Removing it failed too: remove {container_id[:12]} by hand."
        cls = NotFound if isinstance(error, NotFound) else (Conflict if "already" in reason else EngineError)
        raise cls(f"{label} was created but could not start: {reason}. {after}",
                  status_code=getattr(error, "status_code", None), detail=str(error)) from None
    progress(2, 2, f"Started {label}")
    if not name:
        try:
            name = client.api.inspect_container(container_id).get("Name", "").lstrip("/")
        except Exception:
            name = container_id[:12]
    return RunResult(container_id, name, warnings, spec.detach)
