"""Python threads that run tasks from a queue.

Handing a task to ``QThreadPool.start`` releases the GIL around the call; a woken worker takes it
at once and the GUI thread then waits for it back, about a millisecond each time — with 200
operations a second that kept the GUI thread from ticking for 50 ms and more. Here handing over is
an append under a lock, and the GUI thread keeps the GIL until it next waits anyway; a new
thread is started without waiting for it to run (threads are daemonic: quitting never waits on a
request no cancel reaches). Signals the
tasks emit from these threads reach the GUI thread queued, as from any thread.

The interface is the few calls Berth used of QThreadPool: ``start``, ``maxThreadCount``,
``activeThreadCount``, ``waitForDone``. Idle threads end after ``EXPIRY_S``.
"""

from __future__ import annotations

import _thread
import logging
import threading
import time
from collections import deque

log = logging.getLogger(__name__)


class WorkerPool:
    EXPIRY_S = 30.0

    def __init__(self, max_threads: int, name: str):
        self._max = max(1, max_threads)
        self._name = name
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # work for an idle thread
        self._quiet = threading.Condition(self._lock)  # nothing runs or waits any more
        self._queue: deque = deque()
        self._threads = 0
        self._idle = 0
        self._active = 0

    def maxThreadCount(self) -> int:  # noqa: N802 - QThreadPool's name, which callers use
        return self._max

    def start(self, task) -> None:
        with self._cond:
            self._queue.append(task)
            if self._idle > len(self._queue) - 1:
                self._cond.notify()
                return
            if self._threads >= self._max:
                return  # queued: the next free thread takes it
            self._threads += 1
        # not threading.Thread.start: it waits until the new thread has run, which hands it the GIL
        # and leaves the GUI thread waiting to get it back (10 ms and more while workers are busy)
        _thread.start_new_thread(self._work, ())

    def activeThreadCount(self) -> int:  # noqa: N802
        """Tasks running or waiting for a thread."""
        with self._lock:
            return self._active + len(self._queue)

    def waitForDone(self, timeout_ms: int = -1) -> bool:  # noqa: N802
        """Wait until no task runs or waits (at most *timeout_ms*; -1: for ever)."""
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        with self._lock:
            while self._active or self._queue:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._quiet.wait(left)
            return True

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._idle += 1
                    woken = self._cond.wait(self.EXPIRY_S)
                    self._idle -= 1
                    if not woken and not self._queue:
                        self._threads -= 1
                        return
                task = self._queue.popleft()
                self._active += 1
            try:
                task.run()
            except BaseException:  # noqa: BLE001 - Task.run reports its own failures; a thread must survive any
                log.exception("a task raised out of its run()")
            finally:
                with self._lock:
                    self._active -= 1
                    if not self._active and not self._queue:
                        self._quiet.notify_all()
