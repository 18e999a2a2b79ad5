"""Containers at scale: 1,000 containers (500 of them running busybox ``sleep``) in the isolated
engine, and a log that prints 10,000 lines a second.

Measures, in one run and beside ``docker ps -a`` on the same engine:
- request to populated containers model (in process, offscreen), median of several refreshes
  into an empty model, against the CLI's ``docker ps -a`` (goal: at most 2x);
- the longest stall of the GUI thread (a 5 ms QTimer heartbeat) while 100 containers start at
  once (from another process), until the list shows all of them running (goal: < 50 ms);
- following a log that prints about 10,000 lines a second in the Logs tab for a while: the
  longest GUI stall, lines shown per second, the process's CPU and how much its memory grew.

Run as root: ``.venv/bin/python bench/containers.py [--containers 1000 --running 500]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import Heartbeat, IsolatedEngine, spin, time_cli, wait_for, write_result  # noqa: E402

SLEEP = ["sleep", "100000"]
FLOOD = ["sh", "-c", "while true; do seq 1 1000; sleep 0.1; done"]  # about 10,000 lines a second


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# runs in a separate process, so its threads never compete with the GUI thread for the GIL
STARTER = textwrap.dedent("""
    import sys, docker
    from concurrent.futures import ThreadPoolExecutor
    import threading
    local = threading.local()
    def start(name):
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = docker.DockerClient(base_url=sys.argv[1], timeout=300)
        client.api.start(name)
    names = sys.argv[2:]
    with ThreadPoolExecutor(len(names)) as pool:
        list(pool.map(start, names))
""")


# a bare Qt process with the same 5 ms heartbeat, run beside Berth during the burst: how long the
# machine itself (2 cores, 100 runc starts) keeps any process from running, Berth or not
BASELINE = textwrap.dedent("""
    import sys, time
    from PySide6.QtCore import QCoreApplication, QTimer
    app = QCoreApplication([])
    state = {"last": None, "longest": 0.0}
    def tick():
        now = time.perf_counter()
        if state["last"] is not None and now - state["last"] > state["longest"]:
            state["longest"] = now - state["last"]
            print(state["longest"], flush=True)
        state["last"] = now
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    print("ready", flush=True)
    app.exec()
