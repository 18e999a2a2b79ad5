"""Item models of the registry browser: a registry's repositories, and one repository's tags.
Both keep their rows by name and change row by row (a catalog page appends, a deleted tag goes
alone), so the selection and scroll position survive a reload."""

from __future__ import annotations

from dataclasses import dataclass

from desktop.engine.registry_client import sort_tags
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
