"""What an image archive holds, read without loading it into an engine.

Three kinds of tar archive reach Berth: ``docker save`` output (a ``manifest.json`` listing each
image's config, layers and tags), an OCI image layout (``oci-layout`` and ``index.json`` with
content-addressed ``blobs/``) and a plain root filesystem (``docker export`` output, or any tar of
files), which can only be imported as a new image. Each may be compressed (gzip, bzip2, xz, zstd).

Only headers, manifests and configs are read: an uncompressed archive is walked by seeking over
the layers; a compressed one has to be decompressed as it streams by (nothing can skip inside
compressed data), but only small JSON members are kept, so memory stays small for any size.
Everything that cannot be read raises ArchiveError with a sentence a person understands.

Damage is told apart from a file system: a tar must end with its end-of-archive marker (one cut
exactly between two members is truncated, not a smaller file system), and files laid out like a
saved image whose manifest is gone are refused rather than offered for import. Whatever the file
holds, nothing but ArchiveError comes out: manifests and configurations are read only up to a
size cap, deeply nested JSON and oversized tar headers are refused before they cost memory.
"""

from __future__ import annotations

import bz2
import collections
import gzip
import hashlib
import json
import lzma
import os
import posixpath
import re
import stat
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

from desktop.engine.errors import BerthError
from desktop.engine.reference import InvalidReference, parse_normalized

FORMAT_DOCKER = "docker-archive"
FORMAT_OCI = "oci-layout"
FORMAT_ROOTFS = "rootfs"

NONE, GZIP, BZIP2, XZ, ZSTD = "none", "gzip", "bzip2", "xz", "zstd"
COMPRESSIONS = (NONE, GZIP, BZIP2, XZ, ZSTD)

# The names Berth offers to load; the contents decide in the end, not the name.
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tar.zstd")

MANIFEST = "manifest.json"
OCI_INDEX = "index.json"
OCI_LAYOUT = "oci-layout"
LEGACY_REPOSITORIES = "repositories"

_SMALL_MEMBER = 4 << 20  # manifests and configs are a few kB; a bigger member is a layer, never read
_TAIL = 64 << 10  # decompressed bytes kept to look at what follows the last member
_BUFFER_LIMIT = 64 << 20  # at most this much of small members is kept while streaming
_OCI_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json")
_OCI_MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json",
                       "application/vnd.docker.distribution.manifest.v2+json")
_NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


class ArchiveError(BerthError):
    """The file is not an image archive Berth can read; the message says why in plain words."""


@dataclass(frozen=True)
class ArchiveImage:
    """One image in an archive. ``config_digest`` is the image ID it will have once loaded."""

    tags: list[str]
    config_digest: str
    os: str
    architecture: str
    layers: int
    size: int  # bytes of its layers in the archive
    variant: str = ""

    @property
    def platform(self) -> str:
        parts = [self.os or "unknown", self.architecture or "unknown"]
        if self.variant:
            parts.append(self.variant)
        return "/".join(parts)


@dataclass(frozen=True)
class ArchiveContents:
    path: str
    format: str  # FORMAT_DOCKER, FORMAT_OCI or FORMAT_ROOTFS
    compression: str  # one of COMPRESSIONS
    images: list[ArchiveImage]
    file_size: int = 0
    mtime_ns: int = field(default=0, compare=False)  # to notice a file changed before loading

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def tags(self) -> list[str]:
        return [tag for image in self.images for tag in image.tags]

    @property
    def loadable(self) -> bool:
        return self.format in (FORMAT_DOCKER, FORMAT_OCI)


