"""Moving images in and out of the engine as archives: save, load, and import of a root filesystem.

Everything streams. A load sends the file in 1 MiB chunks from an open file (never the whole
archive in memory), decompressing on the way any compression the engine cannot read itself, and
reads the engine's answer item by item: an ``error`` in it fails the load with the engine's words.
A save asks for the images by name (so their tags are kept; an image named twice is stored once),
writes through ``atomic_file`` (a temporary part beside the target, created with the user's umask),
checks the tar really ended, and only then renames it over the target: a cancel, a full disk or an
engine that dies leaves no partial file behind, and a part left by a killed Berth is cleaned up at
its next start.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterator

from desktop.engine import archive
from desktop.engine.archive import ArchiveContents, ArchiveError, ArchiveImage
from desktop.engine.atomic_file import commit_part, discard_part, disk_error, open_part
from desktop.engine.cancel import CancelToken, cancel_by_shutdown
from desktop.engine.connection import EngineInfo, version_tuple
from desktop.engine.errors import (BerthError, Cancelled, EngineError, EngineUnavailable, NotFound, stream_item_error,
                                   translate)
from desktop.engine.images import NONE, short_id
from desktop.engine.reference import InvalidReference, parse_normalized, validate_tag

CHUNK = 1 << 20
ZSTD_ENGINE = (23,)  # moby's archive package reads zstd from Docker Engine 23.0 on
OCI_ENGINE = (24,)  # loading an OCI layout needs the containerd image store (24.0 on, opt-in)

Progress = Callable[[float, float | None, str], None]


# --- what a load would do ---------------------------------------------------------------------

NEW, IDENTICAL, MOVES = "new", "identical", "moves"


@dataclass(frozen=True)
class TagChange:
    """What loading does to one tag: ``new`` here, ``identical`` (already names this image) or
    ``moves`` (it names another image now, ``current_id``, and will name ``new_id``)."""

    tag: str
    status: str
    new_id: str
    current_id: str = ""


@dataclass(frozen=True)
class ImagePreview:
    image: ArchiveImage
    tags: list[TagChange]
    on_engine: bool  # the same image (same ID) is already on the engine
    foreign_platform: bool  # loads, but does not run natively on the engine

    @property
    def nothing_to_do(self) -> bool:
        return self.on_engine and all(t.status == IDENTICAL for t in self.tags)


@dataclass(frozen=True)
class LoadPreview:
    """What loading the archive would do on the connected engine, before anything is sent."""

    contents: ArchiveContents
    images: list[ImagePreview]
    engine_platform: str
    engine_version: str
    problem: str = ""  # why this engine cannot load it at all ("" when it can)
    existing_tags: dict[str, str] = field(default_factory=dict, compare=False)  # tag -> image id

    @property
    def moves(self) -> list[TagChange]:
        return [t for i in self.images for t in i.tags if t.status == MOVES]

    @property
    def foreign(self) -> list[ImagePreview]:
        return [i for i in self.images if i.foreign_platform]

    @property
    def nothing_to_do(self) -> bool:
        return bool(self.images) and all(i.nothing_to_do for i in self.images)


def familiar(tag: str) -> str:
    try:
        return parse_normalized(tag).familiar()
    except InvalidReference:
        return tag


def engine_tags(client) -> dict[str, str]:
    """Every tag on the engine (familiar form, as ``docker images`` shows it) -> image ID."""
    tags = {}
    for item in client.api.images():
        for repo_tag in item.get("RepoTags") or []:
            if repo_tag != "<none>:<none>":
                tags[familiar(repo_tag)] = item.get("Id", "")
    return tags


def _same_platform(image: ArchiveImage, info: EngineInfo) -> bool:
    if not image.os or not image.architecture:
        return True  # unknown (old archives): nothing to warn about
    return image.os == info.os and image.architecture == info.arch


def oci_problem(client, contents: ArchiveContents, info: EngineInfo) -> str:
    """Why the engine cannot load an OCI layout archive, or "" when it can."""
    if contents.format != archive.FORMAT_OCI:
        return ""
    version = version_tuple(info.version)
    if version and version < OCI_ENGINE:
        return (f"{contents.name} is an OCI image layout. Docker Engine {info.version} cannot load those: "
                "loading an OCI layout needs Docker Engine 24 or newer with the containerd image store "
                "(the default for new installations from Docker Engine 29).")
    try:
        status = client.api.info().get("DriverStatus") or []
    except Exception:  # noqa: BLE001 - the load itself will say what the engine thinks
        return ""
    if not any("containerd" in str(value) for pair in status for value in pair):
        return (f"{contents.name} is an OCI image layout. This engine (Docker Engine {info.version}) uses the "
                "classic image store, which cannot load those: enable the containerd image store "
                "(Docker Engine 24 or newer) or save the image again with 'docker save'.")
    return ""


def preview_load(client, contents: ArchiveContents, info: EngineInfo) -> LoadPreview:
    """Compare the archive with what is on the engine: new tags, tags that would move to another
    image, images already there, and images for another OS or CPU."""
    existing = engine_tags(client)
    ids = set(existing.values())
    if any(image.config_digest and image.config_digest not in ids for image in contents.images):
        ids |= {item.get("Id", "") for item in client.api.images(all=True)}  # untagged ones too
    previews = []
    for image in contents.images:
        changes = []
        for tag in image.tags:
            current = existing.get(tag, "")
            if not current:
                status = NEW
            elif image.config_digest and current == image.config_digest:
                status = IDENTICAL
            else:
                status = MOVES
            changes.append(TagChange(tag=tag, status=status, new_id=image.config_digest, current_id=current))
        previews.append(ImagePreview(image=image, tags=changes,
                                     on_engine=bool(image.config_digest) and image.config_digest in ids,
                                     foreign_platform=not _same_platform(image, info)))
    return LoadPreview(contents=contents, images=previews, engine_platform=f"{info.os}/{info.arch}",
                       engine_version=info.version, problem=oci_problem(client, contents, info),
                       existing_tags=existing)


def describe_move(change: TagChange) -> str:
    """'x:1 now names image 1234abcd5678; loading moves it to image 9f8e7d6c5b4a.'"""
    return (f"{change.tag} now names image {short_id(change.current_id)}; loading moves it to image "
            f"{short_id(change.new_id) if change.new_id else 'from the archive'}.")


# --- streaming a file to the engine -------------------------------------------------------------

class _SourceFailed(Exception):
    """Raised inside the upload generator; not an OSError, so urllib3 passes it through unchanged
    (it would turn an OSError into 'connection aborted') and closes the connection."""

    def __init__(self, error: BerthError):
        super().__init__(str(error))
        self.error = error


def _open_source(path: str, label: str, contents: ArchiveContents | None) -> BinaryIO:
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise ArchiveError(f"{label} is gone: it was moved or deleted after it was chosen. Nothing was loaded.") from None
    except IsADirectoryError:
        raise ArchiveError(f"{label} is now a folder, not an archive file. Nothing was loaded.") from None
    except OSError as exc:
        raise ArchiveError(f"{label} cannot be read ({exc.strerror or exc}). Nothing was loaded.") from None
    try:
        st = os.fstat(handle.fileno())
    except OSError as exc:
        handle.close()
        raise ArchiveError(f"{label} cannot be read ({exc.strerror or exc}). Nothing was loaded.") from None
    if contents is not None and (st.st_size != contents.file_size or st.st_mtime_ns != contents.mtime_ns):
        handle.close()
        raise ArchiveError(f"{label} changed after it was read. Drop or choose it again to see what it holds "
                           "now. Nothing was loaded.")
    return handle


def _chunks(handle: BinaryIO, label: str, size: int, token: CancelToken | None, on_progress: Progress | None,
            verb: str, decompress: bool, chunk_size: int, state: dict) -> Iterator[bytes]:
    """The file in chunks, counting the bytes read from disk against its size for the progress bar."""
    def raw_reader():
        while True:
            if token is not None and token.cancelled:
                raise Cancelled()
            try:
                data = handle.read(chunk_size)
            except OSError as exc:
                raise _SourceFailed(ArchiveError(
                    f"{label} could not be read any further ({exc.strerror or exc}). Nothing was loaded.")) from None
            if not data:
                return
            state["sent"] += len(data)
            if on_progress is not None:
                on_progress(state["sent"], size, f"{verb} {human_bytes(state['sent'])} of {human_bytes(size)}")
            yield data

    if not decompress:
        yield from raw_reader()
        return
    zstandard = archive._zstandard()
    source = _IterReader(raw_reader())
    reader = zstandard.ZstdDecompressor().stream_reader(source, read_size=chunk_size, read_across_frames=True)
    while True:
        try:
            data = reader.read(chunk_size)
        except zstandard.ZstdError:
            raise _SourceFailed(ArchiveError(f"{label} is damaged: its zstd compression is corrupt. "
                                             "Nothing was loaded.")) from None
        if not data:
            return
        yield data


class _IterReader:
    """A file-like view of a bytes iterator (for the zstd reader, which pulls its input)."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return b""
        if size < 0 or size >= len(self._pending):
            data, self._pending = self._pending, b""
        else:
            data, self._pending = self._pending[:size], self._pending[size:]
        return data


