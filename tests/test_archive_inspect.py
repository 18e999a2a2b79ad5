"""Reading image archives without an engine: the three formats, every compression, and a corpus of
broken archives generated here, each of which must give a clear ArchiveError (never a traceback,
never a silent success). The helpers that build archives are used by the engine tests too."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import random
import tarfile
import tracemalloc

import pytest
import zstandard

from desktop.engine.archive import (ARCHIVE_SUFFIXES, FORMAT_DOCKER, FORMAT_OCI, FORMAT_ROOTFS, ArchiveError,
                                    detect_compression, inspect_archive, is_archive_name)

# --- building archives -------------------------------------------------------------------------


def tar_bytes(members: list[tuple[str, bytes | None]], *, modes: dict[str, int] | None = None) -> bytes:
    """A tar of (name, data) members; data None makes a directory; *modes* sets file permissions."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = (modes or {}).get(name, 0o644)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class SyntheticImage:
    """A tiny valid image: one layer per dict of files, a config whose diff_ids match."""

    def __init__(self, tags: list[str], layers: list[dict[str, bytes]], *, arch: str = "amd64", os_name: str = "linux",
                 variant: str = ""):
        self.tags = tags
        self.layers = [tar_bytes(sorted(files.items())) for files in layers]
        config = {
            "architecture": arch, "os": os_name, "created": "2024-01-01T00:00:00Z",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in self.layers]},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"layer {i}"} for i in range(len(layers))],
        }
        if variant:
            config["variant"] = variant
        self.config = json.dumps(config, sort_keys=True).encode()
        self.id = sha256(self.config)


def docker_archive(images: list[SyntheticImage], *, manifest: object = None,
                   extra: list[tuple[str, bytes | None]] = (), skip: tuple[str, ...] = ()) -> bytes:
    """``docker save`` layout: <id>.json configs, <n>/layer.tar layers, manifest.json last."""
    members: list[tuple[str, bytes | None]] = []
    items = []
    for image in images:
        hex_id = image.id.split(":", 1)[1]
        layer_names = []
        for layer in image.layers:
            folder = hashlib.sha256(layer + image.config).hexdigest()
            members.append((f"{folder}/", None))
            members.append((f"{folder}/layer.tar", layer))
            layer_names.append(f"{folder}/layer.tar")
        members.append((f"{hex_id}.json", image.config))
        items.append({"Config": f"{hex_id}.json", "RepoTags": image.tags or None, "Layers": layer_names})
    members += list(extra)
    data = json.dumps(items if manifest is None else manifest).encode() if not isinstance(manifest, bytes) else manifest
    members.append(("manifest.json", data))
    return tar_bytes([(n, d) for n, d in members if n not in skip])


