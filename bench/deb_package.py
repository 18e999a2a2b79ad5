"""The Linux package: bundle and .deb sizes, build times per compression, and the bundled binary's
start to a populated window beside the same start from source.

Run as root: `.venv/bin/python bench/deb_package.py [--tags 1000] [--runs 5] [--reuse-bundle]`.
Builds with packaging/build_deb.py (PyInstaller must be installed: scripts/build-deb does it) and
starts its own isolated engine.
"""

from __future__ import annotations

import argparse
import os
import platform
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, IsolatedEngine, write_result

sys.path.insert(0, str(ROOT / "packaging"))
import build_deb  # noqa: E402


def cold_start(command: list[str], docker_host: str, runtime: str, timeout: float = 120) -> tuple[float, int]:
    """Seconds from spawning *command* (offscreen) to its image list being populated, and the rows."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BERTH_READY_FILE="-", XDG_RUNTIME_DIR=runtime)
    start = time.perf_counter()
    app = subprocess.Popen([*command, "-H", docker_host], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(app.stdout, selectors.EVENT_READ)
            while time.perf_counter() - start < timeout and sel.select(timeout):
                line = app.stdout.readline()
                if not line:
                    break
                if line.startswith("berth-ready"):
                    return time.perf_counter() - start, int(line.split()[1])
        raise RuntimeError(f"{command[0]} never reported a populated window")
    finally:
        app.terminate()
        app.communicate(timeout=30)


def mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tags", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse-bundle", action="store_true")
    args = parser.parse_args()

    summary = build_deb.build(reuse_bundle=args.reuse_bundle, compression="xz")
    root = build_deb.WORK / "deb" / "root"
    packs = {"xz": (summary["deb_bytes"], summary["pack_seconds"])}
    with tempfile.TemporaryDirectory() as scratch:
        for compression in ("zstd", "gzip"):
            out = Path(scratch) / f"berth.{compression}.deb"
            seconds = build_deb.pack(root, out, compression)
            packs[compression] = (out.stat().st_size, seconds)

    bundled = [summary["bundle"] + "/berth"]
    source = [sys.executable, "-m", "desktop"]
    with IsolatedEngine(registry=False) as engine, tempfile.TemporaryDirectory() as runtime:
        base = engine.build_busybox_image("bench/base:0")
        import docker

        client = docker.DockerClient(base_url=engine.docker_host)
        for i in range(args.tags - 1):
            client.api.tag(base, f"bench/app{i // 50}", f"v{i}")
        client.close()
        first_bundled = cold_start(bundled, engine.docker_host, runtime)[0]  # Python's .pyc cache is warm, the bundle's is not
        times = {"bundle": [], "source": []}
        rows = 0
        for _ in range(args.runs):  # alternate, so both see the same machine state
            seconds, rows = cold_start(bundled, engine.docker_host, runtime)
            times["bundle"].append(seconds)
            times["source"].append(cold_start(source, engine.docker_host, runtime)[0])
    bundle_start = statistics.median(times["bundle"])
    source_start = statistics.median(times["source"])

    level = build_deb.COMPRESSION_LEVELS
    import PySide6

    qt_version = PySide6.__version__
    text = f"""# The Linux package: sizes, build time, start-up

Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, PySide6 {qt_version}, PyInstaller
bundle of Berth {summary['version']}; numbers from `bench/deb_package.py` (goals from the packaging issue: bundle under
120 MB, .deb under 60 MB).

| measure | value |
| --- | --- |
| one-folder bundle (`dist/berth`) | {mb(summary['bundle_bytes'])} |
| PyInstaller build | {summary['bundle_seconds']:.1f} s |
| Depends from dpkg-shlibdeps | {summary['depends_seconds']:.1f} s |
| `.deb`, xz -{level['xz']} (what `scripts/build-deb` makes) | {mb(packs['xz'][0])} in {packs['xz'][1]:.1f} s |
| `.deb`, zstd -{level['zstd']} (`--compression zstd`) | {mb(packs['zstd'][0])} in {packs['zstd'][1]:.1f} s |
| `.deb`, gzip -{level['gzip']} | {mb(packs['gzip'][0])} in {packs['gzip'][1]:.1f} s |
| whole `build-deb` (bundle, Depends, xz package) | {summary['total_seconds']:.1f} s |

Start to a window whose image list is populated ({rows} rows, isolated engine, offscreen, new
process each time; median of {args.runs} alternating runs):

| start | seconds |
| --- | --- |
| bundled binary, first run after the build (its files still in the page cache) | {first_bundled:.3f} |
| bundled binary | {bundle_start:.3f} |
| from source (`python -m desktop`) | {source_start:.3f} |
| ratio bundle / source | {bundle_start / source_start:.2f}x |

xz is the default: the smallest package, readable by every dpkg. zstd at level 3 packs in well under
a second and is the quick choice while iterating (`scripts/build-deb --compression zstd`); such
packages need dpkg 1.21.18 or newer (Debian 12, Ubuntu 21.10 and later).
"""
    path = write_result("packaging", text)
    print(text)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
