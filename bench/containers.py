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
  longest GUI stall, lines shown per second, the process's CPU and how much its memory grew;
  once with plain lines and once with every line coloured (two SGR colours, as logging
  libraries write them), since colour codes are decoded and shown as colours.

Run as root: ``.venv/bin/python bench/containers.py [--containers 1000 --running 500]``.
``--only logs`` runs just the log part (no containers, no burst) and adds its numbers to
``results/containers.md`` under a dated heading instead of rewriting the file; ``--only render
[--write]`` measures, without an engine, the CPU the reader and the GUI thread spend per line.
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

from common import (ROOT, CpuGroup, Heartbeat, IsolatedEngine, parent_pid, spin, time_cli,  # noqa: E402
                    wait_for, write_result)

ROOT_RESULTS = ROOT / "bench" / "results"

SLEEP = ["sleep", "100000"]
FLOOD = ["sh", "-c", "while true; do seq 1 1000; sleep 0.1; done"]  # about 10,000 lines a second
# the same with colour codes on every line: "\e[32mINFO\e[0m line N \e[1;31mhot\e[0m"
COLOURED_FLOOD = ["sh", "-c", "E=$(printf '\\033'); while true; do seq 1 1000 | "
                  "sed \"s/.*/$E[32mINFO$E[0m line & $E[1;31mhot$E[0m/\"; sleep 0.1; done"]
FLOODS = {"plain": FLOOD, "coloured": COLOURED_FLOOD}


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


def follow_flood(app, engine, window, base: str, kind: str, seconds: float) -> dict:
    """Follow a container printing about 10,000 lines a second in the Logs tab for *seconds*."""
    from desktop.ui.container_details import LOGS

    name = f"bench-flood-{kind}"
    model, pane = window.workspace.containers_model, window.workspace.container_details
    engine.cli("run", "-d", "--name", name, base, *FLOODS[kind])
    wait_for(app, lambda: any(r.name == name for r in model.rows()), 300)
    flood_id = next(r.id for r in model.rows() if r.name == name)
    pane.tabs.setCurrentIndex(LOGS)
    window.workspace.containers_view.select_keys([flood_id])
    log = pane.log_view
    wait_for(app, lambda: pane.title.text() == name and log.buffer.received > 0, 30)
    spin(app, 2)  # warm up: the buffer fills to its bound
    beat = Heartbeat()
    memory_before = rss_mb()
    received_before = log.buffer.received + log.buffer.dropped
    cpu_before = time.process_time()
    beat.start()
    start = time.perf_counter()
    spin(app, seconds)
    elapsed = time.perf_counter() - start
    stall = beat.stop()
    cpu = time.process_time() - cpu_before
    lines = log.buffer.received + log.buffer.dropped - received_before
    memory_after = rss_mb()
    shown = log.line_count()
    raw_codes = "\x1b" in log.plain_text()
    engine_lines = int(engine.cli("logs", name).stdout.count("\n"))
    engine.cli("rm", "-f", name)
    return {"kind": kind, "elapsed": elapsed, "stall": stall, "app_share": beat.max_app_share,
            "lines": lines, "cpu": cpu,
            "memory_before": memory_before, "memory_after": memory_after, "shown": shown,
            "engine_lines": engine_lines, "raw_codes": raw_codes}


def flood_rows(flood: dict) -> str:
    kind = "plain lines" if flood["kind"] == "plain" else "every line coloured (2 SGR colours)"
    elapsed, lines = flood["elapsed"], flood["lines"]
    codes = "; raw escape codes shown in the view" if flood["raw_codes"] else ""
    return (f"| following a log printing ~10,000 lines/s, {kind}, for {elapsed:.0f} s: longest GUI stall "
            f"| {flood['stall'] * 1000:.0f} ms ({flood['stall'].describe()}) | goal < 50 ms |\n"
            f"| ... lines received by the Logs tab | {lines / elapsed:,.0f} lines/s ({lines:,} in all; the engine "
            f"logged {flood['engine_lines']:,} lines since the start{codes}) | |\n"
            f"| ... Berth's CPU while following (all threads) | {100 * flood['cpu'] / elapsed:.0f} % of one core | |\n"
            f"| ... memory | {flood['memory_before']:.0f} MB before, {flood['memory_after']:.0f} MB after "
            f"({flood['memory_after'] - flood['memory_before']:+.0f} MB); the view keeps {flood['shown']:,} lines "
            f"(its bound) | bounded |\n")


