"""``berth --self-test``: prove that this build of Berth works here, in under a minute.

It starts Berth offscreen (``QT_QPA_PLATFORM=offscreen`` unless the caller chose a platform),
checks that the bundled resources are found and usable (the SVG icon draws — that needs Qt's SVG
plugins — and the stylesheet is applied), connects to the engine given by ``-H`` or the environment
(DOCKER_HOST, docker context, default socket) as Berth always does, lists images and containers,
shows every view of the main window and every tab in it, then opens and closes every dialog in
desktop/ui/dialogs once without accepting any, and the About box. Dialogs are found by looking,
so a new dialog is covered the day it is added; its constructor arguments are filled in from the
engine's first image and container (by type), and a dialog that needs something the engine does not
have (no container at all, say) is reported as skipped, not failed.

Nothing is changed on the engine: dialogs are rejected, never accepted; settings go to a temporary
folder, not the user's. Output is one line per check and a summary; the exit status is 0 when
every check passed, 1 otherwise (and 2 when Berth could not even start Qt).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import sys
import tarfile
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from desktop import APP_NAME, __version__

CONNECT_TIMEOUT = 30.0
LOAD_TIMEOUT = 30.0
DIALOG_SETTLE = 10.0  # seconds a dialog's own engine work (a preview, a plan) may take


@dataclass
class Report:
    out: object = None
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def _line(self, status: str, text: str) -> None:
        print(f"  {status:<5} {text}", file=self.out or sys.stdout, flush=True)

    def ok(self, text: str) -> None:
        self.passed.append(text)
        self._line("ok", text)

    def fail(self, text: str) -> None:
        self.failed.append(text)
        self._line("FAIL", text)

    def skip(self, text: str) -> None:
        self.skipped.append(text)
        self._line("skip", text)

    def note(self, text: str) -> None:
        self._line("note", text)


class _Skip(Exception):
    pass


def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)
    return True


def settle(seconds: float = 0.2) -> None:
    wait_until(lambda: False, seconds)


def where() -> str:
    if getattr(sys, "frozen", False):
        return f"bundled executable {sys.executable}"
    return f"source, Python {sys.version.split()[0]} at {sys.executable}"


# --- checks ---------------------------------------------------------------------------------------
def check_resources(report: Report, app) -> None:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    from desktop.resources_path import resource

    icon_path = resource("icons", "berth.svg")
    if not icon_path.is_file():
        report.fail(f"resources: icon not found at {icon_path}")
    else:
        pixmap = QIcon(str(icon_path)).pixmap(QSize(64, 64))
        image = pixmap.toImage()
        if pixmap.isNull() or image.pixelColor(32, 32).alpha() == 0:
            report.fail(f"resources: icon {icon_path} does not draw (Qt's SVG icon engine plugin is missing)")
        else:
            report.ok(f"resources: icon {icon_path} draws at 64x64 (SVG icon engine loaded)")
    if app.windowIcon().isNull():
        report.fail("resources: the application has no window icon")
    style_path = resource("styles", "berth.qss")
    if not style_path.is_file():
        report.fail(f"resources: stylesheet not found at {style_path}")
    elif not app.styleSheet().strip():
        report.fail(f"resources: stylesheet {style_path} was not applied")
    else:
        report.ok(f"resources: stylesheet {style_path.name} applied ({len(app.styleSheet())} characters)")


def connect(report: Report, session) -> bool:
    from desktop.tasks.engine_session import CONNECTED

    failures = []
    session.disconnected.connect(lambda error: failures.append(error))
    session.start()
    connected = wait_until(lambda: session.state == CONNECTED or bool(failures), CONNECT_TIMEOUT)
    if session.state == CONNECTED:
        info = session.info
        report.ok(f"engine: connected to Docker {info.version} (API {info.api_version}) at {info.endpoint.host}")
        return True
    reason = str(failures[0]) if failures else f"no answer within {CONNECT_TIMEOUT:.0f} s" if not connected else "?"
    report.fail("engine: could not connect — " + reason.replace("\n", " "))
    return False


def check_lists(report: Report, window) -> None:
    for title, feed, model in (("images", window.workspace.images_feed, window.workspace.images_model),
                               ("containers", window.workspace.containers_feed, window.workspace.containers_model)):
        errors = []
        feed.failed.connect(lambda error, e=errors: e.append(error))
        if wait_until(lambda f=feed, e=errors: f.loaded_once or bool(e), LOAD_TIMEOUT) and not errors:
            report.ok(f"{title}: {model.rowCount()} listed")
        else:
            report.fail(f"{title}: not listed — {errors[0] if errors else f'nothing within {LOAD_TIMEOUT:.0f} s'}")


def check_views(report: Report, window) -> None:
    from PySide6.QtWidgets import QTabWidget

    sidebar, views = window.sidebar, window.workspace.views
    for row in range(sidebar.count()):
        title = sidebar.item(row).text()
        sidebar.setCurrentRow(row)
        settle()
        page = views.currentWidget()
        if views.currentIndex() == row and page.isVisible():
            report.ok(f"view: {title}")
        else:
            report.fail(f"view: {title} did not show")
            continue
        select_first(window, title)
        for tabs in page.findChildren(QTabWidget):
            if not tabs.isVisible():
                continue
            for index in range(tabs.count()):
                name = tabs.tabText(index).replace("&", "")
                tabs.setCurrentIndex(index)
                settle(0.3)
                if tabs.currentIndex() == index and tabs.currentWidget().isVisible():
                    report.ok(f"view: {title} › {name} tab")
                else:
                    report.fail(f"view: {title} › {name} tab did not show")
            tabs.setCurrentIndex(0)
    sidebar.setCurrentRow(0)
    for name, widget in (("activity panel", getattr(window, "activity", None)),):
        if widget is None:
            continue
        widget.show()
        settle()
        (report.ok if widget.isVisible() else report.fail)(f"view: {name}" + ("" if widget.isVisible() else " did not show"))
        widget.hide()
    page = getattr(window.workspace, "connection_page", None)
    if page is not None:
        window.workspace.setCurrentWidget(page)
        settle()
        (report.ok if page.isVisible() else report.fail)("view: connection page" + ("" if page.isVisible() else " did not show"))
        window.workspace.setCurrentWidget(window.workspace.views)
        settle()


def select_first(window, title: str) -> None:
    """Select the first row of a list view, so its details pane (and its tabs) have content."""
    if title == "Images" and window.workspace.images_model.rowCount():
        table = window.workspace.images_view.table
        table.selectRow(0)
        details = getattr(window.workspace, "image_details", None)
        if details is not None:
            wait_until(lambda: not details.busy, LOAD_TIMEOUT)
    elif title == "Containers" and window.workspace.containers_model.rowCount():
        rows = window.workspace.containers_model.rows()
        view = window.workspace.containers_view
        if hasattr(view, "select_keys"):
            view.select_keys([rows[0].key])
        settle(0.5)


def check_about(report: Report, window) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[str] = []

    def close_box() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QMessageBox) and widget.isVisible():
                seen.append(widget.windowTitle() + " " + widget.text())
                widget.accept()
                return
        QTimer.singleShot(100, close_box)  # not shown yet

    QTimer.singleShot(100, close_box)
    window.show_about()
    text = " ".join(seen)
    if APP_NAME in text and __version__ in text:
        report.ok(f"about box: names {APP_NAME} {__version__}")
    else:
        report.fail(f"about box: expected '{APP_NAME}' and '{__version__}', found {text!r}")
    if window.windowTitle().startswith(APP_NAME) and not window.windowIcon().isNull():
        report.ok(f"window: title '{window.windowTitle()}' and icon set")
    else:
        report.fail(f"window: title '{window.windowTitle()}' or icon missing")


# --- dialogs --------------------------------------------------------------------------------------
def dialog_classes() -> list[type]:
    """Every QDialog subclass defined in desktop/ui/dialogs (found by looking, not listed)."""
    from PySide6.QtWidgets import QDialog

    import desktop.ui.dialogs as package

    found = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, QDialog) and cls.__module__ == module.__name__:
                found.append(cls)
    # a shared base (TaskFormDialog, PruneDialogBase) is opened through the dialogs built on it
    bases = {base for cls in found for base in cls.__mro__[1:]}
    return [cls for cls in found if cls not in bases]


class Arguments:
    """Values for dialog constructor parameters, chosen by annotation and name, made on demand."""

    def __init__(self, window, session, tasks, scratch: str):
        self.window, self.session, self.tasks, self.scratch = window, session, tasks, scratch
        self._plan = None

    def image_row(self):
        rows = self.window.workspace.images_model.rows()
        if not rows:
            raise _Skip("needs an image on the engine")
        return rows[0]

    def container_row(self):
        rows = self.window.workspace.containers_model.rows()
        if not rows:
            raise _Skip("needs a container on the engine")
        return rows[0]

    def archive_plan(self):
        """A real read of a small file-system archive (what `docker export` writes), as the load
        flow would do it; nothing is loaded."""
        if self._plan is None:
            from desktop.tasks import archive_tasks
            from desktop.tasks.task import Task

            path = os.path.join(self.scratch, "self-test-rootfs.tar")
            member = os.path.join(self.scratch, "hello.txt")
            with open(member, "w", encoding="utf-8") as fh:
                fh.write("written by berth --self-test\n")
            with tarfile.open(path, "w") as tar:
                tar.add(member, arcname="etc/hello.txt")
            results, errors = [], []
            task = Task("Reading the self-test archive", archive_tasks.inspect_archives, self.session.factory,
                        [path], action="read the archive")
            task.signals.succeeded.connect(results.append)
            task.signals.failed.connect(errors.append)
            self.tasks.submit(task)
            if not wait_until(lambda: results or errors, LOAD_TIMEOUT) or errors:
                raise RuntimeError(f"could not read a test archive: {errors[0] if errors else 'timed out'}")
            self._plan = results[0][0]
        return self._plan

    def value(self, name: str, annotation: str, cls: type):
        text = annotation.replace("typing.", "")
        many = text.startswith(("list[", "List[", "tuple[")) or text.startswith("list")
        if "EngineSession" in text:
            return self.session
        if "ArchivePlan" in text:
            return [self.archive_plan()] if many else self.archive_plan()
        if "ContainerRow" in text:
            return [self.container_row()] if many else self.container_row()
        if "ImageRow" in text:
            return [self.image_row()] if many else self.image_row()
        if name == "parent":
            return self.window
        if name == "image_id":
            return self.image_row().id
        if name == "image":
            return self.image_row().reference
        if name == "current_names":
            return [self.image_row().reference]
        if name in ("names", "container_names"):
            return [self.container_row().name]
        if name == "host":  # a registry's address: Docker Hub, which every Berth lists (nothing is sent)
            return "docker.io"
        if name == "direction":  # copy out of / into a container: the module names the choices
            return getattr(sys.modules[cls.__module__], "OUT", "out")
        raise LookupError(f"no value for parameter '{name}: {annotation}' (teach desktop/self_test.py Arguments)")

    def for_class(self, cls: type) -> dict:
        kwargs = {}
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = param.annotation if isinstance(param.annotation, str) else getattr(
                param.annotation, "__name__", str(param.annotation))
            if param.annotation is inspect.Parameter.empty:
                annotation = ""
            if param.default is not inspect.Parameter.empty and name != "parent":
                continue
            kwargs[name] = self.value(name, str(annotation), cls)
        return kwargs


def busy_tasks(tasks) -> list:
    return [t for t in tasks.running() if not t.state.done and not getattr(t, "background", False)]


def check_dialogs(report: Report, window, session, tasks, scratch: str) -> None:
    try:
        classes = dialog_classes()
    except Exception as exc:  # a dialog module that does not even import
        report.fail(f"dialogs: could not import desktop/ui/dialogs — {exc!r}")
        return
    arguments = Arguments(window, session, tasks, scratch)
    for cls in classes:
        label = f"dialog: {cls.__name__} ({cls.__module__.rsplit('.', 1)[-1]})"
        try:
            kwargs = arguments.for_class(cls)
        except _Skip as why:
            report.skip(f"{label} — {why}")
            continue
        except Exception as exc:
            report.fail(f"{label} — {exc}")
            continue
        try:
            dialog = cls(**kwargs)
            dialog.show()
            settle()
            shown = dialog.isVisible()
            wait_until(lambda: not busy_tasks(tasks), DIALOG_SETTLE)  # its preview/plan, if any
            dialog.reject()
            settle(0.1)
            dialog.deleteLater()
        except Exception as exc:
            report.fail(f"{label} — {type(exc).__name__}: {exc}")
            continue
        (report.ok if shown else report.fail)(label + ("" if shown else " did not show"))


# --- the run --------------------------------------------------------------------------------------
def run(host: str | None = None, out=None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    report = Report(out)
    print(f"{APP_NAME} {__version__} self-test ({where()})", file=out or sys.stdout, flush=True)
    scratch = tempfile.mkdtemp(prefix="berth-self-test-")
    try:
        from PySide6.QtCore import QSettings

        # the user's settings (window geometry, recent names) stay untouched
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.path.join(scratch, "settings"))
        from desktop.app import create_application

        app = create_application()
    except Exception as exc:
        print(f"  FAIL  Qt did not start: {type(exc).__name__}: {exc}", file=out or sys.stderr)
        return 2

    uncaught: list[str] = []
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def on_qt_message(kind, _context, text: str) -> None:
        # the offscreen platform has no window manager to pass size hints to: expected, not news
        if kind != QtMsgType.QtDebugMsg and "propagateSizeHints" not in text:
            report.note(f"Qt: {text}")

    previous_handler = qInstallMessageHandler(on_qt_message)
    previous_hook = sys.excepthook
    sys.excepthook = lambda kind, exc, tb: uncaught.append("".join(traceback.format_exception(kind, exc, tb)))
    from desktop.engine import connection
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.main_window import MainWindow

    tasks = TaskManager()
    session = EngineSession(tasks, [connection.user_endpoint(host)] if host else None)
    window = None
    try:
        check_resources(report, app)
        window = MainWindow(tasks, session)
        window.show()
        if connect(report, session):
            check_lists(report, window)
            check_views(report, window)
            check_dialogs(report, window, session, tasks, scratch)
            check_about(report, window)
    except Exception as exc:
        report.fail(f"self-test stopped: {type(exc).__name__}: {exc}")
        uncaught.append(traceback.format_exc())
    finally:
        if window is not None:
            window.close()
        session.stop()
        if not tasks.shutdown(10000):
            report.fail("shutdown: tasks still running after 10 s")
        sys.excepthook = previous_hook
        qInstallMessageHandler(previous_handler)
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    for text in uncaught:
        report.fail("uncaught exception:\n" + text.rstrip())
    total = len(report.passed) + len(report.failed)
    stream = out or sys.stdout
    if report.failed:
        print(f"self-test FAILED: {len(report.failed)} of {total} checks failed "
              f"({len(report.skipped)} skipped):", file=stream)
        for text in report.failed:
            print(f"  - {text.splitlines()[0]}", file=stream)
        return 1
    print(f"self-test passed: {total} checks ({len(report.skipped)} skipped)", file=stream, flush=True)
    return 0
