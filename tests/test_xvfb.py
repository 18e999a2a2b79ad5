"""Berth in a real X server (Qt's xcb platform under Xvfb), photographed from outside."""

import os
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.xvfb]


def _require(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        message = f"needs {', '.join(missing)} (Debian packages xvfb, imagemagick)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def xvfb():
    _require("Xvfb", "import", "identify")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = pipe.readline().strip()  # Xvfb writes the display number once it accepts clients
    assert display, "Xvfb did not start"
    yield f":{display}"
    proc.terminate()
    proc.wait(10)


def read_line_until(stream, prefix, timeout):
    """Lines the app printed until one starts with *prefix* (waits on the pipe, no polling)."""
    seen = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                break
            line = stream.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith(prefix):
                return line, seen
    return None, seen


def test_real_window_under_xvfb(tmp_path, xvfb, docker_engine, busybox_image):
    shot = tmp_path / "berth.png"
    env = dict(os.environ, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb", BERTH_READY_FILE="-",
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    app = subprocess.Popen([sys.executable, "-m", "desktop", "-H", docker_engine.docker_host], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line, seen = read_line_until(app.stdout, "berth-ready", timeout=60)
        assert line is not None, "Berth did not show a populated window under Xvfb:\n" + "".join(seen)
        assert int(line.split()[1]) > 0
        subprocess.run(["import", "-display", xvfb, "-window", "root", str(shot)], check=True, timeout=30)
    finally:
        app.terminate()
        output = app.communicate(timeout=15)[0]
    assert app.returncode in (0, -15), output
    width, height, colours = subprocess.run(["identify", "-format", "%w %h %k", str(shot)], capture_output=True,
                                            text=True, check=True).stdout.split()
    assert (width, height) == ("1280", "800")
    assert int(colours) > 50, "the screen is nearly one colour: nothing was drawn"
    keep = os.environ.get("BERTH_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "xvfb-main-window.png")
