"""What goes into Berth's PyInstaller bundle: which Qt modules, plugins and libraries, and which
shared libraries are left to the Debian package's Depends. Used by packaging/berth.spec and
checked by tests/test_packaging.py without running PyInstaller.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_QT = {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtNetwork"}


# --- Qt modules: what desktop/ imports, plus what it needs without importing ----------------------
def installed_qt_modules() -> list[str]:
    import PySide6

    folder = Path(next(iter(PySide6.__path__)))
    return sorted({p.name.split(".")[0] for p in folder.glob("Qt*.*") if p.suffix in (".so", ".pyd")})
IMPORT_RE = re.compile(r"(?:from|import)\s+PySide6\.(Qt\w+)|from\s+PySide6\s+import\s+([\w ,()]+)")


def imported_qt_modules() -> set[str]:
    found = set()
    for source in (ROOT / "desktop").rglob("*.py"):
        for dotted, listed in IMPORT_RE.findall(source.read_text(encoding="utf-8")):
            if dotted:
                found.add(dotted)
            found.update(n for n in re.split(r"[\s,()]+", listed) if n.startswith("Qt"))
    return found


def kept_qt_modules() -> set[str]:
    """QtSvg: Qt draws the SVG icons through plugins that load libQt6Svg (blank icons without it).
    QtNetwork: QLocalServer for the single instance. Plus whatever desktop/ imports."""
    return BASE_QT | imported_qt_modules()


def excluded_qt_modules() -> list[str]:
    keep = kept_qt_modules()
    return [f"PySide6.{m}" for m in installed_qt_modules() if m not in keep]

# --- Qt plugins Berth can use (plugin folder -> allowed file stems; None = the whole folder) ------
PLUGINS = {
    "platforms": {"qxcb", "qwayland", "qoffscreen", "qminimal", "qwindows", "qcocoa", "qdirect2d"},
    "platformthemes": None,          # GTK / portal file dialogs and colours
    "platforminputcontexts": {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"},
    "xcbglintegrations": None,
    "wayland-decoration-client": None,
    "wayland-shell-integration": {"xdg-shell"},
    "wayland-graphics-integration-client": {"qt-plugin-wayland-egl"},
    "iconengines": {"qsvgicon"},
    "imageformats": {"qsvg"},
    "styles": None,                  # the native Windows/macOS styles
    "accessiblebridge": None,
}
PLUGIN_RE = re.compile(r"[/\\]plugins[/\\]([^/\\]+(?:[/\\]darwin)?)[/\\](?:lib)?([^/\\.]+)[^/\\]*$")
# libQt6Pdf.so.6, Qt6Pdf.dll, QtPdf.framework/Versions/A/QtPdf -> "Pdf"
QT_LIB_RE = re.compile(r"^(?:lib)?Qt6?([A-Za-z0-9]+?)(?:\.so[.\d]*|\.dll|\.dylib)?$")


def plugin_wanted(dest: str) -> bool:
    match = PLUGIN_RE.search(dest)
    if not match:
        return True
    folder, stem = match.group(1).replace("\\", "/"), match.group(2)
    if folder == "platforms/darwin":
        return True
    if folder not in PLUGINS:
        return False
    allowed = PLUGINS[folder]
    return allowed is None or stem in allowed or stem.rstrip("d") in allowed


def qt_lib_name(path: str) -> str | None:
    name = os.path.basename(path)
    if "site-packages" in name:
        return None
    match = QT_LIB_RE.match(name)
    return match.group(1) if match else None


def prune_qt_libs(binaries):
    """Drop Qt libraries that nothing remaining links against (directly or through Qt libs)."""
    from PyInstaller.depend import bindepend

    qt_libs = {qt_lib_name(dest): (dest, src) for dest, src, _ in binaries
               if "PySide6" in dest and qt_lib_name(dest)}
    needed: set[str] = set()
    pending = [src for dest, src, _ in binaries if qt_lib_name(dest) is None or "PySide6" not in dest]
    seen = set()
    while pending:
        path = pending.pop()
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        try:
            imports = bindepend.get_imports(path)
        except Exception:  # an unreadable file cannot link against anything we would drop
            continue
        for name, _full in imports:
            lib = qt_lib_name(name)
            if lib and lib in qt_libs and lib not in needed:
                needed.add(lib)
                pending.append(qt_libs[lib][1])
    dropped = sorted(set(qt_libs) - needed)
    print(f"berth.spec: Qt libraries not linked by anything kept, left out: {', '.join(dropped) or 'none'}")
    return [entry for entry in binaries if entry[2] == "SYMLINK" or "PySide6" not in entry[0]
            or qt_lib_name(entry[0]) not in dropped]


def system_owned(paths: list[str]) -> set[str]:
    """The files among *paths* that a Debian package installed (``dpkg -S`` knows them)."""
    if not paths or subprocess.run(["sh", "-c", "command -v dpkg-query"], capture_output=True).returncode:
        return set()
    # dpkg records a file under the path its package shipped, which with merged /usr may be the
    # /lib/... or the /usr/lib/... spelling: ask for every spelling.
    spellings = {}
    for path in paths:
        real = os.path.realpath(path)
        for form in (path, real, re.sub(r"^/usr/", "/", real), re.sub(r"^/(lib|lib64)/", r"/usr/\1/", real)):
            spellings[form] = path
    found = subprocess.run(["dpkg-query", "-S", *spellings], capture_output=True, text=True).stdout
    owned = set()
    for line in found.splitlines():
        _pkg, _, path = line.partition(": ")
        if path in spellings:
            owned.add(spellings[path])
    return owned


def unbundle_system_libs(binaries):
    """Linux: libraries that came from Debian packages are left to the package manager.

    The .deb then lists those packages in Depends (packaging/linux/build_deb.py computes them with
    dpkg-shlibdeps), so the system's own, security-updated copies are used and the bundle is
    smaller. BERTH_BUNDLE_SYSTEM_LIBS=1 keeps them, for a bundle meant to run without a package.
    """
    if not sys.platform.startswith("linux") or os.environ.get("BERTH_BUNDLE_SYSTEM_LIBS") == "1":
        return binaries
    # libpython stays whatever its origin: PyInstaller's bootloader loads it from the bundle by path
    candidates = [src for dest, src, kind in binaries
                  if kind == "BINARY" and not os.path.basename(dest).startswith("libpython")
                  and os.path.realpath(src).startswith(("/lib/", "/usr/lib/", "/lib64/"))]
    owned = system_owned(candidates)
    print(f"berth.spec: {len(owned)} system libraries left to the package's Depends")
    return [entry for entry in binaries if entry[1] not in owned]


def drop_dangling_symlinks(*tocs):
    """PyInstaller links shared libraries into the top folder (as SYMLINK entries, found in datas
    too); a link to a library left out above would be left dangling."""
    kept = {dest for toc in tocs for dest, _src, kind in toc if kind != "SYMLINK"}
    return [[(dest, src, kind) for dest, src, kind in toc
             if kind != "SYMLINK" or os.path.normpath(os.path.join(os.path.dirname(dest), src)) in kept]
            for toc in tocs]
