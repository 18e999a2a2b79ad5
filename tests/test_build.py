"""Building images against the real engine, through the engine layer and through the Build dialog
with its live log. The docker CLI (legacy builder) is the oracle: it builds the same contexts,
and ``docker images`` / ``docker run`` show what was made."""

from __future__ import annotations

import itertools
import tarfile
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from desktop.engine.build import (BuildEvent, BuildFailed, BuildRequest, BuildStreamParser, EventKind, _Upload,
                                  build_image, check_context, dockerfile_stages, pack_context, parse_build_args)
from desktop.engine.cancel import CancelToken
from desktop.engine.connection import Endpoint, open_client
from desktop.engine.errors import BerthError, Cancelled, EngineError
from desktop.engine.images import short_id
from desktop.tasks.engine_session import EngineSession
from desktop.tasks.manager import TaskManager
from desktop.ui import tag_actions
from desktop.ui.build_drop import build_drop_target, is_build_context_drop
from desktop.ui.build_log_panel import MAX_LINES, BuildLogPanel
from desktop.ui.dialogs.build_dialog import BuildDialog
from desktop.ui.main_window import MainWindow
from tests.helpers import cli_tags, connected_session, recent_names

pytestmark = [
    pytest.mark.engine,
    pytest.mark.qt_log_ignore(r"This plugin does not support raise\(\)",
                              "This plugin does not support grabbing the keyboard"),
]
_marks = itertools.count(1)

STAGES = """\
FROM {base} AS base
ARG GREETING=hello
RUN echo "$GREETING {mark}" > /greeting
FROM base AS extra
RUN echo extra > /extra
FROM base AS final
COPY a.txt /a.txt
RUN cat /greeting
"""


# --- helpers --------------------------------------------------------------------------------

