"""``docker cp`` both ways: a file or folder out of a container into a local folder, and a local
file or folder into a folder of a container.

The engine speaks tar (``GET/PUT /containers/{id}/archive``). Out: the archive streams straight
into a hidden temporary folder inside the destination (tar_extract checks every member and never
follows a link), and only a complete copy is moved into place, by renames on the same disk. A
name that already exists there is replaced only when the caller says so (``replace``): the copy
otherwise stops with CopyConflict before anything is moved, so nothing the user has is touched
without a yes. ``plan_copy_from_container`` asks the engine what the copy will be called, so the
question can come before the download.

In: the local path is packed into a temporary tar file that streams up, never held in memory.

Both requests run on a client without a timeout (a big copy takes long), so cancel shuts the
connection's socket down: that wakes a worker blocked on an engine that stopped answering.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Callable, Collection, Iterator

from desktop.engine import tar_extract
from desktop.engine.archive import ArchiveError, shown_name
from desktop.engine.cancel import CancelToken, cancel_by_shutdown
from desktop.engine.errors import BerthError, Cancelled, NotFound, translate
from desktop.engine.raw_stream import close_response

OUT, IN = "out", "in"  # the directions of a copy: out of the container, into it
CHUNK = 1024 * 1024
STAGING_PREFIX = ".berth-copy-"

Progress = Callable[[int, int, str], None]


class CopyConflict(BerthError):
    """Names the copy would replace in the local folder; nothing was moved. ``names`` lists them."""

    def __init__(self, destination: str, names: list[str]):
        listed = ", ".join(f"“{shown_name(n)}”" for n in names)
        super().__init__(f"{destination} already has {listed}. Nothing was copied.")
        self.destination = destination
        self.names = list(names)


@dataclass(frozen=True)
class CopyPlan:
    """What copying *source* out of the container into *destination* will create: ``names`` (empty
    when only the engine's archive can tell, as for the contents of a folder, ``/path/.``) and
    which of them already exist there."""

    source: str
    destination: str
    names: list[str]
    conflicts: list[str]


# --- out of the container ------------------------------------------------------------------------
def _check_out(path: str, destination: str) -> None:
    if not path.startswith("/"):
        raise BerthError(f"The path in the container “{path}” must be absolute (start with '/').")
    if os.path.normpath(path) == "/":
        raise BerthError("Choose a file or folder inside the container, not its whole file system "
                         f"(“{path}”).")
    if not os.path.isdir(destination):
        raise BerthError(f"The local folder {destination} does not exist.")


def _not_found(path: str) -> NotFound:
    return NotFound(f"{path} does not exist in the container (or the container is gone).", status_code=404)


def plan_copy_from_container(client, container_id: str, path: str, destination: str) -> CopyPlan:
    """Ask the engine the name *path* will have and say which names exist in *destination*
    already; changes nothing."""
    _check_out(path, destination)
    api = client.api
    try:
        res = api.head(api._url("/containers/{0}/archive", container_id), params={"path": path},
                       timeout=api.timeout)
        api._raise_for_status(res)
    except Exception as exc:  # noqa: BLE001 - every failure becomes the project's error
        error = translate(exc, f"look at {path} in the container")
        if isinstance(error, NotFound):
            raise _not_found(path) from None
        raise error from None
    stat_header = res.headers.get("X-Docker-Container-Path-Stat") or ""
    try:
        name = str(json.loads(base64.b64decode(stat_header)).get("name") or "")
    except (ValueError, binascii.Error, AttributeError):
        name = ""
    if not name or name in (".", "/") or "/" in name:
        name = ""
    names = [name] if name else []
    return CopyPlan(source=path, destination=destination, names=names,
                    conflicts=[n for n in names if os.path.lexists(os.path.join(destination, n))])


class _Received:
    """The response body as a file for tarfile, counting bytes and ending on cancel."""

    def __init__(self, response, token: CancelToken | None, on_progress: Progress | None):
        self._raw = response.raw
        self._token = token
        self._on_progress = on_progress
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        if self._token is not None:
            self._token.raise_if_cancelled()
        data = self._raw.read(CHUNK if size is None or size < 0 else size, decode_content=True)  # the engine gzips it
        if data:
            self.done += len(data)
            if self._on_progress is not None:
                self._on_progress(self.done, 0, f"{self.done:,} bytes received")
        return data


def copy_from_container(client, container_id: str, path: str, destination: str, token: CancelToken | None = None,
                        on_progress: Progress | None = None, replace: Collection[str] = ()) -> str:
    """Copy *path* of the container into the local folder *destination*; returns the local path
    of what was copied (the folder itself when a folder's contents were copied).

    Names that exist in *destination* already are replaced only when listed in *replace*;
    otherwise CopyConflict is raised and nothing in *destination* changes. Whatever fails, the
    temporary folder goes and *destination* is as it was."""
    _check_out(path, destination)
    try:
        staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=destination)
    except OSError as exc:
        raise BerthError(f"Could not write in {destination}: {exc.strerror or exc}. Nothing was copied.") from None
    try:
        root = os.path.join(staging, "new")
        os.mkdir(root, 0o700)
        names = _receive(client, container_id, path, root, destination, token, on_progress).names
        if token is not None:
            token.raise_if_cancelled()
        if not names:
            raise BerthError(f"{path} is empty: there was nothing to copy.")
        conflicts = [n for n in names if os.path.lexists(os.path.join(destination, n))]
        refused = [n for n in conflicts if n not in set(replace)]
        if refused:
            raise CopyConflict(destination, refused)
        _move_into_place(root, os.path.join(staging, "old"), destination, names, conflicts)
    finally:
        _remove_tree(staging)
    if len(names) == 1:
        return os.path.join(destination, names[0])
    return destination


def _receive(client, container_id: str, path: str, root: str, destination: str, token: CancelToken | None,
             on_progress: Progress | None) -> tar_extract.Unpacked:
    """Stream the engine's archive of *path* straight into the empty folder *root*."""
    api = client.api
    url = api._url("/containers/{0}/archive", container_id)
    params = {"path": path}
    action = f"copy {path} out of the container"
    unregister = cancel_by_shutdown(api, token)
    try:
        if token is not None:
            token.raise_if_cancelled()
        try:
            res = api._get(url, params=params, stream=True)
            api._raise_for_status(res)
        except Exception as exc:  # noqa: BLE001
            if token is not None and token.cancelled:
                raise Cancelled() from None
            error = translate(exc, action)
            if isinstance(error, NotFound):
                raise _not_found(path) from None
            raise error from None
        unregister_close = token.on_cancel(lambda: close_response(res)) if token is not None else (lambda: None)
        try:
            return tar_extract.unpack(_Received(res, token, on_progress), root, f"The copy of {path}", token)
        except Cancelled:
            raise
        except ArchiveError as exc:
            raise ArchiveError(f"{exc} Nothing was copied.") from None
        except tarfile.TarError as exc:
            if token is not None and token.cancelled:
                raise Cancelled() from None
            raise BerthError(f"The copy of {path} ended early or arrived damaged ({exc}). "
                             "Nothing was copied.") from None
        except OSError as exc:
            if token is not None and token.cancelled:
                raise Cancelled() from None
            if exc.errno is None and not exc.strerror:  # from the connection, not the disk
                raise translate(exc, action) from None
            raise BerthError(f"Could not write the copy of {path} into {destination}: "
                             f"{exc.strerror or exc}. Nothing was copied.") from None
        except Exception as exc:  # noqa: BLE001 - the connection broke while reading
            if token is not None and token.cancelled:
                raise Cancelled() from None
            raise translate(exc, action) from None
        finally:
            unregister_close()
            close_response(res)
    finally:
        unregister()


def _move_into_place(root: str, old: str, destination: str, names: list[str], conflicts: list[str]) -> None:
    """Rename each new name into *destination*; an existing one first moves into *old* (on the
    same disk), and everything moves back if a rename fails, so the folder never ends half-done."""
    os.mkdir(old, 0o700)
    moved_aside: list[str] = []
    placed: list[str] = []
    try:
        for name in conflicts:
            os.rename(os.path.join(destination, name), os.path.join(old, name))
            moved_aside.append(name)
        for name in names:
            target = os.path.join(destination, name)
            if os.path.lexists(target):  # appeared since the check: never overwrite it
                raise CopyConflict(destination, [name])
            os.rename(os.path.join(root, name), target)
            placed.append(name)
    except BaseException as exc:
        for name in reversed(placed):
            try:
                os.rename(os.path.join(destination, name), os.path.join(root, name))
            except OSError:
                pass
        for name in reversed(moved_aside):
            try:
                os.rename(os.path.join(old, name), os.path.join(destination, name))
            except OSError:
                pass
        if isinstance(exc, OSError):
            raise BerthError(f"Could not move the copy into {destination}: {exc.strerror or exc}. "
                             "Nothing was copied.") from None
        raise


def _remove_tree(path: str) -> None:
    """Delete the temporary folder, links as links (rmtree never follows them), read-only
    folders included."""

    def retry(function, name, _info) -> None:
        try:
            parent = os.path.dirname(name)
            if not os.path.islink(parent):
                os.chmod(parent, stat.S_IRWXU)
            function(name)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


# --- into the container --------------------------------------------------------------------------
def _pack_filter(token: CancelToken | None):
    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if token is not None:
            token.raise_if_cancelled()
        if info.ischr() or info.isblk():
            return None  # a device node of this machine has no business in a container
        info.uid = info.gid = 0  # owned by the container's root, as the engine's own files are;
        info.uname = info.gname = "root"  # the local user's number means nothing in there
        info.mode &= 0o777 | stat.S_ISVTX
        return info

    return keep


def copy_into_container(client, container_id: str, source: str, folder: str, token: CancelToken | None = None,
                        on_progress: Progress | None = None) -> str:
    """Copy the local file or folder *source* into the existing *folder* of the container;
    returns the path it has there.

    A link named as *source* is followed (the file it points to is what was meant); links inside
    a folder are copied as links, never followed; device files are left out."""
    if not folder.startswith("/"):
        raise BerthError(f"The folder in the container “{folder}” must be absolute (start with '/').")
    if not os.path.lexists(source):
        raise BerthError(f"{source} does not exist.")
    name = os.path.basename(os.path.normpath(source))
    if name in ("", ".", "..", "/"):
        raise BerthError(f"Choose a file or folder to copy, not “{source}”.")
    real = os.path.realpath(source)
    if not os.path.exists(real):
        raise BerthError(f"{source} is a link to {real}, which does not exist.")
    with tempfile.TemporaryFile() as archive:
        try:
            with tarfile.open(fileobj=archive, mode="w:", format=tarfile.PAX_FORMAT) as tar:
                tar.add(real, arcname=name, filter=_pack_filter(token))
        except OSError as exc:
            where = exc.filename or source
            raise BerthError(f"Could not read {where}: {exc.strerror or exc}. Nothing was copied.") from None
        size = archive.tell()
        archive.seek(0)
        if token is not None:
            token.raise_if_cancelled()
        if on_progress is not None:
            on_progress(0, size, f"Sending {size:,} bytes")
        _send(client, container_id, folder, name, archive, size, token, on_progress)
        if on_progress is not None:
            on_progress(size, size, f"Sent {size:,} bytes")
    return f"{folder.rstrip('/')}/{name}"


def _chunks(archive, size: int, token: CancelToken | None, on_progress: Progress | None) -> Iterator[bytes]:
    sent = 0
    while True:
        if token is not None and token.cancelled:
            return  # the request fails on the shut socket; the caller turns that into Cancelled
        data = archive.read(CHUNK)
        if not data:
            return
        yield data
        sent += len(data)
        if on_progress is not None:
            on_progress(sent, size, f"Sent {sent:,} of {size:,} bytes")


def _send(client, container_id: str, folder: str, name: str, archive, size: int, token: CancelToken | None,
          on_progress: Progress | None) -> None:
    api = client.api
    url = api._url("/containers/{0}/archive", container_id)
    # as ``docker cp`` asks: never replace a folder in the container with a file, or the reverse
    params = {"path": folder, "noOverwriteDirNonDir": "true"}
    unregister = cancel_by_shutdown(api, token)
    try:
        res = api._put(url, params=params, data=_chunks(archive, size, token, on_progress),
                       headers={"Content-Type": "application/x-tar"})
        api._raise_for_status(res)
    except Exception as exc:  # noqa: BLE001
        if token is not None and token.cancelled:
            raise Cancelled() from None
        error = translate(exc, f"copy {name} into the container")
        if isinstance(error, NotFound):
            raise NotFound(f"The folder {folder} does not exist in the container (or the container is gone).",
                           status_code=404) from None
        raise error from None
    finally:
        unregister()
    if token is not None and token.cancelled:
        raise Cancelled()
