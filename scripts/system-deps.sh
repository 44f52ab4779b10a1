#!/usr/bin/env bash
# System packages for the tray menu (PyGObject + AppIndicator/GTK typelibs) and D-Bus
# notifications (dbus-python) on Debian/Ubuntu. With --test also the real-display test
# tools (Xvfb, a tray host, xdotool, screenshots, a notification daemon), binutils for
# PyInstaller, prometheus (the metrics test) and chromium (the dashboard's browser tests).
# Without these the app still runs; `token-monitor doctor` says what is missing.
set -euo pipefail
packages=(libgirepository1.0-dev libcairo2-dev pkg-config libglib2.0-dev libdbus-1-dev gcc
          python3-dev gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(xvfb trayer xdotool imagemagick x11-utils dbus-daemon dbus-bin dunst
             libnotify-bin binutils desktop-file-utils prometheus chromium)
fi
if ! command -v apt-get >/dev/null; then
  echo "system-deps: not a Debian/Ubuntu system; install the equivalents of: ${packages[*]}" >&2
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "system-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
  --no-install-recommends "${missing[@]}"