def make_context(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


@pytest.fixture(scope="module")
def client(docker_engine):
    client = open_client(Endpoint(docker_engine.docker_host, "user"), timeout=None)
    yield client
    client.close()


@pytest.fixture
def cleanup(docker_engine):
    """Repositories and image ids a test made; removed after it."""
    made: list[str] = []
    yield made
    for ref in reversed(made):
        docker_engine.cli("rmi", "-f", ref, check=False)


def cli_build(engine, context, *args) -> tuple[int, str, str]:
    """``docker build -q`` (legacy builder): (exit code, image id, stderr)."""
    proc = engine.cli("build", "-q", *args, str(context), check=False)
    return proc.returncode, proc.stdout.strip(), proc.stderr


def run(engine, image, *cmd) -> str:
    return engine.cli("run", "--rm", image, *cmd).stdout


def cli_containers_text(engine) -> str:
    return engine.cli("ps", "-a", "--no-trunc", "--format", "{{.Command}}").stdout


# --- pure parts -----------------------------------------------------------------------------

def test_stream_items_become_events():
    parser = BuildStreamParser()
    items = [{"stream": "Step 1/2 : FROM x"}, {"stream": "\n"}, {"stream": " ---> abc\n"},
             {"stream": "Step 2/2 : RUN y\n ---> Running in 1\nhello\n"},
             {"status": "Pulling fs layer", "id": "l1"},
             {"status": "Downloading", "id": "l1", "progress": "[=>  ] 1MB/3MB", "progressDetail": {"current": 1}},
             {"aux": {"ID": "sha256:" + "a" * 64}},
             {"stream": "[Warning] One or more build-args [X] were not consumed\n"},
             {"stream": "Successfully built aaaaaaaaaaaa\n"},
             {"errorDetail": {"code": 3, "message": "The command returned 3"}, "error": "ignored text"},
             "not a dict"]
    events = [e for item in items for e in parser.feed(item)] + parser.finish()
    kinds = [e.kind for e in events]
    assert kinds == [EventKind.STEP, EventKind.OUTPUT, EventKind.STEP, EventKind.OUTPUT, EventKind.OUTPUT,
                     EventKind.STATUS, EventKind.STATUS, EventKind.IMAGE_ID, EventKind.WARNING, EventKind.OUTPUT,
                     EventKind.ERROR]
    assert (events[2].step, events[2].total) == (2, 2) and events[0].text == "Step 1/2 : FROM x"
    assert events[5].text == "l1: Pulling fs layer" and not events[5].transient
    assert events[6].transient and "1MB/3MB" in events[6].text
    assert parser.image_id == "sha256:" + "a" * 64 and parser.built_short_id == "a" * 12
    assert parser.warnings == ["One or more build-args [X] were not consumed"]
    assert parser.error == "The command returned 3" and events[-1].line == "ERROR: The command returned 3"
    tail = BuildStreamParser()
    assert tail.feed({"stream": "no newline"}) == [] and [e.text for e in tail.finish()] == ["no newline"]


def test_build_arguments_and_stages():
    assert parse_build_args("A=1\n\n  B=two words \nC\nD=\nA=3", {"C": "from env"}) == {
        "A": "3", "B": "two words", "C": "from env", "D": ""}
    assert parse_build_args("UNSET_HERE", {}) == {"UNSET_HERE": None}
    for text, problem in (("=1", 'needs a name before "="'), ("A=1\n =x", "Line 2"), ("MY ARG=1", "white space")):
        with pytest.raises(ValueError) as info:
            parse_build_args(text, {})
        assert problem in str(info.value)
    text = "# syntax\nFROM a AS Base\nFROM --platform=linux/amd64 b \\\n  as final\nRUN x\nFROM c\nfrom d as Last"
    assert dockerfile_stages(text) == ["base", "final", "last"]


def test_context_checks(tmp_path):
    empty = make_context(tmp_path / "empty", {"readme.txt": "x"})
    info = check_context(str(empty))
    assert not info.ok and info.problem == f"There is no Dockerfile in {empty}. Choose a folder that has one, or " \
                                           "the Dockerfile to use."
    other = make_context(tmp_path / "other", {"web.Dockerfile": "FROM x AS web\n", "Dockerfile.dev": "FROM y\n"})
    info = check_context(str(other))
    assert info.candidates == ("Dockerfile.dev", "web.Dockerfile")
    assert "There is no Dockerfile in" in info.problem and "Dockerfile.dev, web.Dockerfile" in info.problem
    info = check_context(str(other), "web.Dockerfile")
    assert info.ok and info.stages == ("web",) and info.dockerfile == "web.Dockerfile"
    outside = check_context(str(other), str(empty / "readme.txt"))
    assert "must be inside the context folder" in outside.problem
    assert "does not exist" in check_context(str(tmp_path / "nope")).problem
    assert "Choose the folder" in check_context("").problem


def test_a_large_context_streams_from_disk(tmp_path):
    """Packing and sending a 48 MB context never holds more than a few chunks in memory."""
    context = make_context(tmp_path / "big", {"Dockerfile": "FROM scratch\n"})
    with open(context / "big.bin", "wb") as f:
        f.truncate(48 * 1024 * 1024)
    import docker.utils.build  # noqa: F401 - pack_context imports the SDK on first use: not part of the peak

    tracemalloc.start()
    try:
        with tempfile.TemporaryFile() as archive:
            packed = pack_context(str(context), "Dockerfile", archive)
            upload = _Upload(archive, packed.size, None, None)
            sent = sum(len(chunk) for chunk in upload)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sent == packed.size > 48 * 1024 * 1024
    assert peak < 4 * 1024 * 1024, f"peak Python memory {peak:,} bytes"


# --- the engine layer against the CLI ---------------------------------------------------------

def test_build_with_args_stages_and_target_matches_the_cli(docker_engine, client, busybox_image, cleanup,
                                                           unique_repo, tmp_path):
    mark = f"m{next(_marks)}-{unique_repo}"
    context = make_context(tmp_path / "ctx", {"Dockerfile": STAGES.format(base=busybox_image, mark=mark),
                                              "a.txt": "a file\n"})
    cleanup.append(unique_repo + ":v1")
    cleanup.append(unique_repo + ":latest")
    events: list[BuildEvent] = []
    result = build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:v1", unique_repo),
                                              buildargs={"GREETING": "bonjour", "UNUSED": "x"}, target="final"),
                         on_event=events.append)
    assert result.tags == (f"{unique_repo}:v1", f"{unique_repo}:latest")
    assert cli_tags(docker_engine, unique_repo) == {"v1": result.image_id, "latest": result.image_id}
    steps = [e for e in events if e.kind is EventKind.STEP]
    assert [e.step for e in steps] == list(range(1, 9)) and {e.total for e in steps} == {8}
    assert any(e.kind is EventKind.OUTPUT and e.text == f"bonjour {mark}" for e in events)
    assert result.warnings == ("One or more build-args [UNUSED] were not consumed",)
    assert run(docker_engine, result.image_id, "cat", "/greeting") == f"bonjour {mark}\n"
    assert run(docker_engine, result.image_id, "cat", "/a.txt") == "a file\n"
    assert "extra" not in run(docker_engine, result.image_id, "ls", "/")
    # the CLI, building the same, arrives at the very same image (every step from the cache)
    code, cli_id, _err = cli_build(docker_engine, context, "--build-arg", "GREETING=bonjour", "--target", "final")
    assert code == 0 and cli_id == result.image_id

    extra = build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:extra",), target="extra"))
    cleanup.append(f"{unique_repo}:extra")
    assert run(docker_engine, f"{unique_repo}:extra", "cat", "/extra", "/greeting") == f"extra\nhello {mark}\n"
    code, cli_id, _err = cli_build(docker_engine, context, "--target", "extra")
    assert cli_id == extra.image_id