def human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000.0
    return f"{n:.1f} TB"


def engine_reads(compression: str, engine_version: tuple[int, ...]) -> bool:
    """Whether the engine decompresses *compression* itself (zstd only from Docker Engine 23)."""
    if compression == archive.ZSTD:
        return bool(engine_version) and engine_version >= ZSTD_ENGINE
    return True


def _lost_contact(exc: BaseException, action: str) -> BerthError:
    import requests.exceptions  # here, not at import: the GUI thread starts without the SDK
    import urllib3.exceptions

    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError,
                        requests.exceptions.ConnectionError)):
        return EngineUnavailable(f"Could not {action}: the connection to the Docker engine broke off "
                                 "(did the engine stop?).")
    return translate(exc, action)


def _stream_items(api, res, token: CancelToken | None) -> Iterator[dict]:
    try:
        for item in api._stream_helper(res, decode=True):
            if token is not None and token.cancelled:
                raise Cancelled()
            if isinstance(item, dict):
                yield item
    finally:
        res.close()


def _upload(client, url_path: str, params: dict, path: str, label: str, contents: ArchiveContents | None,
            token: CancelToken | None, on_progress: Progress | None, verb: str, chunk_size: int,
            engine_version: tuple[int, ...], action: str):
    """POST the file as a chunked stream; returns (response, state)."""
    handle = _open_source(path, label, contents)
    size = os.fstat(handle.fileno()).st_size
    compression = contents.compression if contents is not None else _sniff(handle)
    decompress = not engine_reads(compression, engine_version)
    state = {"sent": 0, "size": size, "handle": handle}
    api = client.api
    url = api._url(url_path)
    if on_progress is not None:
        on_progress(0, size, f"{verb} {label}")
    state["unregister"] = cancel_by_shutdown(api, token)
    try:
        if token is not None:
            token.raise_if_cancelled()
        res = api._post(url, params=params, stream=True,
                        data=_chunks(handle, label, size, token, on_progress, verb, decompress, chunk_size, state),
                        headers={"Content-Type": "application/x-tar"})
        api._raise_for_status(res)
    except _SourceFailed as exc:
        handle.close()
        state["unregister"]()
        raise exc.error from None
    except (Cancelled, BerthError):
        handle.close()
        state["unregister"]()
        raise
    except Exception as exc:  # noqa: BLE001 - any transport failure becomes one clear sentence
        handle.close()
        state["unregister"]()
        if token is not None and token.cancelled:
            raise Cancelled() from None
        raise _lost_contact(exc, action) from None
    handle.close()
    return res, state


