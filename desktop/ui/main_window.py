"""The main window wires the parts together: sidebar, views, connection page, activity panel
and status bar. It holds no Docker logic of its own.

It remembers its size and layout and each list's sort order and column widths (QSettings,
restored at start). Its first size fits every Containers column on a 1366x768 screen."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QSizePolicy, QSplitter,
                               QStackedWidget, QWidget)

from desktop import APP_NAME, __version__
from desktop.engine.connection import Endpoint
from desktop.engine.events import EngineEvent
from desktop.models.containers_feed import ContainersFeed
from desktop.models.containers_model import ContainersModel
from desktop.models.images_model import ImagesModel
from desktop.models.live_feed import LiveFeed
from desktop.resources_path import resource
from desktop.tasks import loaders
from desktop.tasks.engine_session import CONNECTED, CONNECTING, EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.activity_panel import ActivityPanel, ActivitySummary
from desktop.ui.archive_drop import ArchiveDropHandler
from desktop.ui.connection_indicator import ConnectionIndicator
from desktop.ui.connection_page import ConnectionPage
from desktop.ui.container_details import LOGS, ContainerDetailsPane
from desktop.ui.containers_view import ContainersView
from desktop.ui.dialogs.connect_dialog import ConnectDialog, open_connect_dialog
from desktop.ui.disk_usage_widget import DiskUsageWidget
from desktop.ui.image_actions import ImageActions
from desktop.ui.image_details import ImageDetailsPane
from desktop.ui.images_view import ImagesView


def _images_relevant(event: EngineEvent) -> bool:
    return event.type == "image" or (event.type == "container" and event.base_action in ("create", "destroy"))


# The first size: the sidebar and every Containers column (their default widths add up to about
# 1,130 px) side by side, within a 1366x768 screen less a panel and the title bar.
DEFAULT_SIZE = QSize(1340, 700)
SIDEBAR_WIDTH = 165


def first_size(available: QRect | None) -> QSize:
    """DEFAULT_SIZE, shrunk to fit the screen's available area (a small laptop screen)."""
    if available is None or available.isEmpty():
        return DEFAULT_SIZE
    return DEFAULT_SIZE.boundedTo(QSize(available.width() - 16, available.height() - 40))


