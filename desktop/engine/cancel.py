"""Cancellation without Qt: a worker checks the token between steps, and a blocking stream
registers a callback (usually its ``close``) so cancelling from another thread unblocks it."""

from __future__ import annotations

import threading
from typing import Callable

from desktop.engine.errors import Cancelled


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], object]] = []

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a close() racing with the stream's own end is harmless
                pass

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Run *callback* on cancel (at once if already cancelled); returns an unregister function."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def unregister() -> None:
                    with self._lock:
                        if callback in self._callbacks:
                            self._callbacks.remove(callback)

                return unregister
        callback()
        return lambda: None

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float) -> bool:
        """Sleep up to *timeout* seconds, waking early on cancel; True when cancelled."""
        return self._event.wait(timeout)
