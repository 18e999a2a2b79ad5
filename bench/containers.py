"""Containers at scale: 1,000 containers (500 of them running busybox ``sleep``) in the isolated
engine, and a log that prints 10,000 lines a second.

Measures, in one run and beside ``docker ps -a`` on the same engine:
- request to populated containers model (in process, offscreen), median of several refreshes
  into an empty model, against the CLI's ``docker ps -a`` (goal: at most 2x);
- the longest stall of the GUI thread (a 5 ms QTimer heartbeat) while 100 containers start at
  once (from another process), until the list shows all of them running (goal: < 50 ms), in a
  few rounds, beside bare Qt processes with the same heartbeat (at normal and, as root, real-time
  priority) that show how long this machine keeps any process from running, and split into the
  GUI thread's own work, its wait for a free CPU and its other waits (the GIL). As root, the
  rounds run twice: with every process in one CPU group (this machine's layout) and with the
  engine, the starter and each app in a group of its own (systemd's layout on a Linux desktop);
- following a log that prints about 10,000 lines a second in the Logs tab for a while: the
  longest GUI stall, lines shown per second, the process's CPU and how much its memory grew.

Run as root: ``.venv/bin/python bench/containers.py [--containers 1000 --running 500]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import textwrap
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import (CpuGroup, Heartbeat, IsolatedEngine, parent_pid, spin, time_cli, wait_for,  # noqa: E402
                    write_result)

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


# a bare Qt process with the same 5 ms heartbeat (common.Heartbeat), run beside Berth during the
# burst: how long the machine itself (2 cores, 100 runc starts) keeps any process from running,
# Berth or not. Stopped with SIGTERM, it prints its longest gap and how much of that gap it waited
# for a free CPU.
BASELINE = textwrap.dedent(f"""
    import os, signal, sys
    sys.path.insert(0, {str(os.path.dirname(os.path.abspath(__file__)))!r})
    from PySide6.QtCore import QCoreApplication
    from common import Heartbeat
    if sys.argv[1:] == ["realtime"]:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
    app = QCoreApplication([])
    beat = Heartbeat()
    def report(*_):
        stall = beat.stop()
        print(float(stall), stall.run_delay, flush=True)
        app.quit()
    signal.signal(signal.SIGTERM, report)  # runs on the next tick, in the event loop
    beat.start()
    print("ready", flush=True)
    app.exec()
""")


def populate(engine, total: int, running: int) -> tuple[str, float]:
    import docker
    from concurrent.futures import ThreadPoolExecutor
    import threading

    base = engine.ensure_busybox_base()
    started = time.perf_counter()
    client = docker.DockerClient(base_url=engine.docker_host, timeout=300)
    for i in range(total):
        client.api.create_container(base, command=SLEEP, name=f"bench-c{i}", host_config={"AutoRemove": False})
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


LAYOUTS = ("shared", "desktop")
LAYOUT_TEXT = {
    "shared": "every process in one CPU group (how this machine runs: each dockerd, containerd and runc "
              "thread competes with Berth's GUI thread one to one)",
    "desktop": "the engine, the program starting the containers and each app in a CPU group of its own "
               "(as systemd places docker.service and desktop apps)",
}


def place(layout: str, engine) -> dict:
    """CPU groups for the "desktop" layout: the engine's processes now, the others as they start."""
    if layout != "desktop":
        return {}
    groups = {name: CpuGroup(f"berth-bench-{name}-{os.getpid()}") for name in ("engine", "starter", "berth", "bare")}
    groups["root"] = CpuGroup("")
    groups["engine"].add_tree(parent_pid(engine.pid))  # the launcher: dockerd, containerd, the shims
    groups["berth"].add(os.getpid())
    return groups


def spawn(args: list[str], group: "CpuGroup | None", **kw) -> subprocess.Popen:
    if group is not None:
        # join the group before exec, so not one instruction runs outside it
        args = ["sh", "-c", f'echo $$ > {group.path}/cgroup.procs && exec "$0" "$@"', *args]
    return subprocess.Popen(args, **kw)


