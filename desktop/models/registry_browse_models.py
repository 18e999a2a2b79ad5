"""Item models of the registry browser: a registry's repositories, one repository's tags, and
the platforms of a multi-platform index. They keep their rows by key and change row by row (a catalog page appends, a deleted tag goes
alone), so the selection and scroll position survive a reload."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine.registry_client import sort_tags
from desktop.models.formatting import human_size
from desktop.models.keyed_table import Column, KeyedTableModel


@dataclass(frozen=True)
class RepositoryRow:
    key: str  # the repository name, as the catalog lists it


@dataclass(frozen=True)
class TagRow:
    key: str  # the tag
    rank: int  # its place in sort_tags order (latest, versions newest first, then names)


class RepositoriesModel(KeyedTableModel):
    columns = (Column("Repository", lambda r: r.key, lambda r: r.key.lower()),)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sort(0)

    def add(self, names: list[str]) -> None:
        """Names as a catalog page brings them; ones already listed stay."""
        self.update_rows([RepositoryRow(n) for n in names])

    def set_names(self, names: list[str]) -> None:
        self.apply([RepositoryRow(n) for n in names])

    def names(self) -> list[str]:
        return [r.key for r in self.rows()]


class RegistryTagsModel(KeyedTableModel):
    columns = (Column("Tag", lambda r: r.key, lambda r: r.rank),)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sort(0)

    def set_tags(self, tags: list[str]) -> None:
        self.apply([TagRow(t, i) for i, t in enumerate(sort_tags(tags))])

    def remove(self, tags: list[str]) -> None:
        self.update_rows([], removed_keys=tags)

    def tags(self) -> list[str]:
        return [r.key for r in self.rows()]


@dataclass(frozen=True)
class PlatformRow:
    key: str  # the platform's manifest digest
    platform: str  # "linux/arm64/v8"
    size: int | None
    position: int  # its place in the index


class PlatformsModel(KeyedTableModel):
    """The images of a multi-platform index, in the index's order."""

    PLATFORM, SIZE, DIGEST = range(3)
    columns = (
        Column("Platform", lambda r: r.platform, lambda r: r.position),
        Column("Size", lambda r: human_size(r.size) if r.size is not None else "unknown",
               lambda r: (r.size or 0, r.position), align_right=True,
               tooltip=lambda r: f"{r.size:,} bytes (config and layers, compressed)" if r.size is not None else ""),
        Column("Digest", lambda r: r.key, tooltip=lambda r: r.key),
    )

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sort(self.PLATFORM)

    def set_platforms(self, platforms) -> None:
        """*platforms*: the engine layer's Platform values of one ManifestInfo."""
        self.apply([PlatformRow(p.digest or f"#{i}", str(p) or "unknown", p.size, i) for i, p in enumerate(platforms)])
