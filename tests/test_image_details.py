"""The Details pane and what feeds it, against the real isolated engine; the docker CLI
(``docker inspect``, ``docker history``, ``docker ps``) is the oracle for every value."""

from __future__ import annotations

import itertools
import json
import subprocess

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel

from desktop.engine import image_details as engine_details
from desktop.engine.errors import NotFound
from desktop.engine.image_details import (MISSING, ContainerRef, HistoryLayer, ImageTag, history_from_api,
                                          ordered_labels, parse_time)
from desktop.engine.images import list_images, short_id
from desktop.models.formatting import human_size
from desktop.models.image_details_models import (EMPTY_ROLE, FRACTION_ROLE, LayersModel, TagsModel, UsedByModel,
                                                 instruction)
from desktop.models.keyed_table import ROW_ROLE, SORT_ROLE
from desktop.ui.image_details import JSON, LAYERS, USED_BY, ImageDetailsPane
from desktop.ui.size_bar_delegate import bar_rect
from tests.helpers import connected_session

OCI = "org.opencontainers.image."
DEMO_LABELS = {
    OCI + "title": "Berth demo",
    OCI + "description": "A small image for the details pane",
    OCI + "version": "1.2.3",
    OCI + "source": "https://example.com/berth/src",
    OCI + "documentation": "https://example.com/berth/docs",
    OCI + "url": "https://example.com/berth",
    OCI + "licenses": "MIT",
    "com.example.flavour": "plain",
}
DEMO_LINES = (
    "LABEL " + " ".join(f'{k}="{v}"' for k, v in DEMO_LABELS.items()),
    'ENV GREETING="hello world" EMPTY= PATH=/usr/local/bin:/bin',
    "EXPOSE 8080/tcp 53/udp 9000",
    'VOLUME ["/data", "/cache"]',
    "WORKDIR /srv/app",
    "RUN echo hi > /srv/app/file && dd if=/dev/zero of=/srv/app/big bs=1k count=2500",
    "RUN dd if=/dev/zero of=/srv/app/small bs=1k count=20",
    "USER nobody",
    "STOPSIGNAL SIGINT",
    'ENTRYPOINT ["/bin/sh", "-c"]',
    'CMD ["echo hello"]',
)
_names = itertools.count(1)


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(docker_engine, busybox_image):
    """A labelled image with every field set, tagged twice; (repo, image id)."""
    repo = "berth-test/details-demo"
    image_id = docker_engine.build_busybox_image(f"{repo}:1", DEMO_LINES,
                                                 labels={"com.example.cli-label": "from --label"})
    docker_engine.cli("tag", image_id, f"{repo}:latest")
    return repo, image_id


def cli_inspect(engine, ref: str) -> dict:
    return json.loads(engine.cli("inspect", "--type", "image", ref).stdout)[0]


def cli_history(engine, ref: str) -> list[dict]:
    out = engine.cli("history", "--no-trunc", "-H=false", "--format", "{{json .}}", ref).stdout
    return [json.loads(line) for line in out.splitlines()]


def row_for(client, image_id: str, repo: str | None = None):
    rows = [r for r in list_images(client, all_images=True) if r.id == image_id]
    if repo is not None:
        rows = [r for r in rows if r.repository == repo]
    assert rows, f"no row for {image_id}"
    return sorted(rows, key=lambda r: r.tag)[0]