def oci_layout(images: list[SyntheticImage], *, nested_platforms: bool = False, leave_out: tuple[str, ...] = (),
               with_index: bool = True) -> bytes:
    """An OCI image layout: oci-layout, index.json and content-addressed blobs."""
    blobs: dict[str, bytes] = {}

    def blob(data: bytes) -> dict:
        digest = sha256(data)
        blobs[digest] = data
        return {"digest": digest, "size": len(data)}

    descriptors = []
    for image in images:
        manifest = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(image.config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **blob(layer)} for layer in image.layers],
        }
        desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                **blob(json.dumps(manifest).encode()),
                "platform": {"os": "linux", "architecture": json.loads(image.config)["architecture"]}}
        descriptors.append(desc)
    annotations = {}
    if images and images[0].tags:
        annotations = {"io.containerd.image.name": "docker.io/" + images[0].tags[0]
                       if "/" in images[0].tags[0] else images[0].tags[0],
                       "org.opencontainers.image.ref.name": images[0].tags[0].rsplit(":", 1)[-1]}
    if nested_platforms:
        missing = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": "sha256:" + "0" * 64, "size": 10, "platform": {"os": "linux", "architecture": "s390x"}}
        inner = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": descriptors + [missing]}
        top = [{"mediaType": "application/vnd.oci.image.index.v1+json", **blob(json.dumps(inner).encode()),
                "annotations": annotations}]
    else:
        top = [dict(d, annotations=annotations) for d in descriptors[:1]] + descriptors[1:]
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": top}
    members: list[tuple[str, bytes | None]] = [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')]
    if with_index:
        members.append(("index.json", json.dumps(index).encode()))
    members.append(("blobs/", None))
    members.append(("blobs/sha256/", None))
    for digest, data in blobs.items():
        name = f"blobs/sha256/{digest.split(':', 1)[1]}"
        if digest not in leave_out:
            members.append((name, data))
    return tar_bytes(members)


def compress(data: bytes, kind: str) -> bytes:
    if kind == "none":
        return data
    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "bzip2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    if kind == "zstd":
        return zstandard.ZstdCompressor(write_checksum=True).compress(data)  # as the zstd CLI does
    raise ValueError(kind)


SUFFIX = {"none": ".tar", "gzip": ".tar.gz", "bzip2": ".tar.bz2", "xz": ".tar.xz", "zstd": ".tar.zst"}
COMPRESSIONS = list(SUFFIX)


def two_images() -> tuple[SyntheticImage, SyntheticImage]:
    app = SyntheticImage(["berth-test/app:1", "berth-test/app:latest"],
                         [{"etc/app.conf": b"setting=1\n"}, {"srv/data.bin": random.Random(3000).randbytes(3000)}])
    tool = SyntheticImage(["registry.example.com:5000/team/tool:2.0"], [{"bin/tool": b"#!/bin/sh\necho tool\n"}],
                          arch="arm64", variant="v8")
    return app, tool


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# --- what is read --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", COMPRESSIONS)
def test_docker_archive_with_two_images_in_every_compression(tmp_path, kind):
    app, tool = two_images()
    path = write(tmp_path, "images" + SUFFIX[kind], compress(docker_archive([app, tool]), kind))
    contents = inspect_archive(path)
    assert contents.format == FORMAT_DOCKER
    assert contents.compression == kind
    assert contents.file_size == os.path.getsize(path)
    first, second = contents.images
    assert first.tags == ["berth-test/app:1", "berth-test/app:latest"]
    assert first.config_digest == app.id
    assert (first.os, first.architecture, first.layers) == ("linux", "amd64", 2)
    assert first.size == sum(len(layer) for layer in app.layers)
    assert second.tags == ["registry.example.com:5000/team/tool:2.0"]
    assert (second.architecture, second.variant, second.platform) == ("arm64", "v8", "linux/arm64/v8")
    assert contents.tags == first.tags + second.tags


def test_tags_are_shown_in_the_clis_short_form(tmp_path):
    image = SyntheticImage(["docker.io/library/busybox:1.36", "index.docker.io/team/x:2"], [{"a": b"a"}])
    contents = inspect_archive(write(tmp_path, "a.tar", docker_archive([image])))
    assert contents.images[0].tags == ["busybox:1.36", "team/x:2"]


def test_untagged_image(tmp_path):
    image = SyntheticImage([], [{"a": b"a"}])
    contents = inspect_archive(write(tmp_path, "a.tar", docker_archive([image])))
    assert contents.images[0].tags == [] and contents.images[0].config_digest == image.id


@pytest.mark.parametrize("kind", ["none", "gzip", "zstd"])
def test_oci_layout(tmp_path, kind):
    app, _ = two_images()
    contents = inspect_archive(write(tmp_path, "oci" + SUFFIX[kind], compress(oci_layout([app]), kind)))
    assert contents.format == FORMAT_OCI and contents.compression == kind
    [image] = contents.images
    assert image.tags == ["berth-test/app:1"]
    assert image.config_digest == app.id
    assert (image.os, image.architecture, image.layers) == ("linux", "amd64", 2)
    assert image.size == sum(len(layer) for layer in app.layers)


def test_oci_multi_platform_index_lists_the_platforms_present(tmp_path):
    app, tool = two_images()
    contents = inspect_archive(write(tmp_path, "multi.tar", oci_layout([app, tool], nested_platforms=True)))
    assert [i.platform for i in contents.images] == ["linux/amd64", "linux/arm64/v8"]  # s390x is not in the file
    assert all(i.tags == ["berth-test/app:1"] for i in contents.images)


def test_plain_root_filesystem(tmp_path):
    data = tar_bytes([("bin/", None), ("bin/hello", b"#!/bin/sh\necho hi\n"), ("etc/hostname", b"box\n")])
    for kind in ("none", "xz"):
        contents = inspect_archive(write(tmp_path, "rootfs" + SUFFIX[kind], compress(data, kind)))
        assert (contents.format, contents.compression, contents.images) == (FORMAT_ROOTFS, kind, [])
        assert not contents.loadable


def test_pre_manifest_docker_archive_is_recognised_by_its_repositories_file(tmp_path):
    data = tar_bytes([("abc/", None), ("abc/json", b"{}"), ("abc/layer.tar", tar_bytes([("f", b"x")])),
                      ("repositories", json.dumps({"old/app": {"v1": "abc"}}).encode())])
    contents = inspect_archive(write(tmp_path, "old.tar", data))
    assert contents.format == FORMAT_DOCKER and contents.images[0].tags == ["old/app:v1"]


def test_uncompressed_archive_is_read_without_reading_the_layers(tmp_path):
    """Only headers, the manifest and the config are read: a 64 MB layer costs no reading."""
    big = SyntheticImage(["berth-test/big:1"], [{"blob": os.urandom(64 << 20)}])
    path = write(tmp_path, "big.tar", docker_archive([big]))
    with open("/proc/self/io") as f:
        before = int(next(line for line in f if line.startswith("rchar")).split()[1])
    contents = inspect_archive(path)
    with open("/proc/self/io") as f:
        after = int(next(line for line in f if line.startswith("rchar")).split()[1])
    assert contents.images[0].size > 64 << 20
    assert after - before < 1 << 20, f"read {after - before} bytes of a {os.path.getsize(path)} byte archive"


def test_compressed_archive_is_streamed_in_small_memory(tmp_path):
    big = SyntheticImage(["berth-test/big:1"], [{"blob": os.urandom(48 << 20)}])
    path = write(tmp_path, "big.tar.gz", gzip.compress(docker_archive([big]), compresslevel=1))
    tracemalloc.start()
    try:
        contents = inspect_archive(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert contents.images[0].tags == ["berth-test/big:1"]
    assert peak < 8 << 20, f"peak {peak} bytes"


def test_archive_names():
    for name in ("a.tar", "A.TAR.GZ", "x.tgz", "x.tar.xz", "x.tar.bz2", "x.tar.zst"):
        assert is_archive_name(name), name
    for name in ("notes.txt", "x.zip", "tar", "x.gz", "folder"):
        assert not is_archive_name(name), name
    assert set(ARCHIVE_SUFFIXES) >= {".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst"}
    assert detect_compression(b"\x50\x2a\x4d\x18....") == "zstd"  # a skippable frame first


# --- the corpus of broken archives -----------------------------------------------------------------


def _flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 64]) + data[middle + 64:]