def _list_over_details(name: str, listing, details) -> QSplitter:
    page = QSplitter(Qt.Orientation.Vertical)
    page.setObjectName(name)
    page.addWidget(listing)
    page.addWidget(details)
    page.setStretchFactor(0, 3)
    page.setStretchFactor(1, 2)
    page.setCollapsible(0, False)
    return page


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

        # models, fed by tasks and the event stream
        self.images_model = ImagesModel(self)
        self.images_feed = LiveFeed(session, "Listing images", loaders.load_images, self.images_model.apply,
                                    _images_relevant, parent=self)
        self.containers_model = ContainersModel(self)
        self.containers_feed = ContainersFeed(session, self.containers_model, parent=self)
        session.disconnected.connect(lambda _e: (self.images_model.clear(), self.containers_model.clear()))

        # views
        self.images_view = ImagesView(self.images_model, self.images_feed)
        self.image_details = ImageDetailsPane(session)
        self.images_page = _list_over_details("imagesPage", self.images_view, self.image_details)
        self.images_view.table.selectionModel().selectionChanged.connect(
            lambda *_: self.image_details.show_image(self.images_view.selected_rows()))
        self.image_details.containerActivated.connect(self.show_container)
        session.eventReceived.connect(self._on_event)
        self.image_actions = ImageActions(self, session, self.images_view, self.image_details)
        self.run_action = self.image_actions.run_action
        self.disk_usage = DiskUsageWidget(session)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.images_view.toolbar.addWidget(spacer)
        self.images_view.toolbar.addWidget(self.disk_usage)
        self.containers_view = ContainersView(self.containers_model, self.containers_feed, session=session)
        self.container_details = ContainerDetailsPane(session)
        self.containers_page = _list_over_details("containersPage", self.containers_view, self.container_details)
        self.containers_view.selectedRowsChanged.connect(self.container_details.show_container)
        self.containers_view.actions_.shellRequested.connect(self.container_details.open_shell)
        self.containers_view.actions_.runStarted.connect(self._on_run_started)
        self.image_actions.runRequested.connect(self.containers_view.actions_.run_image)
        self.views = QStackedWidget()
        self.views.setObjectName("views")
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMinimumWidth(120)
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # names are short
        self.sidebar.setIconSize(QSize(20, 20))
        for title, view, icon in (("Images", self.images_page, "images"),
                                  ("Containers", self.containers_page, "containers")):
            QListWidgetItem(QIcon(str(resource("icons", f"{icon}.svg"))), title, self.sidebar)
            self.views.addWidget(view)
        self.sidebar.currentRowChanged.connect(self.views.setCurrentIndex)
        self.sidebar.setCurrentRow(0)
        self.workspace = QSplitter()
        self.workspace.setObjectName("workspace")
        self.workspace.addWidget(self.sidebar)
        self.workspace.addWidget(self.views)
        self.workspace.setStretchFactor(1, 1)
        self.workspace.setCollapsible(1, False)
        self.workspace.setSizes([SIDEBAR_WIDTH, self.width() - SIDEBAR_WIDTH])

        self.connection_page = ConnectionPage(session)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.connection_page)
        self.pages.addWidget(self.workspace)
        self.setCentralWidget(self.pages)

        self.activity = ActivityPanel(tasks, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.activity)
        self.activity.hide()

        self.indicator = ConnectionIndicator(session)
        self.statusBar().addWidget(self.indicator, 1)
        self.activity_button = ActivitySummary(self.activity)
        self.statusBar().addPermanentWidget(self.activity_button)

        self.image_actions.shown_loaded.connect(lambda _refs: self.sidebar.setCurrentRow(0))
        self.archive_drop = ArchiveDropHandler(
            self, session, on_files=self.image_actions.load,
            on_build=lambda drop: self.image_actions.build(drop.context_dir, drop.dockerfile or None))

        self._build_menus()
        session.stateChanged.connect(self._on_state)
        self._on_state(session.state)
        self._restore_layout()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.image_actions.load_action)
        file_menu.addAction(self.image_actions.save_action)
        file_menu.addAction(self.image_actions.build_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        file_menu.addAction(quit_action)
        images_menu = self.menuBar().addMenu("&Images")
        self.image_actions.fill_menu(images_menu)
        containers_menu = self.menuBar().addMenu("&Containers")
        for name, act in self.containers_view.action.items():
            containers_menu.addAction(act)
        view_menu = self.menuBar().addMenu("&View")
        for row, (title, key) in enumerate((("&Images", "Ctrl+1"), ("&Containers", "Ctrl+2"))):
            view_menu.addAction(QAction(title, self, shortcut=QKeySequence(key),
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

    def _on_event(self, event: EngineEvent) -> None:
        # a container's start, stop or new name matters to the details only if it is in their
        # "Used by" list: 100 containers of other images starting must not reload them 100 times
        if _images_relevant(event) or (event.type == "container" and event.base_action in ("start", "die", "rename")
                                       and self.image_details.shows_container(event.actor_id)):
            self.image_details.refresh()

    def show_container(self, container_id: str) -> None:
        self.sidebar.setCurrentRow(1)
        self.containers_view.select_keys([container_id])

    def _on_run_started(self, result) -> None:
        self.sidebar.setCurrentRow(1)
        if not result.detached:
            self.container_details.tabs.setCurrentIndex(LOGS)

    def refresh(self) -> None:
        self.images_feed.refresh()
        self.containers_feed.refresh()

    def show_connect_dialog(self) -> ConnectDialog:
        """Ask for another engine; the workspace goes on showing this one until that one answers."""
        if self.connect_dialog is not None and self.connect_dialog.isVisible():
            self.connect_dialog.raise_()
            return self.connect_dialog
        self.connect_dialog = open_connect_dialog(self, self.session, self.switch_engine)
        return self.connect_dialog

    def switch_engine(self, endpoint: Endpoint) -> None:
        """Talk to the engine at *endpoint* from now on: the lists and details start afresh from
        it (nothing of the previous engine stays on screen)."""
        self.images_model.clear()
        self.containers_model.clear()
        self.image_details.show_image(None)
        self.session.set_endpoints([endpoint])

    def show_about(self) -> None:
        info = self.session.info
        engine = f"<p>Connected to Docker {info.version} (API {info.api_version}) at {info.endpoint.host}</p>" if info else ""
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {__version__}</h3><p>A fast, honest desktop app for Docker "
                          f"images, containers and tags.</p>{engine}")

    def _on_state(self, state: str) -> None:
        # while connecting, whatever is on screen stays (the status bar says "Connecting…"): a
        # switch to an engine that already answered must not blank the workspace
        if state == CONNECTED:
            self.pages.setCurrentWidget(self.workspace)
            info = self.session.info
            self.setWindowTitle(f"{APP_NAME} — {info.display_name}" if info else APP_NAME)
        elif state != CONNECTING:
            self.pages.setCurrentWidget(self.connection_page)
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
        workspace = settings.value("window/workspace")
        if workspace is not None:
            self.workspace.restoreState(workspace)
        for view in (self.images_view, self.containers_view):
            view.restore_state(settings)
        tree = settings.value("containersView/treeHeader")
        if tree is not None and self.containers_view.tree.header().restoreState(tree):
            header = self.containers_view.tree.header()
            self.containers_view.tree.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/workspace", self.workspace.saveState())
        for view in (self.images_view, self.containers_view):
            view.save_state(settings)
        settings.setValue("containersView/treeHeader", self.containers_view.tree.header().saveState())
        settings.sync()

    def closeEvent(self, event) -> None:
        self.save_layout()
        self.session.stop()
        super().closeEvent(event)
