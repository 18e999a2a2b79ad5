"""Packaging: the recipes parse and validate, the single instance hands files between two real
processes, ``berth --self-test`` passes against the isolated engine, and (marked ``packaging``,
slow, root) the .deb builds, installs, self-tests and removes without a trace."""

from __future__ import annotations

import configparser
import json
import os
import plistlib
import re
import selectors
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from desktop import APP_ID, __version__

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
DESKTOP_ENTRY = PACKAGING / "linux" / f"{APP_ID}.desktop"
METAINFO = PACKAGING / "linux" / f"{APP_ID}.metainfo.xml"
sys.path.insert(0, str(PACKAGING))

import bundle_rules  # noqa: E402


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is missing (Debian package {package})"
        if _in_ci():
            pytest.fail(f"{message}; CI must have it", pytrace=False)
        pytest.skip(message)
    return path


def desktop_entry() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(DESKTOP_ENTRY, encoding="utf-8")
    return parser


# --- the recipes ----------------------------------------------------------------------------------
def test_pyinstaller_is_installed_and_runs():
    result = subprocess.run([sys.executable, "-m", "PyInstaller", "--version"], capture_output=True, text=True)
    if result.returncode and "No module named PyInstaller" in result.stderr:
        if _in_ci():
            pytest.fail("PyInstaller is not installed (pip install -e .[packaging])", pytrace=False)
        pytest.skip("PyInstaller is not installed (pip install -e .[packaging])")
    assert result.returncode == 0, result.stderr
    assert re.match(r"^\d+\.\d+", result.stdout.strip())


