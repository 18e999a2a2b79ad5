"""Listing containers the way ``docker ps -a`` shows them, in one ``/containers/json`` request,
and one container's ``docker inspect`` as plain values for the Inspect tab."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Sequence
from urllib.parse import urlsplit

from desktop.engine.container_status import anchor_from_state, anchor_from_status
from desktop.engine.errors import NotFound, translate

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"


@dataclass(frozen=True)
class PortMapping:
    container_port: int
    protocol: str
    host_ip: str = ""
    host_port: int | None = None

    def __str__(self) -> str:
        if self.host_port:
            host = f"{self.host_ip}:" if self.host_ip else ""
            return f"{host}{self.host_port}->{self.container_port}/{self.protocol}"
        return f"{self.container_port}/{self.protocol}"


@dataclass(frozen=True)
class ContainerRow:
    id: str
    name: str
    image: str
    image_id: str
    command: str
    state: str  # created, running, paused, restarting, removing, exited, dead
    status: str  # "Up 3 minutes", "Exited (0) 2 hours ago": the engine's words when it was listed
    created: int
    ports: tuple[PortMapping, ...] = ()
    labels: tuple = field(default=(), compare=False)
    # where the time in *status* counts from (start, or exit for "Exited"/"Restarting"): an
    # interval of unix seconds on this machine's clock; (0, 0) when the status has no time
    anchor: tuple[float, float] = (0.0, 0.0)

    @property
    def since(self) -> float:
        """The best guess of the instant *status* counts from (0 when it has none)."""
        low, high = self.anchor
        return (low + high) / 2 if high else 0.0

    @property
    def key(self) -> str:
        return self.id

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def compose_project(self) -> str:
        return dict(self.labels).get(COMPOSE_PROJECT, "")

    @property
    def compose_service(self) -> str:
        return dict(self.labels).get(COMPOSE_SERVICE, "")

    @property
    def ports_text(self) -> str:
        return ", ".join(str(p) for p in self.ports)

    @property
    def running(self) -> bool:
        """Up (paused and restarting count: the engine will not remove them without force)."""
        return self.state in ("running", "paused", "restarting")

    @property
    def exit_code(self) -> int | None:
        """The code in "Exited (137) 2 minutes ago", None while it runs or was never started."""
        match = _EXIT_CODE.match(self.status)
        return int(match[1]) if match else None

    @property
    def published_ports(self) -> tuple[PortMapping, ...]:
        """The mappings to a host port, one per host port (IPv4 and IPv6 twins shown once)."""
        seen = set()
        result = []
        for port in self.ports:
            if port.host_port and (port.host_port, port.protocol) not in seen:
                seen.add((port.host_port, port.protocol))
                result.append(port)
        return tuple(result)


_EXIT_CODE = re.compile(r"^(?:Exited|Restarting) \((-?\d+)\)")


def port_url(mapping: PortMapping, engine_host: str = "") -> str:
    """The address a browser opens for a published port: the engine's machine (localhost for a
    local socket, the host of a tcp:// or ssh:// engine) at the host port; "" for udp or an
    unpublished port."""
    if not mapping.host_port or mapping.protocol != "tcp":
        return ""
    host = "localhost"
    if mapping.host_ip and mapping.host_ip not in ("0.0.0.0", "::"):
        host = mapping.host_ip
    elif engine_host.startswith(("tcp://", "ssh://", "http://", "https://")):
        host = urlsplit(engine_host).hostname or host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{mapping.host_port}/"


def rows_from_api(items: list[dict], listed: tuple[float, float] | None = None) -> list[ContainerRow]:
    """Rows from a ``/containers/json`` answer the engine gave between ``listed`` (unix seconds,
    from and to; now when not given): its status words are read back into anchors."""
    if listed is None:
        now = time.time()
        listed = (now, now)
    rows = []
    for item in items:
        names = item.get("Names") or []
        name = names[0].lstrip("/") if names else item.get("Id", "")[:12]
        ports = tuple(sorted(
            (PortMapping(int(p.get("PrivatePort") or 0), p.get("Type") or "tcp", p.get("IP") or "",
                         int(p["PublicPort"]) if p.get("PublicPort") else None)
             for p in item.get("Ports") or []),
            key=lambda p: (p.container_port, p.protocol, p.host_ip, p.host_port or 0)))
        rows.append(ContainerRow(
            id=item.get("Id", ""),
            name=name,
            image=item.get("Image", ""),
            image_id=item.get("ImageID", ""),
            command=item.get("Command", ""),
            state=item.get("State", ""),
            status=item.get("Status", ""),
            created=int(item.get("Created") or 0),
            ports=ports,
            labels=tuple(sorted((item.get("Labels") or {}).items())),
            anchor=anchor_from_status(item.get("Status", ""), *listed),
        ))
    return rows


def list_containers(client, all_containers: bool = True, ids: Sequence[str] | None = None) -> list[ContainerRow]:
    """``docker ps [-a]``; with *ids* (full ids), only those: the engine looks them up directly, so
    rechecking the 100 containers an event burst touched costs a tenth of listing 1,000."""
    if ids is not None and not ids:
        return []
    filters = {"id": list(ids)} if ids is not None else None
    asked = time.time()
    items = client.api.containers(all=all_containers, filters=filters)
    return rows_from_api(items, (asked, time.time()))


@dataclass(frozen=True)
class MountInfo:
    type: str
    source: str  # host path or volume name
    destination: str
    read_only: bool


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    ip_address: str
    gateway: str
    mac_address: str


@dataclass(frozen=True)
class ContainerDetails:
    """``docker inspect`` of one container as plain values; ``raw`` is the inspect as pretty JSON."""

    id: str
    name: str
    image: str  # as asked for ("busybox:latest")
    image_id: str
    created: str  # RFC 3339
    status: str  # running, exited, ...
    running: bool
    paused: bool
    restarting: bool
    exit_code: int
    error: str
    oom_killed: bool
    pid: int
    started_at: str
    finished_at: str
    restart_count: int
    path: str
    args: tuple[str, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    working_dir: str
    user: str
    tty: bool
    labels: tuple[tuple[str, str], ...]
    port_bindings: tuple[tuple[str, str], ...]  # ("8080/tcp", "127.0.0.1:18080")
    mounts: tuple[MountInfo, ...]
    networks: tuple[NetworkInfo, ...]
    restart_policy: str  # "no", "always", "on-failure:3"
    auto_remove: bool
    memory: int  # bytes, 0: no limit
    nano_cpus: int
    log_driver: str
    raw: str

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def command_line(self) -> str:
        return " ".join([self.path, *self.args]).strip()


def details_from_inspect(data: dict) -> ContainerDetails:
    state = data.get("State") or {}
    config = data.get("Config") or {}
    host = data.get("HostConfig") or {}
    bindings = []
    for port, targets in sorted((host.get("PortBindings") or {}).items()):
        for target in targets or [{}]:
            ip = target.get("HostIp") or "0.0.0.0"
            bindings.append((port, f"{ip}:{target.get('HostPort') or '(any free port)'}"))
    mounts = tuple(MountInfo(m.get("Type", ""), m.get("Name") or m.get("Source") or "", m.get("Destination", ""),
                             not m.get("RW", True)) for m in data.get("Mounts") or [])
    networks = tuple(NetworkInfo(name, n.get("IPAddress", ""), n.get("Gateway", ""), n.get("MacAddress", ""))
                     for name, n in sorted(((data.get("NetworkSettings") or {}).get("Networks") or {}).items()))
    policy = host.get("RestartPolicy") or {}
    policy_text = policy.get("Name") or "no"
    if policy_text == "on-failure" and policy.get("MaximumRetryCount"):
        policy_text += f":{policy['MaximumRetryCount']}"
    env = []
    for item in config.get("Env") or []:
        key, _, value = item.partition("=")
        env.append((key, value))
    return ContainerDetails(
        id=data.get("Id", ""),
        name=(data.get("Name") or "").lstrip("/"),
        image=config.get("Image", ""),
        image_id=data.get("Image", ""),
        created=data.get("Created", ""),
        status=state.get("Status", ""),
        running=bool(state.get("Running")),
        paused=bool(state.get("Paused")),
        restarting=bool(state.get("Restarting")),
        exit_code=int(state.get("ExitCode") or 0),
        error=state.get("Error") or "",
        oom_killed=bool(state.get("OOMKilled")),
        pid=int(state.get("Pid") or 0),
        started_at=state.get("StartedAt") or "",
        finished_at=state.get("FinishedAt") or "",
        restart_count=int(data.get("RestartCount") or 0),
        path=data.get("Path") or "",
        args=tuple(data.get("Args") or ()),
        entrypoint=tuple(config.get("Entrypoint") or ()),
        cmd=tuple(config.get("Cmd") or ()),
        env=tuple(env),
        working_dir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        tty=bool(config.get("Tty")),
        labels=tuple(sorted((config.get("Labels") or {}).items())),
        port_bindings=tuple(bindings),
        mounts=mounts,
        networks=networks,
        restart_policy=policy_text,
        auto_remove=bool(host.get("AutoRemove")),
        memory=int(host.get("Memory") or 0),
        nano_cpus=int(host.get("NanoCpus") or 0),
        log_driver=(host.get("LogConfig") or {}).get("Type", ""),
        raw=json.dumps(data, indent=4, ensure_ascii=False),
    )


def inspect_container(client, container_id: str) -> ContainerDetails:
    try:
        data = client.api.inspect_container(container_id)
    except Exception as exc:
        error = translate(exc, "inspect the container")
        if isinstance(error, NotFound):
            raise NotFound(f"The container {container_id[:12]} no longer exists.", status_code=404) from None
        raise error from exc
    return details_from_inspect(data)


def anchors_by_inspect(client, rows: Sequence[ContainerRow]) -> dict[str, float]:
    """The exact instants (engine clock) the rows' statuses count from, one inspect each; for
    the few rows on screen whose wording is coarse ("Up About an hour"). A container that went
    away is left out."""
    found = {}
    for row in rows:
        try:
            state = client.api.inspect_container(row.id).get("State") or {}
        except Exception as exc:
            error = translate(exc, "inspect the container")
            if isinstance(error, NotFound):
                continue
            raise error from exc
        since = anchor_from_state(row.status, state)
        if since:
            found[row.id] = since
    return found
