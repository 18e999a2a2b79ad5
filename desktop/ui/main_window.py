"""The main window wires the parts together: sidebar, views, connection page, activity panel
and status bar. It holds no Docker logic of its own."""

from __future__ import annotations

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (QListWidget, QListWidgetItem, QMainWindow, QMessageBox, QSplitter,
                               QStackedWidget)

from desktop import APP_NAME, __version__
from desktop.engine.events import EngineEvent
from desktop.models.containers_feed import ContainersFeed
from desktop.models.containers_model import ContainersModel
from desktop.models.images_model import ImagesModel
from desktop.models.live_feed import LiveFeed
from desktop.resources_path import resource
from desktop.tasks import loaders
from desktop.tasks.engine_session import CONNECTED, EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.activity_panel import ActivityPanel, ActivitySummary
from desktop.ui.archive_drop import ArchiveDropHandler
from desktop.ui.connection_indicator import ConnectionIndicator
from desktop.ui.connection_page import ConnectionPage
from desktop.ui.container_details import LOGS, ContainerDetailsPane
from desktop.ui.containers_view import ContainersView
from desktop.ui.disk_usage_widget import DiskUsageWidget
from desktop.ui.image_actions import ImageActions
from desktop.ui.image_details import ImageDetailsPane
from desktop.ui.images_view import ImagesView


def _images_relevant(event: EngineEvent) -> bool:
    return event.type == "image" or (event.type == "container" and event.base_action in ("create", "destroy"))


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
        self.resize(1180, 720)

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
        self.run_action = QAction("R&un…", self.images_view, triggered=self.run_selected_image)
        self.image_actions.extra_selection_actions.append(self.run_action)
        self.image_details.add_header_action(self.run_action)
        self.disk_usage = DiskUsageWidget(session)
        self.images_view.toolbar.addWidget(self.disk_usage)
        self.images_view.toolbar.addStretch(1)
        self.containers_view = ContainersView(self.containers_model, self.containers_feed, session=session)
        self.container_details = ContainerDetailsPane(session)
        self.containers_page = _list_over_details("containersPage", self.containers_view, self.container_details)
        self.containers_view.selectedRowsChanged.connect(self.container_details.show_container)
        self.containers_view.actions_.shellRequested.connect(self.container_details.open_shell)
        self.containers_view.actions_.runStarted.connect(self._on_run_started)
        self.views = QStackedWidget()
        self.views.setObjectName("views")
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setMinimumWidth(120)
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
        self.workspace.setSizes([160, 1020])

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
        self._restore_geometry()

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
        engine_menu.addAction(QAction("&Connect to another engine…", self, triggered=self.show_connection_page))
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

    def run_selected_image(self) -> None:
        rows = self.images_view.selected_rows()
        if rows:
            self.containers_view.actions_.run_image(rows[0])

    def _on_run_started(self, result) -> None:
        self.sidebar.setCurrentRow(1)
        if not result.detached:
            self.container_details.tabs.setCurrentIndex(LOGS)

    def refresh(self) -> None:
        self.images_feed.refresh()
        self.containers_feed.refresh()

    def show_connection_page(self) -> None:
        self.pages.setCurrentWidget(self.connection_page)
        self.connection_page.host_edit.setFocus()

    def show_about(self) -> None:
        info = self.session.info
        engine = f"<p>Connected to Docker {info.version} (API {info.api_version}) at {info.endpoint.host}</p>" if info else ""
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {__version__}</h3><p>A fast, honest desktop app for Docker "
                          f"images, containers and tags.</p>{engine}")

    def _on_state(self, state: str) -> None:
        if state == CONNECTED:
            self.pages.setCurrentWidget(self.workspace)
            info = self.session.info
            self.setWindowTitle(f"{APP_NAME} — {info.display_name}" if info else APP_NAME)
        elif self.pages.currentWidget() is self.workspace or state != "connecting":
            self.pages.setCurrentWidget(self.connection_page)
            self.setWindowTitle(APP_NAME)

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def closeEvent(self, event) -> None:
        QSettings().setValue("window/geometry", self.saveGeometry())
        self.session.stop()
        super().closeEvent(event)
