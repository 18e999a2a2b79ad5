"""Everything Berth shows of one engine: its models, the feeds that keep them live, the Images,
Containers and Registries views with their detail panes and actions, and the page that says why
there is no engine when there is none.

Start-up paints only what is on screen: the Containers page (its list, details pane, log,
charts and terminal) is built, and its modules imported, the first time it is shown or reached
(``containers_view``, ``container_details``, ``containers_page``, the Containers menu opening);
its models and feed exist from the start, so its rows are listed and kept live all along. The
Registries page (the list and the browser) likewise (``registries_view``, ``registry_browser``).

The shell (``main_window.py``) places a workspace, routes its menus, shortcuts, drops and the
files handed over on the command line to it, and never reaches inside: what the shell needs is a
method here. One workspace per engine session, so several engines can sit side by side.

Signals: viewChanged(int) -- the workspace showed another view by itself (a container chosen in
the image details, a run started, archives loaded), so the shell's sidebar can follow.
pageBuilt(QWidget) -- a page built on first use joined the workspace (the shell's drop handler
watches its children).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSizePolicy, QSplitter, QStackedWidget, QWidget

from desktop.engine.connection import Endpoint
from desktop.engine.events import EngineEvent
from desktop.models.containers_model import ContainersModel
from desktop.models.images_model import ImagesModel
from desktop.tasks import loaders
from desktop.tasks.containers_feed import ContainersFeed
from desktop.tasks.engine_session import CONNECTED, CONNECTING, EngineSession
from desktop.tasks.live_feed import LiveFeed
from desktop.ui.connection_page import ConnectionPage
from desktop.ui.disk_usage_widget import DiskUsageWidget
from desktop.ui.image_actions import ImageActions
from desktop.ui.image_details import ImageDetailsPane
from desktop.ui.images_view import ImagesView
from desktop.ui.transfer_actions import TransferActions

if TYPE_CHECKING:
    from desktop.ui.container_details import ContainerDetailsPane
    from desktop.ui.containers_view import ContainersView
    from desktop.ui.registries_view import RegistriesView
    from desktop.ui.registry_browser import RegistryBrowser

IMAGES, CONTAINERS, REGISTRIES = 0, 1, 2
VIEWS = (("Images", "images", "Ctrl+1"), ("Containers", "containers", "Ctrl+2"),
         ("Registries", "registries", "Ctrl+3"))  # title, icon, shortcut


def images_relevant(event: EngineEvent) -> bool:
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


class EngineWorkspace(QStackedWidget):
    viewChanged = Signal(int)
    pageBuilt = Signal(QWidget)

    def __init__(self, session: EngineSession, window: QWidget, parent: QWidget | None = None):
        """*window* parents the dialogs the actions open."""
        super().__init__(parent)
        self.setObjectName("engineWorkspace")
        self.session = session

        # models, fed by tasks and the event stream
        self.images_model = ImagesModel(self)
        self.images_feed = LiveFeed(session, "Listing images", loaders.load_images, self.images_model.apply,
                                    images_relevant, parent=self)
        self.containers_model = ContainersModel(self)
        self.containers_feed = ContainersFeed(session, self.containers_model, parent=self)
        session.disconnected.connect(lambda _e: self._clear())

        # views
        self.images_view = ImagesView(self.images_model, self.images_feed)
        self.image_details = ImageDetailsPane(session)
        self.images_page = _list_over_details("imagesPage", self.images_view, self.image_details)
        self.images_view.table.selectionModel().selectionChanged.connect(
            lambda *_: self.image_details.show_image(self.images_view.selected_rows()))
        self.image_details.containerActivated.connect(self.show_container)
        session.eventReceived.connect(self._on_event)
        self.image_actions = ImageActions(window, session, self.images_view, self.image_details)
        self.image_actions.shown_loaded.connect(lambda _refs: self.show_view(IMAGES))
        self.transfer_actions = TransferActions(window, session, self.image_actions)
        self.disk_usage = DiskUsageWidget(session)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.images_view.toolbar.addWidget(spacer)
        self.images_view.toolbar.addWidget(self.disk_usage)
        self.image_actions.runRequested.connect(lambda image: self.containers_view.actions_.run_image(image))
        self.views = QStackedWidget()
        self.views.setObjectName("views")
        self.views.addWidget(self.images_page)
        self._containers: tuple[ContainersView, ContainerDetailsPane, QSplitter] | None = None
        self._containers_placeholder = QWidget()  # stands in the stack until the page is built
        self.views.addWidget(self._containers_placeholder)
        self._layout_settings: QSettings | None = None
        self._window = window
        self._registries: tuple[RegistriesView, RegistryBrowser] | None = None
        self._registries_placeholder = QWidget()
        self.views.addWidget(self._registries_placeholder)
        self.transfer_actions.pulled.connect(lambda _result: self.show_view(IMAGES))

        self.connection_page = ConnectionPage(session)
        self.addWidget(self.connection_page)
        self.addWidget(self.views)
        session.stateChanged.connect(self._on_state)
        self._on_state(session.state)

    # --- the Containers page, built on first use -----------------------------------------------
    @property
    def containers_view(self) -> ContainersView:
        return self._containers_built()[0]

    @property
    def container_details(self) -> ContainerDetailsPane:
        return self._containers_built()[1]

    @property
    def containers_page(self) -> QSplitter:
        return self._containers_built()[2]

    def containers_built(self) -> bool:
        return self._containers is not None

    def _containers_built(self) -> tuple[ContainersView, ContainerDetailsPane, QSplitter]:
        if self._containers is None:
            from desktop.ui.container_details import ContainerDetailsPane
            from desktop.ui.containers_view import ContainersView

            view = ContainersView(self.containers_model, self.containers_feed, session=self.session)
            details = ContainerDetailsPane(self.session)
            page = _list_over_details("containersPage", view, details)
            view.selectedRowsChanged.connect(details.show_container)
            view.actions_.shellRequested.connect(details.open_shell)
            view.actions_.runStarted.connect(self._on_run_started)
            self._containers = (view, details, page)
            self._place(CONTAINERS, self._containers_placeholder, page)
            if self._layout_settings is not None:
                self._restore_containers_layout(self._layout_settings)
            self.pageBuilt.emit(page)
        return self._containers

    # --- the Registries page, built on first use too ---------------------------------------------
    @property
    def registries_view(self) -> RegistriesView:
        return self._registries_built()[0]

    @property
    def registry_browser(self) -> RegistryBrowser:
        return self._registries_built()[1]

    def registries_built(self) -> bool:
        return self._registries is not None

    def _registries_built(self) -> tuple[RegistriesView, RegistryBrowser]:
        if self._registries is None:
            from desktop.ui.registries_view import RegistriesView
            from desktop.ui.registry_browser import RegistryBrowser

            view = RegistriesView(self.session, dialog_parent=self._window)
            browser = RegistryBrowser(self.session)
            view.set_detail_widget(browser)
            view.registrySelected.connect(browser.show_registry)
            browser.pullRequested.connect(lambda ref: self.transfer_actions.pull(ref, start=True))
            self._registries = (view, browser)
            self._place(REGISTRIES, self._registries_placeholder, view)
            self.pageBuilt.emit(view)
        return self._registries

    def _place(self, index: int, placeholder: QWidget, page: QWidget) -> None:
        """Put a page built on first use where its placeholder stood, the current view unchanged."""
        current = self.views.currentIndex()
        self.views.insertWidget(index, page)
        self.views.removeWidget(placeholder)
        placeholder.deleteLater()
        self.views.setCurrentIndex(current)

    # --- what the shell asks of it ----------------------------------------------------------
    def showing_engine(self) -> bool:
        """The views are on screen (not the no-engine page)."""
        return self.currentWidget() is self.views

    def current_view(self) -> int:
        return self.views.currentIndex()

    def show_view(self, index: int) -> None:
        if index == CONTAINERS:
            self._containers_built()
        elif index == REGISTRIES:
            self._registries_built()
        if index != self.views.currentIndex():
            self.views.setCurrentIndex(index)
            self.viewChanged.emit(index)

    def fill_file_menu(self, menu: QMenu) -> None:
        for act in (self.image_actions.load_action, self.image_actions.save_action, self.image_actions.build_action):
            menu.addAction(act)

    def fill_images_menu(self, menu: QMenu) -> None:
        self.image_actions.fill_menu(menu)

    def fill_containers_menu(self, menu: QMenu) -> None:
        """The Containers view's actions, once the menu first opens (or the view is built)."""
        def fill() -> None:
            if not menu.actions():
                for act in self.containers_view.action.values():
                    menu.addAction(act)

        menu.aboutToShow.connect(fill)
        if self.containers_built():
            fill()

    def fill_registries_menu(self, menu: QMenu) -> None:
        """The Registries view's actions, once the menu first opens (or the view is built)."""
        def fill() -> None:
            if not menu.actions():
                self.registries_view.fill_menu(menu)

        menu.aboutToShow.connect(fill)
        if self.registries_built():
            fill()

    def run_action(self) -> QAction:
        return self.image_actions.run_action

    def load_files(self, paths: list[str]) -> None:
        """Preview and load image archives (a drop, the command line, a second launch)."""
        self.image_actions.load(paths)

    def build(self, context_dir: str | None, dockerfile: str | None = None) -> None:
        self.image_actions.build(context_dir, dockerfile)

    def refresh(self) -> None:
        self.images_feed.refresh()
        self.containers_feed.refresh()
        if self.registries_built():
            self.registries_view.refresh()

    def show_container(self, container_id: str) -> None:
        self.show_view(CONTAINERS)
        self.containers_view.select_keys([container_id])

    def switch_engine(self, endpoint: Endpoint) -> None:
        """Talk to the engine at *endpoint* from now on: the lists and details start afresh from
        it (nothing of the previous engine stays on screen)."""
        self._clear()
        self.image_details.show_image(None)
        self.session.set_endpoints([endpoint])

    def restore_layout(self, settings: QSettings) -> None:
        """Sort orders and column widths from *settings*; the Containers page's when it is built."""
        self.images_view.restore_state(settings)
        self._layout_settings = settings
        if self.containers_built():
            self._restore_containers_layout(settings)

    def _restore_containers_layout(self, settings: QSettings) -> None:
        view = self.containers_view
        view.restore_state(settings)
        tree = settings.value("containersView/treeHeader")
        if tree is not None and view.tree.header().restoreState(tree):
            header = view.tree.header()
            view.tree.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def save_layout(self, settings: QSettings) -> None:
        """What ``restore_layout`` reads; a Containers page never built leaves its entries as they were."""
        self.images_view.save_state(settings)
        if self.containers_built():
            self.containers_view.save_state(settings)
            settings.setValue("containersView/treeHeader", self.containers_view.tree.header().saveState())

    # --- inside ---------------------------------------------------------------------------------
    def _clear(self) -> None:
        self.images_model.clear()
        self.containers_model.clear()

    def _on_event(self, event: EngineEvent) -> None:
        # a container's start, stop or new name matters to the details only if it is in their
        # "Used by" list: 100 containers of other images starting must not reload them 100 times
        if images_relevant(event) or (event.type == "container" and event.base_action in ("start", "die", "rename")
                                      and self.image_details.shows_container(event.actor_id)):
            self.image_details.refresh()

    def _on_run_started(self, result) -> None:
        from desktop.ui.container_details import LOGS

        self.show_view(CONTAINERS)
        if not result.detached:
            self.container_details.tabs.setCurrentIndex(LOGS)

    def _on_state(self, state: str) -> None:
        # while connecting, whatever is on screen stays (the status bar says "Connecting…"): a
        # switch to an engine that already answered must not blank the workspace
        if state == CONNECTED:
            self.setCurrentWidget(self.views)
        elif state != CONNECTING:
            self.setCurrentWidget(self.connection_page)