def is_archive_name(name: str) -> bool:
    """True when *name* ends like an archive Berth loads (case-insensitive)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def detect_compression(head: bytes) -> str:
    """The compression of a stream from its first bytes (the same magic numbers the engine uses)."""
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"BZh"):
        return BZIP2
    if head.startswith(b"\xfd7zXZ\x00"):
        return XZ
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return ZSTD
    # a zstd skippable frame (magic 0x184D2A50..5F, little-endian) may come first
    if len(head) >= 4 and head[1:4] == b"\x2a\x4d\x18" and head[0] & 0xF0 == 0x50:
        return ZSTD
    return NONE


class _Truncated(Exception):
    pass


class _HugeHeader(Exception):
    pass


_HEADER_LIMIT = 1 << 20  # a long name or extended header this big is an attack, not a name


class _GuardedTarInfo(tarfile.TarInfo):
    """tarfile reads a GNU long name or a pax extended header into memory whole, whatever size it
    claims: refuse the big ones before they are read."""

    def _proc_member(self, tarfile_):
        if self.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                         tarfile.SOLARIS_XHDTYPE) and self.size > _HEADER_LIMIT:
            raise _HugeHeader(self.size)
        return super()._proc_member(tarfile_)


class _Corrupt(Exception):
    pass


def _zstandard():
    try:
        import zstandard
    except ImportError:  # pragma: no cover - the package is a dependency
        raise ArchiveError("Reading zstd-compressed archives needs the Python package 'zstandard', "
                           "which is not installed.") from None
    return zstandard


class DecompressingReader:
    """A read-only stream of the decompressed data that counts what it gave out and turns every
    library's own exceptions into two kinds: the data ended early, or it is damaged."""

    def __init__(self, raw: BinaryIO, compression: str):
        self.compression = compression
        self.consumed = 0
        if compression == GZIP:
            self._stream = gzip.GzipFile(fileobj=raw, mode="rb")
            self._errors = (zlib.error, gzip.BadGzipFile)
        elif compression == BZIP2:
            self._stream = bz2.BZ2File(raw, mode="rb")
            self._errors = (OSError, ValueError)  # bz2 says "Invalid data stream" as an OSError
        elif compression == XZ:
            self._stream = lzma.LZMAFile(raw, mode="rb")
            self._errors = (lzma.LZMAError,)
        elif compression == ZSTD:
            zstandard = _zstandard()
            self._stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True,
                                                                      closefd=False)
            self._errors = (zstandard.ZstdError,)
        else:
            raise ValueError(f"not a compression: {compression}")
        self._raw = raw
        self._recent: collections.deque[bytes] = collections.deque()  # the last data given out, to
        self._recent_size = 0  # check what follows the tar's last member

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._stream.read(size)
        except EOFError as exc:
            raise _Truncated(str(exc)) from None
        except self._errors as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise  # a real read error of the file, not damaged data
            raise _Corrupt(str(exc)) from None
        self.consumed += len(data)
        if data:
            self._recent.append(data)
            self._recent_size += len(data)
            while self._recent_size - len(self._recent[0]) >= _TAIL:
                self._recent_size -= len(self._recent.popleft())
        return data

    def given_since(self, offset: int) -> bytes | None:
        """The bytes given out from *offset* on, if still kept (tarfile reads ahead of itself)."""
        wanted = self.consumed - offset
        if wanted < 0 or wanted > self._recent_size:
            return None
        return b"".join(self._recent)[self._recent_size - wanted:]

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._stream.close()


def zstd_frames_complete(raw: BinaryIO) -> bool:
    """True when the zstd frames in *raw* all end properly. The zstandard reader returns a clean
    end of data when the input stops mid-frame, so a cut file is found by walking the frame and
    block headers (cheap: a few bytes per 128 kB block, no decompression)."""
    raw.seek(0)
    while True:
        magic = raw.read(4)
        if not magic:
            return True
        if len(magic) < 4:
            return False
        number = int.from_bytes(magic, "little")
        if 0x184D2A50 <= number <= 0x184D2A5F:  # skippable frame: a length and opaque bytes
            size_bytes = raw.read(4)
            if len(size_bytes) < 4:
                return False
            if not _skip(raw, int.from_bytes(size_bytes, "little")):
                return False
            continue
        if number != 0xFD2FB528:
            return False
        descriptor = raw.read(1)
        if not descriptor:
            return False
        d = descriptor[0]
        single_segment = d >> 5 & 1
        fcs_size = {0: 1 if single_segment else 0, 1: 2, 2: 4, 3: 8}[d >> 6]
        header = (0 if single_segment else 1) + (0, 1, 2, 4)[d & 3] + fcs_size
        if not _skip(raw, header):
            return False
        while True:
            block = raw.read(3)
            if len(block) < 3:
                return False
            value = int.from_bytes(block, "little")
            last, kind, size = value & 1, value >> 1 & 3, value >> 3
            if kind == 3:
                return False
            if not _skip(raw, 1 if kind == 1 else size):
                return False
            if last:
                break
        if d >> 2 & 1 and not _skip(raw, 4):  # content checksum
            return False


