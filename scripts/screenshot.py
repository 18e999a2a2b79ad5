#!/usr/bin/env python3
"""Photograph Berth in a real X server (Xvfb + Qt's xcb platform) against an isolated engine
with a few images, for the README and for looking at one's own work.

    .venv/bin/python scripts/screenshot.py OUT.png [--view VIEW]

VIEW: images (the default), containers, registries (a TLS registry signed in, browsed), disconnected, images-menu (the Images view with its
context menu open), connect-failed (Engine > Connect to another engine… after a tcp:// host
where nothing listens), untagged (intermediate layers and a dangling image listed). The screen is 1366x768 and the window has its first size, as a person
on a small laptop sees it.

Needs root (the isolated engine), Xvfb and ImageMagick's `import`.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from isolated_engine import IsolatedEngine  # noqa: E402


def start_xvfb() -> tuple[subprocess.Popen, str]:
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        return proc, ":" + pipe.readline().strip()


def settle(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--view", default="images",
                        choices=["images", "containers", "disconnected", "images-menu", "connect-failed",
                                 "untagged", "registries"])
    args = parser.parse_args()
    xvfb, display = start_xvfb()
    # a private settings folder: a remembered window layout from an earlier run must not show
    os.environ.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="berth-shot-"))
    try:
        with IsolatedEngine(registry=False) as engine:
            secure = None
            if args.view == "registries":  # a TLS registry with an account, signed in with the CLI
                import extra_registries

                secure = extra_registries.RegistryProcess(engine, tls=True, users={"demo": "demo-pass"},
                                                          name="shot-registry").start()
                os.environ["DOCKER_CONFIG"] = tempfile.mkdtemp(prefix="berth-shot-config-")
                engine.cli("--config", os.environ["DOCKER_CONFIG"], "login", "-u", "demo", "--password-stdin",
                           secure.host, input="demo-pass")
            engine.build_busybox_image("berth-demo/busybox:1.36")
            engine.build_busybox_image("shop/web:v1.4.2", ['RUN mkdir -p /www && echo hello > /www/index.html',
                                                         'EXPOSE 8080', 'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]'],
                                       labels={"org.opencontainers.image.title": "Shop web front",
                                               "org.opencontainers.image.source": "https://example.org/shop/web",
                                               "org.opencontainers.image.version": "1.4.2"})
            engine.cli("tag", "shop/web:v1.4.2", "shop/web:v1.4")
            engine.cli("tag", "shop/web:v1.4.2", "localhost:5000/shop/web:v1.4.2")
            engine.build_busybox_image("shop/worker:2.0", ["RUN head -c 3000000 /dev/urandom > /blob"])
            if args.view == "untagged":  # shop/worker built again: the old one is left dangling
                engine.build_busybox_image("shop/worker:2.0", ["RUN head -c 3000 /dev/urandom > /blob"])
            engine.cli("run", "-d", "--name", "web-1", "-p", "127.0.0.1:8080:8080", "shop/web:v1.4.2")
            engine.cli("create", "--name", "migrate-once", "shop/worker:2.0", "true")
            if secure is not None:
                from desktop.engine import registry_list

                for ref in ("shop/web:v1.4.2", "shop/web:v1.4", "shop/worker:2.0"):
                    engine.cli("tag", ref, f"{secure.host}/{ref}")
                    engine.cli("--config", os.environ["DOCKER_CONFIG"], "push", f"{secure.host}/{ref}")
                registry_list.add_registry(secure.host, secure.ca_file)

            from PySide6.QtCore import QCoreApplication
            from PySide6.QtGui import QIcon
            from PySide6.QtWidgets import QApplication

            from desktop.engine.connection import Endpoint
            from desktop.resources_path import resource
            from desktop.tasks.engine_session import EngineSession
            from desktop.tasks.manager import TaskManager
            from desktop.ui.main_window import MainWindow, first_size

            QCoreApplication.setOrganizationName("Berth-screenshot")
            app = QApplication([])
            app.setWindowIcon(QIcon(str(resource("icons", "berth.svg"))))
            app.setStyleSheet(resource("styles", "berth.qss").read_text())
            tasks = TaskManager()
            host = engine.docker_host if args.view != "disconnected" else "unix:///nonexistent/docker.sock"
            session = EngineSession(tasks, [Endpoint(host, "user")])
            window = MainWindow(tasks, session)
            window.resize(first_size(app.primaryScreen().availableGeometry()))
            window.move(4, 4)
            window.show()
            session.start()
            settle(app, 3)
            if args.view in ("images", "images-menu"):
                window.workspace.images_view.select_keys([r.key for r in window.workspace.images_model.rows()
                                                if r.repository == "shop/web" and r.tag == "v1.4.2"])
            elif args.view == "containers":
                window.sidebar.setCurrentRow(1)
            elif args.view == "untagged":
                window.workspace.images_view.toggle.setChecked(True)
            elif args.view == "registries":
                window.sidebar.setCurrentRow(2)
                settle(app, 1)
                window.workspace.registries_view.select_host(secure.host)
                settle(app, 2)
                window.workspace.registry_browser.open_repository("shop/web")
                settle(app, 2)
                window.workspace.registry_browser.open_tag("v1.4.2")
            settle(app, 2)
            if args.view == "images-menu":
                table = window.workspace.images_view.table
                rect = table.visualRect(table.selectionModel().selectedRows()[0])
                table.customContextMenuRequested.emit(rect.center())
            elif args.view == "connect-failed":
                with socket.socket() as s:
                    s.bind(("127.0.0.1", 0))
                    port = s.getsockname()[1]  # closed again: nothing listens there
                dialog = window.show_connect_dialog()
                dialog.host.setCurrentText(f"tcp://127.0.0.1:{port}")
                dialog.connect_to_host()
            settle(app, 2)
            frame = window.frameGeometry()  # the window only, not the empty screen around it
            crop = f"{frame.width()}x{frame.height()}+{frame.x()}+{frame.y()}"
            subprocess.run(["import", "-display", display, "-window", "root", "-crop", crop, "+repage", args.out],
                           check=True)
            window.close()
            session.stop()
            tasks.shutdown(5000)
            engine.cli("rm", "-f", "web-1")
    finally:
        xvfb.terminate()
        xvfb.wait()
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
