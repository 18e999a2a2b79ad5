"""Build Berth's Debian package in one step: the PyInstaller bundle, then a .deb around it.

    python packaging/build_deb.py [--reuse-bundle] [--compression xz|zstd|gzip] [--out DIR]

(`scripts/build-deb` installs what this needs and runs it.) The package installs:

    /opt/berth/                       the one-folder bundle (berth + _internal/)
    /usr/bin/berth                    a symlink to /opt/berth/berth
    /usr/share/applications/io.github.berth.Berth.desktop
    /usr/share/metainfo/io.github.berth.Berth.metainfo.xml
    /usr/share/icons/hicolor/<size>/apps/io.github.berth.Berth.{png,svg}
    /usr/share/doc/berth/copyright

Depends: what dpkg-shlibdeps finds the bundle's ELF files linking against on this system (the
spec leaves Debian-packaged libraries out of the bundle), plus Qt's run-time needs that no ELF
file names because Qt loads them itself (scripts/lib.sh QT_RUNTIME_PACKAGES: xcb-cursor, GL/EGL,
a font). The GTK platform theme plugin is left out of that scan: it is used when GTK is there and
skipped quietly when it is not, so GTK is no dependency.

It prints the bundle and package sizes and how long each step took, and writes them to
build/deb/summary.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "packaging" / "linux"
DIST = ROOT / "dist"
WORK = ROOT / "build"
sys.path.insert(0, str(ROOT))

from desktop import APP_ID, __version__  # noqa: E402

COMPRESSION_LEVELS = {"xz": "6", "zstd": "3", "gzip": "9"}  # see packaging/README.md
NOT_DEPENDENCIES = ("libqgtk3.so",)  # optional plugins whose libraries are no dependency


class BuildError(Exception):
    pass


def _mb(size: int) -> float:
    return size / 1_000_000


def tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total


def qt_runtime_packages(lib_sh: Path = ROOT / "scripts" / "lib.sh") -> list[str]:
    """The QT_RUNTIME_PACKAGES array of scripts/lib.sh, so the two lists cannot drift apart."""
    match = re.search(r"QT_RUNTIME_PACKAGES=\(([^)]*)\)", lib_sh.read_text(encoding="utf-8"))
    if not match:
        raise BuildError(f"QT_RUNTIME_PACKAGES not found in {lib_sh}")
    return match.group(1).split()


def build_bundle(dist: Path = DIST, work: Path = WORK / "pyinstaller") -> float:
    """Run PyInstaller on packaging/berth.spec; returns the seconds it took."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
                             "--distpath", str(dist), "--workpath", str(work), str(ROOT / "packaging" / "berth.spec")],
                            cwd=ROOT)
    if result.returncode:
        raise BuildError(f"PyInstaller failed (exit {result.returncode}); its messages are above")
    return time.perf_counter() - start


def _is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def stage(bundle: Path, icons: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / "opt" / "berth", symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    os.symlink("/opt/berth/berth", root / "usr" / "bin" / "berth")
    share = root / "usr" / "share"
    for folder, name in (("applications", f"{APP_ID}.desktop"), ("metainfo", f"{APP_ID}.metainfo.xml")):
        (share / folder).mkdir(parents=True)
        shutil.copyfile(LINUX / name, share / folder / name)
    shutil.copytree(icons / "hicolor", share / "icons" / "hicolor")
    doc = share / "doc" / "berth"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: Berth\n\nFiles: *\nCopyright: The Berth developers\nLicense: MIT\n"
        "\nFiles: opt/berth/_internal/PySide6/* opt/berth/_internal/shiboken6/*\n"
        "Copyright: The Qt Company Ltd. and other contributors\nLicense: LGPL-3.0-only\n", encoding="utf-8")
    for dirpath, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(dirpath, name), 0o755)
        for name in files:
            full = os.path.join(dirpath, name)
            if not os.path.islink(full):
                os.chmod(full, 0o755 if os.access(full, os.X_OK) or _is_elf(Path(full)) else 0o644)


def shlib_depends(root: Path) -> list[str]:
    """dpkg-shlibdeps over every ELF file of the staged package: the packages (with minimum
    versions) providing the system libraries they link against."""
    elves = [p for p in (root / "opt").rglob("*") if p.is_file() and not p.is_symlink()
             and p.name not in NOT_DEPENDENCIES and _is_elf(p)]
    (root / "DEBIAN").mkdir(exist_ok=True)  # dpkg-shlibdeps knows the package's own files by it
    with tempfile.TemporaryDirectory() as scratch:
        os.mkdir(os.path.join(scratch, "debian"))
        Path(scratch, "debian", "control").write_text("Source: berth\n\nPackage: berth\nArchitecture: any\n")
        result = subprocess.run(["dpkg-shlibdeps", "-O", "--warnings=0", *(f"-e{p}" for p in elves)],
                                cwd=scratch, capture_output=True, text=True)
    if result.returncode:
        errors = "\n".join(line for line in result.stderr.splitlines() if "error" in line)
        raise BuildError(f"dpkg-shlibdeps could not work out the dependencies:\n{errors}\n"
                         "Install the missing libraries (scripts/build-deb does it as root) and build again.")
    match = re.search(r"^shlibs:Depends=(.*)$", result.stdout, re.M)
    return [d.strip() for d in match.group(1).split(",")] if match else []


