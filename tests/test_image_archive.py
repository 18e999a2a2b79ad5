"""Save, load and import against the real isolated engine, with the docker CLI as the oracle:
Berth saves and the CLI loads, the CLI saves and Berth loads (every compression), previews that
name moving tags, cancels and engine deaths in the middle, a full disk, files that vanish."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile

import docker
import pytest

from desktop.engine import archive, image_archive
from desktop.engine.archive import ArchiveError, inspect_archive
from desktop.engine.atomic_file import clean_leftovers
from desktop.engine.cancel import CancelToken
from desktop.engine.connection import Endpoint, connect
from desktop.engine.errors import BerthError, Cancelled, EngineError, EngineUnavailable, NotFound
from tests.engine_fixtures import BUSYBOX_TAG
from tests.test_archive_inspect import COMPRESSIONS, SUFFIX, SyntheticImage, docker_archive, oci_layout, tar_bytes
from tests.helpers import run_until_blocked, frozen

pytestmark = pytest.mark.engine

KIB = 1024
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli_tags(engine) -> dict[str, str]:
    """repo:tag -> full image ID, as ``docker images`` lists them."""
    out = engine.cli("images", "--no-trunc", "--format", "{{json .}}").stdout
    tags = {}
    for line in out.splitlines():
        item = json.loads(line)
        if item["Tag"] != "<none>":
            tags[f"{item['Repository']}:{item['Tag']}"] = item["ID"]
    return tags


def cli_ids(engine) -> set[str]:
    return set(engine.cli("images", "-a", "-q", "--no-trunc").stdout.split())


def image_id(engine, ref: str) -> str:
    return engine.cli("inspect", "-f", "{{.Id}}", ref).stdout.strip()


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".part"))


@pytest.fixture(scope="module")
def info(docker_engine):
    return connect([Endpoint(docker_engine.docker_host, "user")])


@pytest.fixture(scope="module")
def client(docker_engine):
    c = docker.DockerClient(base_url=docker_engine.docker_host, version="auto", timeout=None)
    yield c
    c.close()


@pytest.fixture(scope="module")
def source(docker_engine, busybox_image):
    """An image with 3 MB of random data (so streams take several chunks), built once."""
    repo = f"berth-test/archive-src-{os.getpid()}"
    docker_engine.build_busybox_image(f"{repo}:1", ["RUN head -c 3000000 /dev/urandom > /data"])
    return repo


@pytest.fixture
def gone_after(docker_engine):
    """Tags to remove at the end of the test, whatever happened."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        docker_engine.cli("rmi", "-f", tag, check=False)


# --- save -------------------------------------------------------------------------------------------


def test_berth_saves_several_tags_and_images_and_the_cli_loads_them(docker_engine, client, source, busybox_image,
                                                                    unique_repo, tmp_path, gone_after):
    docker_engine.cli("tag", f"{source}:1", f"{unique_repo}:a")
    docker_engine.cli("tag", f"{source}:1", f"{unique_repo}:b")
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:base")
    gone_after += [f"{unique_repo}:a", f"{unique_repo}:b", f"{unique_repo}:base"]
    ids = {tag: image_id(docker_engine, f"{unique_repo}:{tag}") for tag in ("a", "b", "base")}
    target = tmp_path / "out.tar"
    progress = []
    result = image_archive.save_images(client, [f"{unique_repo}:a", f"{unique_repo}:b", f"{unique_repo}:base"],
                                       target, on_progress=lambda *p: progress.append(p), chunk_size=256 * KIB)
    assert result.size == target.stat().st_size and not result.compressed
    # the same image under two tags is stored once, with both tags
    with tarfile.open(target) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert sorted(sorted(item["RepoTags"]) for item in manifest) == [[f"{unique_repo}:a", f"{unique_repo}:b"],
                                                                     [f"{unique_repo}:base"]]
    # progress: bytes written against the estimate (the images' sizes), growing to the end
    assert len(progress) > 3
    assert [p[0] for p in progress] == sorted(p[0] for p in progress)
    assert progress[-1][0] == result.size and progress[-1][1] >= result.size
    assert leftovers(tmp_path) == []

    docker_engine.cli("rmi", f"{unique_repo}:a", f"{unique_repo}:b", f"{unique_repo}:base")
    out = docker_engine.cli("load", "-i", str(target)).stdout
    assert f"Loaded image: {unique_repo}:a" in out and f"Loaded image: {unique_repo}:base" in out
    tags = cli_tags(docker_engine)
    assert {tag: tags[f"{unique_repo}:{tag}"] for tag in ("a", "b", "base")} == ids