""")


def populate(engine, total: int, running: int, burst: int) -> tuple[str, float]:
    import docker
    from concurrent.futures import ThreadPoolExecutor
    import threading

    base = engine.ensure_busybox_base()
    started = time.perf_counter()
    client = docker.DockerClient(base_url=engine.docker_host, timeout=300)
    for i in range(total):
        client.api.create_container(base, command=SLEEP, name=f"bench-c{i}", host_config={"AutoRemove": False})
    for i in range(burst):
        client.api.create_container(base, command=SLEEP, name=f"bench-burst{i}")
    client.close()
    local = threading.local()

    def start(i):
        c = getattr(local, "client", None)
        if c is None:
            c = local.client = docker.DockerClient(base_url=engine.docker_host, timeout=300)
        c.api.start(f"bench-c{i}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, range(running)))
    return base, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=1000)
    parser.add_argument("--running", type=int, default=500)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--flood-seconds", type=float, default=10.0)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.container_details import LOGS
    from desktop.ui.main_window import MainWindow

    app = QApplication([])
    with IsolatedEngine(registry=False) as engine:
        base, setup = populate(engine, args.containers, args.running, args.burst)
        cli_ps = time_cli(engine, "ps", "-a", runs=args.runs)

        tasks = TaskManager()
        session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
        window = MainWindow(tasks, session)
        view = window.containers_view
        pane = window.container_details  # the window's own pane
        window.resize(1280, 900)
        window.show()
        session.start()
        wait_for(app, lambda: window.containers_feed.loaded_once, 300)
        window.sidebar.setCurrentRow(1)  # the containers view on screen (its usage sampler runs)
        model = window.containers_model
        rows = model.rowCount()

        # 1. list population beside docker ps -a
        beat = Heartbeat()
        populate_times, refresh_stalls = [], []
        for _ in range(args.runs):
            model.clear()
            app.processEvents()
            beat.start()
            start = time.perf_counter()
            window.containers_feed.refresh()
            wait_for(app, lambda: model.rowCount() == rows, 300)
            populate_times.append(time.perf_counter() - start)
            spin(app, 0.2)  # the heartbeat spans the whole refresh and what it triggers
            refresh_stalls.append(beat.stop())

        # 2. 100 containers start at once, from another process
        spin(app, 3)  # let the sampler settle
        burst = [f"bench-burst{i}" for i in range(args.burst)]
        baseline = subprocess.Popen([sys.executable, "-c", BASELINE], stdout=subprocess.PIPE, text=True)
        assert baseline.stdout.readline().strip() == "ready"
        beat.start()
        start = time.perf_counter()
        starter = subprocess.Popen([sys.executable, "-c", STARTER, engine.docker_host, *burst])
        wait_for(app, lambda: starter.poll() is not None and all(
            r.state == "running" for r in model.rows() if r.name.startswith("bench-burst")), 300)
        burst_seconds = time.perf_counter() - start
        burst_stall = beat.stop()
        baseline.terminate()
        baseline_stall = max([0.0] + [float(line) for line in baseline.communicate(timeout=30)[0].split()])
        running_now = sum(1 for r in model.rows() if r.state == "running")

        # 3. a log that prints 10,000 lines a second, followed in the Logs tab
        engine.cli("run", "-d", "--name", "bench-flood", base, *FLOOD)
        wait_for(app, lambda: any(r.name == "bench-flood" for r in model.rows()), 300)
        flood_id = next(r.id for r in model.rows() if r.name == "bench-flood")
        pane.tabs.setCurrentIndex(LOGS)
        view.select_keys([flood_id])
        wait_for(app, lambda: pane.log_view.buffer.received > 0, 30)
        spin(app, 2)  # warm up: the buffer fills to its bound
        log = pane.log_view
        memory_before = rss_mb()
        received_before = log.buffer.received + log.buffer.dropped
        cpu_before = time.process_time()
        beat.start()
        start = time.perf_counter()
        spin(app, args.flood_seconds)
        elapsed = time.perf_counter() - start
        flood_stall = beat.stop()
        cpu = time.process_time() - cpu_before
        lines = log.buffer.received + log.buffer.dropped - received_before
        memory_after = rss_mb()
        shown = log.line_count()
        engine_lines = int(engine.cli("logs", "bench-flood").stdout.count("\n"))

        window.close()
        session.stop()
        tasks.shutdown(10000)

    populated = statistics.median(populate_times)
    text = f"""# Containers at scale

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; isolated dockerd
with {rows} containers, {args.running} of them running busybox `sleep` (set up in {setup:.0f} s).
Medians of {args.runs} runs. The Containers view is on screen throughout (its CPU/memory sampler runs).

| measure | Berth | CLI / goal |
| --- | --- | --- |
| containers: request to populated model | {populated * 1000:.0f} ms | `docker ps -a` {cli_ps * 1000:.0f} ms ({populated / cli_ps:.2f}x; goal at most 2x) |
| longest GUI-thread stall during a refresh (5 ms heartbeat) | {max(refresh_stalls) * 1000:.0f} ms (median {statistics.median(refresh_stalls) * 1000:.0f} ms) | goal < 50 ms |
| {args.burst} containers started at once (another process): longest GUI stall until the list shows them all running | {burst_stall * 1000:.0f} ms ({burst_seconds:.1f} s until all {args.burst} showed running; {running_now} running at the end) | goal < 50 ms; a bare Qt process beside it stalled {baseline_stall * 1000:.0f} ms |
| following a log printing ~10,000 lines/s for {elapsed:.0f} s: longest GUI stall | {flood_stall * 1000:.0f} ms | goal < 50 ms |
| ... lines received by the Logs tab | {lines / elapsed:,.0f} lines/s ({lines:,} in all; the engine logged {engine_lines:,} lines since the start) | |
| ... Berth's CPU while following (all threads) | {100 * cpu / elapsed:.0f} % of one core | |
| ... memory | {memory_before:.0f} MB before, {memory_after:.0f} MB after ({memory_after - memory_before:+.0f} MB); the view keeps {shown:,} lines (its bound) | bounded |
"""
    path = write_result("containers", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
