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
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from isolated_engine import IsolatedEngine, _all_pids  # noqa: E402


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


class ColdStart(NamedTuple):
    painted: float  # seconds from spawning to the first paint
    ready: float  # ... to the image list populated
    rows: int
    painted_cpu: float  # CPU seconds Berth had used (all its threads) at its first paint
    ready_cpu: float  # ... and once its list was populated: what the machine's load cannot inflate


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process *pid* so far; 0 where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def berth_cold_start(docker_host: str, root: Path = ROOT, timeout: float = 120) -> ColdStart:
    """Seconds from spawning Berth (offscreen, from checkout *root*) to its first paint and to its
    image list being populated, the row count, and the CPU Berth had used at each."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BERTH_READY_FILE="-", BERTH_PAINTED_FILE="-",
               PYTHONPATH=str(root))
    start = time.perf_counter()
    app = subprocess.Popen([sys.executable, "-m", "desktop", "-H", docker_host], cwd=root,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    painted = None
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(app.stdout, selectors.EVENT_READ)
            while time.perf_counter() - start < timeout:
                if not sel.select(timeout):
                    break
                line = app.stdout.readline()
                if not line:
                    break
                if line.startswith("berth-painted"):
                    painted = time.perf_counter() - start
                    painted_cpu = _cpu_seconds(app.pid)
                elif line.startswith("berth-ready"):
                    ready = time.perf_counter() - start
                    if painted is None:
                        raise RuntimeError(f"{root} does not announce its first paint (BERTH_PAINTED_FILE)")
                    return ColdStart(painted, ready, int(line.split()[1]), painted_cpu, _cpu_seconds(app.pid))
        raise RuntimeError("Berth never reported a populated window")
    finally:
        app.terminate()
        app.communicate(timeout=30)


def write_result(name: str, text: str) -> Path:
    """Add this run to ``bench/results/NAME.md`` under a dated heading: earlier runs stay, so a
    change can be judged against what was measured before it."""
    path = ROOT / "bench" / "results" / f"{name}.md"
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    section = f"## Run of {stamp}\n\n" + "\n".join(
        ("#" + line) if line.startswith("#") else line for line in text.strip().splitlines()) + "\n"
    old = path.read_text(encoding="utf-8").rstrip() + "\n\n" if path.exists() else f"# bench/{name}\n\n"
    path.write_text(old + section, encoding="utf-8")
    return path


def _thread_sched() -> tuple[float, float]:
    """This thread's CPU time and time spent runnable but waiting for a CPU, in seconds (Linux)."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as f:
            cpu, delay, _ = f.read().split()
        return int(cpu) / 1e9, int(delay) / 1e9
    except OSError:
        return time.thread_time(), 0.0


class Stall(float):
    """The longest gap between heartbeat ticks, split into the GUI thread's own CPU work, the time
    it was runnable but no CPU was free (the machine, not the app), and the rest (waiting on the GIL,
    a lock or I/O: the app's other threads)."""

    cpu: float = 0.0
    run_delay: float = 0.0

    @property
    def other(self) -> float:
        return max(0.0, float(self) - self.cpu - self.run_delay)

    @property
    def app_share(self) -> float:
        """What the app itself kept the GUI thread from ticking: the gap minus waiting for a CPU."""
        return max(0.0, float(self) - self.run_delay)

    def describe(self) -> str:
        return (f"{self * 1000:.0f} ms: {self.cpu * 1000:.0f} ms own CPU work, {self.run_delay * 1000:.0f} ms "
                f"waiting for a free CPU, {self.other * 1000:.0f} ms other waits (GIL, locks)")


class Heartbeat:
    """Records the longest gap between 5 ms timer ticks (how long the GUI thread was blocked) and,
    for Linux, what the thread did during that gap."""

    def __init__(self):
        from PySide6.QtCore import QTimer
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = None
        self.last_sched = (0.0, 0.0)
        self.longest = Stall(0.0)
        self.max_app_share = 0.0

    def _tick(self):
        now = time.perf_counter()
        sched = _thread_sched()
        if self.last is not None:
            gap = now - self.last
            cpu, delay = sched[0] - self.last_sched[0], sched[1] - self.last_sched[1]
            self.max_app_share = max(self.max_app_share, max(0.0, gap - delay))
            if gap > self.longest:
                self.longest = Stall(gap)
                self.longest.cpu, self.longest.run_delay = cpu, delay
        self.last, self.last_sched = now, sched

    def start(self):
        self.last, self.longest, self.max_app_share = None, Stall(0.0), 0.0
        self.timer.start()

    def stop(self) -> Stall:
        self.timer.stop()
        return self.longest


def wait_for(app, predicate, timeout: float = 120.0, interval_ms: int = 10):
    """Run the real event loop (as Berth's own ``app.exec()`` does, asleep when idle) until
    predicate() holds, looking every `interval_ms`; TimeoutError after `timeout` seconds."""
    from PySide6.QtCore import QEventLoop, QTimer
    if predicate():
        return
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout
    outcome = {}

    def check():
        if predicate():
            outcome["ok"] = True
            loop.quit()
        elif time.perf_counter() > deadline:
            loop.quit()

    timer = QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not outcome:
        raise TimeoutError


def spin(app, seconds: float):
    """Run the real event loop for `seconds`."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


class CpuGroup:
    """A CPU control group of its own (Linux, root), as systemd gives docker.service and each
    desktop app its own: the kernel then shares the CPUs between groups before threads, so an
    engine starting 100 containers competes with an app as one party, not as hundreds of threads.
    On a machine without such groups (this one runs everything in the root group), every runc
    and dockerd thread competes with the app's GUI thread one to one."""

    def __init__(self, name: str):
        """The group *name*, made if need be; "" is the root group itself."""
        self.path = self._root() / name if name else self._root()
        self.path.mkdir(exist_ok=True)

    @staticmethod
    def _root() -> Path:
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cgroup.procs").exists():
            return v1
        v2 = Path("/sys/fs/cgroup")
        if "cpu" not in (v2 / "cgroup.controllers").read_text().split():
            raise OSError("no cpu controller")
        control = v2 / "cgroup.subtree_control"
        if "cpu" not in control.read_text().split():
            control.write_text("+cpu")
        return v2

    @classmethod
    def available(cls) -> bool:
        try:
            return os.geteuid() == 0 and os.access(cls._root(), os.W_OK)
        except OSError:
            return False

    @classmethod
    def in_root(cls, pid: int) -> bool:
        """Whether *pid* is in the root CPU group (containers' own processes are not)."""
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            return False
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "cpu" in controllers.split(",") or controllers == "":
                return path == "/"
        return False

    def add(self, pid: int) -> None:
        try:
            (self.path / "cgroup.procs").write_text(str(pid))
        except ProcessLookupError:
            pass  # gone meanwhile

    def add_tree(self, pid: int) -> None:
        """*pid* and its descendants that are still in the root group."""
        children: dict[int | None, list[int]] = {}
        for child in _all_pids():
            children.setdefault(parent_pid(child), []).append(child)
        todo = [pid]
        while todo:
            current = todo.pop()
            if self.in_root(current):
                self.add(current)
            todo.extend(children.get(current, []))

    def release(self) -> None:
        """Move what is left back to the root group and remove this one."""
        root = self._root()
        if self.path == root:
            return
        for pid in (self.path / "cgroup.procs").read_text().split():
            try:
                (root / "cgroup.procs").write_text(pid)
            except OSError:
                pass
        try:
            self.path.rmdir()
        except OSError:
            pass


def parent_pid(pid: int) -> int | None:
    """The parent of *pid*, None once it is gone."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
