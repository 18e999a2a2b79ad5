"""The registry browser as a person uses it, against the suite's real plain registry: choose a
repository, a tag, see its manifest, copy the digest, pull with one click, delete a tag after
confirming (and not when cancelling), and what each pane says when a registry fails."""

from __future__ import annotations

import json
import socket

import pytest
import requests
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop.engine import registry_client as rc
from desktop.engine.registry_errors import NO_NETWORK_HUB
from desktop.ui.problem_style import PROBLEM_STYLE
from desktop.ui.registry_browser import RegistryBrowser
from tests.helpers import connected_session
from tests.layout_check import layout_problems


def _push(engine, made, repo: str, tag: str) -> str:
    ref = f"127.0.0.1:5000/{repo}:{tag}"
    made.image(ref)
    engine.cli("push", ref)
    digests = json.loads(engine.cli("image", "inspect", "--format", "{{json .RepoDigests}}", ref).stdout)
    return next(d for d in digests if d.startswith(f"127.0.0.1:5000/{repo}@")).split("@", 1)[1]


@pytest.fixture
def session(qtbot, docker_engine, docker_config):
    rc.TOKENS.clear()
    with connected_session(qtbot, docker_engine) as s:
        yield s


@pytest.fixture
def browser(qtbot, session):
    widget = RegistryBrowser(session)
    qtbot.addWidget(widget)
    widget.resize(1000, 560)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: not [t for t in session.tasks.running() if t.kind != "stream" and not t.state.done],
                    timeout=10000)


def _choose(view, text: str) -> None:
    model = view.model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == text)
    view.selectionModel().setCurrentIndex(model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)


def _listed(view) -> list[str]:
    model = view.model()
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def _open(qtbot, browser, registry, repo: str, tag: str | None = None) -> None:
    browser.show_registry(f"http://{registry.host}", "")
    qtbot.waitUntil(lambda: repo in browser.repos_model.names(), timeout=10000)
    _choose(browser.repos_view, repo)
    qtbot.waitUntil(lambda: bool(browser.tags_model.tags()) and not browser.tags_pane.saying, timeout=10000)
    if tag is not None:
        _choose(browser.tags_view, tag)
        qtbot.waitUntil(lambda: browser.manifest is not None and browser.manifest.tag == tag, timeout=10000)


def test_repository_tag_and_manifest_then_copy_and_pull(qtbot, browser, docker_engine, made, registry, unique_repo):
    _push(docker_engine, made, unique_repo, "1.0.0")
    digest = _push(docker_engine, made, unique_repo, "1.10.0")
    _push(docker_engine, made, unique_repo, "dev")
    _open(qtbot, browser, registry, unique_repo)
    assert _listed(browser.tags_view) == ["1.10.0", "1.0.0", "dev"]  # newest version first
    assert not browser.pull_button.isEnabled() and browser.manifest_pane.saying == "Choose a tag."
    _choose(browser.tags_view, "1.10.0")
    qtbot.waitUntil(lambda: browser.manifest is not None, timeout=10000)
    assert browser.digest_edit.text() == digest
    assert browser.reference_label.text() == f"{registry.host}/{unique_repo}:1.10.0"
    assert "config and layers" in browser.size_label.text()
    assert browser.type_label.text() == rc.DOCKER_MANIFEST
    browser.copy_button.click()
    assert QGuiApplication.clipboard().text() == digest
    with qtbot.waitSignal(browser.pullRequested, timeout=1000) as pulled:
        browser.pull_button.click()
    assert pulled.args == [f"{registry.host}/{unique_repo}:1.10.0"]
    assert layout_problems(browser) == []


def test_the_filter_narrows_the_repositories(qtbot, browser, docker_engine, made, registry, unique_repo):
    for suffix in ("alpha", "beta"):
        _push(docker_engine, made, f"{unique_repo}-{suffix}", "v1")
    browser.show_registry(f"http://{registry.host}", "")
    qtbot.waitUntil(lambda: f"{unique_repo}-beta" in browser.repos_model.names(), timeout=10000)
    qtbot.keyClicks(browser.filter_edit, f"{unique_repo}-BET")
    assert _listed(browser.repos_view) == [f"{unique_repo}-beta"]