def test_save_gzip_and_an_untagged_image_by_id(docker_engine, client, source, tmp_path):
    tag = f"berth-test/untag-{os.getpid()}:x"
    untagged = docker_engine.build_busybox_image(tag, [f"RUN echo {os.getpid()} > /u"])
    newer = docker_engine.build_busybox_image(tag, [f"RUN echo {os.getpid()} newer > /u"])  # takes the tag
    assert newer != untagged
    docker_engine.cli("rmi", tag)
    try:
        result = image_archive.save_images(client, [untagged], tmp_path / "u.tar.gz", compress=True)
        data = (tmp_path / "u.tar.gz").read_bytes()
        assert data[:2] == b"\x1f\x8b" and result.compressed
        with tarfile.open(tmp_path / "u.tar.gz") as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        assert [item["RepoTags"] for item in manifest] == [None]
        docker_engine.cli("rmi", untagged)
        out = docker_engine.cli("load", "-i", str(tmp_path / "u.tar.gz")).stdout
        assert f"Loaded image ID: {untagged}" in out
    finally:
        docker_engine.cli("rmi", "-f", untagged, check=False)


@pytest.mark.parametrize("estimate", [None, 1000], ids=["checked first", "found on the engine's refusal"])
def test_save_of_a_missing_image_names_it_and_writes_nothing(client, source, tmp_path, estimate):
    with pytest.raises(NotFound, match="berth-test/no-such-image:1 no longer exists"):
        image_archive.save_images(client, [f"{source}:1", "berth-test/no-such-image:1"], tmp_path / "x.tar",
                                  estimate=estimate)
    assert os.listdir(tmp_path) == []


def test_cancel_mid_save_keeps_the_existing_file_and_leaves_no_partial_file(client, source, tmp_path):
    target = tmp_path / "keep.tar"
    target.write_bytes(b"the old archive")
    token = CancelToken()

    def progress(done, total, text):
        if done >= 512 * KIB:
            token.cancel()

    with pytest.raises(Cancelled):
        image_archive.save_images(client, [f"{source}:1"], target, token=token, on_progress=progress,
                                  chunk_size=128 * KIB)
    assert target.read_bytes() == b"the old archive"
    assert leftovers(tmp_path) == []


def test_save_replaces_an_existing_file_only_when_complete(docker_engine, client, source, tmp_path):
    target = tmp_path / "again.tar"
    target.write_bytes(b"old")
    seen_during = []
    image_archive.save_images(client, [f"{source}:1"], target, chunk_size=256 * KIB,
                              on_progress=lambda done, total, text: seen_during.append(target.read_bytes()[:3]))
    assert set(seen_during) == {b"old"}
    assert inspect_archive(target).images[0].tags == [f"{source}:1"]


def test_a_saved_archive_gets_the_users_umask(client, source, tmp_path):
    old = os.umask(0o022)
    try:
        image_archive.save_images(client, [f"{source}:1"], tmp_path / "shared.tar")
    finally:
        os.umask(old)
    assert (tmp_path / "shared.tar").stat().st_mode & 0o777 == 0o644  # as 'docker save -o' makes it


KILLED_SAVE = """
import sys, docker
from desktop.engine import image_archive
client = docker.DockerClient(base_url=sys.argv[1], version="auto", timeout=None)
def progress(done, total, text):
    if done >= 512 * 1024:
        print("saving", flush=True)
        sys.stdin.read()  # until killed
image_archive.save_images(client, [sys.argv[2]], sys.argv[3], on_progress=progress, chunk_size=128 * 1024)
"""


