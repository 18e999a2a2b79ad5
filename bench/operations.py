"""200 operations finishing within about a second: the longest GUI-thread stall while the activity
centre follows them, and whether its model ends complete (every operation listed, every one done).
They start at a steady pace (one every 5 ms), as a burst of real work would reach the centre.

Each operation is real engine work (an image inspect through the session's client) that reports
progress twice, run through the operations API as the actions do, with the activity centre shown
(offscreen) so its painting counts. Run as root: `.venv/bin/python bench/operations.py [--ops 200]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import Heartbeat, IsolatedEngine, spin, wait_for, write_result  # noqa: E402


def inspect_with_progress(ctx, factory, image):
    ctx.progress(0, 2, "Asking the engine", force=True)
    factory.client().api.inspect_image(image)
    ctx.progress(1, 2, "Read", force=True)
    return image


def bare_round(app, engine, image, ops: int, within: float, threads: int, beat_cls):
    """The floor: the same paced image inspects on plain Python threads (a client each, as Berth's
    workers have), with nothing on the GUI thread but the heartbeat. What the GUI thread waits here
    is the GIL and the CPUs taken by the requests themselves, not anything Berth does."""
    import queue
    import threading

    import docker

    from PySide6.QtCore import QTimer

    work: "queue.Queue[int | None]" = queue.Queue()
    done = []

    def worker():
        client = docker.APIClient(base_url=engine.docker_host, version="auto")
        while (item := work.get()) is not None:
            client.inspect_image(image)
            done.append(item)
        client.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    beat = beat_cls()
    beat.start()
    spin(app, 0.05)
    sent = [0]
    pace = QTimer()
    pace.setInterval(max(1, int(within * 1000 / ops)))

    def start_due():
        due = min(ops, int((time.perf_counter() - t0) / within * ops) + 1)
        while sent[0] < due:
            work.put(sent[0])
            sent[0] += 1
        if sent[0] == ops:
            pace.stop()

    pace.timeout.connect(start_due)
    t0 = time.perf_counter()
    pace.start()
    wait_for(app, lambda: len(done) == ops, timeout=60, interval_ms=5)
    finished = time.perf_counter() - t0
    spin(app, 0.2)
    stall = beat.stop()
    for _ in pool:
        work.put(None)
    for t in pool:
        t.join(10)
    return finished, stall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--within", type=float, default=1.0, help="seconds over which the operations start")
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication, QMainWindow
    from PySide6.QtCore import Qt, QTimer

    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import CONNECTED, EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.tasks.operations import Operation
    from desktop.ui.activity_panel import ActivityPanel

    app = QApplication.instance() or QApplication([])
    rows = []
    with IsolatedEngine(registry=False) as engine:
        image = engine.build_busybox_image("bench/ops:1")
        tasks = TaskManager(max_threads=int(os.environ.get("BERTH_BENCH_THREADS", "8")))
        session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
        session.start()
        wait_for(app, lambda: session.state == CONNECTED, timeout=30)
        window = QMainWindow()
        panel = ActivityPanel(tasks, window)
        panel.model.MAX_FINISHED = args.ops * args.rounds
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, panel)
        window.resize(1000, 700)
        window.show()
        spin(app, 0.5)
        floor = []
        for _ in range(args.rounds):
            floor.append(bare_round(app, engine, image, args.ops, args.within, tasks.pool.maxThreadCount(), Heartbeat))
            panel.model.clear_finished()
            beat = Heartbeat()
            beat.start()
            spin(app, 0.05)
            ops = []
            pace = QTimer()
            pace.setInterval(max(1, int(args.within * 1000 / args.ops)))  # 200 in a second: one every 5 ms

            def start_due():  # keeps the pace even when a tick comes late
                due = min(args.ops, int((time.perf_counter() - t0) / args.within * args.ops) + 1)
                while len(ops) < due:
                    ops.append(Operation(session, f"Inspecting {len(ops)}", inspect_with_progress, image).run())
                if len(ops) == args.ops:
                    pace.stop()

            pace.timeout.connect(start_due)
            t0 = time.perf_counter()
            pace.start()
            wait_for(app, lambda: len(ops) == args.ops, timeout=60, interval_ms=5)
            submit = time.perf_counter() - t0
            wait_for(app, lambda: all(t.state.done for t in ops), timeout=60, interval_ms=5)
            finished = time.perf_counter() - t0
            spin(app, 0.2)  # the last queued signals and paints
            stall = beat.stop()
            listed = panel.model.tasks()
            complete = len(listed) == args.ops and all(t.state.done for t in listed) and \
                all(t.state.value == "succeeded" for t in ops)
            rows.append((finished, stall, complete, submit))
        session.stop()
        tasks.shutdown(10000)
        window.close()

    stalls = [r[1] for r in rows]
    worst = max(stalls, key=float)
    text = f"""# 200 operations finishing at once

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; isolated dockerd.
{args.ops} operations (an image inspect each, two progress reports) started through the operations
API, one every {args.within * 1000 / args.ops:.0f} ms so that they finish within about {args.within:g} s, with the
activity centre shown offscreen; {args.rounds} rounds. The stall covers starting, progress and finishing.

| round | all started after | all finished after | longest GUI-thread stall | model complete |
| --- | --- | --- | --- | --- |
""" + "".join(f"| {n + 1} | {sub:.2f} s | {f:.2f} s | {s.describe()} | {'yes' if c else 'NO'} |\n"
              for n, (f, s, c, sub) in enumerate(rows)) + f"""
Median stall {statistics.median(float(s) for s in stalls) * 1000:.0f} ms; worst {worst.describe()}.
Goal: under 50 ms with the model complete.

The floor, alternating with Berth's rounds: the same inspects paced the same way on as many plain
Python threads, nothing on the GUI thread but the heartbeat (no Berth, no Qt work):

| round | all finished after | longest GUI-thread stall |
| --- | --- | --- |
""" + "".join(f"| {n + 1} | {f:.2f} s | {s.describe()} |\n" for n, (f, s) in enumerate(floor)) + f"""
Median floor stall {statistics.median(float(s) for _, s in floor) * 1000:.0f} ms.
"""
    path = write_result("operations", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
