#!/usr/bin/env bash
# Install the unpacked Token Monitor for this user (shipped in the tarball as install.sh):
#   ./install.sh              copy to ~/.local/opt/token-monitor, link ~/.local/bin/token-monitor,
#                             add the menu entry and icon
#   ./install.sh --uninstall  remove all of that (autostart: `token-monitor autostart disable`)
# PREFIX=/some/dir changes ~/.local. No root needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
data=${XDG_DATA_HOME:-$prefix/share}
dest=$prefix/opt/token-monitor
bin=$prefix/bin/token-monitor
desktop=$data/applications/token-monitor.desktop
icon=$data/icons/hicolor/256x256/apps/token-monitor.png

if [[ ${1:-} == --uninstall ]]; then
  if [[ -x $bin ]]; then "$bin" autostart disable >/dev/null 2>&1 || true; fi
  rm -rf "$dest"
  rm -f "$bin" "$desktop" "$icon"
  echo "token-monitor: uninstalled from $prefix"
  exit 0
fi
[[ -x $here/token-monitor && -d $here/_internal ]] || {
  echo "install: run me from the unpacked token-monitor folder" >&2
  exit 1
}
mkdir -p "$prefix/opt" "$prefix/bin" "$(dirname "$desktop")" "$(dirname "$icon")"
if [[ $here != "$dest" ]]; then
  rm -rf "$dest.new"
  cp -a "$here" "$dest.new"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
fi
ln -sfn "$dest/token-monitor" "$bin"
install -m 0644 "$dest/token-monitor.png" "$icon"
# The menu entry needs an absolute Exec: ~/.local/bin is not on every session's PATH.
exe=$dest/token-monitor
exec_value=$exe
[[ $exe == *[[:space:]]* ]] && exec_value="\"$exe\""  # Desktop Entry quoting
awk -v exec_value="$exec_value" -v exe="$exe" '
  /^Exec=/ { print "Exec=" exec_value; next }
  /^TryExec=/ { print "TryExec=" exe; next }
  { print }' "$dest/token-monitor.desktop" >"$desktop"
chmod 0644 "$desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$(dirname "$desktop")" || true
echo "token-monitor: installed in $dest"
echo "  start it from the application menu or run: $bin"
echo "  start at login: $bin autostart enable"
