"""Fuzzing the archive inspector (issue 11): valid archives -- built here in the ``docker save``
and OCI shapes, compressed every way, and one ``docker save`` from the isolated engine -- are
mutated (bytes flipped, cut, inserted, tar headers edited, manifests replaced by arbitrary JSON)
and ``inspect_archive`` must either read them or raise ArchiveError with one clear line; no
other exception may come out. Bounded to a few seconds; no example database is written."""

from __future__ import annotations

import io
import json
import os
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.engine.archive import ArchiveContents, ArchiveError, inspect_archive
from tests.test_archive_inspect import SyntheticImage, compress, docker_archive, oci_layout, tar_bytes, two_images

APP, TOOL = two_images()
SMALL = SyntheticImage(["berth-test/small:1"], [{"etc/a": b"a\n"}, {"etc/b": b"b\n"}])
PLAIN = docker_archive([SMALL, TOOL])
BASES = {
    "docker": PLAIN,
    "docker.gz": compress(PLAIN, "gzip"),
    "docker.zst": compress(PLAIN, "zstd"),
    "docker.xz": compress(PLAIN, "xz"),
    "docker.bz2": compress(PLAIN, "bzip2"),
    "oci": oci_layout([SMALL], nested_platforms=True),
    "oci.gz": compress(oci_layout([SMALL]), "gzip"),
    "rootfs": tar_bytes([("etc/", None), ("etc/hostname", b"box\n"), ("bin/", None), ("bin/sh", b"\x7fELF")]),
}
# BERTH_FUZZ_SCALE=50 for a long hunt by hand; the suite keeps to a few seconds
SCALE = max(1, int(os.environ.get("BERTH_FUZZ_SCALE", "1") or 1))
FUZZ = settings(max_examples=100 * SCALE, deadline=None, database=None, derandomize=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def header_offsets(data: bytes) -> list[int]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            return [m.offset for m in tar.getmembers()] or [0]
    except tarfile.TarError:
        return [0]


HEADERS = {name: header_offsets(data) for name, data in BASES.items()}

positions = st.integers(min_value=0, max_value=1 << 30)
mutations = st.one_of(
    st.tuples(st.just("flip"), positions, st.integers(1, 255)),
    st.tuples(st.just("cut"), positions),
    st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=700)),
    st.tuples(st.just("overwrite"), positions, st.binary(min_size=1, max_size=700)),
    st.tuples(st.just("zero-block"), positions),
    # a field of a tar header: name, mode, size, checksum, type flag, link name, magic...
    st.tuples(st.just("header"), positions, st.sampled_from([0, 100, 124, 136, 148, 156, 157, 257, 345]),
              st.binary(min_size=1, max_size=12)),
)


def mutate(name: str, data: bytes, changes) -> bytes:
    out = bytearray(data)
    for change in changes:
        kind, where = change[0], change[1]
        at = where % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= change[2]
        elif kind == "cut":
            del out[at:]
        elif kind == "insert":
            out[at:at] = change[2]
        elif kind == "overwrite":
            out[at:at + len(change[2])] = change[2]
        elif kind == "zero-block":
            start = at // 512 * 512
            out[start:start + 512] = bytes(len(out[start:start + 512]))
        elif kind == "header":
            offsets = HEADERS[name]
            start = offsets[where % len(offsets)] + change[2]
            out[start:start + len(change[3])] = change[3]
    return bytes(out)


def check(path) -> None:
    """The one promise: a reading, or an ArchiveError that is one line naming the file."""
    try:
        contents = inspect_archive(path)
    except ArchiveError as exc:
        message = str(exc)
        assert message.startswith(f"“{path.name}”") and "\n" not in message, message
        message.encode("utf-8")
    else:
        assert isinstance(contents, ArchiveContents)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(base=st.sampled_from(sorted(BASES)), changes=st.lists(mutations, min_size=1, max_size=4))
def test_mutated_archives_give_a_reading_or_an_archive_error(folder, base, changes):
    path = folder / f"mutated-{base}.tar"
    path.write_bytes(mutate(base, BASES[base], changes))
    check(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 1 << 40) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["Config", "RepoTags", "Layers", "manifests", "digest", "mediaType", "config", "layers",
                         "size", "annotations", "rootfs", "diff_ids", "os", "architecture"]) | st.text(max_size=8),
        inner, max_size=5),
    max_leaves=12)


@settings(FUZZ, max_examples=40 * SCALE)
@given(manifest=json_values, config=json_values, real_manifest=st.booleans())
def test_arbitrary_manifests_and_configurations_give_a_reading_or_an_archive_error(folder, manifest, config,
                                                                                   real_manifest):
    """Arbitrary JSON as manifest.json, or a sound manifest whose configuration is arbitrary JSON."""
    config_name = SMALL.id.split(":", 1)[1] + ".json"
    if real_manifest:
        manifest = [{"Config": config_name, "RepoTags": SMALL.tags, "Layers": []}]
    data = docker_archive([SMALL], manifest=manifest, extra=[("c.json", json.dumps(config).encode()),
                                                             (config_name, json.dumps(config).encode())])
    path = folder / "json.tar"
    path.write_bytes(data)
    check(path)


@settings(FUZZ, max_examples=40 * SCALE)
@given(index=json_values, blob=json_values)
def test_arbitrary_oci_indexes_give_a_reading_or_an_archive_error(folder, index, blob):
    members = [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'), ("index.json", json.dumps(index).encode()),
               ("blobs/sha256/" + "0" * 64, json.dumps(blob).encode())]
    path = folder / "index.tar"
    path.write_bytes(tar_bytes(members))
    check(path)


@pytest.fixture(scope="module")
def saved(docker_engine, busybox_image, tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("saved") / "busybox.tar"
    docker_engine.cli("save", "-o", str(path), busybox_image)
    return path.read_bytes()


@pytest.mark.engine
@settings(FUZZ, max_examples=30 * SCALE)
@given(changes=st.lists(mutations.filter(lambda m: m[0] != "header"), min_size=1, max_size=3))
def test_a_mutated_docker_save_gives_a_reading_or_an_archive_error(folder, saved, changes):
    path = folder / "saved.tar"
    path.write_bytes(mutate("docker", saved, changes))
    check(path)
