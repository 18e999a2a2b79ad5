"""What a person sees of the window's layout: the first size fits every Containers column on a
1366x768 screen; size, sort orders and column widths come back after a restart; Esc empties a
filter; intermediate layers and dangling images are told apart in the list. The real window
against the isolated engine (settings go to the suite's private XDG config dir)."""

import pytest
from PySide6.QtCore import QPoint, QRect, QSettings, QSize, Qt

from desktop.models.containers_model import ContainersModel
from desktop.models.images_model import ImagesModel
from desktop.ui import main_window
from tests.window_fixture import make_window  # noqa: F401  (a fixture)

pytestmark = pytest.mark.engine

SCREEN_1366 = QRect(0, 0, 1366, 768 - 32)  # less a 32 px panel


def _open(qtbot, make_window, engine):
    window, session = make_window(engine.docker_host)
    session.start()
    qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once and window.workspace.containers_feed.loaded_once, timeout=20000)
    return window


@pytest.fixture
def a_container(docker_engine, busybox_image):
    """One container, so that the Containers view shows its table rather than its empty text."""
    name = "berth-layout-c"
    docker_engine.cli("create", "--name", name, busybox_image, "true")
    yield name
    docker_engine.cli("rm", "-f", name, check=False)


def test_first_size_fits_a_1366x768_screen_and_every_containers_column(qtbot, make_window, docker_engine,
                                                                       a_container):
    size = main_window.first_size(SCREEN_1366)
    assert size.width() <= 1366 - 10 and size.height() + 30 <= SCREEN_1366.height()  # with frame and title
    assert main_window.first_size(QRect(0, 0, 1024, 600)).width() <= 1024
    assert main_window.first_size(None) == main_window.DEFAULT_SIZE

    window = _open(qtbot, make_window, docker_engine)
    window.resize(size)
    window.splitter.setSizes([main_window.SIDEBAR_WIDTH, size.width() - main_window.SIDEBAR_WIDTH])
    window.sidebar.setCurrentRow(1)
    table = window.workspace.containers_view.table
    qtbot.waitUntil(lambda: table.isVisible() and window.width() == size.width(), timeout=5000)
    header = table.horizontalHeader()
    needed = sum(header.sectionSize(c) for c in range(header.count()) if not header.isSectionHidden(c))
    assert needed <= table.viewport().width(), (needed, table.viewport().width())  # no horizontal scrolling


def test_size_sort_order_and_column_widths_survive_a_restart(qtbot, make_window, docker_engine, busybox_image):
    window = _open(qtbot, make_window, docker_engine)
    assert QSettings().value("imagesView/header") is None  # nothing left over from another test
    view = window.workspace.images_view
    default_sort = view.table.horizontalHeader().sortIndicatorSection()
    header = view.table.horizontalHeader()
    tag_x = header.sectionViewportPosition(ImagesModel.TAG) + header.sectionSize(ImagesModel.TAG) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(tag_x, header.height() // 2))
    assert default_sort != ImagesModel.TAG
    assert view.table.horizontalHeader().sortIndicatorSection() == ImagesModel.TAG
    order = view.table.horizontalHeader().sortIndicatorOrder()
    view.table.horizontalHeader().resizeSection(ImagesModel.REPOSITORY, 222)
    window.workspace.containers_view.table.horizontalHeader().resizeSection(ContainersModel.IMAGE, 111)
    window.resize(QSize(1000, 730))
    window.activity.show()
    qtbot.waitUntil(lambda: window.size() == QSize(1000, 730), timeout=5000)
    window.close()

    again = _open(qtbot, make_window, docker_engine)
    header = again.workspace.images_view.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (ImagesModel.TAG, order)
    assert header.sectionSize(ImagesModel.REPOSITORY) == 222
    assert again.workspace.containers_view.table.horizontalHeader().sectionSize(ContainersModel.IMAGE) == 111
    # restoreGeometry fits the window to the screen (the offscreen one is 800 px wide): the height tells
    assert again.height() == 730 != main_window.first_size(again.screen().availableGeometry()).height()
    assert again.activity.isVisible()
    # the rows really are in that order, not only the arrow
    tags = [again.workspace.images_view.proxy.index(r, ImagesModel.TAG).data().lower()
            for r in range(again.workspace.images_view.proxy.rowCount())]
    assert tags == sorted(tags, reverse=order == Qt.SortOrder.DescendingOrder)


def test_escape_empties_the_filter_then_goes_back_to_the_table(qtbot, make_window, docker_engine, a_container):
    window = _open(qtbot, make_window, docker_engine)
    window.activateWindow()
    for view, row in ((window.workspace.images_view, 0), (window.workspace.containers_view, 1)):
        window.sidebar.setCurrentRow(row)
        qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(view.filter_edit.hasFocus, timeout=5000)
        qtbot.keyClicks(view.filter_edit, "no-such-thing-anywhere")
        assert view.proxy.rowCount() == 0
        qtbot.keyClick(view.filter_edit, Qt.Key.Key_Escape)
        assert view.filter_edit.text() == "" and view.proxy.rowCount() == view.model.rowCount()
        assert view.filter_edit.hasFocus()
        qtbot.keyClick(view.filter_edit, Qt.Key.Key_Escape)
        assert view.table.hasFocus()


def test_intermediate_layers_and_dangling_images_read_differently(qtbot, make_window, docker_engine, unique_repo):
    # the legacy builder keeps a layer per step; building the tag again leaves the old image dangling
    old = docker_engine.build_busybox_image(f"{unique_repo}:v", [f"LABEL b={unique_repo}-1", "RUN echo 1 > /one"])
    new = docker_engine.build_busybox_image(f"{unique_repo}:v", [f"LABEL b={unique_repo}-2", "RUN echo 2 > /one"])
    try:
        def ids(*flags):
            return set(docker_engine.cli("images", "-q", "--no-trunc", *flags).stdout.split())

        dangling = ids("-f", "dangling=true")
        intermediate = ids("-a") - ids()
        assert old in dangling and new not in dangling
        old_parent = docker_engine.cli("inspect", "-f", "{{.Parent}}", old).stdout.strip()
        assert old_parent in intermediate

        window = _open(qtbot, make_window, docker_engine)
        view = window.workspace.images_view
        with qtbot.waitSignal(window.workspace.images_feed.loaded, timeout=15000):
            qtbot.mouseClick(view.toggle, Qt.MouseButton.LeftButton)  # show intermediate images (-a)

        def shown(image_id):
            model = window.workspace.images_model
            index = model.index(next(r for r in range(model.rowCount()) if model.row_at(r).id == image_id),
                                ImagesModel.REPOSITORY)
            return index.data(), index.data(Qt.ItemDataRole.ToolTipRole)

        untagged = {r.id for r in window.workspace.images_model.rows() if r.repository == "<none>"}
        assert untagged == dangling | intermediate  # the oracle's two kinds are all there is
        for image_id in untagged:
            text, tip = shown(image_id)
            if image_id in dangling:
                assert text == "<none> (dangling)" and "dangling" in tip.lower()
            else:
                assert text == "<none> (intermediate layer)" and "intermediate" in tip.lower()
        assert shown(new)[0] == unique_repo
        # the filter finds each kind by its word
        view.filter_edit.setText("dangling")
        assert old in {view.proxy.index(r, 0).data(0x0100 + 2).id for r in range(view.proxy.rowCount())}
    finally:
        docker_engine.cli("rmi", "-f", old, new, check=False)
