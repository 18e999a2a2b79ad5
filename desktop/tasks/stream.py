"""The one way items a worker produces reach the GUI thread: engine events, log batches, stats
samples, shell output, build events.

``ItemPipe.put`` may be called from any thread; only the first put after the GUI thread took the
last batch emits a (queued) signal, so a burst of thousands of items costs the GUI thread one
wake-up per batch rather than one per item, with no timer. The consumer gets a list.

A stream that has something to say about itself rather than an item (the event stream or a shell
is open) puts ``OPENED`` through the same pipe, so it arrives in order with the items.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal


class _Opened:
    def __repr__(self) -> str:
        return "OPENED"


OPENED = _Opened()  # put by a stream once it is open, before its first item

class ItemPipe(QObject):
    """Create it on the GUI thread. Signals: ready() (internal: items are waiting)."""

    ready = Signal()

    def __init__(self, consumer: Callable[[list], Any], parent: QObject | None = None):
        super().__init__(parent)
        self._consumer = consumer
        self._lock = threading.Lock()
        self._items: list = []
        self.ready.connect(self.flush)

    def put(self, item: Any) -> None:  # any thread
        with self._lock:
            self._items.append(item)
            first = len(self._items) == 1
        if first:
            self.ready.emit()

    def take(self) -> list:
        with self._lock:
            items, self._items = self._items, []
        return items

    def flush(self) -> None:  # GUI thread
        items = self.take()
        if items:
            self._consumer(items)
