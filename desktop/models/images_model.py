"""The images table: one row per tag, as ``docker images`` lists them. Untagged rows say which
kind they are: an intermediate layer (other images are built on it) or a dangling image (left
over, what a prune removes); the CLI calls both ``<none>``."""

from __future__ import annotations

from desktop.engine.images import NONE, ImageRow
from desktop.models.formatting import human_size
from desktop.models.keyed_table import AgeColumn, Column, KeyedTableModel

UNTAGGED_TEXT = {"intermediate": f"{NONE} (intermediate layer)", "dangling": f"{NONE} (dangling)"}
UNTAGGED_TIP = {
    "intermediate": "An intermediate layer: untagged, and other images are built on it (the legacy builder "
                    "keeps one per step). It goes when the images built on it go.",
    "dangling": "A dangling image: untagged, and no image is built on it — usually left behind when its tag "
                "moved to a newer build. 'Prune dangling images' removes it unless a container uses it.",
}


def repository_text(row: ImageRow) -> str:
    return UNTAGGED_TEXT.get(row.untagged_kind, row.repository)


def repository_tip(row: ImageRow) -> str:
    return UNTAGGED_TIP.get(row.untagged_kind, row.repository)


class ImagesModel(KeyedTableModel):
    REPOSITORY, TAG, ID, CREATED, SIZE, IN_USE = range(6)
    columns = (
        Column("Repository", repository_text, lambda r: r.repository.lower(), tooltip=repository_tip),
        Column("Tag", lambda r: r.tag, lambda r: r.tag.lower()),
        Column("Image ID", lambda r: r.short_id, tooltip=lambda r: r.id),
        AgeColumn("Created", "created"),
        Column("Size", lambda r: human_size(r.size), lambda r: r.size, tooltip=lambda r: f"{r.size:,} bytes",
               align_right=True),
        Column("In use", lambda r: str(r.containers) if r.containers else "", lambda r: r.containers,
               tooltip=lambda r: f"{r.containers} container(s) use this image", align_right=True),
    )

    def filter_text(self, row: ImageRow) -> str:
        return f"{repository_text(row)} {row.tag} {row.id.split(':', 1)[-1]}".lower()