def _sniff(handle: BinaryIO) -> str:
    head = handle.read(8)
    handle.seek(0)
    return archive.detect_compression(head)


# --- load ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadResult:
    path: str
    tags: list[str]  # "repo:tag" as the engine reported them
    image_ids: list[str]  # untagged images the engine reported by ID
    bytes_sent: int


def load_archive(client, path: str | os.PathLike, *, contents: ArchiveContents | None = None,
                 engine: EngineInfo | None = None, token: CancelToken | None = None,
                 on_progress: Progress | None = None, chunk_size: int = CHUNK) -> LoadResult:
    """Stream the archive at *path* into the engine and return what it loaded.

    *contents* is what ``inspect_archive`` saw (the file must not have changed since); *engine*
    decides which compressions are sent as they are. Raises ArchiveError for an archive the
    engine cannot take, EngineError with the engine's message when the load fails, Cancelled.
    """
    path = os.fspath(path)
    label = os.path.basename(path)
    version = version_tuple(engine.version) if engine is not None else ()
    if contents is not None and contents.format == archive.FORMAT_ROOTFS:
        raise ArchiveError(f"{label} holds no image manifest: it is a plain file system. Import it as a new "
                           "image instead.")
    if contents is not None and engine is not None:
        problem = oci_problem(client, contents, engine)
        if problem:
            raise ArchiveError(problem)
    res, state = _upload(client, "/images/load", {"quiet": "0"}, path, label, contents, token, on_progress,
                         "Sending", chunk_size, version, f"load {label}")
    size = state["size"]
    tags: list[str] = []
    ids: list[str] = []
    try:
        for item in _stream_items(client.api, res, token):
            message = stream_item_error(item)
            if message:
                if "manifest.json: no such file" in message and contents is not None \
                        and contents.format == archive.FORMAT_OCI:
                    raise ArchiveError(f"{label} is an OCI image layout, which this engine cannot load: it "
                                       "needs the containerd image store (Docker Engine 24 or newer).")
                raise EngineError(f"The engine could not load {label}: {message}")
            line = str(item.get("stream") or "").strip()
            if line.startswith("Loaded image ID: "):
                ids.append(line[len("Loaded image ID: "):].strip())
            elif line.startswith("Loaded image: "):
                tags.append(line[len("Loaded image: "):].strip())
            elif item.get("status") and on_progress is not None:
                on_progress(size, size, f"The engine is unpacking layer {item.get('id') or ''}".strip())
    except (Cancelled, BerthError):
        raise
    except Exception as exc:  # noqa: BLE001
        if token is not None and token.cancelled:
            raise Cancelled() from None
        raise _lost_contact(exc, f"load {label}") from None
    finally:
        state["unregister"]()
    if token is not None and token.cancelled:
        raise Cancelled()
    return LoadResult(path=path, tags=tags, image_ids=ids, bytes_sent=state["sent"])


