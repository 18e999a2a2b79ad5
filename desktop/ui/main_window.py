"""The shell: menus, the sidebar of views, the status bar and the activity centre around one
engine workspace (``engine_workspace.py``), which owns everything of that engine. The shell routes
menus, shortcuts, drops and files handed over on the command line to the current workspace and
holds no Docker logic of its own.

It remembers its size and layout and each list's sort order and column widths (QSettings,
restored at start). Its first size fits every Containers column on a 1366x768 screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMainWindow, QSplitter

from desktop import APP_NAME, __version__
from desktop.engine.connection import Endpoint
from desktop.resources_path import resource
from desktop.tasks.engine_session import CONNECTED, CONNECTING, EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.activity_panel import ActivityPanel, ActivitySummary
from desktop.ui.archive_drop import ArchiveDropHandler
from desktop.ui.connection_indicator import ConnectionIndicator
from desktop.ui.engine_workspace import VIEWS, EngineWorkspace

if TYPE_CHECKING:
    from desktop.ui.dialogs.connect_dialog import ConnectDialog

# The first size: the sidebar and every Containers column (their default widths add up to about
# 1,130 px) side by side, within a 1366x768 screen less a panel and the title bar.
DEFAULT_SIZE = QSize(1340, 700)
SIDEBAR_WIDTH = 165


def first_size(available: QRect | None) -> QSize:
    """DEFAULT_SIZE, shrunk to fit the screen's available area (a small laptop screen)."""
    if available is None or available.isEmpty():
        return DEFAULT_SIZE
    return DEFAULT_SIZE.boundedTo(QSize(available.width() - 16, available.height() - 40))


class MainWindow(QMainWindow):
    def __init__(self, tasks: TaskManager, session: EngineSession, parent=None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.tasks = tasks
        self.session = session
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(QIcon(str(resource("icons", "berth.svg"))))
        screen = self.screen()
        self.resize(first_size(screen.availableGeometry() if screen is not None else None))
        self.connect_dialog: ConnectDialog | None = None

        self.workspace = EngineWorkspace(session, self)
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMinimumWidth(120)
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # names are short
        self.sidebar.setIconSize(QSize(20, 20))
        for title, icon, _key in VIEWS:
            QListWidgetItem(QIcon(str(resource("icons", f"{icon}.svg"))), title, self.sidebar)
        self.sidebar.setCurrentRow(self.workspace.current_view())
        self.sidebar.currentRowChanged.connect(self.workspace.show_view)
        self.workspace.viewChanged.connect(self.sidebar.setCurrentRow)
        self.splitter = QSplitter()
        self.splitter.setObjectName("shellSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.workspace)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([SIDEBAR_WIDTH, self.width() - SIDEBAR_WIDTH])
        self.setCentralWidget(self.splitter)

        self.activity = ActivityPanel(tasks, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.activity)
        self.activity.hide()

        self.indicator = ConnectionIndicator(session)
        self.statusBar().addWidget(self.indicator, 1)
        self.activity_button = ActivitySummary(self.activity)
        self.statusBar().addPermanentWidget(self.activity_button)

        self.archive_drop = ArchiveDropHandler(
            self, session, on_files=lambda paths: self.workspace.load_files(paths),
            on_build=lambda drop: self.workspace.build(drop.context_dir, drop.dockerfile or None), routed=True)
        self.workspace.pageBuilt.connect(self.archive_drop.watch_children)

        self._build_menus()
        session.stateChanged.connect(self._on_state)
        self._on_state(session.state)
        self._restore_layout()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.workspace.fill_file_menu(file_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        file_menu.addAction(quit_action)
        self.workspace.fill_images_menu(self.menuBar().addMenu("&Images"))
        self.workspace.fill_containers_menu(self.menuBar().addMenu("&Containers"))
        self.workspace.fill_registries_menu(self.menuBar().addMenu("&Registries"))
        view_menu = self.menuBar().addMenu("&View")
        for row, (title, _icon, key) in enumerate(VIEWS):
            view_menu.addAction(QAction(f"&{title}", self, shortcut=QKeySequence(key),
                                        triggered=lambda _=False, r=row: self.sidebar.setCurrentRow(r)))
        view_menu.addSeparator()
        view_menu.addAction(self.activity.toggleViewAction())
        view_menu.addAction(QAction("&Refresh", self, shortcut=QKeySequence(Qt.Key.Key_F5),
                                    triggered=self.refresh))
        engine_menu = self.menuBar().addMenu("&Engine")
        engine_menu.addAction(QAction("&Reconnect", self, triggered=self.session.connect_now))
        engine_menu.addAction(QAction("&Connect to another engine…", self, triggered=self.show_connect_dialog))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(QAction(f"&About {APP_NAME}", self, triggered=self.show_about))

    def refresh(self) -> None:
        self.workspace.refresh()

    def open_files(self, paths: list[str]) -> None:
        """Image archives handed over on the command line or by a second launch: to the workspace."""
        self.workspace.load_files(paths)

    def show_connect_dialog(self) -> ConnectDialog:
        """Ask for another engine; the workspace goes on showing this one until that one answers."""
        if self.connect_dialog is not None and self.connect_dialog.isVisible():
            self.connect_dialog.raise_()
            return self.connect_dialog
        from desktop.ui.dialogs.connect_dialog import open_connect_dialog  # on first use

        self.connect_dialog = open_connect_dialog(self, self.session, self.switch_engine)
        return self.connect_dialog

    def switch_engine(self, endpoint: Endpoint) -> None:
        self.workspace.switch_engine(endpoint)

    def show_about(self) -> None:
        info = self.session.info
        engine = f"<p>Connected to Docker {info.version} (API {info.api_version}) at {info.endpoint.host}</p>" if info else ""
        from PySide6.QtWidgets import QMessageBox  # on first use

        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {__version__}</h3><p>A fast, honest desktop app for Docker "
                          f"images, containers and tags.</p>{engine}")

    def _on_state(self, state: str) -> None:
        info = self.session.info
        if state == CONNECTED:
            self.setWindowTitle(f"{APP_NAME} — {info.display_name}" if info else APP_NAME)
        elif state != CONNECTING:
            self.setWindowTitle(APP_NAME)

    # --- remembered layout ---------------------------------------------------------------
    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = settings.value("window/workspace")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.workspace.restore_layout(settings)

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/workspace", self.splitter.saveState())
        self.workspace.save_layout(settings)
        settings.sync()

    # drags onto the window go to the drop handler; overriding these costs a Python call per
    # drag event, where an event filter on the window would cost one per event (every repaint)
    def dragEnterEvent(self, event) -> None:
        if not self.archive_drop.handle(event):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if not self.archive_drop.handle(event):
            super().dragMoveEvent(event)

    def dragLeaveEvent(self, event) -> None:
        if not self.archive_drop.handle(event):
            super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        if not self.archive_drop.handle(event):
            super().dropEvent(event)

    def closeEvent(self, event) -> None:
        self.save_layout()
        self.session.stop()
        super().closeEvent(event)
