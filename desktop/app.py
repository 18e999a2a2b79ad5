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


def create_application():
    """The QApplication with Berth's name, icon and style (shared with the self-test)."""
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
    style = resource("styles", "berth.qss")
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def open_files(window, session, paths: list[str]) -> None:
    """Load image archives handed over on the command line, by a second launch or by macOS; wait
    for the engine first if Berth is still connecting."""
    if not paths:
        return
    from desktop.tasks.engine_session import CONNECTED

    window.raise_()
    if session.state == CONNECTED:
        window.image_actions.load(paths)  # preview, load, then select what was loaded
        return

    def once_connected(_info) -> None:
        session.connected.disconnect(once_connected)
        window.image_actions.load(paths)

    session.connected.connect(once_connected)


def main(argv: list[str] | None = None) -> int:
    _attach_windows_console()
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.self_test:
        from desktop import self_test

        return self_test.run(host=args.host)

    from PySide6.QtCore import QTimer

    from desktop.engine import atomic_file, connection
    from desktop.single_instance import FileOpenRelay, SingleInstance, forward, instance_key
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.error_reporter import install_error_reporter
    from desktop.ui.main_window import MainWindow

    app = create_application()
    instance = None
    if not args.new_instance:
        key = instance_key(args.host)
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
    window.show()
    # archives half-written by a Berth that was killed: delete them, off the GUI thread
    threading.Thread(target=atomic_file.clean_leftovers, name="clean-leftover-parts", daemon=True).start()
    if instance is not None:
        instance.window = window
        instance.filesReceived.connect(lambda paths: open_files(window, session, paths))
    file_open = FileOpenRelay(app)  # macOS: Finder's "Open With" and a second launch arrive as events
    file_open.filesReceived.connect(lambda paths: open_files(window, session, paths))
    open_files(window, session, [os.path.abspath(f) for f in args.files])

    ready_file = os.environ.get("BERTH_READY_FILE")
    if ready_file:
        # for tests and benchmarks: say when the image list is first populated ("-": stdout)
        def announce() -> None:
            app.processEvents()
            window.repaint()  # paint and flush now, so a screenshot taken on this signal is complete
            app.sync()
            line = f"berth-ready {window.images_model.rowCount()}\n"
            if ready_file == "-":
                sys.stdout.write(line)
                sys.stdout.flush()
            else:
                with open(ready_file, "w", encoding="utf-8") as fh:
                    fh.write(line)
            window.images_feed.loaded.disconnect(announce)
        window.images_feed.loaded.connect(announce)

    QTimer.singleShot(0, session.start)
    try:
        return app.exec()
    finally:
        if instance is not None:
            instance.close()
        session.stop()
        tasks.shutdown(3000)