def gnu_date(text: str, fmt: str) -> str:
    """An independent reading of an engine timestamp: GNU date, in this process's time zone."""
    return subprocess.run(["date", "-d", text, fmt], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def session(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        yield session


@pytest.fixture
def pane(qtbot, session):
    pane = ImageDetailsPane(session)
    qtbot.addWidget(pane)
    pane.resize(900, 700)
    pane.show()
    return pane


def show_and_wait(qtbot, pane, selection):
    wanted = selection[0].id if isinstance(selection, list) else selection.id
    with qtbot.waitSignal(pane.loaded, timeout=15000, check_params_cb=lambda image_id: image_id == wanted):
        pane.show_image(selection)


# --- pure parts -----------------------------------------------------------------------------

def test_history_steps_read_as_dockerfile_lines():
    assert instruction('/bin/sh -c #(nop)  CMD ["echo hello"]') == 'CMD ["echo hello"]'
    assert instruction("/bin/sh -c #(nop) WORKDIR /srv") == "WORKDIR /srv"
    assert instruction("/bin/sh -c echo hi > /f") == "RUN echo hi > /f"
    assert instruction("|2 A=1 B=x /bin/sh -c make all") == "RUN make all"
    assert instruction("/bin/busybox --install -s /bin") == "/bin/busybox --install -s /bin"


def test_oci_labels_come_first_in_their_order():
    labels = {"zz": "1", OCI + "url": "u", "aa": "2", OCI + "licenses": "MIT", OCI + "title": "t",
              OCI + "source": "s"}
    assert [k for k, _ in ordered_labels(labels)] == [OCI + "title", OCI + "source", OCI + "url",
                                                     OCI + "licenses", "aa", "zz"]


def test_engine_times_parse_with_nanoseconds():
    assert parse_time("2024-01-02T03:04:05.123456789Z") == pytest.approx(1704164645.123456789)
    assert parse_time("2024-01-02T05:04:05+02:00") == 1704164645
    assert parse_time("garbage") == 0.0


def test_missing_history_ids_and_positions():
    layers = history_from_api([{"Id": "sha256:aa", "Created": 2, "CreatedBy": "b", "Size": 0, "Tags": ["x:1"]},
                               {"Id": "<missing>", "Created": 1, "CreatedBy": "a", "Size": 5}])
    assert [(l.position, l.id, l.empty, l.missing, l.tags) for l in layers] == [
        (1, "sha256:aa", True, False, ("x:1",)), (0, MISSING, False, True, ())]


# --- models ---------------------------------------------------------------------------------

def _layer(position, size, created_by="step"):
    return HistoryLayer(position=position, id=f"sha256:{position:064x}", created=1000 + position,
                        created_by=created_by, size=size)


def test_layers_model_bars_and_empty_layers(qtmodeltester):
    model = LayersModel()
    qtmodeltester.check(model)
    model.apply([_layer(2, 0, "/bin/sh -c #(nop)  CMD [\"x\"]"), _layer(1, 300), _layer(0, 1200)])
    qtmodeltester.check(model)
    size = LayersModel.SIZE
    by_position = {model.row_at(r).position: r for r in range(model.rowCount())}
    assert model.index(by_position[0], size).data(FRACTION_ROLE) == 1.0
    assert model.index(by_position[1], size).data(FRACTION_ROLE) == 0.25
    assert model.index(by_position[2], size).data(FRACTION_ROLE) == 0.0
    assert model.index(by_position[2], size).data() == "empty layer"
    assert model.index(by_position[2], size).data(EMPTY_ROLE) is True
    assert model.index(by_position[2], LayersModel.CREATED_BY).data() == 'CMD ["x"]'
    dim = QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert model.index(by_position[2], LayersModel.CREATED_BY).data(Qt.ItemDataRole.ForegroundRole) == dim
    assert model.index(by_position[1], LayersModel.CREATED_BY).data(Qt.ItemDataRole.ForegroundRole) is None
    assert model.index(by_position[1], size).data() == human_size(300)
    assert model.index(by_position[1], size).data(SORT_ROLE) == (300, 1)
    assert model.index(by_position[1], LayersModel.CREATED).data(SORT_ROLE) == 1

    # a bigger layer arrives: rows change in place, and every bar is told
    changes = []
    model.dataChanged.connect(lambda tl, br, roles=(): changes.append((tl.row(), br.row(), list(roles))))
    model.modelReset.connect(lambda: changes.append("reset"))
    model.apply([_layer(2, 0), _layer(1, 300), _layer(0, 1200), _layer(3, 2400)])
    assert "reset" not in changes
    assert (0, 3, [FRACTION_ROLE]) in changes
    assert model.biggest == 2400 and model.total_size() == 3900
    assert model.index(by_position[0], size).data(FRACTION_ROLE) == 0.5
    qtmodeltester.check(model)
    model.clear()
    assert model.rowCount() == 0 and model.biggest == 0


def test_tags_and_used_by_models(qtmodeltester):
    tags = TagsModel()
    tags.apply([ImageTag("app", "1", "sha256:d1"), ImageTag("reg:5000/app", "latest")])
    qtmodeltester.check(tags)
    assert tags.references() == ["app:1", "reg:5000/app:latest"]
    assert tags.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == "app@sha256:d1"
    used = UsedByModel()
    used.apply([ContainerRef("c" * 64, "web", "app:1", "running", "Up 2 minutes", 10)])
    qtmodeltester.check(used)
    assert [used.index(0, c).data() for c in range(4)] == ["web", "Up 2 minutes", "app:1", "c" * 12]


def test_size_bar_geometry():
    cell = QRect(0, 0, 104, 24)
    assert bar_rect(cell, 1.0) == QRect(2, 3, 100, 18)
    assert bar_rect(cell, 0.25).width() == 25
    assert bar_rect(cell, 0.001).width() == 2  # a tiny layer still shows
    assert bar_rect(cell, 0.0).isNull()


# --- engine layer against the CLI -------------------------------------------------------------

@pytest.mark.engine
def test_inspect_matches_docker_inspect(docker_engine, docker_client, demo):
    repo, image_id = demo
    d = engine_details.inspect_image(docker_client, image_id)
    cli = cli_inspect(docker_engine, image_id)
    config = cli["Config"]
    assert d.id == cli["Id"] == image_id
    assert sorted(d.references) == sorted(cli["RepoTags"]) == [f"{repo}:1", f"{repo}:latest"]
    assert d.repo_digests == tuple(cli["RepoDigests"])
    assert d.created_text == cli["Created"]
    assert d.created == pytest.approx(parse_time(cli["Created"]))
    assert d.created == pytest.approx(float(gnu_date(cli["Created"], "+%s.%N")), abs=1e-6)
    assert d.size == cli["Size"]
    assert (d.os, d.architecture) == (cli["Os"], cli["Architecture"])
    assert d.platform == f"{cli['Os']}/{cli['Architecture']}" + (f"/{cli['Variant']}" if cli.get("Variant") else "")
    assert d.author == cli["Author"]
    assert list(d.entrypoint) == config["Entrypoint"] == ["/bin/sh", "-c"]
    assert list(d.cmd) == config["Cmd"] == ["echo hello"]
    assert d.working_dir == config["WorkingDir"] == "/srv/app"
    assert d.user == config["User"] == "nobody"
    assert [f"{k}={v}" for k, v in d.env] == config["Env"]
    assert dict(d.env)["GREETING"] == "hello world" and dict(d.env)["EMPTY"] == ""
    assert set(d.exposed_ports) == set(config["ExposedPorts"]) == {"8080/tcp", "53/udp", "9000/tcp"}
    assert d.exposed_ports == ("53/udp", "8080/tcp", "9000/tcp")  # by port number
    assert set(d.volumes) == set(config["Volumes"]) == {"/data", "/cache"}
    assert dict(d.labels) == config["Labels"]
    assert [k for k, _ in d.labels][:7] == [OCI + n for n in ("title", "description", "version", "source",
                                                              "documentation", "url", "licenses")]
    assert d.stop_signal == config["StopSignal"] == "SIGINT"
    assert d.layer_count == len(cli["RootFS"]["Layers"])
    assert json.loads(d.raw) == cli


@pytest.mark.engine
def test_history_matches_docker_history(docker_engine, docker_client, demo):
    _repo, image_id = demo
    layers = engine_details.image_history(docker_client, image_id)
    cli = cli_history(docker_engine, image_id)
    assert len(layers) == len(cli) > 10
    for layer, line in zip(layers, cli):
        assert (layer.id if not layer.missing else "<missing>") == line["ID"]
        assert layer.size == int(line["Size"])
        assert layer.created_by.replace("\t", " ") == line["CreatedBy"]
        assert layer.comment == line["Comment"]
        assert layer.created == int(parse_time(line["CreatedAt"]))
        assert layer.empty == (line["Size"] == "0")
    assert [layer.position for layer in layers] == list(range(len(cli) - 1, -1, -1))
    assert layers[0].tags and set(layers[0].tags) == set(cli_inspect(docker_engine, image_id)["RepoTags"])
    big = max(layers, key=lambda l: l.size)
    assert "count=2500" in big.created_by and big.size >= 2500 * 1024


@pytest.mark.engine
def test_containers_using_is_exact_not_descendants(docker_engine, docker_client, demo, unique_repo):
    _repo, image_id = demo
    name = f"details-user-{next(_names)}"
    child_name = f"details-child-{next(_names)}"
    child_id = _build_from(docker_engine, image_id, f"{unique_repo}:child")
    own = docker_engine.cli("create", "--name", name, image_id).stdout.strip()
    child = docker_engine.cli("create", "--name", child_name, child_id).stdout.strip()
    try:
        ancestors = docker_engine.cli("ps", "-a", "--no-trunc", "--filter", f"ancestor={image_id}",
                                      "--format", "{{.ID}}").stdout.split()
        assert own in ancestors and child in ancestors  # the engine's filter alone would list both
        refs = engine_details.containers_using(docker_client, image_id)
        assert own in [r.id for r in refs] and child not in [r.id for r in refs]
        line = docker_engine.cli("ps", "-a", "--no-trunc", "--filter", f"id={own}",
                                 "--format", "{{.Names}}\t{{.Status}}\t{{.State}}\t{{.Image}}").stdout.strip()
        ref = next(r for r in refs if r.id == own)
        assert "\t".join((ref.name, ref.status, ref.state, ref.image)) == line
        bundle = engine_details.load_image_details(docker_client, image_id)
        assert bundle.id == image_id and own in [c.id for c in bundle.containers]
        assert len(bundle.history) == len(cli_history(docker_engine, image_id))
    finally:
        docker_engine.cli("rm", "-f", own, child)
        docker_engine.cli("rmi", child_id)


def _build_from(engine, base_id: str, tag: str) -> str:
    import os
    import tempfile
    context = tempfile.mkdtemp(prefix="build-", dir=engine.base_dir)
    with open(os.path.join(context, "Dockerfile"), "w") as f:
        f.write(f"FROM {base_id}\nLABEL child=yes\n")
    engine.cli("build", "-q", "-t", tag, context)
    return engine.cli("inspect", "-f", "{{.Id}}", tag).stdout.strip()


@pytest.mark.engine
def test_removed_image_is_reported_as_gone(docker_engine, docker_client, unique_repo):
    image_id = docker_engine.build_busybox_image(f"{unique_repo}:gone", ("LABEL gone=soon",))
    docker_engine.cli("rmi", f"{unique_repo}:gone")
    assert docker_engine.cli("inspect", image_id, check=False).returncode != 0
    message = f"Image {short_id(image_id)} no longer exists (it was removed)"
    for call in (engine_details.inspect_image, engine_details.image_history, engine_details.load_image_details):
        with pytest.raises(NotFound) as caught:
            call(docker_client, image_id)
        assert str(caught.value) == message


# --- the pane -------------------------------------------------------------------------------

@pytest.mark.engine
def test_overview_shows_what_docker_inspect_says(qtbot, pane, docker_engine, docker_client, demo):
    repo, image_id = demo
    row = row_for(docker_client, image_id, repo)
    assert pane.message.text() == "Select an image to see its details."
    show_and_wait(qtbot, pane, row)
    cli = cli_inspect(docker_engine, image_id)
    config = cli["Config"]
    assert pane.shown_id == image_id
    assert pane.title.text() == f"{repo}:1"
    assert pane.field_text("ID") == image_id
    assert pane.field_text("Tags").splitlines() == sorted(cli["RepoTags"])
    assert pane.field_text("Title") == config["Labels"][OCI + "title"]
    assert pane.field_text("Description") == config["Labels"][OCI + "description"]
    assert pane.field_text("Version") == "1.2.3"
    for title, key in (("Source", "source"), ("Documentation", "documentation"), ("URL", "url")):
        widget = pane.field_widget(title)
        assert widget.openExternalLinks()
        assert f'href="{config["Labels"][OCI + key]}"' in widget.text()
        assert pane.field_text(title) == config["Labels"][OCI + key]
    # the OCI annotations are the first rows of the form
    form = pane._form
    assert form.getWidgetPosition(pane.field_widget("Title"))[0] == 0
    assert form.getWidgetPosition(pane.field_widget("URL"))[0] < form.getWidgetPosition(pane.field_widget("ID"))[0]
    assert pane.field_text("Size") == f"{human_size(cli['Size'])} ({cli['Size']:,} bytes) in " \
                                      f"{len(cli['RootFS']['Layers'])} layers"
    assert pane.field_text("Platform") == f"{cli['Os']}/{cli['Architecture']}"
    assert not pane.field_visible("Author") and not pane.field_visible("Digests")
    assert pane.field_text("Entrypoint") == json.dumps(config["Entrypoint"])
    assert pane.field_text("Command") == json.dumps(config["Cmd"])
    assert pane.field_text("Working dir") == config["WorkingDir"]
    assert pane.field_text("User") == config["User"]
    assert pane.field_text("Environment").splitlines() == config["Env"]
    assert pane.field_text("Exposed ports") == "53/udp, 8080/tcp, 9000/tcp"
    assert sorted(pane.field_text("Volumes").splitlines()) == sorted(config["Volumes"])
    assert pane.field_text("Stop signal") == "SIGINT"
    other_labels = pane.field_text("Labels")
    for key in ("com.example.flavour", "com.example.cli-label", OCI + "licenses"):
        assert key in other_labels and config["Labels"][key] in other_labels
    assert OCI + "title" not in other_labels  # shown above, not twice
    created = pane.field_text("Created")
    assert created.startswith(gnu_date(cli["Created"], "+%Y-%m-%d %H:%M:%S"))
    assert created.endswith(" ago)")
    # every value can be selected and copied
    assert pane.field_widget("ID").textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert pane.field_widget("Source").textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert pane.tabs.tabText(LAYERS) == f"Layers ({len(cli_history(docker_engine, image_id))})"


@pytest.mark.engine
def test_layers_tab_is_docker_history(qtbot, pane, docker_engine, docker_client, demo):
    repo, image_id = demo
    show_and_wait(qtbot, pane, row_for(docker_client, image_id, repo))
    pane.tabs.setCurrentIndex(LAYERS)
    cli = cli_history(docker_engine, image_id)
    table = pane.layers_table
    proxy = table.model()
    shown = [proxy.index(r, 0).data(ROW_ROLE) for r in range(proxy.rowCount())]
    # in the CLI's order (newest first), with the CLI's sizes and commands
    assert [(l.id, l.size, l.created_by.replace("\t", " ")) for l in shown] == \
           [(c["ID"], int(c["Size"]), c["CreatedBy"]) for c in cli]
    sizes = [proxy.index(r, LayersModel.SIZE).data() for r in range(proxy.rowCount())]
    assert sizes == ["empty layer" if c["Size"] == "0" else human_size(int(c["Size"])) for c in cli]
    biggest = max(range(len(cli)), key=lambda r: int(cli[r]["Size"]))
    assert proxy.index(biggest, LayersModel.SIZE).data(FRACTION_ROLE) == 1.0
    empty = next(r for r, c in enumerate(cli) if c["Size"] == "0")
    assert proxy.index(empty, LayersModel.SIZE).data(FRACTION_ROLE) == 0.0
    total = sum(int(c["Size"]) for c in cli)
    assert pane.layers_summary.text().startswith(
        f"{len(cli)} steps, {sum(1 for c in cli if c['Size'] != '0')} with content")
    assert human_size(total) in pane.layers_summary.text()

    # the bar is painted: the biggest layer's size cell is coloured where an empty layer's is not
    table.clearSelection()
    table.scrollTo(proxy.index(biggest, 0))
    qtbot.waitUntil(lambda: table.visualRect(proxy.index(biggest, 0)).isValid())
    image = table.viewport().grab().toImage()
    big_rect = table.visualRect(proxy.index(biggest, LayersModel.SIZE))
    x = big_rect.left() + 6
    big_colour = image.pixelColor(QPoint(x, big_rect.top() + 5))
    empty_index = proxy.index(empty, LayersModel.SIZE)
    table.scrollTo(empty_index)
    image = table.viewport().grab().toImage()
    empty_rect = table.visualRect(empty_index)
    base = table.palette().color(QPalette.ColorRole.AlternateBase if empty % 2 else QPalette.ColorRole.Base)
    assert image.pixelColor(QPoint(x, empty_rect.top() + 5)) == base
    assert big_colour != base


@pytest.mark.engine
def test_used_by_lists_containers_and_opens_them(qtbot, pane, docker_engine, docker_client, demo):
    repo, image_id = demo
    row = row_for(docker_client, image_id, repo)
    show_and_wait(qtbot, pane, row)
    assert pane.used_by_model.rowCount() == len(engine_details.containers_using(docker_client, image_id))
    name = f"details-pane-{next(_names)}"
    container = docker_engine.cli("create", "--name", name, f"{repo}:1").stdout.strip()
    try:
        pane.refresh()  # what the main window does on a container event
        qtbot.waitUntil(lambda: container in [r.id for r in pane.used_by_model.rows()], timeout=15000)
        status = docker_engine.cli("ps", "-a", "--no-trunc", "--filter", f"id={container}",
                                   "--format", "{{.Names}}\t{{.Status}}").stdout.strip()
        refs = {r.id: r for r in pane.used_by_model.rows()}
        assert container in refs
        assert f"{refs[container].name}\t{refs[container].status}" == status
        assert pane.tabs.tabText(USED_BY) == f"Used by ({len(refs)})"
        pane.tabs.setCurrentIndex(USED_BY)
        table = pane.used_by_table
        proxy = table.model()
        row_number = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == name)
        table.setFocus()
        table.setCurrentIndex(proxy.index(row_number, 0))
        with qtbot.waitSignal(pane.containerActivated, timeout=2000) as blocker:
            qtbot.keyClick(table, Qt.Key.Key_Return)
        assert blocker.args == [container]
        rect = table.visualRect(proxy.index(row_number, 0))
        table.clearSelection()
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # the press a double click starts with
        with qtbot.waitSignal(pane.containerActivated, timeout=2000) as blocker:
            qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert blocker.args == [container]
    finally:
        docker_engine.cli("rm", "-f", container)
    pane.refresh()
    qtbot.waitUntil(lambda: container not in [r.id for r in pane.used_by_model.rows()], timeout=15000)


@pytest.mark.engine
def test_json_tab_searches_and_copies(qtbot, pane, docker_engine, docker_client, demo):
    repo, image_id = demo
    show_and_wait(qtbot, pane, row_for(docker_client, image_id, repo))
    pane.tabs.setCurrentIndex(JSON)
    view = pane.json_view
    cli = cli_inspect(docker_engine, image_id)
    assert json.loads(view.plain_text()) == cli
    expected = view.plain_text().lower().count("opencontainers")
    assert expected == 2 * 7  # Config.Labels and ContainerConfig.Labels each hold the 7 OCI labels
    qtbot.keyClicks(view.search, "OpenContainers")
    assert view.match_count() == expected
    assert view.count_label.text() == f"1 of {expected}"
    assert len(view.text.extraSelections()) == expected
    assert view.text.textCursor().selectedText().lower() == "opencontainers"
    view.search.setFocus()
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.count_label.text() == f"2 of {expected}"
    qtbot.keyClick(view.search, Qt.Key.Key_F3)
    assert view.count_label.text() == f"3 of {expected}"
    qtbot.keyClick(view.search, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view.search, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.count_label.text() == f"1 of {expected}"
    qtbot.keyClick(view.search, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.count_label.text() == f"{expected} of {expected}"  # wraps around
    view.search.setText("no such text anywhere")
    assert view.count_label.text() == "No matches" and view.text.extraSelections() == []
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(view.copy_button, Qt.MouseButton.LeftButton)
    assert json.loads(QGuiApplication.clipboard().text()) == cli
    assert view.text.isReadOnly()
    assert view.text.font() == QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


@pytest.mark.engine
def test_switching_quickly_ends_on_the_last_image(qtbot, pane, docker_engine, docker_client, demo, busybox_image):
    repo, image_id = demo
    first = row_for(docker_client, image_id, repo)
    base_id = docker_engine.cli("inspect", "-f", "{{.Id}}", busybox_image).stdout.strip()
    second = row_for(docker_client, base_id)
    seen = []
    pane.loaded.connect(seen.append)
    with qtbot.waitSignal(pane.loaded, timeout=15000, check_params_cb=lambda i: i == second.id):
        pane.show_image(first)
        assert pane.message.text() == f"Loading details of {repo}:1…"
        pane.show_image(second)
    qtbot.waitUntil(lambda: not pane.busy, timeout=15000)
    assert first.id not in seen
    assert pane.shown_id == second.id
    assert pane.field_text("ID") == second.id
    assert pane.title.text() == second.reference
    assert pane.field_text("Tags").splitlines() == sorted(cli_inspect(docker_engine, base_id)["RepoTags"])
    assert not pane.field_visible("Title")  # the base has no OCI labels: the rows of the first are gone
    assert pane.layers_model.rowCount() == len(cli_history(docker_engine, base_id))


@pytest.mark.engine
def test_removed_image_says_so(qtbot, pane, docker_engine, docker_client, unique_repo):
    image_id = docker_engine.build_busybox_image(f"{unique_repo}:doomed", ("LABEL doomed=yes",))
    row = row_for(docker_client, image_id)
    show_and_wait(qtbot, pane, row)
    docker_engine.cli("rmi", f"{unique_repo}:doomed")
    with qtbot.waitSignal(pane.failed, timeout=15000) as blocker:
        pane.refresh()  # the lead calls this on the image's delete event
    assert blocker.args[0] == image_id and isinstance(blocker.args[1], NotFound)
    assert pane.stack.currentWidget() is pane.message
    assert pane.message.text() == f"Image {short_id(image_id)} no longer exists (it was removed)"
    assert pane.shown_id == ""
    # selecting it again (a stale row) says the same
    pane.show_image(None)
    with qtbot.waitSignal(pane.failed, timeout=15000):
        pane.show_image(row)
    assert pane.message.text() == f"Image {short_id(image_id)} no longer exists (it was removed)"


@pytest.mark.engine
def test_selection_states_and_tag_changes(qtbot, pane, docker_engine, docker_client, demo, busybox_image,
                                          unique_repo):
    repo, image_id = demo
    base_id = docker_engine.cli("inspect", "-f", "{{.Id}}", busybox_image).stdout.strip()
    a, b = row_for(docker_client, image_id, repo), row_for(docker_client, base_id)
    pane.show_image([a, b])
    assert pane.message.text() == f"2 images selected, {human_size(a.size + b.size)} in total"
    pane.show_image([])
    assert pane.message.text() == "Select an image to see its details."
    # two tags of one image are one image
    tags = [r for r in list_images(docker_client) if r.id == image_id]
    assert len(tags) == 2
    show_and_wait(qtbot, pane, tags)
    assert pane.shown_id == image_id

    # a new tag shows up on refresh, and Untag asks for it by reference
    docker_engine.cli("tag", image_id, f"{unique_repo}:extra")
    try:
        pane.refresh()  # a load already under way finishes first; the pane then loads once more
        qtbot.waitUntil(lambda: f"{unique_repo}:extra" in pane.field_text("Tags").splitlines(), timeout=15000)
        assert pane.field_text("Tags").splitlines() == sorted(cli_inspect(docker_engine, image_id)["RepoTags"])
        assert sorted(pane.tags_model.references()) == pane.field_text("Tags").splitlines()
        buttons = pane.tags_list.untag_buttons()
        assert [b.text() for b in buttons] == ["Untag"] * 3
        index = pane.tags_list.references().index(f"{unique_repo}:extra")
        with qtbot.waitSignal(pane.untagRequested, timeout=2000) as blocker:
            qtbot.mouseClick(buttons[index], Qt.MouseButton.LeftButton)
        assert blocker.args == [f"{unique_repo}:extra"]
    finally:
        docker_engine.cli("rmi", f"{unique_repo}:extra")
    pane.refresh()
    qtbot.waitUntil(lambda: f"{unique_repo}:extra" not in pane.field_text("Tags").splitlines(), timeout=15000)


@pytest.mark.engine
def test_untagged_image_says_it_has_no_tags(qtbot, pane, docker_engine, docker_client, unique_repo):
    old = docker_engine.build_busybox_image(f"{unique_repo}:v", ("LABEL build=old",))
    new = docker_engine.build_busybox_image(f"{unique_repo}:v", ("LABEL build=new",))  # takes the tag away
    try:
        assert cli_inspect(docker_engine, old)["RepoTags"] == []
        row = row_for(docker_client, old)
        assert row.dangling
        show_and_wait(qtbot, pane, row)
        assert pane.title.text() == f"<none> ({short_id(old)})"
        assert pane.tags_list.references() == [] and pane.tags_list.untag_buttons() == []
        assert pane.tags_list.findChild(QLabel, "detailsNoTags").text().startswith("<none>")
        assert pane.field_text("ID") == old
    finally:
        docker_engine.cli("rmi", old, new)