def render_cost(app, lines_per_batch: int = 500, batches: int = 100) -> dict:
    """Berth's own work for a followed log, without an engine or the machine's load in the way:
    engine-style frames through the reader's line splitter (which decodes colour codes), then
    batches of *lines_per_batch* lines (50 ms of a 10,000 lines/s log) appended to a shown Logs
    view, with the event processing (layout, paint) each one causes. CPU time of this thread,
    per line and per batch, for plain and for coloured lines."""
    from desktop.engine.logs import STDOUT, LineSplitter, LogBatch
    from desktop.ui.log_view import LogView

    samples = {
        "plain": "{n}",
        "coloured": "\x1b[32mINFO\x1b[0m line {n} \x1b[1;31mhot\x1b[0m",
        "app-log": "2026-12-01 21:00:00,123 \x1b[1m\x1b[34mINFO\x1b[0m \x1b[36mweb.request\x1b[0m GET /api/items/{n} "
                   "200 \x1b[2m12 ms\x1b[0m",
    }
    results = {}
    for kind, pattern in samples.items():
        view = LogView()
        view.resize(1000, 700)
        view.show()
        app.processEvents()
        splitter = LineSplitter()
        split_cpu, batch_cpu, batch_wall = 0.0, [], []
        n = 0
        for _ in range(batches):
            frames = []
            for _ in range(lines_per_batch):
                frames.append(f"2026-12-01T21:00:00.{n:09d}Z {pattern.format(n=n)}\n".encode())
                n += 1
            cpu = time.thread_time()
            lines = []
            for frame in frames:
                lines.extend(splitter.feed_frame(STDOUT, frame))
            split_cpu += time.thread_time() - cpu
            wall, cpu = time.perf_counter(), time.thread_time()
            view.append_batch(LogBatch(tuple(lines)))
            app.processEvents()
            batch_cpu.append(time.thread_time() - cpu)
            batch_wall.append(time.perf_counter() - wall)
        results[kind] = {"split_us": split_cpu / n * 1e6, "batch_cpu_median": statistics.median(batch_cpu),
                         "batch_cpu_max": max(batch_cpu), "batch_wall_max": max(batch_wall),
                         "per_line_us": sum(batch_cpu) / n * 1e6, "shown": view.line_count(),
                         "raw_codes": "\x1b" in view.plain_text()}
        view.close()
        view.deleteLater()
        app.processEvents()
    return results


def render_only(app, args) -> None:
    results = render_cost(app)
    label = f" ({args.label})" if args.label else ""
    rows = "".join(
        f"| {kind} | {r['split_us']:.1f} µs | {r['per_line_us']:.1f} µs | {r['batch_cpu_median'] * 1000:.1f} / "
        f"{r['batch_cpu_max'] * 1000:.1f} ms | {r['batch_wall_max'] * 1000:.1f} ms | "
        f"{'text' if kind == 'plain' else 'raw codes' if r['raw_codes'] else 'colours'} |\n"
        for kind, r in results.items())
    text = (f"\n## Cost of showing a followed log, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC{label}\n\n"
            "`bench/containers.py --only render`: 100 batches of 500 lines (50 ms of a 10,000 lines/s log) through "
            "the reader's line splitter and into a shown Logs view, CPU time of the one thread (so the machine's "
            "load counts little). Lines: `plain` is `seq`, `coloured` is `\\e[32mINFO\\e[0m line N "
            "\\e[1;31mhot\\e[0m`, `app-log` a logging line with four styles.\n\n"
            "| lines | reader: split and decode, per line | GUI: append and paint, per line | GUI per batch, median / "
            "max (CPU) | GUI per batch, max (wall) | shown as |\n| --- | --- | --- | --- | --- | --- |\n" + rows)
    path = ROOT_RESULTS / "containers.md"
    if args.write:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    print(text)


def logs_only(app, args) -> None:
    """Just the log part: a window on an engine with no other containers, each flood in turn."""
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    with IsolatedEngine(registry=False) as engine:
        base = engine.ensure_busybox_base()
        tasks = TaskManager()
        session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
        window = MainWindow(tasks, session)
        window.resize(1280, 900)
        window.show()
        session.start()
        wait_for(app, lambda: window.workspace.containers_feed.loaded_once and window.workspace.images_feed.loaded_once,
                 300)
        import desktop.app

        desktop.app.freeze_startup_objects()  # as Berth's main does once its first list is shown
        window.sidebar.setCurrentRow(1)
        floods = [follow_flood(app, engine, window, base, kind, args.flood_seconds) for kind in args.floods]
        window.close()
        session.stop()
        tasks.shutdown(10000)
    label = f" ({args.label})" if args.label else ""
    text = (f"\n## Following a log, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC{label}\n\n"
            f"`bench/containers.py --only logs`: an engine with no other containers, the Containers view on "
            f"screen. Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.\n\n"
            "| measure | Berth | goal |\n| --- | --- | --- |\n" + "".join(flood_rows(f) for f in floods))
    path = ROOT_RESULTS / "containers.md"
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)
    print(text)
    print(f"added to {path}")


