"""The images table: one row per tag, as ``docker images`` lists them."""

from __future__ import annotations

from desktop.engine.images import ImageRow
from desktop.models.formatting import human_size
from desktop.models.keyed_table import AgeColumn, Column, KeyedTableModel


class ImagesModel(KeyedTableModel):
    REPOSITORY, TAG, ID, CREATED, SIZE, IN_USE = range(6)
    columns = (
        Column("Repository", lambda r: r.repository, lambda r: r.repository.lower()),
        Column("Tag", lambda r: r.tag, lambda r: r.tag.lower()),
        Column("Image ID", lambda r: r.short_id, tooltip=lambda r: r.id),
        AgeColumn("Created", "created"),
        Column("Size", lambda r: human_size(r.size), lambda r: r.size, tooltip=lambda r: f"{r.size:,} bytes",
               align_right=True),
        Column("In use", lambda r: str(r.containers) if r.containers else "", lambda r: r.containers,
               tooltip=lambda r: f"{r.containers} container(s) use this image", align_right=True),
    )

    def filter_text(self, row: ImageRow) -> str:
        return f"{row.repository} {row.tag} {row.id.split(':', 1)[-1]}".lower()
