"""Single instance without letting another local user in: the socket's folder must be this user's
own with mode 0700, and each end refuses a peer running as another uid (a real process as uid
65534, started with subprocess's ``user=``)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import pytest

from desktop.single_instance import NoPrivateFolder, SingleInstance, forward, instance_key, same_user

OTHER_UID = 65534  # nobody
# a stdlib-only interpreter uid 65534 may run (the test venv's lives under /root)
OTHER_PYTHON = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), None)

needs_root = pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0,
                                reason="making files of another uid needs root on Linux")


def _env(**values) -> dict:
    return {"DISPLAY": ":7", **values}


def test_without_runtime_dir_the_socket_is_in_a_new_private_folder(tmp_path):
    key = instance_key(None, _env(), "linux", temp_dir=str(tmp_path))
    folder = os.path.dirname(key)
    assert folder == str(tmp_path / f"berth-{os.geteuid()}")
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.geteuid()
    assert instance_key(None, _env(), "linux", temp_dir=str(tmp_path)) == key  # the same folder next time


@needs_root
def test_a_folder_made_first_by_another_user_is_not_used(tmp_path):
    squat = tmp_path / f"berth-{os.geteuid()}"
    squat.mkdir(mode=0o700)
    os.chown(squat, OTHER_UID, OTHER_UID)
    with pytest.raises(NoPrivateFolder, match="belongs to another user"):
        instance_key(None, _env(), "linux", temp_dir=str(tmp_path))
    assert os.lstat(squat).st_uid == OTHER_UID and os.listdir(squat) == []  # left as it was


@pytest.mark.parametrize("mode", [0o755, 0o770, 0o701], ids=["755", "770", "701"])
def test_a_folder_others_may_enter_is_not_used(tmp_path, mode):
    loose = tmp_path / f"berth-{os.geteuid()}"
    loose.mkdir()
    os.chmod(loose, mode)
    with pytest.raises(NoPrivateFolder, match="open to other users"):
        instance_key(None, _env(), "linux", temp_dir=str(tmp_path))
    assert stat.S_IMODE(os.lstat(loose).st_mode) == mode


def test_a_symlink_in_place_of_the_folder_is_not_used(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    (tmp_path / f"berth-{os.geteuid()}").symlink_to(target)
    with pytest.raises(NoPrivateFolder, match="not a folder"):
        instance_key(None, _env(), "linux", temp_dir=str(tmp_path))


@needs_root
@pytest.mark.parametrize("problem", ["owner", "mode"])
def test_an_unsafe_runtime_dir_falls_back_to_the_private_folder(tmp_path, problem):
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    if problem == "owner":
        os.chown(runtime, OTHER_UID, OTHER_UID)
    else:
        os.chmod(runtime, 0o755)
    temp = tmp_path / "tmp"
    temp.mkdir()
    key = instance_key(None, _env(XDG_RUNTIME_DIR=str(runtime)), "linux", temp_dir=str(temp))
    assert os.path.dirname(key) == str(temp / f"berth-{os.geteuid()}")
    good = tmp_path / "good"
    good.mkdir(mode=0o700)
    assert os.path.dirname(instance_key(None, _env(XDG_RUNTIME_DIR=str(good)), "linux")) == str(good)


@needs_root
def test_a_socket_of_another_user_in_the_folder_is_not_used(short_tmp):
    key = instance_key(None, _env(), "linux", temp_dir=short_tmp)
    with open(key, "w"):
        pass
    with pytest.raises(NoPrivateFolder, match="not a socket"):
        instance_key(None, _env(), "linux", temp_dir=short_tmp)
    os.unlink(key)
    planted = socket.socket(socket.AF_UNIX)
    planted.bind(key)
    planted.close()
    os.chown(key, OTHER_UID, OTHER_UID)
    with pytest.raises(NoPrivateFolder, match="owner uid 65534"):
        instance_key(None, _env(), "linux", temp_dir=short_tmp)
    assert os.lstat(key).st_uid == OTHER_UID  # left as it was


@pytest.fixture
def short_tmp():
    """A temp folder with a short path (a Unix socket's path has at most 107 bytes)."""
    folder = tempfile.mkdtemp(prefix="bsi-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


# --- peers of another uid: a folder everyone may enter, as if the folder check were bypassed ------
@pytest.fixture
def open_folder(short_tmp):
    """A folder uid 65534 can reach (tmp_path's parents are private to root)."""
    os.chmod(short_tmp, 0o777)
    return short_tmp


def _as(uid: int | None, script: str, *args: str) -> subprocess.Popen:
    if OTHER_PYTHON is None:
        pytest.skip("no system python3 that another uid may run")
    extra = {} if uid is None else dict(user=uid, group=uid, extra_groups=[])
    return subprocess.Popen([OTHER_PYTHON, "-I", "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **extra)


SQUATTER = """
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(1)
print("listening", flush=True)
conn, _ = s.accept(); conn.settimeout(10)
data = b""
try:
    conn.sendall(b"ok\\n")
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
print(repr(data), flush=True)
"""

CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
answer = b""
try:
    s.sendall(b'{"files": ["/home/victim/secret.tar"], "activation_token": ""}\\n')
    while b"\\n" not in answer:
        chunk = s.recv(100)
        if not chunk:
            break
        answer += chunk
except OSError:
    pass
print(repr(answer), flush=True)
"""


@needs_root
def test_forward_never_hands_paths_to_another_users_listener(qapp, open_folder):
    key = os.path.join(open_folder, "squat.sock")
    squatter = _as(OTHER_UID, SQUATTER, key)
    try:
        assert squatter.stdout.readline().strip() == "listening", squatter.stderr.read()
        assert not forward(key, ["/home/victim/secret.tar"])
        out, err = squatter.communicate(timeout=20)
    finally:
        squatter.kill()
        squatter.wait()
    assert "secret" not in out and out.strip() == "b''", err


@needs_root
@pytest.mark.parametrize("uid, refused", [(OTHER_UID, True), (None, False)])
def test_the_first_instance_refuses_a_peer_of_another_uid(qtbot, open_folder, uid, refused):
    key = os.path.join(open_folder, "berth.sock")
    instance = SingleInstance(key)
    assert instance.listen(), instance.error
    os.chmod(key, 0o777)  # reachable by anyone: only the peer check stands in the way
    received: list = []
    instance.filesReceived.connect(received.append)
    client = _as(uid, CLIENT, key)
    try:
        qtbot.waitUntil(lambda: client.poll() is not None, timeout=20000)
        out, err = client.communicate()
    finally:
        client.kill()
        client.wait()
        instance.close()
    if refused:
        assert out.strip() == "b''", err  # dropped before a byte was read or answered
        assert received == []
    else:  # the same user, same path: handed over (so the refusal above is the uid, not the set-up)
        assert out.strip() == repr(b"ok\n"), err
        qtbot.waitUntil(lambda: received == [["/home/victim/secret.tar"]], timeout=5000)


def test_same_user_is_false_for_a_descriptor_that_is_no_socket(tmp_path):
    assert not same_user(-1)
    with open(tmp_path / "file", "w") as fh:
        assert not same_user(fh.fileno())


def test_without_runtime_dir_a_second_launch_still_hands_over(qtbot, short_tmp, monkeypatch):
    """The private temp folder is found again by the second launch (TMPDIR as the temp folder)."""
    from pathlib import Path

    host = "unix:///nonexistent/berth-single-instance.sock"  # the second launch never connects
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("XDG_ACTIVATION_TOKEN", raising=False)
    key = instance_key(host, temp_dir=short_tmp)
    assert key.startswith(os.path.join(short_tmp, f"berth-{os.geteuid()}") + os.sep)
    instance = SingleInstance(key)
    assert instance.listen(), instance.error
    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "BERTH_READY_FILE")}
    env.update(TMPDIR=short_tmp, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root))
    second = subprocess.Popen([sys.executable, "-m", "desktop", "-H", host, "a.tar"], cwd=short_tmp, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with qtbot.waitSignal(instance.filesReceived, timeout=30000) as blocker:
            pass
        out, err = second.communicate(timeout=30)
    finally:
        second.kill()
        second.communicate()
        instance.close()
    assert blocker.args[0] == [os.path.join(short_tmp, "a.tar")]
    assert second.returncode == 0, err
