"""The one writer for files Berth saves for the user: whole or not at all, with the user's umask,
and parts left by a killed writer found again and deleted at the next start (and nothing else)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from desktop.engine import atomic_file
from desktop.engine.atomic_file import PART_PATTERN, atomic_write, clean_leftovers, journal_folder

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def state_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def parts(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".part"))


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_saved_file_gets_the_users_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        with atomic_write(tmp_path / "out.log") as f:
            f.write(b"hello")
    finally:
        os.umask(old)
    assert (tmp_path / "out.log").read_bytes() == b"hello"
    assert (tmp_path / "out.log").stat().st_mode & 0o777 == mode


def test_the_journal_lists_a_part_only_while_it_is_written(tmp_path, state_home):
    target = tmp_path / "out.log"
    target.write_bytes(b"old")
    with atomic_write(target) as f:
        [part] = parts(tmp_path)
        assert PART_PATTERN.match(part)
        [entry] = os.listdir(journal_folder())
        assert str(tmp_path / part) in (state_home / "berth" / "parts" / entry).read_text()
        f.write(b"new")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new" and parts(tmp_path) == [] and os.listdir(journal_folder()) == []

    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write(b"half")
            raise RuntimeError("the writer failed")
    assert target.read_bytes() == b"new" and parts(tmp_path) == [] and os.listdir(journal_folder()) == []


def test_a_bad_target_says_why_and_writes_nothing(tmp_path):
    with pytest.raises(Exception, match="is a folder"):
        with atomic_write(tmp_path) as f:
            f.write(b"x")
    with pytest.raises(Exception, match="does not exist"):
        with atomic_write(tmp_path / "missing" / "x.log") as f:
            f.write(b"x")
    assert os.listdir(tmp_path) == ["state"] or os.listdir(tmp_path) == []


WRITER = textwrap.dedent("""
    import sys
    from desktop.engine.atomic_file import atomic_write
    with atomic_write(sys.argv[1]) as f:
        f.write(b"half of it")
        f.flush()
        print("writing", flush=True)
        sys.stdin.read()  # until killed
""")


def killed_writer(target) -> str:
    """A writer process killed (SIGKILL) in the middle of writing *target*; returns its part's path."""
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "writing\n"
        [part] = parts(os.path.dirname(target))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdin.close()
        proc.stdout.close()
    return os.path.join(os.path.dirname(target), part)


def test_clean_up_deletes_the_parts_of_killed_writers_and_nothing_else(tmp_path):
    target = tmp_path / "backup.tar"
    target.write_bytes(b"the old one")
    part = killed_writer(target)
    assert os.path.exists(part)  # what a kill leaves beside the user's files

    # a live writer's part, and journal entries naming files that are not parts, stay
    with atomic_write(tmp_path / "live.log") as live:
        [live_part] = [p for p in parts(tmp_path) if "live.log" in p]
        precious = tmp_path / "precious.txt"
        precious.write_text("mine")
        forged = os.path.join(journal_folder(), "999999-deadbeef.json")
        with open(forged, "w") as f:
            f.write('{"part": "%s", "pid": 999999, "started": null}' % precious)
        with open(os.path.join(journal_folder(), "torn.json"), "w") as f:
            f.write('{"part": ')  # half written: left alone

        assert clean_leftovers() == [part]
        assert not os.path.exists(part) and os.path.exists(tmp_path / live_part)
        assert precious.read_text() == "mine" and target.read_bytes() == b"the old one"
        assert not os.path.exists(forged)  # its writer is gone: the entry goes, the file it names stays
        live.write(b"done")
    assert (tmp_path / "live.log").read_bytes() == b"done"
    assert sorted(os.listdir(journal_folder())) == ["torn.json"]
    assert clean_leftovers() == []


def test_a_reused_pid_does_not_keep_a_leftover(tmp_path, monkeypatch):
    target = tmp_path / "x.tar"
    file, temp = atomic_file.open_part(str(target))
    file.close()
    # as if this process had died and another had got its pid: the start time differs
    monkeypatch.setattr(atomic_file, "_process_start", lambda pid: "1")
    assert clean_leftovers() == [temp]
    assert parts(tmp_path) == []


def test_no_journal_folder_is_no_error(tmp_path):
    assert not os.path.exists(journal_folder())
    assert clean_leftovers() == []
