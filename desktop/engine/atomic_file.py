"""Write a file so that it appears whole or not at all.

Every file Berth writes for the user (image archives, saved logs) goes through here: the bytes go
to a temporary ``.part`` file beside the target, are synced, and only then replace the target, so
an existing file of that name is untouched until the new one is complete, and a failed or
cancelled write leaves nothing behind. The temporary file is created with the user's umask (as
``open()`` would), not mkstemp's private 0600.
"""

from __future__ import annotations

import errno
import os
import secrets
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from desktop.engine.errors import BerthError

PART_SUFFIX = ".part"


def part_name(path: str) -> str:
    """A fresh hidden temporary name beside *path* (``.NAME.berth-XXXXXXXX.part``)."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.berth-{secrets.token_hex(4)}{PART_SUFFIX}")


def disk_error(exc: OSError, target: str, what: str = "the file") -> BerthError:
    """A sentence a person can act on for a failed write of *what* into *target*'s folder."""
    folder = os.path.dirname(os.path.abspath(target)) or "."
    if exc.errno == errno.ENOSPC:
        return BerthError(f"The disk is full: there is no room left in {folder} for {what}. Nothing was saved.")
    if exc.errno == errno.EDQUOT:
        return BerthError(f"Your disk quota is used up in {folder}. Nothing was saved.")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BerthError(f"Cannot write in {folder} ({exc.strerror}). Choose another folder. Nothing was saved.")
    return BerthError(f"Could not write {what} in {folder}: {exc.strerror or exc}. Nothing was saved.")


def open_part(path: str, what: str = "the file") -> tuple[BinaryIO, str]:
    """Create the temporary file for *path*; returns (binary file, its name)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BerthError(f"The folder {folder} does not exist. Nothing was saved.")
    temp = part_name(path)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise disk_error(exc, path, what) from None
    return os.fdopen(fd, "wb"), temp


def commit_part(file: BinaryIO, temp: str, path: str, what: str = "the file") -> None:
    """Flush and sync *file*, then move it over *path*."""
    try:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        os.replace(temp, path)
    except OSError as exc:
        raise disk_error(exc, path, what) from None


def discard_part(file: BinaryIO, temp: str) -> None:
    try:
        file.close()
    except OSError:
        pass
    try:
        os.unlink(temp)
    except OSError:
        pass


@contextmanager
def atomic_write(path: str | os.PathLike, what: str = "the file") -> Iterator[BinaryIO]:
    """``with atomic_write(path) as f: f.write(...)`` — *path* is replaced only if the block
    completes; on any exception the temporary file is removed and *path* is left as it was."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise BerthError(f"{path} is a folder: choose a file name.")
    file, temp = open_part(path, what)
    try:
        yield file
    except BaseException:
        discard_part(file, temp)
        raise
    try:
        commit_part(file, temp, path, what)
    except BaseException:
        discard_part(file, temp)
        raise