def test_a_typed_repository_opens_on_enter_and_a_bad_name_is_explained(qtbot, browser, docker_engine, made,
                                                                         registry, unique_repo):
    _push(docker_engine, made, unique_repo, "v1")
    browser.show_registry(f"http://{registry.host}", "")
    qtbot.waitUntil(lambda: not browser.repos_pane.saying, timeout=10000)
    browser.filter_edit.setText("No Such/Repo")
    browser.filter_edit.returnPressed.emit()
    assert "upper-case" in browser.tags_pane.saying and browser.tags_pane.message.styleSheet() == PROBLEM_STYLE
    browser.filter_edit.setText(unique_repo)
    browser.filter_edit.returnPressed.emit()
    qtbot.waitUntil(lambda: browser.tags_model.tags() == ["v1"], timeout=10000)
    browser.filter_edit.setText(f"{unique_repo}-absent")
    browser.filter_edit.returnPressed.emit()
    qtbot.waitUntil(lambda: "has no repository" in browser.tags_pane.saying, timeout=10000)
    assert browser.tags_model.tags() == []


def test_an_unreachable_registry_says_so_in_the_pane(qtbot, browser):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    browser.show_registry(f"127.0.0.1:{port}", "")
    qtbot.waitUntil(lambda: "Can't reach" in browser.repos_pane.saying, timeout=10000)
    assert browser.repos_pane.message.styleSheet() == PROBLEM_STYLE
    assert f"127.0.0.1:{port}" in browser.repos_pane.saying
    assert browser.repos_model.rowCount() == 0