def test_a_save_killed_with_berth_is_cleaned_up_at_the_next_start(docker_engine, source, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = tmp_path / "archives"
    folder.mkdir()
    (folder / "backup.tar").write_bytes(b"the old one")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, docker_engine.docker_host, f"{source}:1",
                             str(folder / "backup.tar")], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline() == "saving\n"
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdin.close()
        proc.stdout.close()
    [part] = leftovers(folder)
    assert part.startswith(".backup.tar.berth-")
    assert clean_leftovers() == [str(folder / part)]  # what Berth runs at start-up
    assert sorted(os.listdir(folder)) == ["backup.tar"] and (folder / "backup.tar").read_bytes() == b"the old one"


def test_full_disk_while_saving(docker_engine, client, source, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], check=True)
    try:
        (small / "full.tar").write_bytes(b"previous")
        with pytest.raises(BerthError, match="The disk is full") as caught:
            image_archive.save_images(client, [f"{source}:1"], small / "full.tar")
        assert "Nothing was saved" in str(caught.value)
        assert (small / "full.tar").read_bytes() == b"previous"
        assert leftovers(small) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_engine_dies_mid_save(fresh_engine, tmp_path):
    fresh_engine.ensure_busybox_base()
    fresh_engine.build_busybox_image("berth-test/dies:1", ["RUN head -c 3000000 /dev/urandom > /data"])
    before = cli_tags(fresh_engine)
    c = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=None)
    killed = []

    def progress(done, total, text):
        if done >= 256 * KIB and not killed:
            killed.append(done)
            fresh_engine.kill_engine(signal.SIGKILL)

    try:
        with pytest.raises(EngineUnavailable, match="broke off|lost contact"):
            image_archive.save_images(c, ["berth-test/dies:1"], tmp_path / "dies.tar", on_progress=progress,
                                      chunk_size=64 * KIB)
    finally:
        c.close()
    assert killed
    assert os.listdir(tmp_path) == []
    fresh_engine.start_engine()
    assert cli_tags(fresh_engine) == before


# --- load -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(docker_engine, source, busybox_image, tmp_path_factory):
    """The source image saved by the CLI under two tags, in every compression, then removed."""
    folder = tmp_path_factory.mktemp("saved")
    repo = f"berth-test/loadme-{os.getpid()}"
    docker_engine.cli("tag", f"{source}:1", f"{repo}:1")
    docker_engine.cli("tag", f"{source}:1", f"{repo}:2")
    plain = folder / "images.tar"
    docker_engine.cli("save", "-o", str(plain), f"{repo}:1", f"{repo}:2")
    docker_engine.cli("rmi", f"{repo}:1", f"{repo}:2")
    tools = {"gzip": ["gzip", "-k"], "bzip2": ["bzip2", "-k"], "xz": ["xz", "-k", "-T1"], "zstd": ["zstd", "-q"]}
    for kind, command in tools.items():
        subprocess.run([*command, str(plain)], check=True)
    return repo, image_id(docker_engine, f"{source}:1"), {kind: folder / f"images{SUFFIX[kind]}"
                                                         for kind in COMPRESSIONS}


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_cli_saves_and_berth_loads_every_compression(docker_engine, client, info, saved, kind, gone_after):
    repo, expected_id, files = saved
    path = files[kind]
    gone_after += [f"{repo}:1", f"{repo}:2"]
    contents = inspect_archive(path)
    assert contents.compression == kind and contents.tags == [f"{repo}:1", f"{repo}:2"]
    progress = []
    result = image_archive.load_archive(client, path, contents=contents, engine=info,
                                        on_progress=lambda *p: progress.append(p), chunk_size=256 * KIB)
    assert sorted(result.tags) == [f"{repo}:1", f"{repo}:2"]
    assert result.bytes_sent == os.path.getsize(path)
    assert progress[-1][1] == os.path.getsize(path)
    tags = cli_tags(docker_engine)
    assert tags[f"{repo}:1"] == tags[f"{repo}:2"] == expected_id
    docker_engine.cli("rmi", f"{repo}:1", f"{repo}:2")


