"""Command line and application start-up. ``--help`` and ``--version`` never open a window."""

from __future__ import annotations

import argparse
import os
import sys

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
    parser.add_argument("files", nargs="*", help="image archives to load")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop.engine import connection
    from desktop.resources_path import resource
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.error_reporter import install_error_reporter
    from desktop.ui.main_window import MainWindow

    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(QIcon(str(resource("icons", "berth.svg"))))
    style = resource("styles", "berth.qss")
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    install_error_reporter()

    tasks = TaskManager()
    endpoints = [connection.user_endpoint(args.host)] if args.host else None
    session = EngineSession(tasks, endpoints)
    window = MainWindow(tasks, session)
    window.show()

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
        session.stop()
        tasks.shutdown(3000)
