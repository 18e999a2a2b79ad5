"""Images list at scale: 5,000 image tags and 1,000 containers in the isolated engine.

Measures, in one run and beside `docker images` / `docker ps -a` on the same engine:
- request to populated model (in process, offscreen), median of several refreshes into an empty model;
- the longest stall of the GUI thread during a refresh (a 5 ms QTimer heartbeat);
- how long until a `docker tag` made with the CLI shows in the model (event stream -> re-list).

Run as root: `.venv/bin/python bench/images_list.py [--tags 5000 --containers 1000]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import Heartbeat, IsolatedEngine, time_cli, wait_for, write_result  # noqa: E402


def populate(engine, tags: int, containers: int) -> str:
    import docker
    client = docker.DockerClient(base_url=engine.docker_host, timeout=300)
    base = engine.build_busybox_image("bench/base:0")
    for i in range(tags - 2):
        client.api.tag(base, f"bench/app{i // 50}", f"v{i}")
    for i in range(containers):
        client.api.create_container(base, command=["true"], name=f"bench-c{i}")
    client.close()
    return base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tags", type=int, default=5000)
    parser.add_argument("--containers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    app = QApplication([])
    with IsolatedEngine(registry=False) as engine:
        t0 = time.perf_counter()
        base = populate(engine, args.tags, args.containers)
        setup = time.perf_counter() - t0
        cli_images = time_cli(engine, "images", runs=args.runs)
        cli_ps = time_cli(engine, "ps", "-a", runs=args.runs)

        tasks = TaskManager()
        session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
        window = MainWindow(tasks, session)
        window.show()
        session.start()
        wait_for(app, lambda: window.workspace.images_feed.loaded_once and window.workspace.containers_feed.loaded_once)
        rows = window.workspace.images_model.rowCount()
        crow = window.workspace.containers_model.rowCount()

        beat = Heartbeat()
        populate_times, stalls, ctimes = [], [], []
        for _ in range(args.runs):
            for model in (window.workspace.images_model, window.workspace.containers_model):
                model.clear()
            app.processEvents()
            beat.start()
            start = time.perf_counter()
            window.workspace.images_feed.refresh()
            wait_for(app, lambda: window.workspace.images_model.rowCount() == rows, interval_ms=1)
            populate_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            window.workspace.containers_feed.refresh()
            wait_for(app, lambda: window.workspace.containers_model.rowCount() == crow, interval_ms=1)
            ctimes.append(time.perf_counter() - start)
            stalls.append(beat.stop())

        latencies = []
        for i in range(args.runs):
            name = f"bench/latency:{i}"
            start = time.perf_counter()
            subprocess.run(["docker", "tag", base, name], env=engine.env, check=True)
            cli_done = time.perf_counter()
            wait_for(app, lambda: any(r.repository == "bench/latency" and r.tag == str(i)
                                      for r in window.workspace.images_model.rows()[-50:]) or
                     window.workspace.images_model.row_for_key((base_id(window, base), "bench/latency", str(i))) >= 0, 30,
                     interval_ms=1)
            latencies.append(time.perf_counter() - cli_done)
        window.close()
        session.stop()
        tasks.shutdown(10000)

    populated = statistics.median(populate_times)
    cpop = statistics.median(ctimes)
    text = f"""# Images and containers lists at scale

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; isolated dockerd
with {rows} image rows and {crow} containers (set up in {setup:.0f} s). Medians of {args.runs} runs.

| measure | Berth | CLI | ratio |
| --- | --- | --- | --- |
| images: request to populated model | {populated * 1000:.0f} ms | `docker images` {cli_images * 1000:.0f} ms | {populated / cli_images:.2f}x |
| containers: request to populated model | {cpop * 1000:.0f} ms | `docker ps -a` {cli_ps * 1000:.0f} ms | {cpop / cli_ps:.2f}x |
| longest GUI-thread stall during a refresh (5 ms heartbeat) | {max(stalls) * 1000:.0f} ms (median {statistics.median(stalls) * 1000:.0f} ms) | | goal < 50 ms |
| CLI `docker tag` to row in the model | {statistics.median(latencies) * 1000:.0f} ms (worst {max(latencies) * 1000:.0f} ms) | | goal < 250 ms |

Goals: populated within 2x the CLI's time, stall under 50 ms, a CLI tag reflected in under 250 ms.
"""
    path = write_result("images_list", text)
    print(text)
    print(f"written to {path}")


_ids = {}


def base_id(window, base):
    if base not in _ids:
        for row in window.workspace.images_model.rows():
            if row.repository == "bench/base":
                _ids[base] = row.id
                break
    return _ids.get(base, "")


if __name__ == "__main__":
    main()