def merge_depends(found: list[str], extra: list[str]) -> list[str]:
    named = {re.split(r"[\s(|]", d, maxsplit=1)[0] for d in found}
    return found + [pkg for pkg in extra if pkg not in named]


def write_control(root: Path, depends: list[str]) -> None:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    installed_kb = (tree_size(root) + 1023) // 1024
    control = (LINUX / "control.in").read_text(encoding="utf-8")
    for key, value in (("VERSION", __version__), ("ARCH", arch), ("INSTALLED_SIZE", str(installed_kb)),
                       ("DEPENDS", ", ".join(depends))):
        control = control.replace(f"@{key}@", value)
    debian = root / "DEBIAN"
    debian.mkdir(exist_ok=True)
    (debian / "control").write_text(control, encoding="utf-8")
    # postinst only: a package with a postrm (or conffiles) stays in dpkg's database as
    # "config-files" after `dpkg -r` until purged; without one, removing leaves no trace. On removal
    # the desktop-file-utils and hicolor-icon-theme triggers refresh the caches by themselves.
    shutil.copyfile(LINUX / "postinst", debian / "postinst")
    os.chmod(debian / "postinst", 0o755)


def pack(root: Path, out: Path, compression: str) -> float:
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}",
                             f"-z{COMPRESSION_LEVELS[compression]}", "--build", str(root), str(out)],
                            capture_output=True, text=True)
    if result.returncode:
        raise BuildError(f"dpkg-deb failed: {result.stderr.strip()}")
    return time.perf_counter() - start


def deb_name() -> str:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    return f"berth_{__version__}_{arch}.deb"


def build(reuse_bundle: bool = False, compression: str = "xz", out_dir: Path = DIST, work: Path = WORK) -> dict:
    started = time.perf_counter()
    for tool in ("dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} is missing: install the Debian package dpkg-dev")
    bundle = out_dir / "berth"
    if reuse_bundle and (bundle / "berth").is_file():
        bundle_seconds = 0.0
    else:
        bundle_seconds = build_bundle(out_dir, work / "pyinstaller")
    icons = work / "icons"
    subprocess.run([sys.executable, str(ROOT / "packaging" / "icons.py"), str(icons)], check=True)
    root = work / "deb" / "root"
    stage(bundle, icons, root)
    start = time.perf_counter()
    depends = merge_depends(shlib_depends(root), qt_runtime_packages())
    depends_seconds = time.perf_counter() - start
    write_control(root, depends)
    deb = out_dir / deb_name()
    pack_seconds = pack(root, deb, compression)
    summary = {
        "version": __version__, "bundle": str(bundle), "deb": str(deb), "compression": compression,
        "bundle_bytes": tree_size(bundle), "deb_bytes": deb.stat().st_size,
        "bundle_seconds": round(bundle_seconds, 1), "depends_seconds": round(depends_seconds, 1),
        "pack_seconds": round(pack_seconds, 1), "total_seconds": round(time.perf_counter() - started, 1),
        "depends": depends,
    }
    (work / "deb" / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build-deb", description="Build Berth's PyInstaller bundle and .deb.")
    parser.add_argument("--reuse-bundle", action="store_true", help="package dist/berth as it is (no PyInstaller run)")
    parser.add_argument("--compression", choices=sorted(COMPRESSION_LEVELS), default="xz",
                        help="dpkg-deb compression (default xz: the smallest package; see packaging/README.md)")
    parser.add_argument("--out", type=Path, default=DIST, help="where the bundle and the .deb go (default dist/)")
    parser.add_argument("--work", type=Path, default=WORK, help="scratch folder (default build/)")
    args = parser.parse_args(argv)
    try:
        s = build(args.reuse_bundle, args.compression, args.out.resolve(), args.work.resolve())
    except BuildError as exc:
        print(f"build-deb: {exc}", file=sys.stderr)
        return 1
    print(f"build-deb: bundle  {s['bundle']}: {_mb(s['bundle_bytes']):.1f} MB "
          f"(PyInstaller {s['bundle_seconds']:.1f} s{', reused' if args.reuse_bundle and not s['bundle_seconds'] else ''})")
    print(f"build-deb: package {s['deb']}: {_mb(s['deb_bytes']):.1f} MB "
          f"({s['compression']}, dependencies {s['depends_seconds']:.1f} s, dpkg-deb {s['pack_seconds']:.1f} s)")
    print(f"build-deb: Depends: {', '.join(s['depends'])}")
    print(f"build-deb: done in {s['total_seconds']:.1f} s; install with: sudo apt install {s['deb']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