class _CliEngine:
    """What follow_flood needs of an engine, in a child process: its host and its CLI (the
    parent's IsolatedEngine put DOCKER_HOST and DOCKER_CONFIG in this process's environment)."""

    def __init__(self):
        self.docker_host = os.environ["DOCKER_HOST"]

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, timeout=300)


def child(app, args) -> None:
    """One measurement in a process of its own, with Berth imported from BERTH_BENCH_ROOT (the
    checkout under test): ``logs`` follows one flood, ``render`` measures the per-line costs.
    Prints one JSON line for the parent."""
    import json

    if args.child == "render":
        print("RESULT " + json.dumps(render_cost(app)), flush=True)
        return
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    engine = _CliEngine()
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    window.resize(1280, 900)
    window.show()
    session.start()
    wait_for(app, lambda: window.workspace.containers_feed.loaded_once and window.workspace.images_feed.loaded_once,
             300)
    import desktop.app

    if hasattr(desktop.app, "freeze_startup_objects"):
        desktop.app.freeze_startup_objects()  # as Berth's main does once its first list is shown
    window.sidebar.setCurrentRow(1)
    flood = follow_flood(app, engine, window, args.base, args.floods[0], args.flood_seconds)
    window.close()
    session.stop()
    tasks.shutdown(10000)
    stall = flood.pop("stall")
    flood.update(stall=float(stall), stall_cpu=stall.cpu, stall_run_delay=stall.run_delay)
    print("RESULT " + json.dumps(flood), flush=True)


def run_child(root, env: dict, *child_args: str) -> dict:
    import json

    out = subprocess.run([sys.executable, os.path.abspath(__file__), *child_args],
                         env=dict(env, BERTH_BENCH_ROOT=str(root), PYTHONPATH=str(root)),
                         capture_output=True, text=True, timeout=900)
    results = [line[len("RESULT "):] for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if not results:
        raise RuntimeError(f"the measurement in {root} failed:\n{out.stderr[-3000:]}")
    return json.loads(results[-1])


def compare(args) -> None:
    """Old against new in the same run: each measurement in a fresh process per checkout,
    alternating, medians. ``--only logs``: the live follow on one isolated engine; ``--only
    render``: the per-line CPU of the reader and the GUI thread."""
    from pathlib import Path

    checkouts = {"before": Path(args.compare).resolve(), "after": ROOT}
    runs: dict = {name: {kind: [] for kind in args.floods} for name in checkouts}
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.only == "render":
        for _ in range(args.rounds):
            for name, root in checkouts.items():
                runs[name]["render"] = runs[name].get("render", []) + [
                    run_child(root, dict(os.environ), "--child", "render")]
        text = _render_compare_text(runs, args, load_before)
    else:
        with IsolatedEngine(registry=False) as engine:
            base = engine.ensure_busybox_base()
            for _ in range(args.rounds):
                for kind in args.floods:
                    for name, root in checkouts.items():
                        runs[name][kind].append(run_child(
                            root, engine.env, "--child", "logs", "--base", base, "--floods", kind,
                            "--flood-seconds", str(args.flood_seconds)))
        text = _logs_compare_text(runs, args, load_before)
    with open(ROOT_RESULTS / "containers.md", "a", encoding="utf-8") as f:
        f.write(text)
    print(text)


def _median(values) -> float:
    return statistics.median(list(values))


def _logs_compare_text(runs: dict, args, load_before: str) -> str:
    label = f" ({args.label})" if args.label else ""
    ms = lambda seconds: f"{seconds * 1000:.0f}"  # noqa: E731
    rows = []
    for kind in args.floods:
        what = "plain lines" if kind == "plain" else "every line coloured (2 SGR colours)"
        cells = {}
        for name, results in runs.items():
            rs = results[kind]
            cells[name] = {
                "stall": f"{ms(_median(r['stall'] for r in rs))} ms ({' / '.join(ms(r['stall']) for r in rs)})",
                "app": f"{ms(_median(r['app_share'] for r in rs))} ms ({' / '.join(ms(r['app_share']) for r in rs)})",
                "own": f"{ms(_median(r['stall_cpu'] for r in rs))} ms own work, {ms(_median(r['stall_run_delay'] for r in rs))} ms "
                       f"waiting for a CPU, {ms(_median(max(0.0, r['stall'] - r['stall_cpu'] - r['stall_run_delay']) for r in rs))} ms other",
                "lines": f"{_median(r['lines'] / r['elapsed'] for r in rs):,.0f} lines/s",
                "cpu": f"{_median(100 * r['cpu'] / r['elapsed'] for r in rs):.0f} % of one core",
                "memory": f"{_median(r['memory_after'] - r['memory_before'] for r in rs):+.0f} MB "
                          f"({_median(r['shown'] for r in rs):,.0f} lines kept)",
            }
        b, a = cells["before"], cells["after"]
        rows += [
            f"| {what}: longest GUI stall, median (each run) | {b['stall']} | {a['stall']} | < 50 ms |",
            f"| ... that longest gap: median split | {b['own']} | {a['own']} | |",
            f"| ... the longest Berth kept its GUI thread from ticking (a gap minus its wait for a CPU) | {b['app']} | {a['app']} | < 50 ms |",
            f"| ... lines received by the Logs tab | {b['lines']} | {a['lines']} | |",
            f"| ... Berth's CPU while following | {b['cpu']} | {a['cpu']} | |",
            f"| ... memory | {b['memory']} | {a['memory']} | bounded |",
        ]
    return (f"\n## Following a log, before and after, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC{label}\n\n"
            f"`bench/containers.py --only logs --compare {args.compare}`: each run a fresh Berth process on one "
            f"isolated engine with no other containers, the Containers view on screen, {args.flood_seconds:.0f} s per "
            f"flood; the two checkouts alternate ({args.rounds} rounds), medians. Load average before: {load_before}, "
            f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores).\n\n"
            "| measure | before | after | goal |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")