def test_dockerignore_is_honoured_as_the_cli_does(docker_engine, client, busybox_image, cleanup, unique_repo,
                                                  tmp_path):
    files = {
        "Dockerfile": f"FROM {busybox_image}\nCOPY . /ctx/\nRUN find /ctx | sort > /listing\n",
        ".dockerignore": "# comment\n*.env\nlogs\n!logs/keep.log\n**/*.tmp\n.git\n  spaced.txt  \n",
        "keep.txt": "k", "secret.env": "s", "spaced.txt": "x",
        "logs/a.log": "a", "logs/keep.log": "k", "sub/dir/x.tmp": "t", "sub/y.txt": "y", ".git/config": "g",
        f"unique-{next(_marks)}": "makes this context unlike any other test's",
    }
    context = make_context(tmp_path / "ctx", files)
    cleanup.append(f"{unique_repo}:ignore")
    result = build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:ignore",)))
    listing = run(docker_engine, result.image_id, "cat", "/listing").split()
    for absent in ("secret.env", "spaced.txt", "a.log", "x.tmp", ".git"):
        assert not any(p.endswith("/" + absent) for p in listing), absent
    for present in ("/ctx/keep.txt", "/ctx/logs/keep.log", "/ctx/sub/y.txt", "/ctx/sub/dir"):
        assert present in listing
    assert "keep.txt" in run(docker_engine, result.image_id, "ls", "/ctx")
    code, cli_id, err = cli_build(docker_engine, context, "--no-cache")
    cleanup.append(cli_id)
    assert code == 0, err
    assert run(docker_engine, cli_id, "cat", "/listing").split() == listing


def test_a_syntax_error_fails_with_the_engines_message(docker_engine, client, busybox_image, unique_repo, tmp_path):
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\nFOO bar\n"})
    events = []
    with pytest.raises(EngineError) as info:
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:x",)), on_event=events.append)
    assert "dockerfile parse error line 2: unknown instruction: FOO" in str(info.value)
    assert events[-1].kind is EventKind.ERROR and "unknown instruction: FOO" in events[-1].text
    code, _id, err = cli_build(docker_engine, context)
    assert code != 0 and "unknown instruction: FOO" in err
    assert cli_tags(docker_engine, unique_repo) == {}


def test_copy_of_a_missing_file_fails_with_the_engines_message(docker_engine, client, busybox_image, unique_repo,
                                                               tmp_path):
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\nCOPY missing.txt /x\n"})
    with pytest.raises(BuildFailed) as info:
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:x",)))
    message = str(info.value)
    assert message.startswith("COPY failed: file not found in build context or excluded by .dockerignore")
    _code, _id, err = cli_build(docker_engine, context)
    assert message in err
    assert cli_tags(docker_engine, unique_repo) == {}


def test_a_failing_step_leaves_nothing_behind(docker_engine, client, busybox_image, unique_repo, tmp_path):
    mark = f"failing-{next(_marks)}-{unique_repo}"
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\nRUN echo {mark}; exit 3\n"})
    events = []
    with pytest.raises(BuildFailed) as info:
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:x",)), on_event=events.append)
    assert str(info.value) == f"The command '/bin/sh -c echo {mark}; exit 3' returned a non-zero code: 3"
    assert any(e.text == mark for e in events)
    assert cli_tags(docker_engine, unique_repo) == {}
    assert mark not in cli_containers_text(docker_engine)  # the step's container went too


def test_pull_asks_the_registry_as_the_cli_does(docker_engine, client, busybox_image, unique_repo, tmp_path):
    """The base image exists only on this engine, so ``--pull`` fails, for Berth as for the CLI."""
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\n"})
    with pytest.raises(BuildFailed) as info:
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:x",), pull=True))
    code, _id, err = cli_build(docker_engine, context, "--pull")
    assert code != 0 and info.value.detail in err  # the engine's own words are kept ...
    assert str(info.value).startswith(f"The base image {busybox_image} could not be pulled, and this build asks "
                                      "for a fresh copy of its base images: ")  # ... and said plainly
    assert "Turn off pulling newer base images" in str(info.value)
    assert cli_tags(docker_engine, unique_repo) == {}