def _skip(raw: BinaryIO, count: int) -> bool:
    if count == 0:
        return True
    raw.seek(count - 1, os.SEEK_CUR)
    return len(raw.read(1)) == 1


def shown_name(name: str, limit: int = 120) -> str:
    """*name* fit for a one-line message: control characters and undecodable bytes written as
    escapes, and a very long name shortened in the middle."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    if len(text) > limit:
        text = text[: limit // 2 - 1] + "…" + text[-(limit // 2):]
    return text


def _clean_name(name: str) -> str:
    cleaned = posixpath.normpath(name) if name else name
    return "" if cleaned == "." else cleaned


def _escapes(name: str) -> bool:
    cleaned = posixpath.normpath(name) if name else name
    return name.startswith("/") or cleaned == ".." or cleaned.startswith("../")


class _Walk:
    """One pass over the tar: every member's header, and the contents of the small ones."""

    def __init__(self, label: str):
        self.label = label
        self.members: dict[str, tarfile.TarInfo] = {}  # the entries near the top, by cleaned name
        self.count = 0  # every entry
        self.contents: dict[str, bytes] = {}
        self._buffered = 0
        self._tar: tarfile.TarFile | None = None
        self._seekable = False

    def run(self, tar: tarfile.TarFile, seekable: bool) -> None:
        self._tar = tar
        self._seekable = seekable
        while True:
            info = tar.next()
            if info is None:
                break
            name = _clean_name(info.name)
            if _escapes(info.name):
                raise ArchiveError(f"{self.label} is unsafe: the entry “{shown_name(info.name)}” points outside the "
                                   "archive. Nothing was loaded.")
            if info.islnk() and _escapes(info.linkname):
                raise ArchiveError(f"{self.label} is unsafe: the entry “{shown_name(info.name)}” links to "
                                   f"“{shown_name(info.linkname)}”, outside the archive. Nothing was loaded.")
            self.count += 1
            del tar.members[:]  # tarfile keeps every header; only the few below are needed
            if name.count("/") > 2:
                continue  # deeper than any manifest, configuration or layer: the files of a file system
            self.members[name] = info  # a later entry of the same name wins, as when unpacking
            stale = self.contents.pop(name, None)
            if stale is not None:
                self._buffered -= len(stale)
            if not seekable and info.isfile() and self._wanted(name, info):
                self.contents[name] = self._read(info)

    def _wanted(self, name: str, info: tarfile.TarInfo) -> bool:
        if info.size > _SMALL_MEMBER:
            return False  # read() says it is too large if it turns out to be needed
        if name in (MANIFEST, OCI_INDEX, OCI_LAYOUT, LEGACY_REPOSITORIES):
            return True
        if self._buffered + info.size > _BUFFER_LIMIT:
            return False
        return name.endswith(".json") or name.startswith("blobs/")

    def _read(self, info: tarfile.TarInfo) -> bytes:
        handle = self._tar.extractfile(info)
        data = handle.read() if handle is not None else b""
        self._buffered += len(data)
        return data

    def read(self, name: str, what: str) -> bytes:
        """Contents of a regular file member (following symlinks inside the archive)."""
        info = self.resolve(name, what)
        if info.size > _SMALL_MEMBER:
            raise ArchiveError(f"{self.label} is damaged: {what} “{shown_name(name)}” is {info.size:,} bytes, far "
                               "too large for a manifest or configuration.")
        if name in self.contents:
            return self.contents[name]
        if info.name in self.contents:
            return self.contents[info.name]
        resolved = _clean_name(info.name)
        if resolved in self.contents:
            return self.contents[resolved]
        if not self._seekable:
            raise ArchiveError(f"{self.label} could not be read: {what} “{shown_name(name)}” is too large to be "
                               "a manifest or configuration.")
        try:
            return self._read(info)
        except tarfile.ReadError:
            raise ArchiveError(f"{self.label} is damaged: {what} “{shown_name(name)}” could not be read. "
                               "Nothing was loaded.") from None

    def resolve(self, name: str, what: str) -> tarfile.TarInfo:
        if not isinstance(name, str) or not name:
            raise ArchiveError(f"{self.label} is damaged: its manifest names {what} without a file name.")
        current = _clean_name(name)
        if _escapes(name):
            raise ArchiveError(f"{self.label} is unsafe: its manifest names “{shown_name(name)}”, outside the "
                               "archive.")
        name = shown_name(name)
        for _ in range(8):
            info = self.members.get(current)
            if info is None:
                raise ArchiveError(f"{self.label} is incomplete: its manifest names {what} “{name}”, "
                                   "which is not in the archive.")
            if info.isdir():
                raise ArchiveError(f"{self.label} is damaged: {what} “{name}” is a folder, not a file.")
            if info.issym():
                target = info.linkname if info.linkname.startswith("/") else \
                    posixpath.join(posixpath.dirname(current), info.linkname)
                if _escapes(target.lstrip("/") if info.linkname.startswith("/") else target):
                    raise ArchiveError(f"{self.label} is unsafe: {what} “{name}” links outside the archive.")
                current = _clean_name(target.lstrip("/"))
                continue
            if info.islnk():
                current = _clean_name(info.linkname)
                continue
            if not info.isfile():
                raise ArchiveError(f"{self.label} is damaged: {what} “{name}” is not a regular file.")
            return info
        raise ArchiveError(f"{self.label} is damaged: {what} “{name}” is a loop of links.")