def _render_compare_text(runs: dict, args, load_before: str) -> str:
    label = f" ({args.label})" if args.label else ""
    rows = []
    for kind in ("plain", "coloured", "app-log"):
        cell = {}
        for name in runs:
            rs = [r[kind] for r in runs[name]["render"]]
            cell[name] = (f"{_median(r['split_us'] for r in rs):.1f} µs", f"{_median(r['per_line_us'] for r in rs):.1f} µs",
                          f"{_median(r['batch_cpu_median'] for r in rs) * 1000:.1f} / "
                          f"{_median(r['batch_cpu_max'] for r in rs) * 1000:.1f} ms")
        b, a = cell["before"], cell["after"]
        rows.append(f"| {kind} | {b[0]} → {a[0]} | {b[1]} → {a[1]} | {b[2]} → {a[2]} |")
    return (f"\n## Cost of showing a followed log, before and after, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC{label}\n\n"
            f"`bench/containers.py --only render --compare {args.compare}`: 100 batches of 500 lines through the reader's "
            f"line splitter and into a shown Logs view, CPU time of the one thread; a fresh process per checkout, "
            f"alternating, {args.rounds} rounds, medians. Load average before: {load_before}.\n\n"
            "| lines | reader: split and decode, per line, before → after | GUI: append and paint, per line | "
            "GUI per 500-line batch, median / max CPU |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=1000)
    parser.add_argument("--running", type=int, default=500)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--burst-rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--flood-seconds", type=float, default=10.0)
    parser.add_argument("--floods", nargs="+", choices=sorted(FLOODS), default=["plain", "coloured"])
    parser.add_argument("--only", choices=["all", "logs", "render"], default="all")
    parser.add_argument("--write", action="store_true", help="with --only render: add the table to the results")
    parser.add_argument("--label", default="", help="a note for the heading of a --only logs run")
    parser.add_argument("--compare", help="with --only logs or render: another checkout (the 'before'), measured "
                                          "alternately with this one, each run in a fresh process")
    parser.add_argument("--rounds", type=int, default=3, help="with --compare: measurements per checkout")
    parser.add_argument("--child", choices=["logs", "render"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compare and args.only in ("logs", "render"):
        compare(args)
        return
    if args.child and os.environ.get("BERTH_BENCH_ROOT"):
        sys.path.insert(0, os.environ["BERTH_BENCH_ROOT"])  # Berth from the checkout under test
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up (CPU groups, the engine) when stopped

    from PySide6.QtWidgets import QApplication
    from desktop.engine.connection import Endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    app = QApplication([])
    if args.child:
        child(app, args)
        return
    if args.only == "logs":
        logs_only(app, args)
        return
    if args.only == "render":
        render_only(app, args)
        return
    with IsolatedEngine(registry=False) as engine:
        base, setup = populate(engine, args.containers, args.running)
        cli_ps = time_cli(engine, "ps", "-a", runs=args.runs)

        tasks = TaskManager()
        session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
        window = MainWindow(tasks, session)
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

        # 3. a log that prints 10,000 lines a second, followed in the Logs tab: plain, then coloured
        floods = [follow_flood(app, engine, window, base, kind, args.flood_seconds) for kind in args.floods]

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
{''.join(burst_text(layout, rounds, args.burst) for layout, rounds in burst_rounds.items())}{''.join(flood_rows(f) for f in floods)}"""
    path = write_result("containers", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
