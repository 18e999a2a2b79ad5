"""Command line and application start-up. ``--help`` and ``--version`` never open a window.

One Berth per user, display and engine: a second ``berth FILE.tar`` hands the file to the running
window (desktop/single_instance.py) and exits; ``--new-instance`` opts out. ``--self-test`` runs
desktop/self_test.py instead of the normal window.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

from desktop import APP_ID, APP_NAME, __version__

SHUTDOWN_MS = 3000  # how long quitting waits for the workers before leaving without them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="berth",
        description=f"{APP_NAME}: a desktop app for Docker images, containers and tags.",
        epilog="The engine is found like the docker CLI finds it: DOCKER_HOST, then the current docker "
               "context, then the platform's default socket.",
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("-H", "--host", help="engine to connect to (unix://…, tcp://host:port, ssh://user@host); "
                                             "overrides DOCKER_HOST and the docker context")
    parser.add_argument("--new-instance", action="store_true",
                        help="open another window even when Berth already runs (by default a second launch "
                             "hands its files to the running window)")
    parser.add_argument("--self-test", action="store_true",
                        help="start without a visible window, connect to the engine, list images and containers, "
                             "open every view and dialog once, print what passed and exit (0: all passed)")
    parser.add_argument("files", nargs="*", help="image archives to load")
    return parser


def _attach_windows_console() -> None:
    """A windowed Windows build has no console: borrow the one it was started from, if any, so
    --help, --version and --self-test print where the user typed them."""
    if sys.platform != "win32" or sys.stdout is not None:
        return
    import ctypes

    if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
        sys.stdout = sys.stderr = open("CONOUT$", "w", encoding="utf-8", buffering=1)


def create_application(styled: bool = True):
    """The QApplication with Berth's name, icon and style (shared with the self-test). Without
    *styled*, the style waits for ``apply_style``: under an application style sheet every widget
    added to a parent is polished again, which made building the window three times slower."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop.resources_path import resource

    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(resource("icons", "berth.svg"))))
    if styled:
        apply_style(app)
    return app


def apply_style(app) -> None:
    """Berth's style sheet, applied to the whole application (each widget is polished once)."""
    from desktop.resources_path import resource

    style = resource("styles", "berth.qss")
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))


def open_files(window, session, paths: list[str]) -> None:
    """Load image archives handed over on the command line, by a second launch or by macOS; wait
    for the engine first if Berth is still connecting."""
    if not paths:
        return
    from desktop.tasks.engine_session import CONNECTED

    window.raise_()
    if session.state == CONNECTED:
        window.open_files(paths)  # preview, load, then select what was loaded
        return

    def once_connected(_info) -> None:
        session.connected.disconnect(once_connected)
        window.open_files(paths)

    session.connected.connect(once_connected)


def stop_everything(session, tasks, timeout_ms: int = SHUTDOWN_MS) -> bool:
    """Stop the session and cancel every task, waiting at most *timeout_ms* for the workers;
    False when one is still stuck (say on an engine that stopped answering)."""
    session.stop()
    return tasks.shutdown(timeout_ms)


def leave_now(code: int, tasks) -> None:
    """Exit at once although a worker is stuck: destroying Qt's thread pool would wait for it
    for ever. Settings are written first; files Berth writes are atomic, so none is left half."""
    from PySide6.QtCore import QSettings

    stuck = ", ".join(t.title for t in tasks.running() if not t.state.done) or "a background task"
    sys.stderr.write(f"berth: quitting although {stuck} did not stop within {SHUTDOWN_MS / 1000:g} s\n")
    QSettings().sync()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed console must not keep Berth alive
            pass
    os._exit(code)


def clean_leftovers_later() -> None:
    """Archives half-written by a Berth that was killed: delete them, off the GUI thread."""
    def run() -> None:
        from desktop.engine import atomic_file

        atomic_file.clean_leftovers()

    threading.Thread(target=run, name="clean-leftover-parts", daemon=True).start()


