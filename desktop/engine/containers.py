"""Listing containers the way ``docker ps -a`` shows them, in one ``/containers/json`` request."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    status: str  # "Up 3 minutes", "Exited (0) 2 hours ago"
    created: int
    ports: tuple[PortMapping, ...] = ()
    labels: tuple = field(default=(), compare=False)

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


def rows_from_api(items: list[dict]) -> list[ContainerRow]:
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
        ))
    return rows


def list_containers(client, all_containers: bool = True) -> list[ContainerRow]:
    return rows_from_api(client.api.containers(all=all_containers))