def test_a_base_image_that_cannot_be_pulled_is_explained(docker_engine, client, busybox_image, registry, unique_repo,
                                                         tmp_path):
    """The engine has no internet: ``FROM alpine:3.19`` fails at once with a raw Go DNS error."""
    context = make_context(tmp_path / "hub", {"Dockerfile": "FROM alpine:3.19\nRUN true\n"})
    events = []
    with pytest.raises(BuildFailed) as info:
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:x",)), on_event=events.append)
    assert str(info.value) == ("The base image alpine:3.19 is not on this engine and could not be pulled: "
                               "can't reach docker.io (no network or DNS).")
    _code, _id, err = cli_build(docker_engine, context)
    assert "registry-1.docker.io" in info.value.detail and info.value.detail in err
    assert events[-1].kind is EventKind.ERROR and events[-1].text == str(info.value)
    assert events[-2].text == f"The engine said: {info.value.detail}"  # the log keeps the engine's words

    missing = f"{registry.for_engine}/{unique_repo}-absent:1"
    context = make_context(tmp_path / "registry", {"Dockerfile": f"FROM {busybox_image} AS base\nFROM {missing}\n"})
    with pytest.raises(BuildFailed) as info:
        build_image(client, BuildRequest(str(context)))
    assert str(info.value) == (f"The base image {missing} is not on this engine and could not be pulled: "
                               f"{registry.for_engine} has no such image or tag.")
    _code, _id, err = cli_build(docker_engine, context)
    assert "manifest unknown" in info.value.detail and info.value.detail in err
    assert cli_tags(docker_engine, unique_repo) == {}


@pytest.mark.parametrize("message, pull, expected", [
    ('Get "http://localhost:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused', False,
     "The base image img:1 is not on this engine and could not be pulled: can't reach the registry localhost:5999: "
     "nothing answers there (connection refused)."),
    ("pull access denied for img, repository does not exist or may require 'docker login': denied: requested "
     "access to the resource is denied", False,
     "The base image img:1 is not on this engine and could not be pulled: docker.io refused: the repository does "
     "not exist there, or it needs you to log in first."),
    ('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host', True,
     "The base image img:1 could not be pulled, and this build asks for a fresh copy of its base images: the name "
     "of the registry docker.io is unknown to the engine's DNS (no such host). Turn off pulling newer base images "
     "to build from the copy on this engine, if it has one."),
    ("toomanyrequests: You have reached your pull rate limit.", False,
     "The base image img:1 is not on this engine and could not be pulled: docker.io refused because of its pull "
     "rate limit; try again later or log in."),
])
def test_pull_failures_of_a_base_image_in_plain_words(message, pull, expected):
    parser = BuildStreamParser(pull=pull)
    items = [{"stream": "Step 1/2 : FROM --platform=linux/amd64 img:1\n"}, {"error": message}]
    events = [e for item in items for e in parser.feed(item)]
    assert parser.error == expected and parser.error_detail == message
    assert [e.kind for e in events] == [EventKind.STEP, EventKind.OUTPUT, EventKind.ERROR]


def test_a_base_image_named_by_a_build_argument():
    """The step shows "FROM ${BASE}" as written; the name comes from the engine's error, if it says it."""
    for error, name in (("manifest for reg.example/app:1 not found: manifest unknown: manifest unknown",
                         "The base image reg.example/app:1 is"),
                        ('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: i/o timeout',
                         "The base image of this FROM step is")):
        parser = BuildStreamParser()
        parser.feed({"stream": "Step 2/2 : FROM ${BASE}\n"})
        parser.feed({"error": error})
        assert parser.error.startswith(f"{name} not on this engine and could not be pulled: "), parser.error