def settle_after_start() -> None:
    """Once the first list is shown: import the Docker SDK on a thread of its own (Berth connects,
    watches and lists a local engine without it, see desktop/engine/local_json.py, but the first
    inspect, tag or pull should not wait 0.2 s for it), then freeze what start-up made."""
    def run() -> None:
        try:
            import docker  # noqa: F401
        except Exception:  # noqa: BLE001 - the first action will say what is wrong with it
            pass
        freeze_startup_objects()

    threading.Thread(target=run, name="import-docker-sdk", daemon=True).start()


def freeze_startup_objects() -> None:
    """Once Berth is up (the window built, the SDK imported, the first list shown): the objects
    made so far live as long as Berth does, so the cyclic collector need not walk them again.
    Full collections then look at what came since: with a fast log flowing they run on the log
    reader's thread while it holds the interpreter, and took up to 47 ms there (8 ms after)."""
    import gc

    gc.freeze()


def _announce(target: str, line: str) -> None:
    """Write a readiness *line* for a test or benchmark: to stdout for "-", else to the file *target*."""
    if target == "-":
        sys.stdout.write(line)
        sys.stdout.flush()
    else:
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(line)


def announce_first_paint(window, announce) -> None:
    """Call *announce* once, right after *window* has painted for the first time."""
    from desktop.ui.first_paint import after_first_paint

    after_first_paint(window, announce, fallback_ms=None)


def main(argv: list[str] | None = None) -> int:
    _attach_windows_console()
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from desktop import self_test

        return self_test.run(host=args.host)

    from PySide6.QtCore import QTimer

    from desktop import pyside_imports

    pyside_imports.install()  # before the rest of Berth and the SDK are imported
    from desktop.engine import connection
    from desktop.single_instance import FileOpenRelay, NoPrivateFolder, SingleInstance, forward, instance_key
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.error_reporter import install_error_reporter
    from desktop.ui.first_paint import after_first_paint
    from desktop.ui.main_window import MainWindow

    app = create_application(styled=False)
    instance = None
    if not args.new_instance:
        try:
            key = instance_key(args.host)
        except NoPrivateFolder as exc:  # never a socket another user could have put there
            sys.stderr.write(f"berth: running without single-instance support ({exc})\n")
        else:
            if forward(key, args.files):
                return 0  # the running Berth has the files and the focus
            instance = SingleInstance(key, app)
            if not instance.listen():
                sys.stderr.write(f"berth: running without single-instance support ({instance.error})\n")
                instance = None
    install_error_reporter()

    tasks = TaskManager()
    endpoints = [connection.user_endpoint(args.host)] if args.host else None
    session = EngineSession(tasks, endpoints)
    window = MainWindow(tasks, session)
    apply_style(app)  # once the window is built: each of its widgets is polished once
    window.show()
    after_first_paint(window, clean_leftovers_later)
    if instance is not None:
        instance.window = window
        instance.filesReceived.connect(lambda paths: open_files(window, session, paths))
    file_open = FileOpenRelay(app)  # macOS: Finder's "Open With" and a second launch arrive as events
    file_open.filesReceived.connect(lambda paths: open_files(window, session, paths))
    open_files(window, session, [os.path.abspath(f) for f in args.files])

    painted_file = os.environ.get("BERTH_PAINTED_FILE")
    if painted_file:
        # for benchmarks: say when the window has first been painted (the shell, before any list)
        announce_first_paint(window, lambda: _announce(painted_file, "berth-painted\n"))
    ready_file = os.environ.get("BERTH_READY_FILE")
    if ready_file:
        # for tests and benchmarks: say when the image list is first populated ("-": stdout)
        def announce() -> None:
            app.processEvents()
            window.repaint()  # paint and flush now, so a screenshot taken on this signal is complete
            app.sync()
            _announce(ready_file, f"berth-ready {window.workspace.images_model.rowCount()}\n")
            window.workspace.images_feed.loaded.disconnect(announce)
        window.workspace.images_feed.loaded.connect(announce)

    def settle() -> None:
        window.workspace.images_feed.loaded.disconnect(settle)
        settle_after_start()
    window.workspace.images_feed.loaded.connect(settle)

    QTimer.singleShot(0, session.start)
    code = 1
    try:
        code = app.exec()
    finally:
        if instance is not None:
            instance.close()
        if not stop_everything(session, tasks):
            leave_now(code, tasks)
    return code