# --- import of a plain file system --------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    path: str
    reference: str
    image_id: str


def check_import_name(repository: str, tag: str) -> str:
    """The familiar 'repo:tag' for a valid name; raises ArchiveError saying what is wrong."""
    repository, tag = repository.strip(), tag.strip() or "latest"
    if not repository:
        raise ArchiveError("Enter a repository name for the new image, for example “myapp”.")
    try:
        ref = parse_normalized(repository)
    except InvalidReference as exc:
        raise ArchiveError(f"“{repository}” is not a valid repository name: {exc.detail or exc}.") from None
    if ref.tag is not None or ref.digest is not None:
        raise ArchiveError("Enter the repository without a tag or digest; put the tag in its own field.")
    try:
        validate_tag(tag)
    except InvalidReference as exc:
        raise ArchiveError(f"“{tag}” is not a valid tag: {exc.detail or exc}.") from None
    return ref.with_tag(tag).familiar()


def import_rootfs(client, path: str | os.PathLike, repository: str, tag: str = "latest", *,
                  contents: ArchiveContents | None = None, engine: EngineInfo | None = None,
                  token: CancelToken | None = None, on_progress: Progress | None = None,
                  chunk_size: int = CHUNK) -> ImportResult:
    """``docker import``: a new single-layer image from a tar of files, named repository:tag."""
    path = os.fspath(path)
    label = os.path.basename(path)
    reference = check_import_name(repository, tag)
    repo, _, tag_part = reference.rpartition(":")
    version = version_tuple(engine.version) if engine is not None else ()
    res, state = _upload(client, "/images/create", {"fromSrc": "-", "repo": repo, "tag": tag_part}, path, label,
                          contents, token, on_progress, "Importing", chunk_size, version, f"import {label}")
    image_id = ""
    try:
        for item in _stream_items(client.api, res, token):
            message = stream_item_error(item)
            if message:
                raise EngineError(f"The engine could not import {label}: {message}")
            status = str(item.get("status") or "").strip()
            if status.startswith("sha256:"):
                image_id = status
    except (Cancelled, BerthError):
        raise
    except Exception as exc:  # noqa: BLE001
        if token is not None and token.cancelled:
            raise Cancelled() from None
        raise _lost_contact(exc, f"import {label}") from None
    finally:
        state["unregister"]()
    if not image_id:
        raise EngineError(f"The engine did not say which image it made from {label}.")
    return ImportResult(path=path, reference=reference, image_id=image_id)


# --- save ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SaveResult:
    path: str
    names: list[str]
    size: int  # bytes of the file written
    compressed: bool


def _check_names(client, names: list[str]) -> int:
    """The summed size of the distinct images (the progress bar's estimate); raises NotFound
    naming the first image that no longer exists."""
    sizes: dict[str, int] = {}
    for name in names:
        try:
            data = client.api.inspect_image(name)
        except Exception as exc:  # noqa: BLE001
            error = translate(exc, f"save {name}")
            if isinstance(error, NotFound):
                raise NotFound(f"Could not save: the image {name} no longer exists.") from None
            raise error from None
        sizes[data.get("Id", name)] = int(data.get("Size") or 0)
    return sum(sizes.values())


class _TarTail:
    """Keeps the last 1 kB of the stream: a complete tar ends with two zero blocks."""

    def __init__(self) -> None:
        self.total = 0
        self.tail = b""

    def add(self, data: bytes) -> None:
        self.total += len(data)
        self.tail = (self.tail + data[-1024:])[-1024:]

    def complete(self) -> bool:
        return self.total >= 1024 and self.total % 512 == 0 and self.tail.count(0) == 1024