def test_zstd_is_decompressed_on_the_fly_for_engines_older_than_23(info):
    assert image_archive.engine_reads(archive.ZSTD, (20, 10, 24)) is False
    assert image_archive.engine_reads(archive.ZSTD, (23, 0)) is True
    assert image_archive.engine_reads(archive.XZ, (20, 10)) is True
    assert info.version_tuple() < (23,), "these tests expect the Debian 20.10 engine"


def test_engine_error_inside_the_load_stream_fails_the_load(docker_engine, client, info, tmp_path):
    """A layer whose content does not match the config: the HTTP status is 200, the error is in the stream."""
    good = SyntheticImage([f"berth-test/liar-{os.getpid()}:1"], [{"a": b"one"}])
    other = SyntheticImage([], [{"a": b"two"}])
    good.layers = other.layers  # the config promises another layer than the one sent
    path = tmp_path / "liar.tar"
    path.write_bytes(docker_archive([good]))
    before_tags, before_ids = cli_tags(docker_engine), cli_ids(docker_engine)
    with pytest.raises(EngineError) as caught:
        image_archive.load_archive(client, path, contents=inspect_archive(path), engine=info)
    assert str(caught.value).startswith("The engine could not load liar.tar: ")
    assert "diff" in str(caught.value).lower()
    assert cli_tags(docker_engine) == before_tags and cli_ids(docker_engine) == before_ids


def test_cancel_mid_load_changes_nothing(docker_engine, client, info, saved):
    repo, _expected, files = saved
    before_tags, before_ids = cli_tags(docker_engine), cli_ids(docker_engine)
    token = CancelToken()

    def progress(done, total, text):
        if done >= 512 * KIB:
            token.cancel()

    with pytest.raises(Cancelled):
        image_archive.load_archive(client, files["none"], contents=inspect_archive(files["none"]), engine=info,
                                   token=token, on_progress=progress, chunk_size=128 * KIB)
    assert cli_tags(docker_engine) == before_tags and cli_ids(docker_engine) == before_ids
    assert f"{repo}:1" not in cli_tags(docker_engine)


def test_file_that_vanishes_changes_or_turns_into_a_folder_before_loading(docker_engine, client, info, saved,
                                                                          tmp_path):
    _repo, _expected, files = saved
    before = cli_tags(docker_engine)
    copy = tmp_path / "copy.tar"
    shutil.copy(files["none"], copy)
    contents = inspect_archive(copy)
    copy.unlink()
    with pytest.raises(ArchiveError, match="copy.tar is gone: it was moved or deleted"):
        image_archive.load_archive(client, copy, contents=contents, engine=info)
    copy.mkdir()
    with pytest.raises(ArchiveError, match="copy.tar is now a folder"):
        image_archive.load_archive(client, copy, contents=contents, engine=info)
    copy.rmdir()
    shutil.copy(files["none"], copy)
    with open(copy, "ab") as f:
        f.write(b"\0" * 1024)
    with pytest.raises(ArchiveError, match="changed after it was read"):
        image_archive.load_archive(client, copy, contents=contents, engine=info)
    assert cli_tags(docker_engine) == before


def test_engine_dies_mid_load(fresh_engine, saved):
    _repo, _expected, files = saved
    info = connect([Endpoint(fresh_engine.docker_host, "user")])
    before_tags = cli_tags(fresh_engine)
    c = docker.DockerClient(base_url=fresh_engine.docker_host, version="auto", timeout=None)
    killed = []

    def progress(done, total, text):
        if done >= 512 * KIB and not killed:
            killed.append(done)
            fresh_engine.kill_engine(signal.SIGKILL)

    try:
        with pytest.raises(EngineUnavailable, match="broke off|lost contact"):
            image_archive.load_archive(c, files["gzip"], contents=inspect_archive(files["gzip"]), engine=info,
                                       on_progress=progress, chunk_size=128 * KIB)
    finally:
        c.close()
    assert killed
    fresh_engine.start_engine()
    assert cli_tags(fresh_engine) == before_tags


