"""Slots that die with their widget. A lambda connected to a task's signal has no receiver, so Qt
would still call it after the dialog it touches was closed and deleted ("Internal C++ object
already deleted"). ``while_alive(owner, fn)`` routes the call through a child of *owner*: when
the owner goes, Qt drops the connection with it."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject


class _Relay(QObject):
    def __init__(self, owner: QObject, fn: Callable):
        super().__init__(owner)
        self._fn = fn

    def call(self, *args) -> None:
        self._fn(*args)


def while_alive(owner: QObject, fn: Callable) -> Callable:
    """A slot calling *fn* for as long as *owner* exists."""
    return _Relay(owner, fn).call