ARCHIVE = "the archive"


class _Sink:
    """The temporary file (an ``atomic_file`` part), optionally through gzip; a failed write
    becomes a sentence about the disk."""

    def __init__(self, path: str, compress: bool):
        self._target = path
        self.file, self.temp = open_part(path, ARCHIVE)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self.file, compresslevel=6, mtime=0) \
            if compress else None

    def write(self, data: bytes) -> None:
        try:
            (self._gzip or self.file).write(data)
        except OSError as exc:
            raise disk_error(exc, self._target, ARCHIVE) from None

    def commit(self) -> None:
        """Finish the gzip stream, sync, and move the file over the target (a full disk often
        shows only here)."""
        try:
            if self._gzip is not None:
                self._gzip.close()
        except OSError as exc:
            raise disk_error(exc, self._target, ARCHIVE) from None
        commit_part(self.file, self.temp, self._target, ARCHIVE)

    def discard(self) -> None:
        discard_part(self.file, self.temp)


def save_images(client, names: list[str], path: str | os.PathLike, *, compress: bool = False,
                estimate: int | None = None, token: CancelToken | None = None,
                on_progress: Progress | None = None, chunk_size: int = CHUNK) -> SaveResult:
    """Save the images *names* (tags like 'repo:tag' keep their tags; an ID saves that image
    untagged) into one archive at *path*, gzip-compressed when *compress*.

    Streams into a temporary file beside *path* that replaces it only once complete and synced;
    an existing file of that name is untouched until then.
    """
    path = os.fspath(path)
    names = list(dict.fromkeys(n for n in names if n))
    if not names:
        raise BerthError("Choose at least one image to save.")
    if os.path.isdir(path):
        raise BerthError(f"{path} is a folder: choose a file name for the archive.")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BerthError(f"The folder {folder} does not exist. Nothing was saved.")
    total = estimate if estimate is not None else _check_names(client, names)
    sink = _Sink(path, compress)
    api = client.api
    url = api._url("/images/get")
    done = False
    params = {"names": names}
    unregister = cancel_by_shutdown(api, token)
    try:
        if on_progress is not None:
            on_progress(0, total or None, "The engine is preparing the archive")
        if token is not None:
            token.raise_if_cancelled()
        try:
            res = api._get(url, params=params, stream=True)
            api._raise_for_status(res)
        except Exception as exc:  # noqa: BLE001
            if token is not None and token.cancelled:
                raise Cancelled() from None
            error = _lost_contact(exc, "save the images")
            if isinstance(error, NotFound):
                _check_names(client, names)  # the engine's answer does not say which image is missing
            raise error from None
        tail = _TarTail()
        try:
            while True:
                if token is not None and token.cancelled:
                    raise Cancelled()
                try:
                    data = res.raw.read(chunk_size, decode_content=False)
                except Exception as exc:  # noqa: BLE001
                    if token is not None and token.cancelled:
                        raise Cancelled() from None
                    raise _lost_contact(exc, "save the images") from None
                if not data:
                    break
                tail.add(data)
                sink.write(data)
                if on_progress is not None:
                    on_progress(tail.total, max(total, tail.total) if total else None,
                                f"Saved {human_bytes(tail.total)}" + (f" of about {human_bytes(total)}" if total else ""))
        finally:
            res.close()
        if token is not None and token.cancelled:
            raise Cancelled()
        if not tail.complete():
            raise EngineError("The engine ended the archive before it was complete. Nothing was saved.")
        sink.commit()
        done = True
    finally:
        unregister()
        if not done:
            sink.discard()
    return SaveResult(path=path, names=names, size=os.path.getsize(path), compressed=compress)


def tags_of(client, image_ids: list[str]) -> dict[str, list[str]]:
    """Every tag of each of *image_ids* as ``docker images`` shows it (one request), so a save can
    offer the tags that were not selected: an archive holds only the names it is asked for."""
    wanted = set(image_ids)
    try:
        items = client.api.images()
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, "list the tags of the images to save") from None
    tags: dict[str, list[str]] = {i: [] for i in image_ids}
    for item in items:
        if item.get("Id") in wanted:
            tags[item["Id"]] = [familiar(t) for t in item.get("RepoTags") or [] if t != "<none>:<none>"]
    return tags


def save_names(rows) -> list[str]:
    """Names to save for Images-view rows: 'repo:tag' keeps the tag; an untagged row saves by ID."""
    names = []
    for row in rows:
        if row.repository != NONE and row.tag != NONE:
            names.append(f"{row.repository}:{row.tag}")
        else:
            names.append(row.id)
    return list(dict.fromkeys(names))
