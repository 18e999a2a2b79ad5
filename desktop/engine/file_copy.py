"""``docker cp`` both ways: a file or folder out of a container into a local folder, and a local
file or folder into a folder of a container.

The engine speaks tar (``GET/PUT /containers/{id}/archive``). Out: the archive streams to a
temporary file, then is unpacked with tarfile's "data" filter, which refuses absolute paths, links
out of the target and device files, so a container cannot write outside the chosen folder. In:
the local path is packed into a temporary tar file that streams up, never held in memory.
"""

from __future__ import annotations

import os
import tarfile
import tempfile
from typing import Callable

from desktop.engine.cancel import CancelToken
from desktop.engine.errors import BerthError, NotFound, translate

CHUNK = 1024 * 1024


def copy_from_container(client, container_id: str, path: str, destination: str, token: CancelToken | None = None,
                        on_progress: Callable[[int, int, str], None] | None = None) -> str:
    """Copy *path* of the container into the local folder *destination*; returns the local path
    of what was copied."""
    if not path.startswith("/"):
        raise BerthError(f"The path in the container “{path}” must be absolute (start with '/').")
    if not os.path.isdir(destination):
        raise BerthError(f"The local folder {destination} does not exist.")
    try:
        chunks, stat = client.api.get_archive(container_id, path, chunk_size=CHUNK)
    except Exception as exc:
        error = translate(exc, f"copy {path} out of the container")
        if isinstance(error, NotFound):
            raise NotFound(f"{path} does not exist in the container (or the container is gone).",
                           status_code=404) from None
        raise error from exc
    done = 0
    with tempfile.TemporaryFile() as archive:
        try:
            for chunk in chunks:
                if token is not None and token.cancelled:
                    token.raise_if_cancelled()
                archive.write(chunk)
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, 0, f"{done:,} bytes received")
        except BerthError:
            raise
        except Exception as exc:
            raise translate(exc, f"copy {path} out of the container") from exc
        archive.seek(0)
        try:
            with tarfile.open(fileobj=archive, mode="r:") as tar:
                tar.extractall(destination, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise BerthError(f"Could not unpack {path} into {destination}: {exc}") from exc
    return os.path.join(destination, stat.get("name") or os.path.basename(path.rstrip("/")))


def copy_into_container(client, container_id: str, source: str, folder: str, token: CancelToken | None = None,
                        on_progress: Callable[[int, int, str], None] | None = None) -> str:
    """Copy the local file or folder *source* into the existing *folder* of the container;
    returns the path it has there."""
    if not folder.startswith("/"):
        raise BerthError(f"The folder in the container “{folder}” must be absolute (start with '/').")
    if not os.path.exists(source):
        raise BerthError(f"{source} does not exist.")
    name = os.path.basename(os.path.normpath(source))
    with tempfile.TemporaryFile() as archive:
        try:
            with tarfile.open(fileobj=archive, mode="w:") as tar:
                tar.add(source, arcname=name)
        except OSError as exc:
            raise BerthError(f"Could not read {source}: {exc.strerror or exc}") from exc
        size = archive.tell()
        archive.seek(0)
        if token is not None:
            token.raise_if_cancelled()
        if on_progress is not None:
            on_progress(0, size, f"Sending {size:,} bytes")
        try:
            client.api.put_archive(container_id, folder, archive)
        except Exception as exc:
            error = translate(exc, f"copy {name} into the container")
            if isinstance(error, NotFound):
                raise NotFound(f"The folder {folder} does not exist in the container (or the container is gone).",
                               status_code=404) from None
            raise error from exc
        if on_progress is not None:
            on_progress(size, size, f"Sent {size:,} bytes")
    return f"{folder.rstrip('/')}/{name}"