def test_spec_keeps_what_berth_uses_and_leaves_out_the_rest():
    kept = bundle_rules.kept_qt_modules()
    excluded = set(bundle_rules.excluded_qt_modules())
    # SVG icons need QtSvg (its plugins); the single instance needs QtNetwork
    assert {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtNetwork"} <= kept
    installed = set(bundle_rules.installed_qt_modules())
    assert {"QtQml", "QtQuick", "Qt3DCore", "QtMultimedia"} <= installed  # Essentials and Addons carry them
    for heavy in ("QtWebEngineCore", "QtQml", "QtQuick", "QtPdf", "Qt3DCore", "QtMultimedia"):
        assert (f"PySide6.{heavy}" in excluded) == (heavy in installed)
    imported = bundle_rules.imported_qt_modules()
    assert not {f"PySide6.{m}" for m in imported} & excluded, "a module desktop/ imports would be left out"
    assert ("QtCharts" in imported) == ("PySide6.QtCharts" not in excluded)


@pytest.mark.parametrize("dest, wanted", [
    ("PySide6/Qt/plugins/imageformats/libqsvg.so", True),
    ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", True),
    ("PySide6/Qt/plugins/imageformats/libqpdf.so", False),
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
    ("PySide6\\plugins\\platforms\\qwindows.dll", True),
    ("PySide6/Qt/lib/libQt6Core.so.6", True),
])
def test_spec_plugin_choice(dest, wanted):
    assert bundle_rules.plugin_wanted(dest) is wanted


def test_spec_parses_as_python():
    compile((PACKAGING / "berth.spec").read_text(encoding="utf-8"), "berth.spec", "exec")


def test_desktop_entry_validates():
    tool = need_tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([tool, str(DESKTOP_ENTRY)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_desktop_entry_offers_every_archive_kind_berth_loads_without_a_default():
    from PySide6.QtCore import QMimeDatabase

    from desktop.engine.archive import ARCHIVE_SUFFIXES

    entry = desktop_entry()["Desktop Entry"]
    listed = set(filter(None, entry["MimeType"].split(";")))
    assert entry["Exec"] == "berth %F" and entry["Icon"] == APP_ID
    database = QMimeDatabase()
    unnamed = []
    for suffix in ARCHIVE_SUFFIXES:
        mime = database.mimeTypeForFile(f"image{suffix}", QMimeDatabase.MatchMode.MatchExtension)
        if mime.name() == "application/octet-stream":
            unnamed.append(suffix)  # no MIME type of its own: claiming octet-stream would be wrong
            continue
        names = {mime.name(), *mime.aliases()}
        assert names & listed, f"{suffix} ({mime.name()}) is not in the desktop entry's MimeType"
    assert unnamed == [".tar.zstd"]
    # Berth never makes itself the default: no mimeapps.list ships, no preference is claimed
    assert "InitialPreference" not in entry
    assert not list(PACKAGING.rglob("*mimeapps.list"))


def test_metainfo_validates_and_matches_the_version():
    tool = need_tool("appstreamcli", "appstream")
    result = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.find("launchable").text == f"{APP_ID}.desktop"
    assert component.find("releases/release").get("version") == __version__, \
        "add a <release> for the new version to the metainfo"


def test_deb_depends_cover_scripts_qt_runtime_packages():
    import build_deb

    packages = build_deb.qt_runtime_packages()
    assert "libxcb-cursor0" in packages and "libegl1" in packages
    merged = build_deb.merge_depends(["libc6 (>= 2.35)", "libxcb-cursor0 (>= 0.0.99)"], packages)
    assert merged[:2] == ["libc6 (>= 2.35)", "libxcb-cursor0 (>= 0.0.99)"]
    assert merged.count("libxcb-cursor0") == 0 and set(packages) - {"libxcb-cursor0"} <= set(merged)


def test_control_template_and_maintainer_scripts():
    control = (PACKAGING / "linux" / "control.in").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", control, re.M))
    assert {"Package", "Version", "Architecture", "Depends", "Description", "Installed-Size"} <= set(fields)
    assert fields["Package"] == "berth"
    path = PACKAGING / "linux" / "postinst"
    assert os.access(path, os.X_OK), "postinst must be executable"
    subprocess.run(["sh", "-n", str(path)], check=True)
    # a postrm would keep the package in dpkg's database ("config-files") after dpkg -r
    assert not (PACKAGING / "linux" / "postrm").exists()


def test_icons_cover_every_platform(tmp_path, qapp):
    from PySide6.QtGui import QImageReader

    subprocess.run([sys.executable, str(PACKAGING / "icons.py"), str(tmp_path)], check=True)
    for size in (16, 32, 48, 128, 256, 512):
        png = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        reader = QImageReader(str(png))
        assert reader.size().width() == size, png
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for name, expected in (("berth.ico", {16, 24, 32, 48, 64, 128, 256}), ("berth.icns", {16, 32, 64, 128, 256, 512, 1024})):
        reader = QImageReader(str(tmp_path / name))
        sizes = set()
        for index in range(reader.imageCount()):
            reader.jumpToImage(index)
            sizes.add(reader.read().width())
        assert sizes == expected, name


def test_info_plist_parses_and_never_claims_the_default():
    with open(PACKAGING / "macos" / "Info.plist", "rb") as fh:
        info = plistlib.load(fh)
    assert info["CFBundleIdentifier"] == APP_ID and info["CFBundleExecutable"] == "berth"
    (documents,) = info["CFBundleDocumentTypes"]
    assert documents["LSHandlerRank"] == "Alternate"  # offered in Open With, never the default
    assert "public.tar-archive" in documents["LSItemContentTypes"]


def test_dmg_script_parses():
    subprocess.run(["bash", "-n", str(PACKAGING / "macos" / "build-dmg.sh")], check=True)
    assert os.access(PACKAGING / "macos" / "build-dmg.sh", os.X_OK)


def _iss_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(";") or line.startswith("#"):
            continue
        match = re.fullmatch(r"\[(\w+)\]", line)
        if match:
            current = match.group(1)
            sections.setdefault(current, [])
            continue
        assert current is not None, f"line {number} is outside any section: {raw!r}"
        assert line.count('"') % 2 == 0, f"unbalanced quotes on line {number}: {raw!r}"
        sections[current].append(line)
    return sections


def test_inno_setup_script_is_well_formed_and_per_user():
    text = (PACKAGING / "windows" / "berth.iss").read_text(encoding="utf-8")
    sections = _iss_sections(text)
    assert {"Setup", "Files", "Icons", "Registry", "Run"} <= set(sections)
    setup = dict(line.split("=", 1) for line in sections["Setup"])
    assert setup["PrivilegesRequired"] == "lowest"
    assert setup["DefaultDirName"].startswith("{localappdata}")
    assert setup["AppName"] == "{#AppName}" and setup["UninstallDisplayIcon"]
    for name in ("Files", "Icons", "Registry", "Run"):
        for entry in sections[name]:  # "Key: value; Key: value" parameter lists
            for part in re.split(r';\s*(?=\w+:)', entry):
                assert re.match(r"^\w+: ", part), f"[{name}] {entry!r}"
    assert any(e.startswith('Name: "{userprograms}') for e in sections["Icons"]), "no Start menu entry"
    assert all("HKCU" in e for e in sections["Registry"]), "a per-user install writes only HKCU"
    assert not any("shell\\open\\command" in e and "Classes\\.tar\"" in e for e in sections["Registry"])
    assert any("OpenWithProgids" in e for e in sections["Registry"])
    defines = set(re.findall(r"\{#(\w+)\}", text))
    declared = set(re.findall(r"#define (\w+)", text)) | {"AppVersion"}
    assert defines <= declared, f"undefined: {defines - declared}"


def test_ci_workflow_names_files_that_exist():
    text = (PACKAGING / "ci" / "build-installers.yml").read_text(encoding="utf-8")
    assert "\t" not in text
    for path in ("scripts/build-deb", "scripts/test", "packaging/berth.spec", "packaging/icons.py",
                 "packaging/macos/build-dmg.sh", "tests/test_packaging.py"):
        assert path in text and (ROOT / path).exists(), path
    assert "packaging\\windows\\berth.iss" in text and (PACKAGING / "windows" / "berth.iss").exists()


# --- single instance between two real processes ------------------------------------------------
def _with_source(env: dict) -> dict:
    """Run `python -m desktop` from any folder, installed or not."""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def _berth_env(runtime: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "BERTH_READY_FILE"}
    return _with_source(dict(env, XDG_RUNTIME_DIR=str(runtime), QT_QPA_PLATFORM="offscreen", **extra))


def test_second_launch_hands_its_files_to_the_first(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMainWindow

    from desktop.single_instance import SingleInstance, instance_key

    host = "unix:///nonexistent/berth-single-instance.sock"  # the second launch never connects
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("XDG_ACTIVATION_TOKEN", "")
    instance = SingleInstance(instance_key(host))
    assert instance.key.startswith(str(tmp_path)), "the socket lives in the user's private runtime folder"
    window = QMainWindow()
    qtbot.addWidget(window)
    window.showMinimized()
    instance.window = window
    assert instance.listen(), instance.error
    (tmp_path / "images").mkdir()
    second = subprocess.Popen([sys.executable, "-m", "desktop", "-H", host, "images/a.tar", str(tmp_path / "b.tar.gz")],
                              cwd=tmp_path, env=_berth_env(tmp_path, XDG_ACTIVATION_TOKEN="token-123"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with qtbot.waitSignal(instance.filesReceived, timeout=30000) as blocker:
            pass
        out, err = second.communicate(timeout=30)
    finally:
        second.kill()
        instance.close()
    assert blocker.args[0] == [str(tmp_path / "images" / "a.tar"), str(tmp_path / "b.tar.gz")]
    assert second.returncode == 0, err
    assert out == "" and "berth-ready" not in err
    assert not window.isMinimized() and window.isVisible()
    assert os.environ.get("XDG_ACTIVATION_TOKEN") == "token-123"  # handed to Qt for the focus request


@pytest.mark.engine
def test_an_archive_opened_with_a_second_launch_is_loaded_by_the_first(qtbot, tmp_path, monkeypatch, docker_engine,
                                                                        busybox_image):
    """What a file manager's "Open With Berth" does while Berth runs: the running window reads
    the archive and asks to load it."""
    from desktop.app import open_files
    from desktop.engine.connection import Endpoint
    from desktop.single_instance import SingleInstance, instance_key
    from desktop.tasks.engine_session import EngineSession
    from desktop.tasks.manager import TaskManager
    from desktop.ui.dialogs.load_preview_dialog import LoadPreviewDialog
    from desktop.ui.main_window import MainWindow

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    archive = tmp_path / "busybox image.tar"
    docker_engine.cli("save", "-o", str(archive), busybox_image)
    tasks = TaskManager()
    session = EngineSession(tasks, [Endpoint(docker_engine.docker_host, "user")])
    window = MainWindow(tasks, session)
    qtbot.addWidget(window)
    window.show()
    instance = SingleInstance(instance_key(docker_engine.docker_host))
    instance.window = window
    instance.filesReceived.connect(lambda paths: open_files(window, session, paths))
    assert instance.listen()
    session.start()
    second = None
    try:
        qtbot.waitUntil(lambda: session.state == "connected", timeout=15000)
        second = subprocess.Popen([sys.executable, "-m", "desktop", "-H", docker_engine.docker_host, archive.name],
                                  cwd=tmp_path, env=_berth_env(tmp_path), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30000)  # it handed over and left
        qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(LoadPreviewDialog)), timeout=30000)
        (dialog,) = [d for d in window.findChildren(LoadPreviewDialog) if d.isVisible()]
        assert [plan.path for plan in dialog.plans] == [str(archive)]
        assert dialog.plans[0].loadable
        dialog.reject()
    finally:
        if second is not None and second.poll() is None:
            second.kill()
            second.wait()
        instance.close()
        window.close()
        session.stop()
        assert tasks.shutdown(10000)
    assert second.returncode == 0


def test_a_garbled_message_is_refused_and_changes_nothing(qtbot, tmp_path, monkeypatch):
    from desktop.single_instance import SingleInstance, instance_key

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    instance = SingleInstance(instance_key(None))
    assert instance.listen()
    received = []
    instance.filesReceived.connect(received.append)
    client = subprocess.Popen([sys.executable, "-c", (
        "import socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
        "s.sendall(b'not json\\n'); print(s.recv(100).decode().strip())"), instance.key],
        stdout=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: client.poll() is not None, timeout=20000)
        answer = client.stdout.read().strip()
    finally:
        client.kill()
        client.stdout.close()
        instance.close()
    assert answer == "error"
    assert received == []


def test_a_live_first_instance_keeps_its_place(qapp, tmp_path, monkeypatch):
    from desktop.single_instance import SingleInstance, forward, instance_key

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    key = instance_key("tcp://127.0.0.1:1")
    first = SingleInstance(key)
    assert first.listen()
    second = SingleInstance(key)
    assert not second.listen(), "a live first instance must not be replaced"
    first.close()
    assert not forward(key, ["x.tar"]), "nobody listens any more"


@pytest.mark.engine
def test_new_instance_opens_its_own_window(qtbot, tmp_path, monkeypatch, docker_engine):
    from desktop.single_instance import SingleInstance, instance_key

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    first = SingleInstance(instance_key(docker_engine.docker_host))
    assert first.listen()
    received = []
    first.filesReceived.connect(received.append)
    env = _berth_env(tmp_path, BERTH_READY_FILE="-", XDG_CONFIG_HOME=str(tmp_path / "config"))
    second = subprocess.Popen([sys.executable, "-m", "desktop", "--new-instance", "-H", docker_engine.docker_host],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        with selectors.DefaultSelector() as selector:  # its own window, populated: it never asked the first
            selector.register(second.stdout, selectors.EVENT_READ)
            while not any(line.startswith("berth-ready") for line in lines) and selector.select(60):
                line = second.stdout.readline()
                if not line:
                    break
                lines.append(line)
    finally:
        second.terminate()
        second.communicate(timeout=30)
        first.close()
    assert any(line.startswith("berth-ready ") for line in lines), "".join(lines)
    assert received == []


def test_a_stale_socket_from_a_crashed_instance_is_taken_over(qapp, tmp_path, monkeypatch):
    from desktop.single_instance import SingleInstance, forward, instance_key

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    key = instance_key(None)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(key)  # what a killed instance leaves: the socket file, nobody accepting
    dead.close()
    assert os.path.exists(key)
    assert not forward(key, ["a.tar"])
    instance = SingleInstance(key)
    assert instance.listen(), instance.error
    instance.close()


def test_instance_key_is_per_display_and_engine(tmp_path):
    from desktop.single_instance import instance_key

    base = {"XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": ":0"}
    key = instance_key(None, base, "linux")
    assert key == instance_key(None, dict(base), "linux")
    assert key != instance_key(None, {**base, "DISPLAY": ":1"}, "linux")
    assert key != instance_key(None, {**base, "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert key != instance_key("tcp://other:2375", base, "linux")
    assert key != instance_key(None, {**base, "DOCKER_HOST": "tcp://other:2375"}, "linux")
    assert os.path.dirname(key) == str(tmp_path)
    windows = instance_key(None, {"SESSIONNAME": "Console"}, "win32")
    assert "/" not in windows and windows.startswith(APP_ID)


def test_macos_file_open_events_become_files(qapp):
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QFileOpenEvent

    from desktop.single_instance import FileOpenRelay

    relay = FileOpenRelay(qapp, install=True)
    received = []
    relay.filesReceived.connect(received.append)
    try:
        QCoreApplication.sendEvent(qapp, QFileOpenEvent("/tmp/image.tar"))
    finally:
        qapp.removeEventFilter(relay)
        relay.deleteLater()
    assert received == [["/tmp/image.tar"]]


# --- berth --self-test from source ----------------------------------------------------------------
SELF_TEST_LINE = re.compile(r"^  (ok|FAIL|skip|note)\s+(.*)$", re.M)


def run_self_test(command: list[str], docker_engine, tmp_path: Path, timeout: int = 180):
    env = _with_source(dict(docker_engine.env, XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_RUNTIME_DIR=str(tmp_path)))
    env.pop("QT_QPA_PLATFORM", None)  # the self-test picks offscreen by itself
    env.pop("BERTH_READY_FILE", None)
    result = subprocess.run([*command, "--self-test"], env=env, capture_output=True, text=True, timeout=timeout)
    checks = SELF_TEST_LINE.findall(result.stdout)
    return result, checks


def assert_self_test_passed(result, checks, docker_engine, tmp_path: Path):
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [text for status, text in checks if status == "ok"]
    assert not [text for status, text in checks if status == "FAIL"]
    images = len(docker_engine.cli("images", "-q").stdout.split())
    containers = len(docker_engine.cli("ps", "-aq").stdout.split())
    assert f"images: {images} listed" in passed
    assert f"containers: {containers} listed" in passed
    assert any(t.startswith("engine: connected to Docker") and docker_engine.docker_host in t for t in passed)
    assert any(t.startswith("resources: icon") and "draws" in t for t in passed)
    assert any(t.startswith("resources: stylesheet") for t in passed)
    assert {"view: Images", "view: Containers"} <= set(passed)
    dialogs = {t.split()[1] for t in passed if t.startswith("dialog: ")}
    import desktop.self_test

    expected = {cls.__name__ for cls in desktop.self_test.dialog_classes()}
    assert dialogs == expected, f"dialogs not opened: {expected - dialogs}"
    assert f"about box: names Berth {__version__}" in passed
    assert re.search(rf"^self-test passed: {len(passed)} checks \(0 skipped\)$", result.stdout, re.M)
    assert not (tmp_path / "config" / "Berth").exists(), "the self-test wrote the user's settings"


@pytest.fixture
def engine_with_a_container(docker_engine, busybox_image, unique_repo):
    """Every dialog gets its arguments: an image (the base) and a stopped container."""
    name = unique_repo.replace("/", "-")
    docker_engine.cli("create", "--name", name, busybox_image, "true")
    yield docker_engine
    docker_engine.cli("rm", "-f", name, check=False)


@pytest.mark.engine
def test_self_test_from_source_passes_against_the_engine(engine_with_a_container, tmp_path):
    result, checks = run_self_test([sys.executable, "-m", "desktop"], engine_with_a_container, tmp_path)
    assert_self_test_passed(result, checks, engine_with_a_container, tmp_path)


def test_self_test_names_what_failed_without_an_engine(tmp_path):
    env = _with_source(dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/missing.sock", XDG_CONFIG_HOME=str(tmp_path)))
    result = subprocess.run([sys.executable, "-m", "desktop", "--self-test"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "  ok    resources: stylesheet" in result.stdout
    assert "  FAIL  engine: could not connect — Berth could not reach a Docker engine." in result.stdout
    assert "missing.sock" in result.stdout and "self-test FAILED: 1 of 3 checks failed" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# --- the real package (slow, root): build, install, self-test, remove ------------------------------
def _dpkg_installed(package: str) -> bool:
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "install ok installed" in result.stdout


@pytest.fixture(scope="module")
def built_deb(tmp_path_factory):
    for tool, package in (("dpkg-deb", "dpkg"), ("dpkg-shlibdeps", "dpkg-dev")):
        need_tool(tool, package)
    if os.geteuid() != 0:
        (pytest.fail if _in_ci() else pytest.skip)("installing a .deb needs root")
    if _dpkg_installed("berth"):
        pytest.skip("a berth package is installed on this machine; the test would replace and remove it")
    out = tmp_path_factory.mktemp("deb-out")
    work = tmp_path_factory.mktemp("deb-work")
    result = subprocess.run([sys.executable, str(PACKAGING / "build_deb.py"), "--out", str(out), "--work", str(work)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    summary = json.loads((work / "deb" / "summary.json").read_text())
    print(result.stdout)
    return summary


@pytest.mark.packaging
@pytest.mark.engine
def test_deb_installs_self_tests_and_removes_cleanly(built_deb, engine_with_a_container, tmp_path):
    deb = built_deb["deb"]
    assert built_deb["bundle_bytes"] < 120_000_000, "goal: a bundle under 120 MB"
    assert built_deb["deb_bytes"] < 60_000_000, "goal: a .deb under 60 MB"
    fields = subprocess.run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"], capture_output=True,
                            text=True, check=True).stdout
    assert "Package: berth" in fields and f"Version: {__version__}" in fields and "libxcb-cursor0" in fields

    subprocess.run(["dpkg", "-i", deb], check=True, capture_output=True, text=True)
    try:
        files = subprocess.run(["dpkg-query", "-L", "berth"], capture_output=True, text=True,
                               check=True).stdout.split("\n")
        assert os.path.realpath("/usr/bin/berth") == "/opt/berth/berth"
        assert subprocess.run(["berth", "--version"], capture_output=True, text=True,
                              check=True).stdout.strip() == f"Berth {__version__}"
        entry = f"/usr/share/applications/{APP_ID}.desktop"
        check = subprocess.run([need_tool("desktop-file-validate", "desktop-file-utils"), entry],
                               capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout
        metainfo = f"/usr/share/metainfo/{APP_ID}.metainfo.xml"
        check = subprocess.run([need_tool("appstreamcli", "appstream"), "validate", "--no-net", metainfo],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout
        for size in ("16x16", "32x32", "48x48", "128x128", "256x256", "512x512"):
            assert os.path.isfile(f"/usr/share/icons/hicolor/{size}/apps/{APP_ID}.png")
        assert os.path.isfile(f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg")
        unresolved = subprocess.run(["sh", "-c", "find /opt/berth -name '*.so*' ! -name libqgtk3.so -exec ldd {} + "
                                                 "| grep 'not found' || true"], capture_output=True, text=True).stdout
        assert unresolved == "", f"libraries the package does not depend on:\n{unresolved}"

        result, checks = run_self_test(["/usr/bin/berth"], engine_with_a_container, tmp_path)
        assert "(bundled executable /opt/berth/berth)" in result.stdout
        assert "resources: icon /opt/berth/_internal/resources/icons/berth.svg draws" in result.stdout
        assert_self_test_passed(result, checks, engine_with_a_container, tmp_path)
    finally:
        removed = subprocess.run(["dpkg", "-r", "berth"], capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "berth"], capture_output=True, text=True)
    assert status.returncode != 0 or status.stdout.startswith("unknown"), f"dpkg still records berth: {status.stdout}"
    assert not list(Path("/var/lib/dpkg/info").glob("berth.*"))
    shared = {"/.", "/opt", "/usr", "/usr/bin", "/usr/share", "/usr/share/applications", "/usr/share/metainfo",
              "/usr/share/doc", "/usr/share/icons", "/usr/share/icons/hicolor"}
    left = [f for f in files if f and f not in shared and not re.fullmatch(r"/usr/share/icons/hicolor/[^/]+(/apps)?", f)
            and (os.path.lexists(f))]
    assert left == [], f"left behind: {left[:20]}"
    assert not os.path.lexists("/opt/berth") and not os.path.lexists("/usr/bin/berth")
    cache = Path("/usr/share/applications/mimeinfo.cache")
    assert not cache.exists() or APP_ID not in cache.read_text(encoding="utf-8")