def test_a_multi_platform_index_shows_its_platforms(qtbot, browser, docker_engine, made, registry, unique_repo):
    amd = _push(docker_engine, made, unique_repo, "amd64")
    arm = _push(docker_engine, made, unique_repo, "arm64")
    base = f"http://{registry.host}/v2/{unique_repo}/manifests"
    sizes = [len(requests.get(f"{base}/{t}", headers={"Accept": rc.DOCKER_MANIFEST}, timeout=5).content)
             for t in ("amd64", "arm64")]
    index = {"schemaVersion": 2, "mediaType": rc.OCI_INDEX, "manifests": [
        {"mediaType": rc.DOCKER_MANIFEST, "digest": amd, "size": sizes[0], "platform": {"os": "linux", "architecture": "amd64"}},
        {"mediaType": rc.DOCKER_MANIFEST, "digest": arm, "size": sizes[1],
         "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}}]}
    assert requests.put(f"{base}/multi", data=json.dumps(index), headers={"Content-Type": rc.OCI_INDEX},
                        timeout=5).status_code == 201
    _open(qtbot, browser, registry, unique_repo, "multi")
    rows = browser.platforms_model.rows()
    assert [(r.platform, r.key) for r in rows] == [("linux/amd64", amd), ("linux/arm/v7", arm)]
    assert all(r.size and r.size > 0 for r in rows)
    assert browser.platforms_view.isVisible() and browser.platforms_label.text() == "2 in this index:"
    assert browser.size_label.text().endswith("for all platforms")


def _confirm_box(qtbot, browser) -> QMessageBox:
    browser.delete_button.click()
    qtbot.waitUntil(lambda: browser.findChild(QMessageBox, "registryDeleteConfirm") is not None, timeout=2000)
    return browser.findChild(QMessageBox, "registryDeleteConfirm")


def test_delete_after_confirming_takes_the_tag_and_its_digest_mates(qtbot, browser, session, docker_engine, made,
                                                                     registry, unique_repo):
    digest = _push(docker_engine, made, unique_repo, "old")
    docker_engine.cli("tag", f"127.0.0.1:5000/{unique_repo}:old", f"127.0.0.1:5000/{unique_repo}:same")
    docker_engine.cli("push", f"127.0.0.1:5000/{unique_repo}:same")
    _push(docker_engine, made, unique_repo, "keep")
    _open(qtbot, browser, registry, unique_repo, "same")
    _choose(browser.tags_view, "old")
    qtbot.waitUntil(lambda: browser.manifest is not None and browser.manifest.tag == "old", timeout=10000)

    box = _confirm_box(qtbot, browser)  # first: cancel, and nothing happens
    assert f"Delete {unique_repo}:old from {registry.host}?" == box.text()
    assert digest in box.informativeText() and "Known to go with it: same." in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert browser.tags_model.tags() == ["keep", "old", "same"]
    assert requests.head(f"http://{registry.host}/v2/{unique_repo}/manifests/old",
                         headers={"Accept": rc.MANIFEST_ACCEPT}, timeout=5).status_code == 200

    box = _confirm_box(qtbot, browser)
    box.findChild(type(box.button(QMessageBox.StandardButton.Cancel)), "registryDeleteConfirmButton").click()
    qtbot.waitUntil(lambda: browser.tags_model.tags() == ["keep"], timeout=10000)
    assert browser.manifest_pane.saying == f"Deleted {unique_repo}:old ({digest})."
    deleting = [t for t in session.tasks.recent if t.title.startswith(f"Deleting {unique_repo}:old")]
    assert [t.kind for t in deleting] == ["user"]  # listed in the activity centre
    gone = docker_engine.cli("pull", f"127.0.0.1:5000/{unique_repo}:same", check=False)
    assert gone.returncode != 0


def test_a_405_is_explained_and_the_tag_stays(qtbot, browser, docker_engine, made, registry_factory):
    reg_process = registry_factory(delete=False)
    ref = f"{reg_process.for_engine}/solo:v1"
    made.image(ref)
    docker_engine.cli("push", ref)
    browser.show_registry(reg_process.url, "")
    qtbot.waitUntil(lambda: "solo" in browser.repos_model.names(), timeout=10000)
    _choose(browser.repos_view, "solo")
    qtbot.waitUntil(lambda: browser.tags_model.tags() == ["v1"], timeout=10000)
    _choose(browser.tags_view, "v1")
    qtbot.waitUntil(lambda: browser.manifest is not None, timeout=10000)
    box = _confirm_box(qtbot, browser)
    box.findChild(type(box.button(QMessageBox.StandardButton.Cancel)), "registryDeleteConfirmButton").click()
    qtbot.waitUntil(lambda: "does not allow deleting" in browser.manifest_pane.saying, timeout=10000)
    assert "storage.delete.enabled is off" in browser.manifest_pane.saying
    assert browser.manifest_pane.message.styleSheet() == PROBLEM_STYLE
    assert browser.tags_model.tags() == ["v1"]


def test_docker_hub_without_network_says_so_in_about_a_second(qtbot, browser):
    browser.show_registry("docker.io", "")
    qtbot.waitUntil(lambda: "Docker Hub does not list its repositories" in browser.repos_pane.saying, timeout=5000)
    assert browser.repos_pane.message.styleSheet() != PROBLEM_STYLE  # a fact, not a fault
    browser.filter_edit.setText("alpine")
    browser.filter_edit.returnPressed.emit()
    qtbot.waitUntil(lambda: browser.tags_pane.saying == NO_NETWORK_HUB, timeout=2500)
    assert browser.tags_pane.message.styleSheet() == PROBLEM_STYLE


def test_a_registry_with_tls_and_basic_auth_is_browsed_with_its_ca(qtbot, browser, docker_engine, secure_registry,
                                                                    docker_config, tmp_path):
    docker_engine.cli("--config", str(docker_config), "login", "-u", secure_registry.username, "--password-stdin",
                      secure_registry.host, input=secure_registry.password)  # what the browser signs in with
    ref = f"{secure_registry.host}/berth-test/browse-secure:v1"
    image_id = docker_engine.build_busybox_image(ref, [f"LABEL berth.test.browse={tmp_path.name}"])
    try:
        docker_engine.cli("--config", str(docker_config), "push", ref)
        browser.show_registry(secure_registry.host, "")  # no CA: not trusted, said in the pane
        qtbot.waitUntil(lambda: "is not trusted" in browser.repos_pane.saying, timeout=10000)
        browser.show_registry(secure_registry.host, secure_registry.ca_file)
        qtbot.waitUntil(lambda: "berth-test/browse-secure" in browser.repos_model.names(), timeout=10000)
        _choose(browser.repos_view, "berth-test/browse-secure")
        qtbot.waitUntil(lambda: browser.tags_model.tags() == ["v1"], timeout=10000)
    finally:
        docker_engine.cli("rmi", "-f", image_id, check=False)


def test_the_models_change_row_by_row(qtmodeltester):
    from desktop.engine.registry_client import Platform
    from desktop.models.registry_browse_models import PlatformsModel, RegistryTagsModel, RepositoriesModel

    repos = RepositoriesModel()
    resets = []
    repos.modelReset.connect(lambda: resets.append(1))
    repos.add(["b/two", "a/one"])
    repos.add(["c/three", "a/one"])
    assert repos.names() == ["a/one", "b/two", "c/three"]
    removed = []
    repos.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    repos.set_names(["a/one", "c/three"])
    assert repos.names() == ["a/one", "c/three"] and removed == [(1, 1)] and resets == []
    qtmodeltester.check(repos)

    tags = RegistryTagsModel()
    tags.set_tags(["dev", "v1.2.0", "latest", "v1.10.0"])
    assert tags.tags() == ["latest", "v1.10.0", "v1.2.0", "dev"]
    tags.remove(["v1.2.0"])
    assert tags.tags() == ["latest", "v1.10.0", "dev"]
    qtmodeltester.check(tags)

    platforms = PlatformsModel()
    platforms.set_platforms([Platform("linux", "arm64", "v8", "sha256:" + "b" * 64, 2_000_000),
                             Platform("linux", "amd64", "", "sha256:" + "a" * 64, None)])
    assert [platforms.index(r, 0).data() for r in range(2)] == ["linux/arm64/v8", "linux/amd64"]  # index order
    assert [platforms.index(r, 1).data() for r in range(2)] == ["2MB", "unknown"]
    qtmodeltester.check(platforms)


def test_reload_keeps_the_chosen_repository(qtbot, browser, docker_engine, made, registry, unique_repo):
    _push(docker_engine, made, unique_repo, "v1")
    _open(qtbot, browser, registry, unique_repo, "v1")
    resets = []
    browser.repos_model.modelReset.connect(lambda: resets.append(1))
    _push(docker_engine, made, f"{unique_repo}-later", "v1")
    browser.reload()
    qtbot.waitUntil(lambda: f"{unique_repo}-later" in browser.repos_model.names(), timeout=10000)
    qtbot.waitUntil(lambda: not [t for t in browser.session.tasks.running() if t.kind != "stream"], timeout=10000)
    current = browser.repos_view.selectionModel().currentIndex()
    assert current.data() == unique_repo and resets == []
    assert browser.manifest is not None and browser.manifest.tag == "v1"  # nothing was read again


def test_choosing_another_registry_cancels_a_frozen_one_at_once(qtbot, browser, docker_engine, made, registry,
                                                                  registry_factory, unique_repo):
    _push(docker_engine, made, unique_repo, "v1")
    frozen = registry_factory()
    frozen.freeze()  # it accepts connections (the kernel does) and answers nothing
    try:
        browser.show_registry(frozen.url, "")
        first = browser._running["repos"]
        qtbot.waitUntil(lambda: first.state.value == "running", timeout=5000)
        browser.show_registry(f"http://{registry.host}", "")
        qtbot.waitUntil(lambda: first.state.done, timeout=2000)  # not the 5 s read timeout
        assert first.state.value == "cancelled"
        qtbot.waitUntil(lambda: unique_repo in browser.repos_model.names(), timeout=10000)
        assert browser.repos_pane.saying == "" and browser.title.text() == f"http://{registry.host}"
    finally:
        frozen.thaw()
