"""Idle CPU: Berth's CPU time over a quiet minute on each view, with 10 running containers.

Run as root: `.venv/bin/python bench/idle_cpu.py [--seconds 60] [--containers 10] [--compare OTHER_CHECKOUT]`.
Starts its own isolated engine and 10 busybox `sleep 3600` containers, then a Berth process
(offscreen, private settings) that this script steers over its stdin: the Images view, the
Containers view with the window active, the same with another window active (as when another
app has the focus), and with the window minimised. For each it lets Berth settle, then reads the
process's CPU time (/proc/PID/stat: utime + stime, every thread) before and after the quiet
minute, and the GUI thread's wake-ups (voluntary context switches). With ``--compare`` the same
runs for another checkout (say `git archive` of the previous commit) follow, in the same engine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = (
    ("images", "Images view, window active"),
    ("containers", "Containers view, window active"),
    ("unfocused", "Containers view, another window active"),
    ("minimised", "Containers view, window minimised"),
)
SETTLE_S = 5.0  # after each switch: let the listing, the first samples and repaints pass


# --- the Berth side: run with --child HOST, steered by lines on stdin -----------------------------
def child(host: str) -> None:
    from PySide6.QtCore import QSocketNotifier, QTimer
    from PySide6.QtWidgets import QWidget

    from desktop.app import create_application
    from desktop.engine.connection import user_endpoint
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    app = create_application()
    tasks = TaskManager()
    session = EngineSession(tasks, [user_endpoint(host)])
    window = MainWindow(tasks, session)
    window.show()
    other = QWidget()  # stands for another app's window taking the focus
    other.resize(200, 100)

    def say(text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def on_loaded() -> None:
        say(f"ready {window.workspace.containers_model.rowCount()}")
        window.workspace.containers_feed.loaded.disconnect(on_loaded)

    window.workspace.containers_feed.loaded.connect(on_loaded)

    def command() -> None:
        line = sys.stdin.readline().strip()
        if not line or line == "quit":
            notifier.setEnabled(False)
            app.quit()
            return
        if line == "minimised":
            window.sidebar.setCurrentRow(1)
            window.showMinimized()
        else:
            window.showNormal()
            window.sidebar.setCurrentRow(0 if line == "images" else 1)
            (other if line == "unfocused" else window).show()
            (other if line == "unfocused" else window).activateWindow()
            if line != "unfocused":
                other.hide()
        # report once the window system has delivered the (de)activation
        QTimer.singleShot(500, lambda: say(f"ok {line}: window active={window.isActiveWindow()} "
                                           f"minimised={window.isMinimized()}"))

    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(command)
    QTimer.singleShot(0, session.start)
    app.exec()
    session.stop()
    tasks.shutdown(5000)


# --- the measuring side ---------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (exited threads included), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wakeups(pid: int) -> int:
    """Voluntary context switches of the main (GUI) thread: each is a sleep it was woken from."""
    with open(f"/proc/{pid}/task/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches"):
                return int(line.split()[1])
    return 0


def measure(root: Path, host: str, seconds: float) -> dict[str, tuple[float, float]]:
    """{scenario: (percent of one core, GUI-thread wake-ups per second)} for checkout *root*."""
    with tempfile.TemporaryDirectory(prefix="berth-idle-") as private:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root), XDG_CONFIG_HOME=private,
                   XDG_RUNTIME_DIR=private)
        berth = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", host], cwd=root, env=env,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = berth.stdout.readline()
            if not line.startswith("ready"):
                raise RuntimeError(f"Berth did not list the containers: {line!r}")
            results = {}
            for name, _label in SCENARIOS:
                berth.stdin.write(name + "\n")
                berth.stdin.flush()
                print(f"  {root.name}: {berth.stdout.readline().strip()}", flush=True)
                time.sleep(SETTLE_S)
                cpu0, wake0, t0 = cpu_seconds(berth.pid), wakeups(berth.pid), time.monotonic()
                time.sleep(seconds)
                cpu1, wake1, t1 = cpu_seconds(berth.pid), wakeups(berth.pid), time.monotonic()
                results[name] = (100.0 * (cpu1 - cpu0) / (t1 - t0), (wake1 - wake0) / (t1 - t0))
                print(f"  {name}: {results[name][0]:.2f} % of a core, {results[name][1]:.1f} wake-ups/s", flush=True)
            berth.stdin.write("quit\n")
            berth.stdin.flush()
            berth.wait(30)
            return results
        finally:
            if berth.poll() is None:
                berth.kill()
                berth.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--containers", type=int, default=10)
    parser.add_argument("--compare", type=Path, help="another checkout to measure too (the 'before')")
    parser.add_argument("--child", metavar="HOST", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)  # before importing common, which puts this checkout first on sys.path
        return
    from common import ROOT, IsolatedEngine, write_result

    checkouts = {"after": ROOT}
    if args.compare:
        checkouts = {"before": args.compare.resolve(), "after": ROOT}
    load = [" ".join(f"{x:.2f}" for x in os.getloadavg())]
    results = {}
    with IsolatedEngine(registry=False) as engine:
        image = engine.ensure_busybox_base()
        for i in range(args.containers):
            engine.cli("run", "-d", "--name", f"idle{i}", image, "sleep", "3600")
        for name, root in checkouts.items():
            print(f"measuring {name} ({root})", flush=True)
            results[name] = measure(root, engine.docker_host, args.seconds)
            load.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
    head = "| view | " + " | ".join(f"{n}: % of one core | {n}: GUI wake-ups/s" for n in checkouts) + " |"
    rows = [head, "| --- |" + " --- | --- |" * len(checkouts)]
    for key, label in SCENARIOS:
        rows.append(f"| {label} | " + " | ".join(f"{results[n][key][0]:.2f} | {results[n][key][1]:.1f}"
                                                 for n in checkouts) + " |")
    table = "\n".join(rows)
    text = f"""# Idle CPU with {args.containers} running containers

Machine: {os.cpu_count()} CPUs; isolated dockerd, {args.containers} busybox `sleep 3600` containers (all on screen).
One Berth process per checkout (offscreen, private settings), nothing else happening; per view
{SETTLE_S:g} s to settle, then CPU time (utime + stime, all threads, /proc/PID/stat) over {args.seconds:g} s.
Goal: under 0.5 % of one core on every view. Load average (1, 5, 15 min) at the start and after
each checkout: {'; '.join(load)} (the machine was shared with other work).

{table}

"Another window active" shows a second top-level window and activates it, as another app taking
the focus does; "minimised" is `showMinimized()`. GUI wake-ups are the main thread's voluntary
context switches per second (timers, posted events and signals from workers all wake it).
"""
    path = write_result("idle_cpu", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
