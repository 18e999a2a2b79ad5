#!/usr/bin/env bash
# macOS: build dist/Berth.app with PyInstaller and wrap it in dist/Berth-<version>.dmg (a window
# with Berth.app beside a link to /Applications, the usual drag-to-install disk image).
# Run from anywhere on a Mac with Python 3.11+: packaging/macos/build-dmg.sh
# The app is signed ad hoc (runs on the machine that downloads it after the usual Gatekeeper
# prompt); signing with a Developer ID and notarizing need Apple credentials and are not done here.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0" 2>/dev/null || python3 -c 'import os,sys; print(os.path.realpath(sys.argv[1]))' "$0")")/../.."
[[ $(uname) == Darwin ]] || { echo "build-dmg: this builds a macOS disk image; run it on macOS" >&2; exit 1; }

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e . "pyinstaller>=6.10"
version=$(.venv/bin/python -c 'import desktop; print(desktop.__version__)')

.venv/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller packaging/berth.spec
app=dist/Berth.app
[[ -x $app/Contents/MacOS/berth ]] || { echo "build-dmg: $app was not built" >&2; exit 1; }
"$app/Contents/MacOS/berth" --version
codesign --force --deep --sign - "$app"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
dmg=dist/Berth-$version.dmg
rm -f "$dmg"
hdiutil create -volname "Berth $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$dmg"
echo "build-dmg: $dmg ($(du -h "$dmg" | cut -f1))"