def burst_round(app, engine, model, beat, label: str, count: int, groups: dict) -> dict:
    """Create *count* containers, then start them all at once from another process while bare Qt
    processes (one at normal, one at real-time priority) tick beside Berth; remove them again."""
    import docker

    base = engine.ensure_busybox_base()
    client = docker.DockerClient(base_url=engine.docker_host, timeout=300)
    names = [f"bench-burst-{label}-{i}" for i in range(count)]
    for name in names:
        client.api.create_container(base, command=SLEEP, name=name)
    mine = set(names)
    wait_for(app, lambda: sum(r.name in mine for r in model.rows()) == count, 300)
    spin(app, 3)  # the rechecks and the usage sampler settle
    bare = {}
    try:
        for kind in ("normal", "realtime") if os.geteuid() == 0 else ("normal",):
            # a group of its own gets no real-time budget (cpu.rt_runtime_us 0): that one runs in the root
            group = groups.get("bare") if kind == "normal" else groups.get("root")
            bare[kind] = spawn([sys.executable, "-c", BASELINE, kind], group, stdout=subprocess.PIPE, text=True)
            assert bare[kind].stdout.readline().strip() == "ready", f"the {kind} bare Qt process did not start"
        beat.start()
        start = time.perf_counter()
        starter = spawn([sys.executable, "-c", STARTER, engine.docker_host, *names], groups.get("starter"))
        wait_for(app, lambda: starter.poll() is not None and all(
            r.state == "running" for r in model.rows() if r.name in mine), 300)
        result = {"seconds": time.perf_counter() - start, "stall": beat.stop(), "app_share": beat.max_app_share}
        for kind, process in bare.items():
            process.terminate()
            reports = [line.split() for line in process.communicate(timeout=30)[0].splitlines() if line.strip()]
            result[kind] = (float(reports[-1][0]), float(reports[-1][1])) if reports else (0.0, 0.0)
    finally:
        for process in bare.values():
            process.kill()
            process.wait()
    for name in names:
        client.api.remove_container(name, force=True)
    client.close()
    wait_for(app, lambda: not any(r.name in mine for r in model.rows()), 300)
    return result


def burst_text(layout: str, rounds: list[dict], count: int) -> str:
    ms = lambda seconds: f"{seconds * 1000:.0f}"  # noqa: E731
    worst = max(rounds, key=lambda r: r["stall"])
    berth = " / ".join(ms(r["stall"]) for r in rounds)
    bare = " / ".join(ms(r["normal"][0]) for r in rounds)
    realtime = " / ".join(ms(r["realtime"][0]) for r in rounds if "realtime" in r)
    seconds = " / ".join(f"{r['seconds']:.1f}" for r in rounds)
    own = " / ".join(ms(r["app_share"]) for r in rounds)
    text = (f"| {count} containers started at once by another process, {LAYOUT_TEXT[layout]}: longest GUI stall "
            f"until the list shows them all running ({seconds} s), {len(rounds)} rounds | {berth} ms; worst "
            f"{worst['stall'].describe()} | goal < 50 ms; a bare Qt process beside it: {bare} ms")
    if realtime:
        text += f"; the same at real-time priority: {realtime} ms"
    text += " |\n"
    text += (f"| ... the longest Berth itself kept its GUI thread from ticking (a gap minus the thread's wait for a "
             f"free CPU), per round | {own} ms | goal < 50 ms |\n")
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=1000)
    parser.add_argument("--running", type=int, default=500)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--burst-rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--flood-seconds", type=float, default=10.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up (CPU groups, the engine) when stopped

    from PySide6.QtWidgets import QApplication
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.container_details import LOGS
    from desktop.ui.main_window import MainWindow

    app = QApplication([])
    with IsolatedEngine(registry=False) as engine:
        base, setup = populate(engine, args.containers, args.running)
        cli_ps = time_cli(engine, "ps", "-a", runs=args.runs)

        tasks = TaskManager()
        session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
        window = MainWindow(tasks, session)
        view = window.workspace.containers_view
        pane = window.workspace.container_details  # the window's own pane
        window.resize(1280, 900)
        window.show()
        session.start()
        wait_for(app, lambda: window.workspace.containers_feed.loaded_once, 300)
        window.sidebar.setCurrentRow(1)  # the containers view on screen (its usage sampler runs)
        model = window.workspace.containers_model
        rows = model.rowCount()

        # 1. list population beside docker ps -a
        beat = Heartbeat()
        populate_times, refresh_stalls = [], []
        for _ in range(args.runs):
            model.clear()
            app.processEvents()
            beat.start()
            start = time.perf_counter()
            window.workspace.containers_feed.refresh()
            wait_for(app, lambda: model.rowCount() == rows, 300, interval_ms=1)
            populate_times.append(time.perf_counter() - start)
            spin(app, 0.2)  # the heartbeat spans the whole refresh and what it triggers
            refresh_stalls.append(beat.stop())

        # 2. 100 containers start at once, from another process; rounds in two CPU layouts
        burst_rounds = {}
        for layout in LAYOUTS if CpuGroup.available() else LAYOUTS[:1]:
            groups = place(layout, engine)
            try:
                burst_rounds[layout] = [burst_round(app, engine, model, beat, f"{layout}{i}", args.burst, groups)
                                        for i in range(args.burst_rounds)]
            finally:
                for group in groups.values():
                    group.release()
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
{''.join(burst_text(layout, rounds, args.burst) for layout, rounds in burst_rounds.items())}| following a log printing ~10,000 lines/s for {elapsed:.0f} s: longest GUI stall | {flood_stall * 1000:.0f} ms | goal < 50 ms |
| ... lines received by the Logs tab | {lines / elapsed:,.0f} lines/s ({lines:,} in all; the engine logged {engine_lines:,} lines since the start) | |
| ... Berth's CPU while following (all threads) | {100 * cpu / elapsed:.0f} % of one core | |
| ... memory | {memory_before:.0f} MB before, {memory_after:.0f} MB after ({memory_after - memory_before:+.0f} MB); the view keeps {shown:,} lines (its bound) | bounded |
"""
    path = write_result("containers", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
