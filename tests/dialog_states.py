"""Every dialog of Berth (and the connection page) in the states that add content: errors,
warnings, hints, long names, with data from a real engine. One list for the layout test
(tests/test_dialog_layout.py checks each state's geometry) and the screenshot script
(scripts/dialog_screenshots.py photographs each state under Xvfb).

Each entry of STATES is a generator function taking a Stage and yielding (state name, widget)
once the widget shows that state; the consumer checks or photographs it before asking for the
next one.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtWidgets import QWidget

from desktop.engine import archive
from desktop.engine.connection import Endpoint
from desktop.engine.containers import list_containers
from desktop.engine.errors import BerthError
from desktop.engine.image_archive import preview_load
from desktop.engine.images import list_images
from desktop.tasks.archive_tasks import ArchivePlan
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui.connection_page import ConnectionPage
from desktop.ui.dialogs.build_dialog import BuildDialog
from desktop.ui.dialogs.commit_dialog import CommitDialog
from desktop.ui.dialogs.copy_dialog import IN, OUT, CopyDialog
from desktop.ui.dialogs.import_rootfs_dialog import ImportRootfsDialog
from desktop.ui.dialogs.load_preview_dialog import LoadPreviewDialog
from desktop.ui.dialogs.prune_containers_dialog import PruneContainersDialog
from desktop.ui.dialogs.prune_dialog import PruneDialog
from desktop.ui.dialogs.remove_containers_dialog import RemoveContainersDialog
from desktop.ui.dialogs.remove_images_dialog import RemoveImagesDialog
from desktop.ui.dialogs.rename_dialog import RenameDialog
from desktop.ui.dialogs.run_dialog import RunDialog
from desktop.ui.dialogs.signal_dialog import KillDialog, StopDialog
from desktop.ui.dialogs.tag_dialog import TagDialog
from tests.helpers import Made, recent_names

LONG = "a-rather-long-name-that-people-really-use-for-their-services-" * 2


class Stage:
    """What the states need: a connected *session*, the *engine* (docker CLI as the oracle),
    a scratch folder, a way to wait for a condition (processing events), and *keep(widget)*,
    which shows the widget and makes sure it is closed afterwards."""

    def __init__(self, session: EngineSession, engine, workdir: Path, repo: str,
                 wait_until: Callable[[Callable[[], bool]], None], keep: Callable[[QWidget], None]):
        self.session = session
        self.engine = engine
        self.workdir = Path(workdir)
        self.repo = repo
        self.wait_until = wait_until
        self.keep = keep
        self.made = Made(engine)
        self.cleanups: list[Callable[[], None]] = []

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()
        self.made.remove()

    def client(self):
        return self.session.factory.client()

    def image_row(self, image_id: str, repo: str):
        return next(r for r in list_images(self.client()) if r.id == image_id and r.repository == repo)

    def container_row(self, name: str):
        return next(r for r in list_containers(self.client()) if r.name == name)


# --- images ---------------------------------------------------------------------------------------


def tag_dialog(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    repo = f"{stage.repo}/{LONG[:60]}"
    image = stage.made.image(f"{repo}:v1.0.0")
    for tag in ("v1.1.0", "v1.2.3"):
        stage.engine.cli("tag", image, f"{repo}:{tag}")
    other = stage.made.image(f"{repo}:prod")
    stage.engine.cli("tag", other, f"{repo}:latest")
    dialog = TagDialog.for_row(stage.session, stage.image_row(image, repo), recent=recent_names(stage.workdir))
    stage.keep(dialog)
    dialog.start()
    stage.wait_until(lambda: dialog.editor.patch_button.isEnabled())
    editor = dialog.editor
    assert editor.suggest_info.text() == "Newest version in this repository: v1.2.3"
    assert editor.latest_note.isVisible()  # no tag typed: "latest" alone
    yield "hint, suggestions and the note about latest", dialog

    editor.tags_edit.setText("prod, latest")
    assert editor.moves_note.isVisible()
    yield "two tags that move from another image", dialog

    dialog.submit()
    stage.wait_until(lambda: dialog.confirm.isVisible())
    yield "the question whether to move the tags", dialog

    editor.tags_edit.setText("v1/0, prod")
    assert editor.tags_error.isVisible()
    editor.repo_edit.setText(f"{repo}:1.0.1")
    assert editor.repo_error.isVisible() and editor.split_button.isVisible()
    yield "'repository:tag' in Repository and a bad tag", dialog
    editor.repo_edit.setText("Not A Repository")
    yield "an invalid repository", dialog
    dialog.reject()


def build_dialog(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    context = stage.workdir / LONG[:50] / "context"
    context.mkdir(parents=True)
    (context / "Dockerfile").write_text("FROM berth-test/busybox AS base\nFROM base AS final\n")
    dialog = BuildDialog(stage.session, str(context), recent=recent_names(stage.workdir))
    stage.keep(dialog)
    dialog.start()
    stage.wait_until(lambda: dialog.context_info is not None
                     and dialog.editor.suggest_info.text() != "Looking up the repository's tags…")
    dialog.editor.repo_edit.setText(f"{stage.repo}:1.0.1")
    dialog.args_edit.setPlainText("GOOD=1\n=bad")
    dialog.target_combo.setEditText("no-such-stage")
    assert not dialog.args_error.isHidden() and not dialog.target_error.isHidden()
    yield "errors under the names, arguments and target", dialog
    dialog.editor.repo_edit.setText(stage.repo)
    dialog.editor.tags_edit.setText("latest")
    yield "the note about latest", dialog
    dialog.reject()


def load_and_import_dialogs(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    image = stage.made.image(f"{stage.repo}:1")
    saved = stage.workdir / f"{LONG[:40]}.tar"
    stage.engine.cli("save", "-o", str(saved), f"{stage.repo}:1")
    stage.made.image(f"{stage.repo}:1")  # the tag now names another image: loading moves it
    cut = stage.workdir / "cut.tar"
    cut.write_bytes(saved.read_bytes()[:3000])
    empty = stage.workdir / "empty.tar"
    empty.write_bytes(b"")
    rootfs = stage.workdir / "My Root FS.tar"
    with tarfile.open(rootfs, "w") as tar:
        tar.add(os.devnull, arcname="etc/motd")
    client, info = stage.client(), stage.session.factory.info

    def plan(path):
        try:
            return ArchivePlan(str(path), preview_load(client, archive.inspect_archive(path), info))
        except archive.ArchiveError as exc:
            return ArchivePlan(str(path), error=str(exc))

    dialog = LoadPreviewDialog([plan(saved), plan(cut), plan(empty), plan(rootfs)])
    stage.keep(dialog)
    assert not dialog.warnings.isHidden() and not dialog.problems.isHidden()
    yield "a moving tag, unreadable archives and a file system", dialog
    dialog.reject()

    stage.engine.cli("tag", image, "my-root-fs:latest")
    stage.made.images.append("my-root-fs:latest")
    importer = ImportRootfsDialog(plan(rootfs))
    stage.keep(importer)
    assert "moves the tag" in importer.message.text()
    yield "import: the name belongs to another image", importer
    importer.repository_edit.setText("Bad Name")
    yield "import: an invalid name", importer
    importer.reject()


def remove_and_prune_dialogs(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    image = stage.made.image(f"{stage.repo}:used")
    stage.engine.cli("tag", image, f"{stage.repo}:{LONG[:100]}")
    stage.made.container(f"{stage.repo.replace('/', '-')}-user", image)
    rows = [r for r in list_images(stage.client()) if r.id == image]
    dialog = RemoveImagesDialog(stage.session, rows)
    stage.keep(dialog)
    dialog.start()
    stage.wait_until(lambda: dialog.plan is not None)
    assert dialog.in_use.isVisible()
    yield "remove images in use by a container", dialog
    dialog.set_plan_error(BerthError("The engine refused: " + LONG))
    yield "remove images: a long error", dialog
    dialog.reject()

    for kind in (PruneDialog, PruneContainersDialog):
        prune = kind(stage.session)
        stage.keep(prune)
        prune.start()
        stage.wait_until(lambda p=prune: p.prune_button.isEnabled() or p.status.text() != "Checking…")
        yield f"{kind.__name__} with its preview", prune
        prune._show_error(BerthError("The engine could not prune: " + LONG))
        yield f"{kind.__name__} with a long error", prune
        prune.reject()


# --- containers -----------------------------------------------------------------------------------


def container_dialogs(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    base = stage.repo.replace("/", "-")
    long_name = f"{base}-{LONG}"[:120]
    busybox = stage.engine.ensure_busybox_base()
    stage.made.container(long_name, busybox)
    stage.made.container(f"{base}-taken", busybox)
    row = stage.container_row(long_name)

    rename = RenameDialog(stage.session, row)
    stage.keep(rename)
    rename.name_edit.setText("no spaces allowed/here")
    assert rename.status.text()
    yield "rename: an invalid name", rename
    rename.name_edit.setText(f"{base}-taken")
    task = rename.rename()
    stage.wait_until(lambda: task.state.done and rename.rename_button.isEnabled())  # the failure is shown
    assert "already in use" in rename.status.text() or "taken" in rename.status.text()
    yield "rename: the engine's error", rename
    rename.reject()

    commit = CommitDialog(stage.session, row)
    stage.keep(commit)
    commit.repository_edit.setText("Bad Repository Name")
    yield "commit: an invalid repository", commit
    commit.reject()

    for direction in (OUT, IN):
        copy = CopyDialog(stage.session, row, direction)
        stage.keep(copy)
        copy.container_edit.setText("relative/path")
        copy.local_edit.setText("/tmp")
        yield f"copy {direction}: a relative path", copy
        copy.reject()

    remove = RemoveContainersDialog([row] * 3)
    stage.keep(remove)
    yield "remove containers", remove
    remove.reject()

    kill = KillDialog([long_name] * 7)
    stage.keep(kill)
    kill.signal_combo.setEditText("NOT-A-SIGNAL")
    yield "kill: a signal that does not exist", kill
    kill.reject()
    stop = StopDialog([long_name] * 7)
    stage.keep(stop)
    yield "stop with a timeout", stop
    stop.reject()


def run_dialog(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    dialog = RunDialog(stage.session, stage.engine.ensure_busybox_base())
    stage.keep(dialog)
    dialog.start()
    stage.wait_until(lambda: dialog.defaults is not None)
    dialog.name_edit.setText("bad name!")
    dialog.memory_edit.setText("lots")
    dialog.cpus_edit.setText("many")
    dialog.command_edit.setText('sh -c "unclosed')
    assert len(dialog.problems.text().splitlines()) >= 3
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        yield f"run: problems listed, tab {dialog.tabs.tabText(tab).replace('&', '')}", dialog
    dialog.reject()


# --- registries -----------------------------------------------------------------------------------


def registry_dialogs(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    from desktop.ui.dialogs.add_registry_dialog import AddRegistryDialog
    from desktop.ui.dialogs.pull_dialog import PullDialog
    from desktop.ui.dialogs.push_dialog import PushDialog
    from desktop.ui.dialogs.sign_in_dialog import SignInDialog

    pull = PullDialog(stage.session, f"registry.example.com:5000/{LONG[:60]}/Web:1.0")
    stage.keep(pull)
    stage.wait_until(lambda: pull.reference_error.isVisible())
    yield "pull: an invalid reference (upper case), explained", pull
    pull.reference_edit.setText(f"registry.example.com:5000/{LONG[:60]}/web:1.0")
    yield "pull: a long reference and its normalised form", pull
    pull.reject()

    repo = f"{stage.repo}/{LONG[:60]}"
    image = stage.made.image(f"{repo}:v1.0.0")
    for name in (f"127.0.0.1:5000/{repo}:v1.0.0", f"registry.example.com:5000/{repo}:v1.0.0"):
        stage.engine.cli("tag", image, name)
        stage.cleanups.append(lambda name=name: stage.engine.cli("rmi", name, check=False))
    push = PushDialog(stage.session, stage.image_row(image, repo))
    stage.keep(push)
    push.start()
    stage.wait_until(lambda: push.isVisible() and len(push.checked_tags()) >= 1)
    yield "push: every tag of the image, with its registry", push
    push.reject()

    sign_in = SignInDialog(stage.session, "registry.example.com:5000", username=LONG[:40],
                           kept_by="by the credential helper docker-credential-" + LONG[:30])
    stage.keep(sign_in)
    sign_in._on_failed(BerthError("registry.example.com:5000 refused the user name or password: " + LONG))
    yield "sign in: a long helper name and a refusal", sign_in
    sign_in.reject()

    add = AddRegistryDialog(stage.session)
    stage.keep(add)
    add.host_edit.setText(f"https://{LONG[:40]}.example.com:99999/path")
    stage.wait_until(lambda: add.host_error.isVisible())
    yield "add registry: an invalid host, explained", add
    add.reject()


def connection_page(stage: Stage) -> Iterator[tuple[str, QWidget]]:
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(f"unix://{stage.workdir}/{LONG}/docker.sock", "user")])
    stage.cleanups.append(lambda: tasks.shutdown(5000))
    page = ConnectionPage(session)
    page.resize(1024, 640)
    stage.keep(page)
    page.show_error(BerthError("Could not reach the engine: " + LONG))
    page.host_edit.setText("gopher://nowhere")
    page._connect_to_host()
    assert page.host_error.text()
    yield "connection page: an error and a bad host", page
    page.close()


STATES = [tag_dialog, build_dialog, load_and_import_dialogs, remove_and_prune_dialogs, container_dialogs,
          run_dialog, registry_dialogs, connection_page]
