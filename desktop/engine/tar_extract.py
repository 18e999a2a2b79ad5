"""Unpack a tar stream that cannot be trusted (a container's files) into a fresh folder.

tarfile's ``filter="data"`` is not enough on its own: the Python 3.11.7 Berth ships carries the
filter-bypass bugs fixed in 3.11.13 (CVE-2025-4517 and others, which get around its checks with
long paths and links through earlier members). So this module checks every member itself and
never lets the operating system follow a link while writing: each folder on the way is opened
with ``O_NOFOLLOW`` relative to the one before it, files are created with ``O_EXCL|O_NOFOLLOW``,
and nothing is ever resolved with ``realpath``. Symbolic links are created as links with their
target text unchanged (an absolute ``/etc`` stays ``/etc``, as ``docker cp`` keeps it); they are
never followed. A member that would land outside the folder (``..``, an absolute path, a path
through a link, a hard link to something not unpacked before) stops the unpacking with an
ArchiveError; the caller removes the half-filled folder.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
from dataclasses import dataclass
from typing import BinaryIO

from desktop.engine.archive import ArchiveError, shown_name
from desktop.engine.cancel import CancelToken

CHUNK = 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class Unpacked:
    names: list[str]  # what the root folder holds now, sorted
    skipped: int  # device files and other special members, which are never created


def member_path(name: str, label: str) -> list[str]:
    """The parts of a member's name below the root folder; [] for the root itself. Raises
    ArchiveError for names that leave the folder."""
    if "\x00" in name:
        raise ArchiveError(f"{label} is damaged: the entry “{shown_name(name)}” has a name no file can have.")
    if name.startswith("/"):
        raise ArchiveError(f"{label} is unsafe: the entry “{shown_name(name)}” has an absolute path.")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"{label} is unsafe: the entry “{shown_name(name)}” points outside the folder.")
    return parts


class _Folder:
    """The root folder opened once; every path below it is walked without following links."""

    def __init__(self, root: str, label: str):
        self.label = label
        self.fd = os.open(root, _DIR_FLAGS)
        self._cached: tuple[tuple[str, ...], int] | None = None

    def close(self) -> None:
        self._drop_cache()
        os.close(self.fd)

    def _drop_cache(self) -> None:
        if self._cached is not None:
            os.close(self._cached[1])
            self._cached = None

    def parent(self, parts: list[str], name: str) -> int:
        """An fd of the folder that holds *parts*[-1], making missing folders on the way. Borrowed:
        valid until the next call."""
        folders = tuple(parts[:-1])
        if self._cached is not None and self._cached[0] == folders:
            return self._cached[1]
        self._drop_cache()
        fd = os.dup(self.fd)
        try:
            for part in folders:
                try:
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    os.mkdir(part, 0o700, dir_fd=fd)
                    nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        kind = "a symbolic link" if _is_link(part, fd) else "not a folder"
                        raise ArchiveError(f"{self.label} is unsafe: the entry “{shown_name(name)}” goes through "
                                           f"“{shown_name(part)}”, which is {kind}.") from None
                    raise
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        self._cached = (folders, fd)
        return fd

    def forget(self) -> None:
        """Something changed the tree (a folder replaced): walk afresh next time."""
        self._drop_cache()


def _is_link(part: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(part, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _clear(leaf: str, dir_fd: int, name: str, label: str) -> None:
    """Make room for a member whose name an earlier member took (tar's rule: the last one wins),
    never removing a folder."""
    try:
        st = os.stat(leaf, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        raise ArchiveError(f"{label} is damaged: the entry “{shown_name(name)}” would replace a folder.")
    os.unlink(leaf, dir_fd=dir_fd)


def unpack(stream: BinaryIO, root: str, label: str, token: CancelToken | None = None) -> Unpacked:
    """Unpack the uncompressed tar read from *stream* (read once, front to back) into the existing
    empty folder *root*. Raises ArchiveError for unsafe or damaged members, tarfile.ReadError and
    OSError as they come; the caller deletes *root* on any error."""
    folder = _Folder(root, label)
    files: set[tuple[str, ...]] = set()  # regular files unpacked so far: the only hard link targets
    folders: list[tuple[tuple[str, ...], int, int]] = []
    skipped = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if token is not None:
                    token.raise_if_cancelled()
                parts = member_path(member.name, label)
                if not parts:
                    continue  # the root folder itself ("." when copying a folder's contents)
                key = tuple(parts)
                leaf = parts[-1]
                if member.isdir():
                    dir_fd = folder.parent(parts, member.name)
                    try:
                        os.mkdir(leaf, 0o700, dir_fd=dir_fd)
                    except FileExistsError:
                        st = os.stat(leaf, dir_fd=dir_fd, follow_symlinks=False)
                        if not stat.S_ISDIR(st.st_mode):
                            _clear(leaf, dir_fd, member.name, label)
                            os.mkdir(leaf, 0o700, dir_fd=dir_fd)
                    folders.append((key, member.mode, int(member.mtime)))
                    files.discard(key)
                elif member.isreg():
                    dir_fd = folder.parent(parts, member.name)
                    _clear(leaf, dir_fd, member.name, label)
                    fd = os.open(leaf, _FILE_FLAGS, 0o600, dir_fd=dir_fd)
                    try:
                        source = tar.extractfile(member)
                        while source is not None:
                            data = source.read(CHUNK)
                            if not data:
                                break
                            _write_all(fd, data)
                            if token is not None:
                                token.raise_if_cancelled()
                        os.fchmod(fd, _file_mode(member.mode))
                        _set_time(fd, member.mtime)
                    finally:
                        os.close(fd)
                    files.add(key)
                elif member.issym():
                    dir_fd = folder.parent(parts, member.name)
                    _clear(leaf, dir_fd, member.name, label)
                    os.symlink(member.linkname, leaf, dir_fd=dir_fd)
                    _set_time(leaf, member.mtime, dir_fd=dir_fd, follow_symlinks=False)
                    files.discard(key)
                elif member.islnk():
                    target = tuple(member_path(member.linkname, label))
                    if target == key and key in files:
                        continue  # a link to itself: the file is already there
                    if target not in files:
                        raise ArchiveError(f"{label} is unsafe: the entry “{shown_name(member.name)}” is a hard link "
                                           f"to “{shown_name(member.linkname)}”, which is not a file unpacked before it.")
                    source_fd = os.dup(folder.parent(list(target), member.linkname))
                    try:
                        dir_fd = folder.parent(parts, member.name)
                        _clear(leaf, dir_fd, member.name, label)
                        os.link(target[-1], leaf, src_dir_fd=source_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
                    finally:
                        os.close(source_fd)
                    files.add(key)
                else:
                    skipped += 1  # devices, fifos: never made from a container's say-so
        folder.forget()
        for key, mode, mtime in reversed(folders):  # deepest first, so a read-only folder is filled first
            try:
                fd = os.open(key[-1], _DIR_FLAGS, dir_fd=folder.parent(list(key), "/".join(key)))
            except (OSError, ArchiveError):
                continue  # a later member took its name
            try:
                os.fchmod(fd, (mode & 0o777) | 0o700)
                _set_time(fd, mtime)
            finally:
                os.close(fd)
        names = sorted(os.listdir(folder.fd))
    finally:
        folder.close()
    return Unpacked(names=names, skipped=skipped)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _set_time(target, mtime, **where) -> None:
    try:
        os.utime(target, (mtime, mtime), **where)
    except (OSError, OverflowError, ValueError):
        pass  # a time the file system cannot hold is not worth failing the copy over


def _file_mode(mode: int) -> int:
    """The permission bits only (no set-user-ID, set-group-ID or sticky bit), and always readable
    and writable by the user who asked for the copy."""
    return (mode & 0o777) | 0o600
