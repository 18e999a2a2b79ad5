"""`berth --version` and `--help` print and exit without a window (no display needed)."""

import os
import subprocess
import sys

from desktop import __version__


def run_berth(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, "-m", "desktop", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_version_prints_without_a_window():
    result = run_berth("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Berth {__version__}"


def test_help_lists_the_options():
    result = run_berth("--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: berth")
    assert "--host" in result.stdout and "DOCKER_HOST" in result.stdout


def test_bad_option_is_a_clear_error():
    result = run_berth("--no-such-option")
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-option" in result.stderr