def _parse_json(data: bytes, label: str, what: str, name: str):
    """JSON of a manifest-like member; damaged or hostile JSON gives ArchiveError, never
    RecursionError (Python's parser recurses once per nested list or object)."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ArchiveError(f"{label} is damaged: {what} “{shown_name(name)}” is not valid JSON.") from None
    except RecursionError:
        raise ArchiveError(f"{label} is damaged: {what} “{shown_name(name)}” nests its JSON too deeply to be "
                           "read.") from None


def _load_json(walk: _Walk, name: str, what: str):
    return _parse_json(walk.read(name, what), walk.label, what, name)


def _familiar_tag(text: str, label: str) -> str:
    try:
        ref = parse_normalized(text)
    except InvalidReference as exc:
        raise ArchiveError(f"{label} names an image “{shown_name(text)}” that is not a valid image name "
                           f"({shown_name(str(exc))}).") from None
    if ref.tag is None:
        raise ArchiveError(f"{label} names an image “{shown_name(text)}” without a tag.")
    return ref.familiar()


def _platform_of(config: dict) -> tuple[str, str, str]:
    if not isinstance(config, dict):
        return "", "", ""
    return tuple(value if isinstance(value, str) else ""
                 for value in (config.get("os"), config.get("architecture"), config.get("variant")))


def _docker_images(walk: _Walk) -> list[ArchiveImage]:
    manifest = _load_json(walk, MANIFEST, "the manifest")
    if not isinstance(manifest, list) or not all(isinstance(item, dict) for item in manifest):
        raise ArchiveError(f"{walk.label} is damaged: manifest.json is not a list of images.")
    if not manifest:
        raise ArchiveError(f"{walk.label} holds no images: its manifest.json is empty.")
    images = []
    for item in manifest:
        config_name = item.get("Config")
        layers = item.get("Layers")
        tags = item.get("RepoTags") or []
        if not isinstance(config_name, str) or not config_name:
            raise ArchiveError(f"{walk.label} is damaged: an image in manifest.json has no configuration.")
        if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
            raise ArchiveError(f"{walk.label} is damaged: an image in manifest.json has no list of layers.")
        if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
            raise ArchiveError(f"{walk.label} is damaged: an image in manifest.json has unreadable tags.")
        raw_config = walk.read(config_name, "the image configuration")
        config = _parse_json(raw_config, walk.label, "the image configuration", config_name)
        rootfs = config.get("rootfs") if isinstance(config, dict) else None
        diff_ids = (rootfs.get("diff_ids") or []) if isinstance(rootfs, dict) else []
        if not isinstance(diff_ids, list):
            raise ArchiveError(f"{walk.label} is damaged: the image configuration “{shown_name(config_name)}” has "
                               "no list of layers.")
        if len(diff_ids) != len(layers):
            raise ArchiveError(f"{walk.label} is damaged: the manifest lists {len(layers)} layers for "
                               f"“{shown_name(config_name)}” but its configuration has {len(diff_ids)}.")
        size = sum(walk.resolve(layer, "the layer").size for layer in layers)
        os_name, arch, variant = _platform_of(config)
        images.append(ArchiveImage(
            tags=[_familiar_tag(t, walk.label) for t in tags],
            config_digest="sha256:" + hashlib.sha256(raw_config).hexdigest(),
            os=os_name, architecture=arch, layers=len(layers), size=size, variant=variant))
    return images


def _blob_name(digest: object, label: str) -> str:
    if not isinstance(digest, str) or ":" not in digest:
        raise ArchiveError(f"{label} is damaged: its index has an entry without a valid digest.")
    algorithm, _, hex_part = digest.partition(":")
    if not algorithm.isalnum() or not hex_part.isalnum():
        raise ArchiveError(f"{label} is damaged: “{digest}” is not a valid digest.")
    return f"blobs/{algorithm}/{hex_part}"


def _oci_name(annotations: dict, label: str) -> list[str]:
    for key in _NAME_ANNOTATIONS:
        value = annotations.get(key) if isinstance(annotations, dict) else None
        if not isinstance(value, str) or not value:
            continue
        if key == "org.opencontainers.image.ref.name" and "/" not in value and ":" not in value:
            continue  # only a tag ("latest"): there is no repository to put it in
        try:
            return [_familiar_tag(value, label)]
        except ArchiveError:
            continue
    return []


def _oci_images(walk: _Walk) -> list[ArchiveImage]:
    index = _load_json(walk, OCI_INDEX, "the index")
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise ArchiveError(f"{walk.label} is damaged: index.json lists no manifests.")
    images: list[ArchiveImage] = []

    def visit(descriptors: list, names: list[str], depth: int, nested: bool) -> None:
        if depth > 4:
            raise ArchiveError(f"{walk.label} is damaged: its indexes nest too deeply.")
        for desc in descriptors:
            if not isinstance(desc, dict):
                raise ArchiveError(f"{walk.label} is damaged: index.json has an unreadable entry.")
            annotations = desc.get("annotations") or {}
            if not isinstance(annotations, dict):
                raise ArchiveError(f"{walk.label} is damaged: index.json has an entry with unreadable annotations.")
            if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
                continue  # build provenance, not an image
            own_names = _oci_name(annotations, walk.label) or names
            blob = _blob_name(desc.get("digest"), walk.label)
            if nested and _clean_name(blob) not in walk.members:
                continue  # a multi-platform index may leave out the platforms not saved
            media_type = desc.get("mediaType", "")
            document = _load_json(walk, blob, "the manifest")
            if not isinstance(document, dict):
                raise ArchiveError(f"{walk.label} is damaged: the manifest “{blob}” is not a JSON object.")
            media_type = media_type or document.get("mediaType", "")
            if media_type in _OCI_INDEX_TYPES or "manifests" in document:
                inner = document.get("manifests") or []
                if not isinstance(inner, list):
                    raise ArchiveError(f"{walk.label} is damaged: the index “{blob}” lists no manifests.")
                visit(inner, own_names, depth + 1, True)
                continue
            config_desc = document.get("config") or {}
            layers = document.get("layers") or []
            if not isinstance(config_desc, dict) or not isinstance(layers, list):
                raise ArchiveError(f"{walk.label} is damaged: the manifest “{blob}” has no configuration.")
            if not all(isinstance(layer, dict) for layer in layers):
                raise ArchiveError(f"{walk.label} is damaged: the manifest “{blob}” has an unreadable layer entry.")
            config_digest = config_desc.get("digest")
            config = _load_json(walk, _blob_name(config_digest, walk.label), "the image configuration")
            size = 0
            for layer in layers:
                walk.resolve(_blob_name(layer.get("digest"), walk.label), "the layer")
                layer_size = layer.get("size") or 0
                if not isinstance(layer_size, int) or isinstance(layer_size, bool) or layer_size < 0:
                    raise ArchiveError(f"{walk.label} is damaged: the manifest “{blob}” gives a layer an "
                                       "impossible size.")
                size += layer_size
            os_name, arch, variant = _platform_of(config)
            images.append(ArchiveImage(
                tags=list(own_names), config_digest=str(config_digest), os=os_name, architecture=arch,
                layers=len(layers), size=size, variant=variant))

    visit(index["manifests"], [], 0, False)
    if not images:
        raise ArchiveError(f"{walk.label} holds no images: its index.json lists none that are in the archive.")
    return images


def _legacy_images(walk: _Walk) -> list[ArchiveImage]:
    """``docker save`` before Docker 1.10 wrote only a ``repositories`` file (tag -> top layer)."""
    repositories = _load_json(walk, LEGACY_REPOSITORIES, "the repositories file")
    if not isinstance(repositories, dict):
        raise ArchiveError(f"{walk.label} is damaged: its repositories file is not a JSON object.")
    by_layer: dict[str, list[str]] = {}
    for repo, tags in repositories.items():
        if not isinstance(tags, dict):
            raise ArchiveError(f"{walk.label} is damaged: its repositories file lists “{shown_name(repo)}” "
                               "without tags.")
        for tag, layer in tags.items():
            by_layer.setdefault(str(layer), []).append(_familiar_tag(f"{repo}:{tag}", walk.label))
    return [ArchiveImage(tags=tags, config_digest="", os="", architecture="", layers=0, size=0)
            for tags in by_layer.values()]


def _check_complete(walk: _Walk, tar: tarfile.TarFile, stream, seekable: bool, file_size: int) -> None:
    """tarfile stops quietly at a damaged or cut header, and at the plain end of the data; the
    engine would not. What follows the last member must be the zero blocks that end a tar (at
    least one), and the data must reach that far: a tar cut exactly between two members has no
    end marker and is truncated."""
    end = tar.offset
    if seekable:
        if file_size < end:
            raise _Truncated("ends inside a member")
        stream.seek(end)
        remaining = file_size - end
        after = b""
    else:
        if stream.consumed < end:
            raise _Truncated("ends inside a member")
        remaining = None
        after = stream.given_since(end)
        if after is None:  # cannot happen with tarfile's read-ahead; say damaged rather than guess
            raise _Corrupt("lost track of the end of the archive")
    seen = len(after)
    garbage = after.count(0) != len(after)
    while True:
        block = stream.read(1 << 20)
        if not block:
            break
        seen += len(block)
        garbage = garbage or block.count(0) != len(block)
        if remaining is not None and seen >= remaining:
            break
    if garbage:
        # less than a header's worth of data: a header cut short; more: something that is not tar
        raise (_Truncated if seen < tarfile.BLOCKSIZE else _Corrupt)("data after the last entry")
    if seen < tarfile.BLOCKSIZE:
        raise _Truncated("no end-of-archive marker")


_HEX64 = r"[0-9a-f]{64}"
_IMAGE_SHAPES = (re.compile(rf"{_HEX64}\.json"), re.compile(rf"{_HEX64}/(layer\.tar|json|VERSION)"),
                 re.compile(rf"blobs/sha256/{_HEX64}"))


def _image_shaped(walk: _Walk) -> bool:
    """True when the members look like ``docker save`` output or an OCI layout (config files and
    layer folders named by digests) although the file that says so is missing: loading fails on
    such a file and importing it as a file system would make a useless image."""
    return any(shape.fullmatch(name) for name in walk.members for shape in _IMAGE_SHAPES)


def _nested_compression(stream) -> str:
    """The compression of the data inside a compressed file, when that data is compressed again."""
    try:
        return detect_compression(stream.read(8))
    except (_Truncated, _Corrupt, OSError, EOFError):
        return NONE


def inspect_archive(path: str | os.PathLike) -> ArchiveContents:
    """Read what the archive at *path* holds; raise ArchiveError when it is not a readable archive.
    Nothing else comes out, whatever the file holds: memory and time stay bounded."""
    path = os.fspath(path)
    name = os.path.basename(path.rstrip("/")) or path
    label = f"“{shown_name(name)}”"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ArchiveError(f"{label} does not exist (was it moved or deleted?).") from None
    except PermissionError:
        raise ArchiveError(f"{label} cannot be read: permission denied.") from None
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"{label} cannot be read: {getattr(exc, 'strerror', None) or exc}.") from None
    if stat.S_ISDIR(st.st_mode):
        raise ArchiveError(f"{label} is a folder, not an archive file.")
    if not stat.S_ISREG(st.st_mode):
        raise ArchiveError(f"{label} is not a regular file.")
    if st.st_size == 0:
        raise ArchiveError(f"{label} is empty (0 bytes).")
    compression = NONE
    kind = "a tar archive"
    try:
        with open(path, "rb") as raw:
            compression = detect_compression(raw.read(8))
            raw.seek(0)
            kind = "a tar archive" if compression == NONE else f"a {compression}-compressed tar archive"
            fmt, images = _inspect_open(raw, label, compression, st.st_size)
    except _Truncated:
        raise ArchiveError(f"{label} is truncated: {kind} that ends too early (was it copied completely?).") from None
    except _HugeHeader as exc:
        raise ArchiveError(f"{label} is damaged: one of its tar headers claims {exc.args[0]:,} bytes of file "
                           "names or attributes.") from None
    except _Corrupt:
        if compression == NONE:
            raise ArchiveError(f"{label} is damaged: it is not a complete, valid tar archive.") from None
        raise ArchiveError(f"{label} is damaged: its {compression} compression is corrupt.") from None
    except ArchiveError:
        raise
    except IsADirectoryError:
        raise ArchiveError(f"{label} is a folder, not an archive file.") from None
    except FileNotFoundError:
        raise ArchiveError(f"{label} disappeared while it was being read.") from None
    except OSError as exc:
        if exc.errno is None:  # a library's complaint about the data, not the disk's
            raise ArchiveError(f"{label} is damaged: it is not a complete, valid tar archive.") from None
        raise ArchiveError(f"{label} cannot be read: {exc.strerror or exc}.") from None
    except RecursionError:
        raise ArchiveError(f"{label} is damaged: something in it nests too deeply to be read.") from None
    except MemoryError:
        raise ArchiveError(f"{label} could not be read: it needs more memory than there is.") from None
    except Exception:  # noqa: BLE001 - a shape of damage not foreseen still gets a sentence
        raise ArchiveError(f"{label} is damaged: it is not laid out like any image archive or tar of files "
                           "Berth knows.") from None
    return ArchiveContents(path=path, format=fmt, compression=compression, images=images,
                           file_size=st.st_size, mtime_ns=st.st_mtime_ns)


def _inspect_open(raw: BinaryIO, label: str, compression: str, file_size: int) -> tuple[str, list[ArchiveImage]]:
    walk = _Walk(label)
    try:
        if compression == NONE:
            stream = raw
            tar = tarfile.open(fileobj=raw, mode="r:", tarinfo=_GuardedTarInfo)
        else:
            stream = DecompressingReader(raw, compression)
            tar = tarfile.open(fileobj=stream, mode="r|", tarinfo=_GuardedTarInfo)
    except tarfile.ReadError:
        if compression == ZSTD and not zstd_frames_complete(raw):
            raise _Truncated("the zstd data is cut") from None
        if compression == NONE:
            raise ArchiveError(f"{label} is not an image archive: it is not a tar archive.") from None
        raw.seek(0)
        inner = _nested_compression(DecompressingReader(raw, compression))
        if inner != NONE:
            raise ArchiveError(f"{label} is compressed twice ({inner} inside {compression}): decompress it once "
                               "and open what comes out.") from None
        raise ArchiveError(f"{label} is not an image archive: it holds {compression}-compressed "
                           "data that is not a tar archive.") from None
    try:
        walk.run(tar, seekable=compression == NONE)
        if not walk.count:
            raise ArchiveError(f"{label} is an empty tar archive.")
        _check_complete(walk, tar, stream, compression == NONE, file_size)
        if compression == ZSTD and not zstd_frames_complete(raw):
            raise _Truncated("the last zstd frame is cut")
    except tarfile.ReadError as exc:
        if "unexpected end" in str(exc) or "truncated" in str(exc):
            raise _Truncated(str(exc)) from None
        raise _Corrupt(str(exc)) from None
    except tarfile.TarError as exc:  # a header tarfile could not make sense of
        raise _Corrupt(str(exc)) from None
    if MANIFEST in walk.members:
        return FORMAT_DOCKER, _docker_images(walk)
    if OCI_INDEX in walk.members or OCI_LAYOUT in walk.members:
        if OCI_INDEX not in walk.members:
            raise ArchiveError(f"{label} is incomplete: it has an oci-layout marker but no index.json.")
        return FORMAT_OCI, _oci_images(walk)
    if LEGACY_REPOSITORIES in walk.members and any(n.endswith("/layer.tar") for n in walk.members):
        return FORMAT_DOCKER, _legacy_images(walk)
    if _image_shaped(walk):
        raise ArchiveError(f"{label} is incomplete: it is laid out like a saved image (configuration and layer "
                           "files), but its manifest.json or index.json is missing, so it can be neither loaded "
                           "nor imported.")
    return FORMAT_ROOTFS, []
