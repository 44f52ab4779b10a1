#!/usr/bin/env bash
# Build the PyInstaller one-dir app from this checkout (Linux and macOS; Windows: build.ps1).
#
#   scripts/build.sh               fresh venv in build/venv, then dist/token-monitor/ and
#                                  dist/token-monitor-<version>-linux-<arch>.tar.gz
#   scripts/build.sh --keep-venv   reuse build/venv if it exists (faster iteration)
#   BUILD_VENV=/path/venv scripts/build.sh   build with an existing venv that already has
#                                  the app and pyinstaller installed (nothing is installed)
#
# Linux needs binutils (objdump) and, for the tray menu, the build deps of PyGObject and
# dbus-python: scripts/system-deps.sh installs them. Then run scripts/check_build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
keep_venv=0
for arg in "$@"; do
  case $arg in
    --keep-venv) keep_venv=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

die() { echo "build: ERROR: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }

os=$(uname -s)
case $os in
  Linux) platform=linux ;;
  Darwin) platform=macos ;;
  *) die "unsupported system $os (on Windows use scripts/build.ps1)" ;;
esac
arch=$(uname -m)
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' tray_app/__init__.py)
[[ -n $version ]] || die "no __version__ in tray_app/__init__.py"

if [[ $platform == linux ]] && ! command -v objdump >/dev/null; then
  die "PyInstaller needs objdump on Linux: install binutils (scripts/system-deps.sh --test)"
fi

started=$(now)
if [[ -n ${BUILD_VENV:-} ]]; then
  venv=$BUILD_VENV
  [[ -x $venv/bin/pyinstaller ]] || die "BUILD_VENV=$venv has no pyinstaller"
  echo "build: using existing venv $venv (nothing installed)"
else
  venv=build/venv
  if [[ $keep_venv == 0 || ! -x $venv/bin/python ]]; then
    rm -rf "$venv"
    echo "build: creating $venv with $($python --version 2>&1)"
    "$python" -m venv "$venv"
  fi
  step=$(now)
  "$venv/bin/python" -m pip install -q --upgrade pip
  # Not editable: the build must see exactly what a user installs (package data included).
  packages=(. "pyinstaller>=6.10,<7")
  if [[ $platform == linux ]]; then
    # The GTK/AppIndicator menu and D-Bus notifications; both compile against system headers.
    packages+=("PyGObject<3.51" "dbus-python>=1.3")
  fi
  if ! "$venv/bin/python" -m pip install -q "${packages[@]}"; then
    die "pip install failed; on Debian/Ubuntu run scripts/system-deps.sh first"
  fi
  echo "build: venv ready in $(since "$step")"
fi
# Every tool and import below comes from the build venv, never from the caller's shell.
for name in pytest hypothesis mypy ruff importlinter; do
  if "$venv/bin/python" -c "import $name" 2>/dev/null; then
    echo "build: note: $name is installed in $venv; the spec excludes it from the bundle"
  fi
done

step=$(now)
rm -rf dist/token-monitor "dist/Token Monitor.app"
mkdir -p build
log=build/pyinstaller.log
if ! "$venv/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/token-monitor.spec >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  die "pyinstaller failed (full log: $log)"
fi
pyinstaller_time=$(since "$step")
# Known and harmless: typelibs bookworm's GLib does not have (GioUnix, ...), Ubuntu's legacy
# AppIndicator3, Windows DLLs named in plyer/pystray code, HarfBuzz's unused GObject bridge.
harmless='Failed to query GI module (GioUnix|GioWin32|GLibUnix|AppIndicator3) |Library (ole32|shell32|libharfbuzz-gobject[.]so[.]0) required via ctypes'
warnings=$(grep -E '^[0-9]+ (WARNING|ERROR):' "$log" | grep -Ev "$harmless" || true)
if [[ -n $warnings ]]; then
  echo "build: pyinstaller warnings (full log: $log):" >&2
  # shellcheck disable=SC2001
  sed -e 's/^/  /' <<<"$warnings" >&2
fi

app=dist/token-monitor
if [[ $platform == macos ]]; then
  bundle="dist/Token Monitor.app"
  [[ -x "$bundle/Contents/MacOS/token-monitor" ]] || die "no $bundle was built"
  out=$("$bundle/Contents/MacOS/token-monitor" --version) || die "the built app failed: --version"
  archive=dist/token-monitor-$version-macos-$arch.zip
  rm -f "$archive"
  ditto -c -k --keepParent "$bundle" "$archive"  # keeps the bundle's symlinks and attributes
  size=$(du -sk "$bundle" | cut -f1)
else
  [[ -x $app/token-monitor ]] || die "no $app/token-monitor was built"
  out=$("$app/token-monitor" --version) || die "the built app failed: --version"
  # Desktop integration for the user: a menu entry, its icon and an installer.
  cp packaging/token-monitor.desktop assets/token-monitor.png "$app/"
  install -m 0755 packaging/install-linux.sh "$app/install.sh"
  archive=dist/token-monitor-$version-linux-$arch.tar.gz
  rm -f "$archive"
  tar -C dist -czf "$archive" token-monitor
  size=$(du -sk "$app" | cut -f1)
fi
[[ $out == "token-monitor $version" ]] || die "--version printed '$out', expected 'token-monitor $version'"

echo "build: $out"
echo "build: pyinstaller $pyinstaller_time, total $(since "$started")"
echo "build: app dir   $(mb $((size * 1024)))  ${bundle:-$app}"
echo "build: archive   $(mb "$(wc -c < "$archive")")  $archive"
if [[ $platform == linux ]]; then echo "build: next: scripts/check_build.sh $app"; fi
