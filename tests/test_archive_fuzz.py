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
# the suite runs the same few seconds of examples every time; BERTH_FUZZ_SCALE=50 hunts longer, at random
SCALE = max(1, int(os.environ.get("BERTH_FUZZ_SCALE", "1") or 1))
FUZZ = settings(max_examples=100 * SCALE, deadline=None, database=None, derandomize=SCALE == 1,
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


scalars = st.none() | st.booleans() | st.integers(-2, 1 << 40) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10)


def shaped(fields: dict) -> st.SearchStrategy:
    """Objects with some of *fields*, each either the shape the format wants or any JSON at all."""
    return st.fixed_dictionaries({}, optional={key: value | json_values for key, value in fields.items()})


def one_damaged(sound: dict, fields: dict) -> st.SearchStrategy:
    """*sound* with at most one field replaced (by something of its shape, or any JSON) or removed:
    damage that gets past the first checks, where a fully random value would hardly ever reach."""
    gone = object()

    def apply(change):
        key, value = change
        out = dict(sound)
        if key is not None:
            if value is gone:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    def replacement(key):
        if key is None:
            return st.just((None, None))
        return st.tuples(st.just(key), st.just(gone) | fields[key] | scalars | json_values)

    return st.sampled_from([None, *fields]).flatmap(replacement).map(apply)


CONFIG_NAME = SMALL.id.split(":", 1)[1] + ".json"
LAYER_NAMES = [n for n in tarfile.open(fileobj=io.BytesIO(PLAIN)).getnames() if n.endswith("/layer.tar")][:2]
some_tags = st.lists(st.sampled_from(["berth-test/x:1", "a:b", "Bad Name:1", "", "x@sha256:00", "a\nb:1"])
                     | st.text(max_size=10), max_size=3)
SOUND_CONFIG = {"rootfs": {"type": "layers", "diff_ids": []}, "os": "linux", "architecture": "amd64"}
configs = st.one_of(
    one_damaged(SOUND_CONFIG, {"rootfs": one_damaged(SOUND_CONFIG["rootfs"], {
        "diff_ids": st.lists(st.text(max_size=4) | json_values, max_size=3)})}),
    one_damaged(SOUND_CONFIG, {"os": st.sampled_from(["linux", "windows"]), "architecture": st.text(max_size=6),
                               "variant": st.text(max_size=3)}))
manifests = st.lists(one_damaged({"Config": CONFIG_NAME, "RepoTags": ["berth-test/x:1"], "Layers": []}, {
    "Config": st.sampled_from([CONFIG_NAME, "c.json", "missing.json", "../x.json", "/etc/passwd", "d", ""]),
    "RepoTags": some_tags,
    "Layers": st.lists(st.sampled_from(LAYER_NAMES + ["missing/layer.tar", "../up", "d"]), max_size=3)}),
    min_size=1, max_size=3)


@settings(FUZZ, max_examples=60 * SCALE)
@given(manifest=st.one_of(manifests, json_values), config=st.one_of(configs, configs, json_values),
       sound_manifest=st.booleans())
def test_damaged_manifests_and_configurations_give_a_reading_or_an_archive_error(folder, manifest, config,
                                                                                 sound_manifest):
    """A damaged manifest.json, or a sound one whose image configuration is damaged."""
    if sound_manifest:
        manifest = [{"Config": CONFIG_NAME, "RepoTags": ["berth-test/x:1"], "Layers": []}]
    data = docker_archive([SMALL], manifest=manifest,
                          extra=[("d/", None), ("c.json", json.dumps(config).encode()),
                                 (CONFIG_NAME, json.dumps(config).encode())])
    path = folder / "json.tar"
    path.write_bytes(data)
    check(path)


BLOB, CONFIG_BLOB, LAYER_BLOB = ("sha256:" + c * 64 for c in "123")
digests = st.sampled_from([BLOB, CONFIG_BLOB, LAYER_BLOB, "sha256:" + "0" * 64, "md5:x", "sha256:../../x", "", "x"])
media_types = st.sampled_from(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                               "application/vnd.docker.distribution.manifest.list.v2+json", "text/plain"])
annotations = shaped({"io.containerd.image.name": some_tags.map(lambda t: t[0] if t else ""),
                      "org.opencontainers.image.ref.name": st.sampled_from(["latest", "a:1"]),
                      "vnd.docker.reference.type": st.just("attestation-manifest")})
sound_descriptor = {"digest": BLOB, "mediaType": "application/vnd.oci.image.manifest.v1+json"}
descriptors = one_damaged(sound_descriptor, {"digest": digests, "mediaType": media_types, "size": st.integers(-1, 9),
                                             "annotations": annotations})
documents = one_damaged({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "config": {"digest": CONFIG_BLOB}, "layers": [{"digest": LAYER_BLOB, "size": 10}]}, {
    "mediaType": media_types, "config": descriptors, "layers": st.lists(descriptors, max_size=3),
    "manifests": st.lists(descriptors, max_size=3)})


@settings(FUZZ, max_examples=60 * SCALE)
@given(index=one_damaged({"manifests": [sound_descriptor]}, {"manifests": st.lists(descriptors, max_size=3)}),
       blob=documents | json_values,
       config=configs | json_values)
def test_damaged_oci_indexes_give_a_reading_or_an_archive_error(folder, index, blob, config):
    members = [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'), ("index.json", json.dumps(index).encode()),
               ("blobs/", None), ("blobs/sha256/", None),
               ("blobs/sha256/" + BLOB.split(":")[1], json.dumps(blob).encode()),
               ("blobs/sha256/" + CONFIG_BLOB.split(":")[1], json.dumps(config).encode()),
               ("blobs/sha256/" + LAYER_BLOB.split(":")[1], SMALL.layers[0])]
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