def _run_until_blocked_then_cancel(fn, token: CancelToken):
    """Run *fn* in a thread, wait until that thread sleeps reading from the engine's socket (the
    kernel says so in /proc), cancel, and return what *fn* raised."""
    thread, outcome = run_until_blocked(fn)
    token.cancel()
    thread.join(20)
    assert not thread.is_alive(), "cancel did not reach the blocked request"
    return outcome.get("error")


def test_cancel_reaches_a_load_and_a_save_the_engine_never_answers(fresh_engine, tmp_path):
    """The engine is frozen (SIGSTOP): the requests go out, nothing comes back. Cancel must still
    end them at once (the socket is shut down); nothing loads, no file is left."""
    fresh_engine.ensure_busybox_base()
    info = connect([Endpoint(fresh_engine.docker_host, "user")])
    before = cli_ids(fresh_engine)
    image = SyntheticImage(["berth-test/frozen:1"], [{"a": b"frozen"}])
    path = tmp_path / "frozen.tar"
    path.write_bytes(docker_archive([image]))
    contents = inspect_archive(path)
    c = docker.DockerClient(base_url=fresh_engine.docker_host, version=info.api_version, timeout=None)
    c.api.inspect_image(BUSYBOX_TAG)  # answered while the engine runs; the save checks names first
    with frozen(fresh_engine), contextlib.closing(c):
        token = CancelToken()
        error = _run_until_blocked_then_cancel(
            lambda: image_archive.load_archive(c, path, contents=contents, engine=info, token=token), token)
        assert isinstance(error, Cancelled), error
        token = CancelToken()
        target = tmp_path / "out" / "frozen-save.tar"
        target.parent.mkdir()
        error = _run_until_blocked_then_cancel(
            lambda: image_archive.save_images(c, [BUSYBOX_TAG], target, estimate=1, token=token), token)
        assert isinstance(error, Cancelled), error
        assert os.listdir(target.parent) == []
    assert cli_ids(fresh_engine) == before


def test_plain_filesystem_is_not_loaded_silently(client, info, tmp_path):
    path = tmp_path / "rootfs.tar"
    path.write_bytes(tar_bytes([("hello.txt", b"hi\n")]))
    with pytest.raises(ArchiveError, match="plain file system. Import it as a new image"):
        image_archive.load_archive(client, path, contents=inspect_archive(path), engine=info)


def test_oci_layout_on_a_20_10_engine_names_the_version_needed(docker_engine, client, info, tmp_path):
    image = SyntheticImage([f"berth-test/oci-{os.getpid()}:1"], [{"a": b"oci"}])
    path = tmp_path / "oci.tar"
    path.write_bytes(oci_layout([image]))
    contents = inspect_archive(path)
    preview = image_archive.preview_load(client, contents, info)
    assert "Docker Engine 24 or newer" in preview.problem and info.version in preview.problem
    before_ids = cli_ids(docker_engine)
    with pytest.raises(ArchiveError, match="needs Docker Engine 24 or newer with the containerd image store"):
        image_archive.load_archive(client, path, contents=contents, engine=info)
    assert cli_ids(docker_engine) == before_ids


# --- preview ------------------------------------------------------------------------------------------


