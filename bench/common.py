"""Shared by the benchmarks: an isolated engine, timing of CLI commands and of Berth's start, and the
GUI-thread heartbeat and event-loop waits of the in-process benchmarks."""

from __future__ import annotations

import os
import selectors
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from isolated_engine import IsolatedEngine  # noqa: E402


def median_time(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_cli(engine: IsolatedEngine, *args: str, runs: int = 5) -> float:
    return median_time(lambda: subprocess.run(["docker", *args], env=engine.env, check=True,
                                              stdout=subprocess.DEVNULL), runs)


def berth_cold_start(docker_host: str, timeout: float = 120, extra_env: dict | None = None) -> tuple[float, int]:
    """Seconds from spawning Berth (offscreen) to its image list being populated, and the row count."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BERTH_READY_FILE="-", **(extra_env or {}))
    start = time.perf_counter()
    app = subprocess.Popen([sys.executable, "-m", "desktop", "-H", docker_host], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(app.stdout, selectors.EVENT_READ)
            while time.perf_counter() - start < timeout:
                if not sel.select(timeout):
                    break
                line = app.stdout.readline()
                if not line:
                    break
                if line.startswith("berth-ready"):
                    return time.perf_counter() - start, int(line.split()[1])
        raise RuntimeError("Berth never reported a populated window")
    finally:
        app.terminate()
        app.communicate(timeout=30)


def write_result(name: str, text: str) -> Path:
    path = ROOT / "bench" / "results" / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


class Heartbeat:
    """Records the longest gap between 5 ms timer ticks: how long the GUI thread was blocked."""

    def __init__(self):
        from PySide6.QtCore import QTimer
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.longest = 0.0

    def _tick(self):
        now = time.perf_counter()
        if self.last is not None:
            self.longest = max(self.longest, now - self.last)
        self.last = now

    def start(self):
        self.last, self.longest = None, 0.0
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.longest


def wait_for(app, predicate, timeout: float = 120.0):
    """Run the event loop until predicate() holds; TimeoutError after `timeout` seconds."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError
        app.processEvents()
        time.sleep(0.0005)


def spin(app, seconds: float):
    """Run the event loop for `seconds`."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.0005)
