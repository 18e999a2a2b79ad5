"""Shared by the benchmarks: an isolated engine, timing of CLI commands and of Berth's start."""

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
