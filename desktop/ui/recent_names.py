"""The repositories and registries a person used lately, kept in QSettings and offered as
completions in every field that takes an image name (tag and build dialogs)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QSettings, QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QWidget

from desktop.engine.reference import DEFAULT_DOMAIN, ImageReference, InvalidReference, parse_normalized

REPOSITORIES_KEY = "recent/repositories"
REGISTRIES_KEY = "recent/registries"
LIMIT = 20


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v]


class RecentNames:
    """Most recent first, at most LIMIT of each. Registries are the hosts of names that are not on
    Docker Hub (``localhost:5000``, ``registry.example.com``)."""

    def __init__(self, settings: QSettings | None = None, limit: int = LIMIT):
        self._settings = settings if settings is not None else QSettings()
        self._limit = limit

    def repositories(self) -> list[str]:
        return _as_list(self._settings.value(REPOSITORIES_KEY))

    def registries(self) -> list[str]:
        return _as_list(self._settings.value(REGISTRIES_KEY))

    def remember(self, references: Iterable[ImageReference | str]) -> None:
        repositories = self.repositories()
        registries = self.registries()
        for item in references:
            try:
                ref = item if isinstance(item, ImageReference) else parse_normalized(item)
            except InvalidReference:
                continue
            repositories = self._bump(repositories, ref.familiar_name())
            if ref.domain and ref.domain != DEFAULT_DOMAIN:
                registries = self._bump(registries, ref.domain)
        self._settings.setValue(REPOSITORIES_KEY, repositories)
        self._settings.setValue(REGISTRIES_KEY, registries)

    def _bump(self, names: list[str], name: str) -> list[str]:
        return ([name] + [n for n in names if n != name])[: self._limit]

    def completions(self, known: Iterable[str] = ()) -> list[str]:
        """Recent repositories, then registries (ending in "/", to go on typing a path), then the
        repositories the engine has."""
        items = self.repositories() + [f"{r}/" for r in self.registries()] + list(known)
        return list(dict.fromkeys(items))

    def completer(self, parent: QWidget, known: Iterable[str] = ()) -> QCompleter:
        """A completer over :meth:`completions`; refresh it with :func:`update_completer`."""
        completer = QCompleter(QStringListModel(self.completions(known), parent), parent)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        return completer

    def update_completer(self, completer: QCompleter, known: Iterable[str] = ()) -> None:
        model = completer.model()
        if isinstance(model, QStringListModel):
            model.setStringList(self.completions(known))
