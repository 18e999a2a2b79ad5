# Shared by scripts/start and scripts/test: Debian packages and the project's virtualenv.
# shellcheck shell=bash

# Qt's runtime needs from the system (the PySide6 wheels carry Qt itself).
QT_RUNTIME_PACKAGES=(libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1
  libx11-xcb1 libxrender1 libxi6 fonts-dejavu-core)

missing_debs() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || printf '%s\n' "$pkg"
  done
}

ensure_debs() {
  command -v dpkg-query >/dev/null || { echo "berth: not a Debian-like system; install the equivalents of: $*" >&2; return 0; }
  local missing
  mapfile -t missing < <(missing_debs "$@")
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "berth: missing Debian packages: ${missing[*]}" >&2
    echo "berth: install them with: sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  echo "berth: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }
}

ensure_venv() {  # ensure_venv EXTRAS (e.g. "" or "[test]")
  local py=${PYTHON:-python3}
  if [[ ! -x .venv/bin/python ]]; then
    "$py" -m venv .venv 2>/dev/null || { ensure_debs python3-venv && "$py" -m venv .venv; }
  fi
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$1"
  # shiboken6 keeps its support modules in a zip it compiles from source at every start (35 ms
  # of Berth's first paint here); SBK_EMBED=0 is its own switch to lay them out as files, whose
  # bytecode Python then caches. Done once; a failure only costs that time.
  .venv/bin/python - <<'PY' 2>/dev/null || true
import importlib.util, os, pathlib, subprocess, sys
files = pathlib.Path(importlib.util.find_spec("shiboken6").origin).parent / "files.dir"
if not files.is_dir():
    subprocess.run([sys.executable, "-c", "import shiboken6"], env=dict(os.environ, SBK_EMBED="0"), check=True)
PY
}