def test_errors_outside_a_pulled_from_step_are_the_engines():
    """A failing RUN, a FROM of an earlier stage or of scratch: nothing was pulled, nothing to rephrase."""
    for steps, stages in ((["FROM img:1", "RUN make"], ()), (["FROM img:1 AS Base", "FROM base"], ("base",)),
                          (["FROM scratch"], ())):
        parser = BuildStreamParser(stages=stages)
        for number, step in enumerate(steps, start=1):
            parser.feed({"stream": f"Step {number}/{len(steps)} : {step}\n"})
        parser.feed({"error": 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup x: no such host'})
        assert parser.error.startswith("Get ") and parser.error_detail == ""


def test_a_dockerignore_that_is_not_utf8_is_refused_with_a_sentence(client, busybox_image, tmp_path):
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\n",
                                              ".dockerignore": b"*.log\nlatin1-\xe9t\xe9\n"})
    info = check_context(str(context))
    assert info.problem == (f"{context}/.dockerignore is not UTF-8 text (line 2 has a byte that is not UTF-8): "
                            "save it as UTF-8 to build this folder.")
    with pytest.raises(BerthError) as refused:
        build_image(client, BuildRequest(str(context)))
    assert str(refused.value) == info.problem
    with tempfile.TemporaryFile() as archive, pytest.raises(BerthError, match="is not UTF-8 text"):
        pack_context(str(context), "Dockerfile", archive)
    # a byte order mark (as some Windows editors write) is UTF-8 and is not part of the first pattern
    (context / ".dockerignore").write_bytes(b"\xef\xbb\xbf*.log\n")
    (context / "a.log").write_text("x")
    assert check_context(str(context)).ok
    with tempfile.TemporaryFile() as archive:
        pack_context(str(context), "Dockerfile", archive)
        assert "a.log" not in tarfile.open(fileobj=archive).getnames()


def test_bad_requests_are_refused_before_anything_is_sent(client, busybox_image, tmp_path):
    empty = make_context(tmp_path / "empty", {"notes.txt": "x"})
    with pytest.raises(BerthError) as info:
        build_image(client, BuildRequest(str(empty), tags=("ok",)))
    assert str(info.value).startswith(f"There is no Dockerfile in {empty}")
    good = make_context(tmp_path / "good", {"Dockerfile": f"FROM {busybox_image}\n"})
    with pytest.raises(ValueError) as bad_tag:
        build_image(client, BuildRequest(str(good), tags=("app:bad/tag",)))
    assert 'The registry host "app:bad" has "b" at position 4' in str(bad_tag.value)  # plain words, not grammar
    with pytest.raises(EngineError) as target:
        build_image(client, BuildRequest(str(good), target="nope"))
    assert "failed to reach build target nope in Dockerfile" in str(target.value)


def test_cancel_mid_build_leaves_no_tag(qtbot, docker_engine, client, busybox_image, cleanup, unique_repo, tmp_path):
    mark = f"started-{next(_marks)}-{unique_repo.replace('/', '-')}"
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\nRUN echo {mark} && sleep 30\n"})
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:kept")  # a name the build would have moved
    cleanup.append(f"{unique_repo}:kept")
    base_id = cli_tags(docker_engine, unique_repo)["kept"]
    token = CancelToken()
    seen = []

    def on_event(event):
        seen.append(event)
        if event.text == mark:  # the slow step has started
            token.cancel()

    with pytest.raises(Cancelled):
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:new", f"{unique_repo}:kept"),
                                         nocache=True), token=token, on_event=on_event)
    assert seen[-1].text == mark
    assert cli_tags(docker_engine, unique_repo) == {"kept": base_id}
    # the engine stopped the build: it kills and removes the step's container
    qtbot.waitUntil(lambda: mark not in cli_containers_text(docker_engine), timeout=15000)
    assert cli_tags(docker_engine, unique_repo) == {"kept": base_id}


def test_cancel_while_sending_the_context(client, busybox_image, tmp_path):
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\n", "pad.bin": b"\0" * 300_000})
    token = CancelToken()

    def on_progress(_done, _total, text):
        if text.startswith("Sending"):
            token.cancel()

    with pytest.raises(Cancelled):
        build_image(client, BuildRequest(str(context), tags=("berth-test/never-sent:x",)), token=token,
                    on_progress=on_progress)


def test_a_cancel_while_naming_puts_every_name_back(docker_engine, client, busybox_image, cleanup, unique_repo,
                                                    tmp_path):
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\nLABEL mark={next(_marks)}\n"})
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:old")
    cleanup.append(f"{unique_repo}:old")
    base_id = cli_tags(docker_engine, unique_repo)["old"]
    token = CancelToken()

    def on_event(event):
        if event.kind is EventKind.INFO and event.text.startswith("Tagged"):
            token.cancel()  # the first name is given: cancel before the rest

    with pytest.raises(Cancelled):
        build_image(client, BuildRequest(str(context), tags=(f"{unique_repo}:old", f"{unique_repo}:new")),
                    token=token, on_event=on_event)
    assert cli_tags(docker_engine, unique_repo) == {"old": base_id}


# --- the Build dialog and its log -----------------------------------------------------------

