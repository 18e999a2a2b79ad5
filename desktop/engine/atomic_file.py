"""Write a file so that it appears whole or not at all.

Every file Berth writes for the user (image archives, saved logs) goes through here: the bytes go
to a temporary ``.part`` file beside the target, are synced, and only then replace the target, so
an existing file of that name is untouched until the new one is complete, and a failed or
cancelled write leaves nothing behind. The temporary file is created with the user's umask (as
``open()`` would), not mkstemp's private 0600.

A writer killed with its process cannot clean up, so every open part is listed in a journal under
the user's state folder (``$XDG_STATE_HOME/berth/parts``, one small entry per part naming the file
and the writing process) from its creation until it is committed or discarded.
:func:`clean_leftovers`, run once at start-up, deletes the parts the journal lists whose writer is
gone — only files the journal names, and only names of the ``.NAME.berth-XXXXXXXX.part`` form.
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from desktop.engine.errors import BerthError

PART_SUFFIX = ".part"
PART_PATTERN = re.compile(r"^\..+\.berth-[0-9a-f]{8}\.part$")
_journal_entries: dict[str, str] = {}  # temp path -> its journal entry, for this process


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


# --- the journal of parts being written ---------------------------------------------------------
def journal_folder() -> str:
    """Where open parts are listed: ``$XDG_STATE_HOME/berth/parts`` (``~/.local/state`` by default)."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "berth", "parts")


def _process_start(pid: int) -> str | None:
    """When process *pid* started (field 22 of /proc/PID/stat), to tell a reused pid apart;
    None when there is no such process or no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _writer_alive(pid: int, started: str | None) -> bool:
    if os.path.isdir("/proc"):
        now = _process_start(pid)
        return now is not None and (started is None or now == started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _journal_add(temp: str) -> None:
    """List *temp* in the journal; a journal that cannot be written only costs the clean-up."""
    folder = journal_folder()
    entry = os.path.join(folder, f"{os.getpid()}-{secrets.token_hex(4)}.json")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open(entry, "w", encoding="utf-8") as f:
            json.dump({"part": temp, "pid": os.getpid(), "started": _process_start(os.getpid())}, f)
    except OSError:
        return
    _journal_entries[temp] = entry


def _journal_remove(temp: str) -> None:
    entry = _journal_entries.pop(temp, None)
    if entry is not None:
        try:
            os.unlink(entry)
        except OSError:
            pass


def clean_leftovers() -> list[str]:
    """Delete the parts left by writers that are gone (killed with their process); returns the
    files deleted. Touches only files the journal lists, and only part names; never raises."""
    folder = journal_folder()
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if not name.endswith(".json"):
            continue
        entry = os.path.join(folder, name)
        try:
            with open(entry, encoding="utf-8") as f:
                record = json.load(f)
            part, pid, started = str(record["part"]), int(record["pid"]), record.get("started")
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not ours, or being written: leave it
        if _writer_alive(pid, started):
            continue
        if os.path.isabs(part) and PART_PATTERN.match(os.path.basename(part)):
            try:
                os.unlink(part)
                removed.append(part)
            except FileNotFoundError:
                pass
            except OSError:
                continue  # keep the entry: another start may manage
        try:
            os.unlink(entry)
        except OSError:
            pass
    return removed


# --- writing ------------------------------------------------------------------------------------
def open_part(path: str, what: str = "the file") -> tuple[BinaryIO, str]:
    """Create the temporary file for *path* (listed in the journal until committed or discarded);
    returns (binary file, its name)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BerthError(f"The folder {folder} does not exist. Nothing was saved.")
    temp = part_name(path)
    _journal_add(temp)  # before the file exists: a kill between the two leaves no unlisted part
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        _journal_remove(temp)
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
    _journal_remove(temp)


def discard_part(file: BinaryIO, temp: str) -> None:
    try:
        file.close()
    except OSError:
        pass
    try:
        os.unlink(temp)
    except OSError:
        pass
    _journal_remove(temp)


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