def _broken_corpus() -> dict[str, tuple[str, bytes, str]]:
    """name -> (file name, bytes, words the message must contain)."""
    app, tool = two_images()
    good = docker_archive([app, tool])
    bad_layer_image = SyntheticImage(["berth-test/x:1"], [{"a": b"a"}])
    config_name = bad_layer_image.id.split(":", 1)[1] + ".json"
    return {
        "empty file": ("empty.tar", b"", "is empty"),
        "text file": ("notes.tar", b"just some notes\n" * 40, "not a tar archive"),
        "random bytes": ("noise.tar", os.urandom(4096), "not a tar archive"),
        "gzip of text": ("text.tar.gz", gzip.compress(b"hello " * 1000), "not a tar archive"),
        "truncated tar": ("cut.tar", good[: len(good) // 2], "truncated"),
        "tar cut inside a header": ("cut-header.tar", good[:512 + 100], "truncated"),
        "truncated gzip": ("cut.tar.gz", gzip.compress(good)[:-200], "truncated"),
        "truncated xz": ("cut.tar.xz", lzma.compress(good)[:-100], "truncated"),
        "truncated bzip2": ("cut.tar.bz2", bz2.compress(good)[:-100], "truncated"),
        "truncated zstd": ("cut.tar.zst", compress(good, "zstd")[:-100], "truncated"),
        "corrupt gzip": ("bad.tar.gz", _flip_middle(gzip.compress(good)), "compression is corrupt"),
        "corrupt xz": ("bad.tar.xz", _flip_middle(lzma.compress(good)), "compression is corrupt"),
        "corrupt bzip2": ("bad.tar.bz2", _flip_middle(bz2.compress(good)), "compression is corrupt"),
        "corrupt zstd": ("bad.tar.zst", _flip_middle(compress(good, "zstd")), "compression is corrupt"),
        "garbage after the tar": ("tail.tar", good + os.urandom(2048), "damaged"),
        "manifest is not JSON": ("m.tar", docker_archive([app], manifest=b"{not json"), "not valid JSON"),
        "manifest is not a list": ("m.tar", docker_archive([app], manifest={"Config": "x"}), "not a list"),
        "manifest lists nothing": ("m.tar", docker_archive([app], manifest=[]), "holds no images"),
        "config missing": ("m.tar", docker_archive([bad_layer_image], skip=(config_name,)), "not in the archive"),
        "layer missing": ("m.tar", docker_archive([app], manifest=[{"Config": app.id.split(':')[1] + ".json",
                                                                   "RepoTags": None,
                                                                   "Layers": ["nope/layer.tar", "nope2/layer.tar"]}]),
                          "not in the archive"),
        "config is a folder": ("m.tar", docker_archive([app], manifest=[{"Config": "dir", "RepoTags": None,
                                                                        "Layers": []}], extra=[("dir/", None)]),
                               "is a folder"),
        "config is not JSON": ("m.tar", docker_archive([app], manifest=[{"Config": "c.json", "Layers": []}],
                                                       extra=[("c.json", b"\x00\x01")]), "not valid JSON"),
        "layer count differs": ("m.tar", docker_archive([app], manifest=[{"Config": app.id.split(':')[1] + ".json",
                                                                         "RepoTags": None, "Layers": []}]),
                                "lists 0 layers"),
        "invalid tag": ("m.tar", docker_archive([SyntheticImage(["Bad Name:1"], [{"a": b"a"}])]),
                        "not a valid image name"),
        "member escapes with ../": ("evil.tar", docker_archive([app], extra=[("../../etc/evil", b"x")]),
                                    "outside the archive"),
        "member with an absolute path": ("abs.tar", tar_bytes([("/etc/passwd", b"root::0:0::/:/bin/sh\n")]),
                                         "outside the archive"),
        "manifest points outside": ("m.tar", docker_archive([app], manifest=[{"Config": "../../x.json",
                                                                             "Layers": []}]), "outside the archive"),
        "OCI blob missing": ("oci.tar", oci_layout([app], leave_out=(app.id,)), "not in the archive"),
        "OCI marker without index": ("oci.tar", oci_layout([app], with_index=False), "no index.json"),
    }


CORPUS = _broken_corpus()


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_broken_archive_gives_a_clear_message(tmp_path, case):
    file_name, data, words = CORPUS[case]
    path = write(tmp_path, file_name, data)
    with pytest.raises(ArchiveError) as caught:
        inspect_archive(path)
    message = str(caught.value)
    assert words in message, message
    assert file_name in message
    assert "Traceback" not in message and "\n" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ArchiveError, match="does not exist"):
        inspect_archive(tmp_path / "gone.tar")
    folder = tmp_path / "images.tar"
    folder.mkdir()
    with pytest.raises(ArchiveError, match="is a folder, not an archive file"):
        inspect_archive(folder)
    os.mkfifo(tmp_path / "pipe.tar")
    with pytest.raises(ArchiveError, match="not a regular file"):
        inspect_archive(tmp_path / "pipe.tar")