@pytest.fixture
def session(qtbot, docker_engine):
    with connected_session(qtbot, docker_engine) as session:
        yield session


@pytest.fixture
def recent(tmp_path):
    return recent_names(tmp_path)


def open_dialog(qtbot, session, recent, context="") -> BuildDialog:
    dialog = BuildDialog(session, context, recent=recent)
    qtbot.addWidget(dialog)
    dialog.start()
    dialog.show()
    return dialog


def retype(qtbot, edit, text):
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_the_dialog_checks_everything_as_it_is_typed(qtbot, session, recent, busybox_image, tmp_path):
    empty = make_context(tmp_path / "empty", {"notes.txt": "x"})
    good = make_context(tmp_path / "good", {"Dockerfile": STAGES.format(base=busybox_image, mark="x"), "a.txt": "a"})
    dialog = open_dialog(qtbot, session, recent)
    assert not dialog.build_button.isEnabled()

    retype(qtbot, dialog.context_edit, str(empty))
    qtbot.waitUntil(lambda: dialog.context_info is not None, timeout=10000)
    assert dialog.context_status.text() == check_context(str(empty)).problem
    assert not dialog.build_button.isEnabled() and dialog.build_button.toolTip() == dialog.context_status.text()

    retype(qtbot, dialog.context_edit, str(good))
    qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.context_info.ok, timeout=10000)
    assert dialog.context_status.text() == f"Builds Dockerfile in {good}; stages: base, extra, final"
    assert [dialog.target_combo.itemText(n) for n in range(dialog.target_combo.count())] == ["base", "extra", "final"]
    assert dialog.build_button.isEnabled()  # no name: an untagged build is allowed
    assert dialog.editor.preview.text() == "(untagged: the image is listed as <none>)"

    editor = dialog.editor
    qtbot.keyClicks(editor.tags_edit, "v1")
    assert editor.repo_error.text() == "Enter the repository these tags belong to (e.g. myapp)."
    assert not dialog.build_button.isEnabled()
    qtbot.keyClicks(editor.repo_edit, "myapp")
    qtbot.keyClicks(editor.tags_edit, " bad/tag")
    assert 'tag "bad/tag" contains "/" at position 3' in editor.tags_error.text()
    assert not dialog.build_button.isEnabled()
    for _ in range(len(" bad/tag")):
        qtbot.keyClick(editor.tags_edit, Qt.Key.Key_Backspace)
    assert dialog.build_button.isEnabled()

    dialog.args_edit.setFocus()
    qtbot.keyClicks(dialog.args_edit, "GREETING=hi")
    qtbot.keyClick(dialog.args_edit, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.args_edit, "=oops")
    assert dialog.args_error.isVisible()
    assert dialog.args_error.text() == "Line 2 ('=oops'): a build argument needs a name before \"=\" (NAME=value)"
    assert not dialog.build_button.isEnabled()
    for _ in range(len("=oops")):
        qtbot.keyClick(dialog.args_edit, Qt.Key.Key_Backspace)
    assert not dialog.args_error.isVisible() and dialog.build_button.isEnabled()

    retype(qtbot, dialog.target_combo.lineEdit(), "nope")
    assert dialog.target_error.text() == "The Dockerfile has no stage named “nope”; its stages: base, extra, final."
    assert not dialog.build_button.isEnabled()
    retype(qtbot, dialog.target_combo.lineEdit(), "Extra")  # stage names are not case-sensitive
    assert dialog.build_button.isEnabled()
    request = dialog.request()
    assert request.tags == ("docker.io/library/myapp:v1",) and request.buildargs == {"GREETING": "hi"}
    assert request.target == "Extra" and request.dockerfile == "Dockerfile" and request.context_dir == str(good)


def test_a_folder_dropped_on_the_dialog_becomes_the_context(qtbot, session, recent, busybox_image, tmp_path):
    folder = make_context(tmp_path / "dropped", {"web.Dockerfile": f"FROM {busybox_image}\n"})
    dialog = open_dialog(qtbot, session, recent)
    for paths, expected in (([folder], str(folder)), ([folder / "web.Dockerfile"], str(folder))):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        pos = QPointF(dialog.rect().center())
        enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(dialog, enter)
        assert enter.isAccepted()
        drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(dialog, drop)
        assert drop.isAccepted()
        assert dialog.context_edit.text() == expected
    assert dialog.dockerfile_combo.currentText() == "web.Dockerfile"
    qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.context_info.ok, timeout=10000)

    def mime_of(*paths):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        return mime

    assert build_drop_target(mime_of(folder)).context_dir == str(folder)
    assert build_drop_target(mime_of(folder / "web.Dockerfile")).dockerfile == "web.Dockerfile"
    (folder / "image.tar").write_bytes(b"")
    assert not is_build_context_drop(mime_of(folder / "image.tar"))
    assert not is_build_context_drop(mime_of(folder, folder))
    text = QMimeData()
    text.setText(str(folder))
    assert not is_build_context_drop(text)


