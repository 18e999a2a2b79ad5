#!/usr/bin/env python3
"""Photograph every dialog of Berth in its fullest states in a real X server (Xvfb + Qt's xcb
platform, Berth's style sheet), one PNG per state, and report any layout problem found in them
(tests/layout_check.py). The states are tests/dialog_states.py's.

    .venv/bin/python scripts/dialog_screenshots.py OUTDIR [--screen 1600x1000] [--only tag_dialog ...]
                                                    [--engine-dir DIR]

Without --engine-dir it starts its own isolated engine (root). Prints each PNG's path; exits 1
when a state has a layout problem (listed), 0 otherwise. Needs Xvfb.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from isolated_engine import IsolatedEngine  # noqa: E402


def start_xvfb(screen: str) -> tuple[subprocess.Popen, str]:
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{screen}x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        return proc, ":" + pipe.readline().strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("outdir")
    parser.add_argument("--screen", default="1600x1000")
    parser.add_argument("--only", nargs="*", default=None, help="names of tests/dialog_states.py's STATES")
    parser.add_argument("--engine-dir", default=None, help="use the running isolated engine recorded there")
    args = parser.parse_args()
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_xvfb(args.screen)
    os.environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    os.environ.setdefault("XDG_CONFIG_HOME", tempfile.mkdtemp(prefix="berth-shots-config-"))
    failures: list[str] = []
    try:
        with ExitStack() as stack:
            if args.engine_dir:
                engine = IsolatedEngine.from_state(args.engine_dir)
                if engine is None:
                    raise SystemExit(f"no running isolated engine in {args.engine_dir}")
            else:
                engine = stack.enter_context(IsolatedEngine(registry=False))
            engine.ensure_busybox_base()
            failures = photograph(engine, out, args.only)
    finally:
        xvfb.terminate()
        xvfb.wait()
    for line in failures:
        print(f"LAYOUT PROBLEM {line}")
    return 1 if failures else 0


def photograph(engine, out: Path, only: list[str] | None) -> list[str]:
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEvent
    from PySide6.QtWidgets import QApplication

    from desktop.engine.connection import Endpoint
    from desktop.resources_path import resource
    from desktop.tasks.engine_session import CONNECTED, EngineSession
    from desktop.tasks.manager import TaskManager
    from tests.dialog_states import STATES, Stage
    from tests.layout_check import layout_problems, window_problems

    QCoreApplication.setOrganizationName("Berth-screenshot")
    app = QApplication.instance() or QApplication([])
    app.setStyleSheet(resource("styles", "berth.qss").read_text(encoding="utf-8"))

    def wait_until(condition, timeout_ms: int = 15000) -> None:
        deadline = QDeadlineTimer(timeout_ms)
        while not condition():
            if deadline.hasExpired():
                raise TimeoutError("a dialog did not reach its state in time")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    shown = []

    def keep(widget) -> None:
        widget.move(0, 0)
        widget.show()
        shown.append(widget)
        settle(0.2)

    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(engine.docker_host, "user")])
    session.start()
    wait_until(lambda: session.state == CONNECTED)
    failures = []
    number = 0
    try:
        for states in STATES:
            if only and states.__name__ not in only:
                continue
            with tempfile.TemporaryDirectory(prefix="berth-shots-") as work:
                stage = Stage(session, engine, Path(work), f"berth-shots/{states.__name__.replace('_', '-')}",
                              wait_until, keep)
                try:
                    for state, widget in states(stage):
                        settle()
                        number += 1
                        slug = re.sub(r"[^a-z0-9]+", "-", state.lower()).strip("-")[:70]
                        path = out / f"{number:02d}-{slug}.png"
                        widget.grab().save(str(path))
                        print(path, flush=True)
                        check = window_problems if widget.isWindow() else layout_problems
                        failures += [f"{state}: {p}" for p in check(widget)]
                finally:
                    for widget in shown:  # deleted by Qt, not by Python's garbage collector later
                        widget.close()
                        widget.deleteLater()
                    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
                    shown.clear()
                    stage.close()
    finally:
        session.stop()
        tasks.shutdown(10000)
    return failures


if __name__ == "__main__":
    sys.exit(main())
