"""Push and pull of a ~300 MB image (four layers of random data) to a local registry: Berth beside
`docker push` / `docker pull`, and the GUI thread while the dialogs show the progress.

In one run, against one isolated engine: each push goes to a registry started fresh for it (so
every layer really travels: no "already exists", no cross-repository mount), each pull starts
with the image removed from the engine (so every layer is downloaded and extracted again). Berth
is the engine-layer function the Pull/Push operations run (``distribution.push`` /
``distribution.pull`` with the per-layer tracking on), timed in a fresh Python process that also
reports its peak memory growth; the CLI's time is the wall time of the ``docker`` process. CLI
and Berth alternate after one uncounted warm-up round; disks are synced before each operation.

Then the same push and pull through the real Push and Pull dialogs (offscreen), with a 5 ms
heartbeat on the GUI thread: the longest gap while the per-layer rows and the overall bar follow
the stream.

Goals: speed ratio (CLI time / Berth time) at least 0.95 both ways; no GUI-thread stall over
50 ms; memory flat (growth of a few MB, not the image's size).

Run as root: `.venv/bin/python bench/transfer.py [--runs 4] [--layer-mb 75]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import ROOT, Heartbeat, IsolatedEngine, wait_for, write_result  # noqa: E402

MB = 1024 * 1024
REPO = "bench/transfer"


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def worker(op: str, host: str, ref: str) -> None:
    """Runs in its own process: one push or pull, then prints seconds and memory as JSON."""
    import gc

    import docker

    from desktop.engine import distribution
    from desktop.engine.connection import Endpoint, connect

    info = connect([Endpoint(host, "user")])
    client = docker.DockerClient(base_url=host, version=info.api_version, timeout=None)
    client.api.version()  # the connection is open before the clock starts
    seen = [0]

    def on_layer(_layer) -> None:
        seen[0] += 1

    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    rss_before = _status("VmRSS")
    start = time.perf_counter()
    run = distribution.push if op == "push" else distribution.pull
    result = run(client, ref, on_layer=on_layer, on_progress=lambda _p: None)
    seconds = time.perf_counter() - start
    peak = _status("VmHWM")
    client.close()
    print(json.dumps({"seconds": seconds, "growth": peak - rss_before, "digest": result.digest, "items": seen[0]}))


def run_berth(engine: IsolatedEngine, op: str, ref: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", op, engine.docker_host, ref], cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_cli(engine: IsolatedEngine, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(["docker", *args], env=engine.env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def settle() -> None:
    os.sync()
    time.sleep(0.5)


class Registries:
    """A fresh plain registry for every push (stopped and deleted when the next one starts)."""

    def __init__(self, engine: IsolatedEngine):
        from extra_registries import RegistryProcess

        self._cls = RegistryProcess
        self.engine = engine
        self.current = None

    def fresh(self):
        self.drop()
        self.current = self._cls(self.engine).start()
        return self.current

    def drop(self) -> None:
        if self.current is not None:
            self.current.stop()
            shutil.rmtree(self.current.dir, ignore_errors=True)
            self.current = None


def image_id(engine: IsolatedEngine, ref: str) -> str:
    return engine.cli("inspect", "-f", "{{.Id}}", ref).stdout.strip()


def measure(engine: IsolatedEngine, source: str, runs: int) -> dict:
    registries = Registries(engine)
    expected = image_id(engine, source)
    push = {"cli": [], "berth": [], "growth": []}
    pull = {"cli": [], "berth": [], "growth": []}
    try:
        for run in range(-1, runs):  # run -1 warms the caches and is not counted
            order = ("cli", "berth") if run % 2 == 0 else ("berth", "cli")
            pushed = ""
            for who in order:
                reg = registries.fresh()
                ref = f"{reg.for_engine}/{REPO}:1"
                engine.cli("tag", expected, ref)
                settle()
                if who == "cli":
                    seconds, growth = run_cli(engine, "push", ref), None
                else:
                    result = run_berth(engine, "push", ref)
                    seconds, growth = result["seconds"], result["growth"]
                if run >= 0:
                    push[who].append(seconds)
                    if growth is not None:
                        push["growth"].append(growth)
                pushed = ref
            for who in order:  # from the last registry pushed to, the image removed each time
                engine.cli("rmi", "-f", expected)
                settle()
                if who == "cli":
                    seconds, growth = run_cli(engine, "pull", pushed), None
                else:
                    result = run_berth(engine, "pull", pushed)
                    seconds, growth = result["seconds"], result["growth"]
                assert image_id(engine, pushed) == expected
                if run >= 0:
                    pull[who].append(seconds)
                    if growth is not None:
                        pull["growth"].append(growth)
            print(f"round {run}: push {push}, pull {pull}", flush=True)
    finally:
        registries.drop()
    engine.cli("tag", expected, source)
    return {"push": push, "pull": pull}


def gui_round(engine: IsolatedEngine, source: str) -> dict:
    """The push and the pull through the dialogs with the heartbeat on the GUI thread."""
    import docker
    from PySide6.QtWidgets import QApplication

    from desktop.engine.connection import Endpoint
    from desktop.engine.images import list_images
    from desktop.tasks.engine_session import CONNECTED, EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.dialogs.pull_dialog import PullDialog
    from desktop.ui.dialogs.push_dialog import PushDialog

    app = QApplication.instance() or QApplication([])
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
    session.start()
    wait_for(app, lambda: session.state == CONNECTED, timeout=30)
    registries = Registries(engine)
    client = docker.DockerClient(base_url=engine.docker_host, version="auto", timeout=60)
    out = {}
    try:
        reg = registries.fresh()
        ref = f"{reg.for_engine}/{REPO}:1"
        engine.cli("tag", source, ref)
        row = next(r for r in list_images(client) if r.reference == ref)
        dialog = PushDialog(session, row)
        dialog.show()
        wait_for(app, lambda: dialog.isVisible(), timeout=10)
        beat = Heartbeat()
        beat.start()
        start = time.perf_counter()
        dialog.start_push()
        wait_for(app, lambda: not dialog.busy, timeout=300, interval_ms=5)
        out["push_seconds"] = time.perf_counter() - start
        out["push_stall"] = beat.stop()
        out["push_app_share"] = beat.max_app_share
        assert dialog.results, dialog.status.text()
        out["push_rows"] = dialog.progress.model.rowCount()
        dialog.close()

        engine.cli("rmi", "-f", image_id(engine, ref))
        pull = PullDialog(session, ref)
        pull.show()
        wait_for(app, lambda: pull.isVisible(), timeout=10)
        beat = Heartbeat()
        beat.start()
        start = time.perf_counter()
        pull.start_pull()
        task = pull.task
        wait_for(app, lambda: pull.result_value is not None or (task.state.done and task.error is not None),
                 timeout=300, interval_ms=5)
        out["pull_seconds"] = time.perf_counter() - start
        out["pull_stall"] = beat.stop()
        out["pull_app_share"] = beat.max_app_share
        assert pull.result_value is not None, pull.status.text()
        out["pull_rows"] = pull.progress.model.rowCount()
        pull.close()
        engine.cli("tag", ref, source)
    finally:
        client.close()
        registries.drop()
        session.stop()
        tasks.shutdown(10000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--layer-mb", type=int, default=75, help="size of each of the four random layers, MiB")
    args = parser.parse_args()
    loads = [os.getloadavg()[0]]
    source = f"{REPO}:source"
    with IsolatedEngine(registry=False) as engine:
        engine.ensure_busybox_base()
        t0 = time.perf_counter()
        engine.build_busybox_image(source, [f"RUN head -c {args.layer_mb * MB} /dev/urandom > /data{n}"
                                            for n in range(4)])
        size = int(engine.cli("inspect", "-f", "{{.Size}}", source).stdout.strip())
        print(f"built {source} ({size / MB:.0f} MiB) in {time.perf_counter() - t0:.1f} s", flush=True)
        timings = measure(engine, source, args.runs)
        loads.append(os.getloadavg()[0])
        gui = gui_round(engine, source)
        loads.append(os.getloadavg()[0])
        version = engine.cli("version", "--format", "{{.Server.Version}}").stdout.strip()

    rows, verdicts = [], []
    for op, command in (("push", "docker push"), ("pull", "docker pull")):
        cli = statistics.median(timings[op]["cli"])
        berth = statistics.median(timings[op]["berth"])
        ratio = cli / berth
        growth = max(timings[op]["growth"])
        verdicts.append(ratio >= 0.95 and growth < 64 * MB)
        runs_cli = ", ".join(f"{s:.2f}" for s in timings[op]["cli"])
        runs_berth = ", ".join(f"{s:.2f}" for s in timings[op]["berth"])
        rows.append(f"| {op} | `{command}` {cli:.2f} s ({runs_cli}) | {berth:.2f} s ({runs_berth}) | {ratio:.2f} | "
                    f"{growth / MB:.1f} MB |")
    stalls = []
    for op in ("push", "pull"):
        stall = gui[f"{op}_stall"]
        stalls.append(f"| {op} | {gui[f'{op}_seconds']:.2f} s | {gui[f'{op}_rows']} | {stall.describe()} | "
                      f"{gui[f'{op}_app_share'] * 1000:.0f} ms |")
        verdicts.append(gui[f"{op}_app_share"] <= 0.050)
    text = f"""# Push and pull of a large image

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; isolated dockerd
{version}, docker-registry on the engine's 127.0.0.1 (plain HTTP). Image: the busybox base plus four
layers of {args.layer_mb} MiB random data ({size / MB:.0f} MiB). Median of {args.runs} runs each, CLI and
Berth alternating after a warm-up round, disks synced before each operation. Every push goes to a
registry started fresh for it (every layer travels); every pull starts with the image removed from the
engine (every layer is downloaded and extracted). Berth is `distribution.push` / `distribution.pull`
with the per-layer tracking on, timed inside a fresh process; the CLI's time is the `docker` process's
wall time. Load average at the start, after the timings and at the end: {loads[0]:.1f}, {loads[1]:.1f},
{loads[2]:.1f} (on {os.cpu_count()} cores; other work on the machine makes single runs vary, hence the
medians).

| operation | CLI median (runs) | Berth median (runs) | speed ratio (CLI / Berth) | Berth peak memory growth |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

The GUI thread while the real Push and Pull dialogs follow the same transfer (offscreen; a 5 ms
heartbeat; "app's share" is the longest gap less the time the thread waited for a free CPU):

| operation | wall time | layer rows | longest heartbeat gap | app's share |
| --- | --- | --- | --- | --- |
{chr(10).join(stalls)}

Goals: speed ratio at least 0.95 both ways; memory growth under 64 MB (a few MB: the stream is
read item by item, nothing of the image passes through Berth); no GUI-thread stall over 50 ms
(judged on the app's share). Result: {"all goals met" if all(verdicts) else "NOT all goals met"}.
"""
    path = write_result("transfer", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:5])
    else:
        main()