def test_build_from_the_window_streams_the_log_and_selects_the_image(qtbot, docker_engine, busybox_image, cleanup,
                                                                     recent, unique_repo, tmp_path):
    mark = f"m{next(_marks)}-{unique_repo}"
    context = make_context(tmp_path / "ctx", {"Dockerfile": STAGES.format(base=busybox_image, mark=mark),
                                              "a.txt": "a"})
    cleanup.append(f"{unique_repo}:v1")
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.show()
    session.start()
    try:
        qtbot.waitUntil(lambda: window.workspace.images_feed.loaded_once, timeout=20000)
        dialog = tag_actions.build_image(window, session, str(context))
        dialog._recent = recent
        qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.context_info.ok, timeout=10000)
        qtbot.keyClicks(dialog.editor.repo_edit, unique_repo)
        qtbot.keyClicks(dialog.editor.tags_edit, "v1")
        dialog.args_edit.setFocus()
        qtbot.keyClicks(dialog.args_edit, "GREETING=salut")
        with qtbot.waitSignal(dialog.built, timeout=60000) as built:
            qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
        result = built.args[0]
        assert cli_tags(docker_engine, unique_repo) == {"v1": result.image_id}
        assert dialog.status.text() == f"Built image {short_id(result.image_id)}, tagged {unique_repo}:v1."
        lines = dialog.log.lines()
        dockerfile = STAGES.format(base=busybox_image, mark=mark).splitlines()
        assert [line for line in lines if line.startswith("Step ")] == [
            f"Step {n}/8 : {text}" for n, text in enumerate(dockerfile, start=1)]
        assert f"salut {mark}" in lines
        assert lines[-1] == f"» Tagged {unique_repo}:v1"
        assert dialog.log.following()

        # the image shows up in the Images view (through the event stream) and is selected
        tag_actions.select_when_listed(window.workspace.images_view, result.image_id, result.tags[0])
        qtbot.waitUntil(lambda: [r.reference for r in window.workspace.images_view.selected_rows()] == [f"{unique_repo}:v1"],
                        timeout=10000)

        # search, copy, save
        log = dialog.log
        log.search.setFocus()
        qtbot.keyClicks(log.search, "Step ")
        assert log.match_count() == 8 and log.count_label.text() == "1 of 8"
        qtbot.keyClick(log.search, Qt.Key.Key_Return)
        assert log.current_match() == 2
        qtbot.keyClick(log.search, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        assert log.current_match() == 1
        assert log.text.textCursor().selectedText() == "Step "
        log.text.moveCursor(log.text.textCursor().MoveOperation.End)
        qtbot.mouseClick(log.copy_button, Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == log.plain_text()
        target = tmp_path / "build.log"
        with qtbot.waitSignal(log.saved, timeout=5000):
            log.save_to(str(target))
        assert target.read_text(encoding="utf-8") == log.plain_text()
        assert recent.repositories() == [unique_repo]
        dialog.close()
    finally:
        window.close()
        assert tasks.shutdown(10000)


@pytest.mark.parametrize("line, start", [("COPY nothere /x", "COPY failed: file not found in build context"),
                                         ("FOO bar", "Could not build the image: dockerfile parse error line 2: "
                                                     "unknown instruction: FOO")])
def test_a_failing_build_shows_the_engines_message(qtbot, session, recent, busybox_image, docker_engine, unique_repo,
                                                   tmp_path, line, start):
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\n{line}\n"})
    dialog = open_dialog(qtbot, session, recent, str(context))
    qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.context_info.ok, timeout=10000)
    qtbot.keyClicks(dialog.editor.repo_edit, unique_repo)
    with qtbot.waitSignal(dialog.buildFailed, timeout=60000) as failed:
        qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    message = str(failed.args[0])
    assert message.startswith(start)
    assert dialog.status.text() == message
    assert dialog.log.lines()[-1] == f"ERROR: {message}"
    assert dialog.log.step_label.text() == "Failed"
    assert cli_tags(docker_engine, unique_repo) == {}
    assert dialog.build_button.isEnabled()  # fix the Dockerfile and build again


def test_cancelling_a_build_in_the_dialog(qtbot, session, recent, busybox_image, docker_engine, unique_repo,
                                          tmp_path):
    mark = f"started-{next(_marks)}-{unique_repo.replace('/', '-')}"
    context = make_context(tmp_path / "ctx", {"Dockerfile": f"FROM {busybox_image}\nRUN echo {mark} && sleep 30\n"})
    dialog = open_dialog(qtbot, session, recent, str(context))
    qtbot.waitUntil(lambda: dialog.context_info is not None and dialog.context_info.ok, timeout=10000)
    qtbot.keyClicks(dialog.editor.repo_edit, unique_repo)
    dialog.nocache_box.setChecked(True)
    qtbot.mouseClick(dialog.build_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_build_button.isVisible() and not dialog.build_button.isEnabled()
    assert not dialog.context_edit.isEnabled()
    assert dialog.log.step_label.text() != "No build yet."
    qtbot.waitUntil(lambda: mark in dialog.log.lines(), timeout=30000)
    assert dialog.log.step_label.text() == f"Step 2/2: RUN echo {mark} && sleep 30"
    with qtbot.waitSignal(dialog.buildCancelled, timeout=15000):
        qtbot.mouseClick(dialog.cancel_build_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text().startswith("Build cancelled.")
    assert dialog.log.lines()[-1] == "» Build cancelled; no tag was given."
    # the task's state flips in the worker; the dialog updates when its queued 'finished' arrives
    qtbot.waitUntil(lambda: not dialog.cancel_build_button.isVisible(), timeout=5000)
    assert not dialog.busy and dialog.build_button.isEnabled()
    assert cli_tags(docker_engine, unique_repo) == {}
    qtbot.waitUntil(lambda: mark not in cli_containers_text(docker_engine), timeout=15000)


def test_the_log_follows_the_end_unless_scrolled_up_and_stays_bounded(qtbot):
    panel = BuildLogPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.show()
    panel.append_lines([f"line {n}" for n in range(500)])
    bar = panel.text.verticalScrollBar()
    assert panel.following() and bar.value() == bar.maximum() > 0
    bar.setValue(bar.maximum() // 2)  # the person scrolls up to read
    assert not panel.following()
    kept = bar.value()
    panel.append_lines([f"more {n}" for n in range(100)])
    assert bar.value() == kept and not panel.following()
    bar.setValue(bar.maximum())  # back to the end: follows again
    panel.append_lines(["last"])
    assert panel.following() and bar.value() == bar.maximum()

    qtbot.keyClicks(panel.search, "more 9")
    assert panel.match_count() == 11  # "more 9", "more 90".."more 99"
    panel.append_lines(["more 9 again"])  # new lines are searched as they come
    assert panel.match_count() == 12

    for start in range(0, MAX_LINES + 2000, 5000):
        panel.append_lines([f"bulk {n}" for n in range(start, start + 5000)])
    assert panel.text.document().blockCount() == MAX_LINES
    assert panel.lines()[-1] == f"bulk {MAX_LINES + 4999}"
    assert panel.match_count() == 0  # the old matches scrolled out of the kept lines


def test_build_events_become_log_lines(qtbot):
    panel = BuildLogPanel()
    qtbot.addWidget(panel)
    panel.append_events([
        BuildEvent(EventKind.INFO, "Sending build context to the engine: 2 entries, 10.0 kB"),
        BuildEvent(EventKind.STEP, "Step 1/1 : FROM x", step=1, total=1),
        BuildEvent(EventKind.STATUS, "l1: Downloading [=> ]", transient=True),
        BuildEvent(EventKind.STATUS, "l1: Pull complete"),
        BuildEvent(EventKind.IMAGE_ID, image_id="sha256:abc"),
        BuildEvent(EventKind.WARNING, "[Warning] careful"),
        BuildEvent(EventKind.ERROR, "it broke"),
    ])
    assert panel.lines() == ["» Sending build context to the engine: 2 entries, 10.0 kB", "Step 1/1 : FROM x",
                             "l1: Pull complete", " ---> image sha256:abc", "[Warning] careful", "ERROR: it broke"]
    assert panel.step_label.text() == "l1: Downloading [=> ]"
    document = panel.text.document()
    step_format = document.findBlockByNumber(1).layout().formats()
    error_format = document.findBlockByNumber(5).layout().formats()
    assert step_format and step_format[0].format.fontWeight() >= 700
    assert error_format and error_format[0].format.foreground().color().name() == "#c0392b"