def test_preview_names_tags_that_would_move_identical_ones_and_foreign_platforms(docker_engine, client, info, source,
                                                                                busybox_image, unique_repo, tmp_path,
                                                                                gone_after):
    gone_after += [f"{unique_repo}:moves", f"{unique_repo}:same", f"{unique_repo}:arm"]
    docker_engine.cli("tag", f"{source}:1", f"{unique_repo}:moves")
    docker_engine.cli("tag", f"{source}:1", f"{unique_repo}:same")
    source_id = image_id(docker_engine, f"{source}:1")
    busybox_id = image_id(docker_engine, busybox_image)
    path = tmp_path / "mixed.tar"
    docker_engine.cli("save", "-o", str(path), f"{unique_repo}:same")
    # an archive where :moves is the busybox image, while the engine has it on the source image
    docker_engine.cli("tag", busybox_image, f"{unique_repo}:moves")
    docker_engine.cli("save", "-o", str(tmp_path / "moves.tar"), f"{unique_repo}:moves")
    docker_engine.cli("tag", f"{source}:1", f"{unique_repo}:moves")
    preview = image_archive.preview_load(client, inspect_archive(tmp_path / "moves.tar"), info)
    [change] = preview.moves
    assert (change.tag, change.current_id, change.new_id) == (f"{unique_repo}:moves", source_id, busybox_id)
    assert image_archive.describe_move(change) == (f"{unique_repo}:moves now names image {source_id[7:19]}; loading "
                                                   f"moves it to image {busybox_id[7:19]}.")
    assert not preview.nothing_to_do and preview.images[0].on_engine

    same = image_archive.preview_load(client, inspect_archive(path), info)
    assert same.nothing_to_do and [t.status for t in same.images[0].tags] == [image_archive.IDENTICAL]

    arm = SyntheticImage([f"{unique_repo}:arm"], [{"arm": b"arm"}], arch="arm64")
    (tmp_path / "arm.tar").write_bytes(docker_archive([arm]))
    foreign = image_archive.preview_load(client, inspect_archive(tmp_path / "arm.tar"), info)
    assert [i.foreign_platform for i in foreign.images] == [True] and foreign.engine_platform == "linux/amd64"
    assert [t.status for t in foreign.images[0].tags] == [image_archive.NEW]
    # it loads (it just would not run natively)
    result = image_archive.load_archive(client, tmp_path / "arm.tar", engine=info)
    assert result.tags == [f"{unique_repo}:arm"]
    assert docker_engine.cli("inspect", "-f", "{{.Architecture}}", f"{unique_repo}:arm").stdout.strip() == "arm64"
    # and loading the moving archive really moves the tag, as the preview said
    image_archive.load_archive(client, tmp_path / "moves.tar", engine=info)
    assert cli_tags(docker_engine)[f"{unique_repo}:moves"] == busybox_id


# --- import -------------------------------------------------------------------------------------------


def test_import_plain_filesystem_as_a_new_image(docker_engine, client, info, unique_repo, tmp_path, gone_after):
    busybox = shutil.which("busybox")
    with open(busybox, "rb") as f:
        binary = f.read()
    buf = tar_bytes([("bin/", None), ("bin/busybox", binary), ("hello.txt", b"imported\n")],
                    modes={"bin/busybox": 0o755})
    path = tmp_path / "rootfs.tar.gz"
    path.write_bytes(gzip.compress(buf, compresslevel=1))
    gone_after.append(f"{unique_repo}:v1")
    contents = inspect_archive(path)
    assert contents.format == archive.FORMAT_ROOTFS
    result = image_archive.import_rootfs(client, path, unique_repo, "v1", contents=contents, engine=info)
    assert result.reference == f"{unique_repo}:v1"
    assert image_id(docker_engine, f"{unique_repo}:v1") == result.image_id
    out = docker_engine.cli("run", "--rm", f"{unique_repo}:v1", "/bin/busybox", "cat", "/hello.txt")
    assert out.stdout == "imported\n"


@pytest.mark.parametrize("repository, tag, words", [
    ("", "latest", "Enter a repository name"),
    ("Upper/Case", "1", "not a valid repository name"),
    ("ok/name:tag", "1", "without a tag"),
    ("ok/name", "bad tag!", "not a valid tag"),
])
def test_import_name_is_validated_before_anything_is_sent(docker_engine, client, tmp_path, repository, tag, words):
    path = tmp_path / "rootfs.tar"
    path.write_bytes(tar_bytes([("hello.txt", b"hi\n")]))
    before = cli_ids(docker_engine)
    with pytest.raises(ArchiveError, match=words):
        image_archive.import_rootfs(client, path, repository, tag)
    assert cli_ids(docker_engine) == before
