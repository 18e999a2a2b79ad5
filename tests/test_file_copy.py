"""Copy out of and into a container (issue 11): nothing existing is replaced without a yes, a
folder with absolute links copies completely with the links kept as links, no member of the
archive writes outside the destination, and Cancel ends a copy on an engine that froze.

The hostile archives are fed to the unpacker the copy uses (an engine only sends what a
container holds, so it cannot be made to send ``../`` names); everything else runs against the
real isolated engine, with the docker CLI and the local file system as the oracles."""

from __future__ import annotations

import io
import os
import signal
import stat
import tarfile
import threading
import time

import docker
import pytest

from desktop.engine import file_copy, tar_extract
from desktop.engine.archive import ArchiveError
from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, Cancelled, NotFound
from tests.helpers import IN_SOCKET, run_until_blocked

# --- hostile archives, unpacked -------------------------------------------------------------------


def member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "", mode: int = 0o644):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = mode
    info.mtime = 1_700_000_000
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    return info, data


def tar_of(*members) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    buf.seek(0)
    return buf


@pytest.fixture
def place(tmp_path):
    """(root to unpack into, an outside folder with a file that must never change)."""
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target").write_text("precious\n")
    return root, outside


def snapshot(folder) -> dict:
    return {str(p.relative_to(folder)): (p.is_symlink(), p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(folder.rglob("*"))}


ESCAPES = {
    "dot-dot": lambda out: [member("../outside/target", data=b"evil")],
    "dot-dot deep": lambda out: [member("a/b/../../../outside/target", data=b"evil")],
    "absolute path": lambda out: [member(f"{out}/target", data=b"evil")],
    "file through an absolute link": lambda out: [member("l", tarfile.SYMTYPE, link=str(out)),
                                                  member("l/target", data=b"evil")],
    "file through a relative link": lambda out: [member("l", tarfile.SYMTYPE, link="../outside"),
                                                 member("l/target", data=b"evil")],
    "folder through a link": lambda out: [member("l", tarfile.SYMTYPE, link=str(out)),
                                          member("l/new", tarfile.DIRTYPE)],
    "link through a link": lambda out: [member("l", tarfile.SYMTYPE, link=str(out)),
                                        member("l/target", tarfile.SYMTYPE, link="/etc/passwd")],
    "link chain": lambda out: [member("a", tarfile.DIRTYPE), member("a/l1", tarfile.SYMTYPE, link="../l2"),
                               member("l2", tarfile.SYMTYPE, link=str(out)), member("a/l1/target", data=b"evil")],
    "hard link to an absolute path": lambda out: [member("h", tarfile.LNKTYPE, link=f"{out}/target")],
    "hard link with dot-dot": lambda out: [member("h", tarfile.LNKTYPE, link="../outside/target")],
    "hard link to a link": lambda out: [member("l", tarfile.SYMTYPE, link=f"{out}/target"),
                                        member("h", tarfile.LNKTYPE, link="l")],
    "hard link through a link": lambda out: [member("l", tarfile.SYMTYPE, link=str(out)),
                                             member("h", tarfile.LNKTYPE, link="l/target")],
    "hard link to a later member": lambda out: [member("h", tarfile.LNKTYPE, link="f"), member("f", data=b"x")],
    # CVE-2025-4517's shape: names long enough that realpath() gives up, through links
    "long names through links": lambda out: [
        *[m for i in range(16) for m in (member("/".join(["d" * 200] * i + ["d" * 200]), tarfile.DIRTYPE),)],
        member("/".join(["d" * 200] * 16 + ["l"]), tarfile.SYMTYPE, link="../" * 16 + "../outside"),
        member("/".join(["d" * 200] * 16 + ["l", "target"]), data=b"evil")],
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_members_that_try_to_escape_are_refused_and_nothing_outside_changes(place, case):
    root, outside = place
    before = snapshot(outside)
    with pytest.raises(ArchiveError) as caught:
        tar_extract.unpack(tar_of(*ESCAPES[case](outside)), str(root), "The copy")
    message = str(caught.value)
    assert message.startswith("The copy is unsafe") or message.startswith("The copy is damaged"), message
    assert "\n" not in message
    assert snapshot(outside) == before
    assert (outside / "target").read_text() == "precious\n"


def test_a_member_named_like_an_earlier_link_replaces_the_link_not_its_target(place):
    root, outside = place
    tar_extract.unpack(tar_of(member("f", tarfile.SYMTYPE, link=f"{outside}/target"), member("f", data=b"mine")),
                       str(root), "The copy")
    assert not (root / "f").is_symlink() and (root / "f").read_bytes() == b"mine"
    assert (outside / "target").read_text() == "precious\n"


def test_links_stay_links_with_their_text_and_special_files_are_left_out(place):
    root, _outside = place
    result = tar_extract.unpack(tar_of(
        member("data", tarfile.DIRTYPE, mode=0o555),
        member("data/etc", tarfile.SYMTYPE, link="/etc"),
        member("data/bin", tarfile.SYMTYPE, link="/usr/bin"),
        member("data/rel", tarfile.SYMTYPE, link="../../../../x"),
        member("data/tool", data=b"#!/bin/sh\n", mode=0o4755),
        member("data/same", tarfile.LNKTYPE, link="data/tool"),
        member("data/null", tarfile.CHRTYPE),
        member("data/pipe", tarfile.FIFOTYPE),
    ), str(root), "The copy")
    data = root / "data"
    assert result.names == ["data"] and result.skipped == 2
    assert os.readlink(data / "etc") == "/etc" and os.readlink(data / "bin") == "/usr/bin"
    assert os.readlink(data / "rel") == "../../../../x"
    assert stat.S_IMODE((data / "tool").stat().st_mode) == 0o755  # no set-user-ID from a container
    assert (data / "same").stat().st_ino == (data / "tool").stat().st_ino
    assert not (data / "null").exists() and not (data / "pipe").exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o755  # the folder's own mode, plus the owner's write


# --- against the engine ----------------------------------------------------------------------------------

pytest_engine = pytest.mark.engine


def wait_ready(engine, container: str, timeout: float = 10) -> None:
    """Until the container's command has made /ready (it runs asynchronously)."""
    deadline = time.monotonic() + timeout
    while engine.cli("exec", container, "test", "-e", "/ready", check=False).returncode != 0:
        assert time.monotonic() < deadline, "the container never got ready"
        threading.Event().wait(0.05)


@pytest.fixture
def container(docker_engine, busybox_image, unique_repo):
    name = unique_repo.replace("/", "-")
    cid = docker_engine.cli("run", "-d", "--name", name, busybox_image, "sh", "-c",
                            "mkdir -p /data/sub && echo new > /data/a.txt && echo deep > /data/sub/b.txt && "
                            "ln -s /etc /data/etc && ln -s /usr/bin /data/usrbin && touch /ready && "
                            "sleep 600").stdout.strip()
    wait_ready(docker_engine, cid)
    yield cid
    docker_engine.cli("rm", "-f", "-v", cid, check=False)


def leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.startswith(file_copy.STAGING_PREFIX)]


@pytest_engine
def test_a_folder_with_absolute_links_is_copied_whole_with_its_links(docker_client, container, tmp_path):
    local = file_copy.copy_from_container(docker_client, container, "/data", str(tmp_path))
    data = tmp_path / "data"
    assert local == str(data)
    assert (data / "a.txt").read_text() == "new\n" and (data / "sub" / "b.txt").read_text() == "deep\n"
    assert os.readlink(data / "etc") == "/etc" and os.readlink(data / "usrbin") == "/usr/bin"
    assert leftovers(tmp_path) == []
    # the container's own /etc holds an absolute link too (mtab -> /proc/mounts)
    assert file_copy.copy_from_container(docker_client, container, "/etc", str(tmp_path)) == str(tmp_path / "etc")
    assert os.readlink(tmp_path / "etc" / "mtab") == "/proc/mounts"
    assert (tmp_path / "etc" / "hostname").read_text().strip() == container[:12]


@pytest_engine
def test_the_contents_of_a_folder_copy_beside_each_other(docker_client, container, tmp_path):
    plan = file_copy.plan_copy_from_container(docker_client, container, "/data/.", str(tmp_path))
    assert plan.names == [] and plan.conflicts == []  # only the archive can tell
    assert file_copy.copy_from_container(docker_client, container, "/data/.", str(tmp_path)) == str(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["a.txt", "etc", "sub", "usrbin"]


@pytest_engine
def test_an_existing_name_is_replaced_only_when_the_caller_says_so(docker_client, container, tmp_path):
    (tmp_path / "a.txt").write_text("mine\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notes").write_text("keep me\n")
    plan = file_copy.plan_copy_from_container(docker_client, container, "/data/a.txt", str(tmp_path))
    assert plan.names == ["a.txt"] and plan.conflicts == ["a.txt"]
    with pytest.raises(file_copy.CopyConflict) as caught:
        file_copy.copy_from_container(docker_client, container, "/data/a.txt", str(tmp_path))
    assert caught.value.names == ["a.txt"] and "already has “a.txt”. Nothing was copied." in str(caught.value)
    assert (tmp_path / "a.txt").read_text() == "mine\n"
    with pytest.raises(file_copy.CopyConflict):  # a yes for another name is no yes for this one
        file_copy.copy_from_container(docker_client, container, "/data", str(tmp_path), replace=["a.txt"])
    assert (tmp_path / "data" / "notes").read_text() == "keep me\n"
    assert leftovers(tmp_path) == []

    file_copy.copy_from_container(docker_client, container, "/data/a.txt", str(tmp_path), replace=["a.txt"])
    assert (tmp_path / "a.txt").read_text() == "new\n"
    file_copy.copy_from_container(docker_client, container, "/data", str(tmp_path), replace=["data"])
    assert sorted(os.listdir(tmp_path / "data")) == ["a.txt", "etc", "sub", "usrbin"]
    assert leftovers(tmp_path) == []


@pytest_engine
def test_a_link_in_the_destination_is_replaced_not_written_through(docker_client, container, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.txt").write_text("precious\n")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "a.txt").symlink_to(outside / "a.txt")
    file_copy.copy_from_container(docker_client, container, "/data/a.txt", str(dest), replace=["a.txt"])
    assert not (dest / "a.txt").is_symlink() and (dest / "a.txt").read_text() == "new\n"
    assert (outside / "a.txt").read_text() == "precious\n"


@pytest_engine
def test_copy_out_refuses_what_it_cannot_do_and_changes_nothing(docker_client, container, tmp_path):
    with pytest.raises(NotFound, match="/nope does not exist in the container"):
        file_copy.plan_copy_from_container(docker_client, container, "/nope", str(tmp_path))
    with pytest.raises(NotFound, match="/nope does not exist in the container"):
        file_copy.copy_from_container(docker_client, container, "/nope", str(tmp_path))
    with pytest.raises(BerthError, match="not its whole file system"):
        file_copy.copy_from_container(docker_client, container, "/", str(tmp_path))
    with pytest.raises(BerthError, match="does not exist"):
        file_copy.copy_from_container(docker_client, container, "/data", str(tmp_path / "missing"))
    assert os.listdir(tmp_path) == []


@pytest_engine
def test_copy_in_follows_the_named_link_keeps_inner_links_and_gives_files_to_root(docker_engine, docker_client,
                                                                                  container, tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("pointed at\n")
    named = tmp_path / "named.txt"
    named.symlink_to(real)
    assert file_copy.copy_into_container(docker_client, container, str(named), "/data") == "/data/named.txt"
    assert docker_engine.cli("exec", container, "cat", "/data/named.txt").stdout == "pointed at\n"
    assert docker_engine.cli("exec", container, "stat", "-c", "%u:%g %F", "/data/named.txt").stdout == \
        "0:0 regular file\n"
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "secret-link").symlink_to("/etc/shadow")
    file_copy.copy_into_container(docker_client, container, str(tree), "/data")
    assert docker_engine.cli("exec", container, "readlink", "/data/tree/secret-link").stdout == "/etc/shadow\n"
    with pytest.raises(BerthError, match="not “/”"):
        file_copy.copy_into_container(docker_client, container, "/", "/data")
    (tmp_path / "dangling").symlink_to(tmp_path / "gone")
    with pytest.raises(BerthError, match="which does not exist"):
        file_copy.copy_into_container(docker_client, container, str(tmp_path / "dangling"), "/data")
    # a file where the container has a folder: refused, as docker cp does
    (tmp_path / "sub").write_text("not a folder\n")
    with pytest.raises(BerthError):
        file_copy.copy_into_container(docker_client, container, str(tmp_path / "sub"), "/data")
    assert docker_engine.cli("exec", container, "cat", "/data/sub/b.txt").stdout == "deep\n"


# --- Cancel on an engine that froze ----------------------------------------------------------------------


def _cancel_when_blocked(work, token: CancelToken, started: threading.Event | None = None):
    thread, outcome = run_until_blocked(work, started, IN_SOCKET)
    token.cancel()
    thread.join(10)
    assert not thread.is_alive(), "cancel did not reach the blocked copy"
    return outcome.get("error")


@pytest.mark.engine
def test_cancel_ends_copies_on_a_frozen_engine_and_leaves_nothing(fresh_engine, tmp_path):
    image = fresh_engine.ensure_busybox_base()
    cid = fresh_engine.cli("run", "-d", image, "sh", "-c",
                           "dd if=/dev/urandom of=/big bs=1M count=24 2>/dev/null && touch /ready && "
                           "sleep 600").stdout.strip()
    wait_ready(fresh_engine, cid, timeout=20)
    client = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=None)
    dest = tmp_path / "dest"
    dest.mkdir()
    frozen = threading.Event()

    def freeze_after_the_first_chunk(done, _total, _text):
        if not frozen.is_set():
            os.kill(fresh_engine.pid, signal.SIGSTOP)  # mid-download
            frozen.set()

    try:
        token = CancelToken()
        error = _cancel_when_blocked(lambda: file_copy.copy_from_container(
            client, cid, "/big", str(dest), token, on_progress=freeze_after_the_first_chunk), token, frozen)
        assert isinstance(error, Cancelled), error
        assert os.listdir(dest) == []

        upload = tmp_path / "upload.bin"
        upload.write_bytes(os.urandom(8 << 20))
        token = CancelToken()
        error = _cancel_when_blocked(lambda: file_copy.copy_into_container(client, cid, str(upload), "/", token), token)
        assert isinstance(error, Cancelled), error
    finally:
        os.kill(fresh_engine.pid, signal.SIGCONT)
        client.close()
    # the engine unpacks whatever part of an upload reached it before the cancel: that much is its own doing
    assert fresh_engine.cli("exec", cid, "cat", "/ready").returncode == 0
