"""The containers table, as ``docker ps -a`` lists them."""

from __future__ import annotations

from desktop.engine.containers import ContainerRow
from desktop.models.formatting import exact_time, human_age
from desktop.models.keyed_table import Column, KeyedTableModel


class ContainersModel(KeyedTableModel):
    NAME, IMAGE, COMMAND, STATUS, CREATED, PORTS, PROJECT = range(7)
    columns = (
        Column("Name", lambda r: r.name, lambda r: r.name.lower(), tooltip=lambda r: r.id),
        Column("Image", lambda r: r.image, lambda r: r.image.lower()),
        Column("Command", lambda r: r.command, tooltip=lambda r: r.command),
        Column("Status", lambda r: r.status, lambda r: (r.state != "running", r.state, r.status)),
        Column("Created", lambda r: human_age(r.created), lambda r: r.created, tooltip=lambda r: exact_time(r.created)),
        Column("Ports", lambda r: r.ports_text),
        Column("Project", lambda r: r.compose_project, lambda r: r.compose_project.lower(),
               tooltip=lambda r: f"compose service {r.compose_service}" if r.compose_service else ""),
    )

    def filter_text(self, row: ContainerRow) -> str:
        return f"{row.name} {row.image} {row.id} {row.status} {row.compose_project}".lower()
