#!/usr/bin/env bash
# Post-build checks of the frozen Linux app, as a clean machine would run it:
#
#   scripts/check_build.sh dist/token-monitor
#
# The folder is copied to a temp dir outside the checkout and every run gets a minimal
# environment (env -i HOME=<temp> PATH=/usr/bin:/bin, no venv, no PYTHONPATH):
#   a. `--version` prints "token-monitor <version>" (and how fast)
#   b. `status --json` on the real fixtures gives the same totals as `python -m tray_app`
#   c. the tray icon docks in trayer under Xvfb + D-Bus + dunst; time to first icon;
#      screenshot in assets/screenshots/frozen-tray.png
#   d. `autostart enable|status --json|disable` writes and removes the XDG entry for this binary
#   e. no test/dev packages in the bundle; glibc the bundle needs
#   f. `serve --dashboard`: /metrics sums to the status totals; the dashboard page loads
# Environment: REF_PYTHON (python with tray_app installed, for b; default build/venv),
#   FIXTURE (dir for b), SCREENSHOT (path for c), ICON_TIMEOUT (s, default 20),
#   SKIP_TRAY=1 (skip c), KEEP_TMP=1 (keep the temp dir). Exit status 1 if any check fails.
set -euo pipefail

now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }
say() { echo "check: $*"; }
fail() { echo "check: FAIL: $*" >&2; }
tail_of() { [[ -s $1 ]] && sed -e 's/^/    | /' "$1" | tail -n "${2:-15}" >&2 || true; }

# ---------------------------------------------------------------------------------------
# (c), second half: runs inside `dbus-run-session`, so the bus lives exactly as long as
# this and dunst can be activated with the DISPLAY it was given.

in_session() {
  local tmp=$CHECK_TMP bin=$CHECK_BIN panel="" t0 elapsed
  pids=() app_pid=""  # globals: the EXIT trap runs after this function's locals are gone
  # shellcheck disable=SC2317,SC2329  # (the EXIT trap calls it)
  stop_all() {
    local p
    for p in ${app_pid:+$app_pid} "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
  }
  trap stop_all EXIT
  dunst >"$tmp/dunst.log" 2>&1 &
  pids+=($!)
  local deadline=$(($(now_ns) + 10000000000))
  until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.Notifications 2>/dev/null |
      grep -q true; do
    (($(now_ns) < deadline)) || { fail "dunst did not take the notification name"; return 1; }
    sleep 0.05
  done
  trayer --edge top --align right --widthtype pixel --width 200 --heighttype pixel \
    --height 32 --SetDockType true --transparent false --tint 0xdddddd --expand true \
    >"$tmp/trayer.log" 2>&1 &
  pids+=($!)
  deadline=$(($(now_ns) + 10000000000))
  until panel=$(xwininfo -root -tree | awk '/"panel": \("panel" "trayer"\)/ { print $1; exit }') &&
      [[ -n $panel ]]; do
    (($(now_ns) < deadline)) || { fail "trayer's panel did not appear"; return 1; }
    sleep 0.05
  done

  # Our icon: a window inside trayer's panel whose class names token-monitor (appindicator
  # uses the indicator id, gtk the program name, xorg "<name>SystemTrayIcon"), bigger than
  # a placeholder.
  icon_window() {
    { xwininfo -tree -id "$panel" 2>/dev/null || true; } | awk '
      tolower($0) ~ /: \(".*token-monitor.*"\)/ && match($0, /[0-9]+x[0-9]+[+-]/) {
        split(substr($0, RSTART, RLENGTH - 1), size, "x")
        if (size[1] + 0 > 8 && size[2] + 0 > 8) { print; exit }
      }'
  }
  local app_env=(HOME="$tmp/home" PATH=/usr/bin:/bin DISPLAY="$DISPLAY" NO_AT_BRIDGE=1
                 DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"
                 XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" TOKEN_MONITOR_DB="$tmp/tray.sqlite3")
  [[ -n ${CHECK_FIXTURE:-} ]] && app_env+=(CLAUDE_CONFIG_DIR="$CHECK_FIXTURE")
  t0=$(now_ns)
  env -i "${app_env[@]}" "$bin" >"$tmp/tray.log" 2>&1 &
  app_pid=$!
  local found="" timeout_ms=$((${ICON_TIMEOUT:-20} * 1000))
  while :; do
    found=$(icon_window)
    [[ -n $found ]] && break
    if ! kill -0 "$app_pid" 2>/dev/null; then
      local status=0
      wait "$app_pid" || status=$?
      app_pid=""
      fail "the app exited (status $status) before an icon appeared; its output:"
      tail_of "$tmp/tray.log"
      return 1
    fi
    if (($(ms_since "$t0") > timeout_ms)); then
      fail "no tray icon within ${ICON_TIMEOUT:-20} s; windows in the tray and the app's output:"
      xwininfo -tree -id "$panel" | sed -e 's/^/    | /' >&2
      tail_of "$tmp/tray.log"
      return 1
    fi
    sleep 0.02
  done
  elapsed=$(ms_since "$t0")
  echo "$elapsed" >"$tmp/icon-ms"
  say "icon window $(grep -oE '[0-9]+x[0-9]+[+-][0-9]+[+-][0-9]+ +[+-][0-9]+[+-][0-9]+' <<<"$found" |
                      awk '{ print $1, "at", $2 }')"
  sleep "${SETTLE:-1.5}"  # the first snapshot (fixture scan) and repaint
  if ! kill -0 "$app_pid" 2>/dev/null; then
    fail "the app died after showing its icon; its output:"
    tail_of "$tmp/tray.log"
    app_pid=""
    return 1
  fi
  # Open the menu (a right click on the icon) so that the screenshot shows it rendered by
  # the trimmed GTK; a missing menu is reported, not failed (the xorg backend has none).
  if command -v xdotool >/dev/null; then
    local x y w h menu=""
    read -r w h x y < <(echo "$found" | awk '{ match($0, /[0-9]+x[0-9]+[+-]/); split(substr($0, RSTART, RLENGTH - 1), s, "x");
                                               n = split($NF, p, "+"); print s[1], s[2], p[2], p[3] }')
    xdotool mousemove $((x + w / 2)) $((y + h / 2)) click 3 || true
    for _ in $(seq 50); do
      # a new top-level window of ours, menu-sized (the icon lives inside the panel)
      menu=$(xwininfo -root -children | awk 'tolower($0) ~ /: \(".*token-monitor.*"\)/ &&
               match($0, /[0-9]+x[0-9]+[+-]/) { split(substr($0, RSTART, RLENGTH - 1), s, "x");
               if (s[1] > 40 && s[2] > 16) { print; exit } }' || true)
      [[ -n $menu ]] && break
      sleep 0.1
    done
    if [[ -n $menu ]]; then
      echo "menu" >"$tmp/menu"
      sleep 0.3
    else
      say "note: no menu window appeared after a right click on the icon"
    fi
  fi
  mkdir -p "$(dirname "$CHECK_SHOT")"
  import -window root "$CHECK_SHOT" || { fail "screenshot failed"; return 1; }
  kill "$app_pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$app_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$app_pid" 2>/dev/null && { fail "the app ignored SIGTERM for 5 s"; kill -9 "$app_pid"; }
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
  return 0
}

if [[ ${1:-} == --in-session ]]; then
  in_session
  exit
fi

# ---------------------------------------------------------------------------------------

[[ $# -eq 1 && -d $1 ]] || {
  echo "usage: $0 DIST_DIR   (the one-dir build, e.g. dist/token-monitor)" >&2
  exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd)
dist=$(cd "$1" && pwd)
[[ -x $dist/token-monitor ]] || { fail "$dist/token-monitor is not an executable"; exit 1; }
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/tray_app/__init__.py")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/token-monitor-check.XXXXXX")
case $tmp/ in "$root"/*) fail "temp dir $tmp is inside the checkout; set TMPDIR"; exit 1 ;; esac
xvfb_pid=""
failed=()
cleanup() {
  [[ -n $xvfb_pid ]] && kill "$xvfb_pid" 2>/dev/null || true
  if [[ ${KEEP_TMP:-0} == 1 || ${#failed[@]} -gt 0 ]]; then
    say "temp files kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
cp -a "$dist" "$tmp/app"
bin=$tmp/app/token-monitor
mkdir -p "$tmp/home" "$tmp/run"
chmod 700 "$tmp/run"
# A clean machine: nothing but a home and the system PATH.
clean() { env -i HOME="$tmp/home" PATH=/usr/bin:/bin "$@"; }
say "testing a copy of $dist in $tmp/app"

ref_python=${REF_PYTHON:-}
if [[ -z $ref_python ]]; then
  for candidate in "$root/build/venv/bin/python" "$root/.venv/bin/python"; do
    [[ -x $candidate ]] && { ref_python=$candidate; break; }
  done
fi
fixture=${FIXTURE:-$root/../shared/fixtures/claude-code-real/spotter}
[[ -d $fixture ]] || fixture=/work/shared/fixtures/claude-code-real/spotter  # a clone elsewhere
[[ -d $fixture ]] && fixture=$(cd "$fixture" && pwd)
shot=${SCREENSHOT:-$root/assets/screenshots/frozen-tray.png}

check_version() {
  local out t0 times=() _
  for _ in 1 2 3; do
    t0=$(now_ns)
    out=$(clean "$bin" --version 2>"$tmp/version.err") || {
      fail "--version exited non-zero:"; tail_of "$tmp/version.err"; return 1; }
    times+=("$(ms_since "$t0")")
  done
  [[ $out == "token-monitor $version" ]] || {
    fail "--version printed '$out', expected 'token-monitor $version'"; return 1; }
  [[ ! -s $tmp/version.err ]] || { fail "--version wrote to stderr:"; tail_of "$tmp/version.err"; return 1; }
  say "a. '$out' in ${times[0]} ms (first), ${times[1]} / ${times[2]} ms (warm)"
}

check_status() {
  if [[ ! -d $fixture ]]; then
    say "b. SKIP: no fixtures at $fixture"
    return 0
  fi
  [[ -n $ref_python ]] || { fail "b. no reference python: set REF_PYTHON (a venv with the app)"; return 1; }
  (cd "$tmp" && clean TOKEN_MONITOR_DB="$tmp/frozen.sqlite3" \
      "$bin" status --json --data-dir "$fixture" >"$tmp/status-frozen.json" 2>"$tmp/status-frozen.err") || {
    fail "b. frozen 'status --json' failed:"; tail_of "$tmp/status-frozen.err"; return 1; }
  (cd "$tmp" && clean TOKEN_MONITOR_DB="$tmp/reference.sqlite3" \
      "$ref_python" -m tray_app status --json --data-dir "$fixture" >"$tmp/status-ref.json" 2>"$tmp/status-ref.err") || {
    fail "b. reference '$ref_python -m tray_app status --json' failed:"; tail_of "$tmp/status-ref.err"; return 1; }
  "$ref_python" - "$tmp/status-frozen.json" "$tmp/status-ref.json" <<'EOF' || return 1
import json, sys
frozen, ref = (json.load(open(p)) for p in sys.argv[1:3])
if frozen.get("totals") != ref.get("totals") or not ref.get("totals"):
    print("check: FAIL: b. totals differ\n  frozen:    %s\n  reference: %s"
          % (frozen.get("totals"), ref.get("totals")), file=sys.stderr)
    sys.exit(1)
t = ref["totals"]
print(f"check: b. same totals as python -m tray_app: {t['total_tokens']:,} tokens, "
      f"{t['responses']} responses, ${t['cost_usd']:.2f}")
EOF
}

check_tray() {
  if [[ ${SKIP_TRAY:-0} == 1 ]]; then say "c. SKIP (SKIP_TRAY=1)"; return 0; fi
  local tool missing=()
  for tool in Xvfb trayer dunst dbus-run-session dbus-send xwininfo import; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    fail "c. missing ${missing[*]}: run scripts/system-deps.sh --test (or SKIP_TRAY=1)"
    return 1
  fi
  Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
  xvfb_pid=$!
  local deadline=$(($(now_ns) + 10000000000))
  until [[ -s $tmp/display ]]; do
    if ! kill -0 "$xvfb_pid" 2>/dev/null || (($(now_ns) > deadline)); then
      fail "c. Xvfb did not start:"; tail_of "$tmp/xvfb.log"; return 1
    fi
    sleep 0.05
  done
  local display status=0
  display=":$(head -n1 "$tmp/display")"
  # DISPLAY goes in before dbus-run-session, so D-Bus-activated services see it too.
  # LC_ALL is for the X tools (xwininfo prints UTF-8 titles); the app gets its own env.
  env -i HOME="$tmp/home" PATH=/usr/bin:/bin LC_ALL=C.UTF-8 DISPLAY="$display" NO_AT_BRIDGE=1 \
    XDG_RUNTIME_DIR="$tmp/run" CHECK_TMP="$tmp" CHECK_BIN="$bin" CHECK_SHOT="$shot" \
    CHECK_FIXTURE="$([[ -d $fixture ]] && echo "$fixture")" ICON_TIMEOUT="${ICON_TIMEOUT:-20}" \
    dbus-run-session -- bash "$0" --in-session 2> >(grep -v "Failed to set fd limit" >&2) || status=$?
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
  xvfb_pid=""
  [[ $status == 0 ]] || return 1
  local menu="no menu seen"
  [[ -f $tmp/menu ]] && menu="menu opened"
  say "c. tray icon docked $(cat "$tmp/icon-ms") ms after start; $menu; screenshot: $shot"
}

check_autostart() {
  local entry=$tmp/home/.config/autostart/token-monitor.desktop out exec_line first
  out=$(clean "$bin" autostart enable 2>&1) || {
    fail "d. 'autostart enable' failed: $out"; return 1; }
  [[ -f $entry ]] || { fail "d. 'autostart enable' wrote no $entry (said: $out)"; return 1; }
  exec_line=$(sed -n 's/^Exec=//p' "$entry" | head -n1)
  if [[ $exec_line == \"* ]]; then first=${exec_line#\"}; first=${first%%\"*}; else first=${exec_line%% *}; fi
  [[ $(realpath -m "$first") == $(realpath "$bin") ]] || {
    fail "d. Exec=$exec_line does not start $bin"; return 1; }
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$entry" >"$tmp/validate.log" 2>&1 || {
      fail "d. desktop-file-validate rejects the entry:"; tail_of "$tmp/validate.log"; return 1; }
  fi
  out=$(clean "$bin" autostart status --json 2>&1) || {
    fail "d. 'autostart status --json' failed: $out"; return 1; }
  grep -Eq '"enabled": *true' <<<"$out" || {
    fail "d. 'autostart status --json' after enable does not say enabled: $out"; return 1; }
  out=$(clean "$bin" autostart disable 2>&1) || {
    fail "d. 'autostart disable' failed: $out"; return 1; }
  [[ ! -e $entry ]] || { fail "d. 'autostart disable' left $entry"; return 1; }
  out=$(clean "$bin" autostart status --json 2>&1) || true
  grep -Eq '"enabled": *false' <<<"$out" || {
    fail "d. 'autostart status --json' after disable does not say disabled: $out"; return 1; }
  say "d. autostart enable/status/disable: Exec=$exec_line"
}

check_contents() {
  local viewer="" listing bad
  [[ -n $ref_python && -x $(dirname "$ref_python")/pyi-archive_viewer ]] &&
    viewer=$(dirname "$ref_python")/pyi-archive_viewer
  if [[ -n $viewer ]]; then
    listing=$("$viewer" -r -b "$bin" 2>/dev/null) || { fail "e. cannot list $bin"; return 1; }
  else
    listing=""
  fi
  listing+=$'\n'$(cd "$tmp/app/_internal" && find . -maxdepth 1 -printf '%f\n')
  bad=$(grep -E -o '^ *(pytest|_pytest|hypothesis|mypy|ruff|importlinter|grimp|PyInstaller|pip|setuptools|tkinter|_tkinter)(\.|$| )' <<<"$listing" |
        sed -e 's/^ *//' -e 's/[. ]$//' | sort -u | tr '\n' ' ')
  [[ -z $bad ]] || { fail "e. test/dev modules in the bundle: $bad"; return 1; }
  local glibc="?"
  if command -v objdump >/dev/null; then
    glibc=$(find "$tmp/app" -type f \( -name '*.so*' -o -name token-monitor \) -exec objdump -T {} + 2>/dev/null |
            grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n1)
  fi
  say "e. no test/dev modules${viewer:+ (archive listed)}; needs ${glibc/_/ ≥ }; $(du -sh "$tmp/app" | cut -f1) on disk"
}

check_serve() {
  if [[ ! -d $fixture ]]; then say "f. SKIP: no fixtures at $fixture"; return 0; fi
  local pid url dash code metrics
  (cd "$tmp" && exec env -i HOME="$tmp/home" PATH=/usr/bin:/bin TOKEN_MONITOR_DB="$tmp/serve.sqlite3" \
      "$bin" serve --port 0 --dashboard --data-dir "$fixture" >"$tmp/serve.out" 2>"$tmp/serve.err") &
  pid=$!
  for _ in $(seq 200); do [[ $(wc -l <"$tmp/serve.out" 2>/dev/null || echo 0) -ge 2 ]] && break; sleep 0.05; done
  url=$(sed -n 1p "$tmp/serve.out")
  dash=$(sed -n 2p "$tmp/serve.out" | grep -o 'http[^ ]*' || true)
  if [[ $url != http://127.0.0.1:* || -z $dash ]]; then
    kill "$pid" 2>/dev/null || true
    fail "f. 'serve --dashboard' printed no URLs:"; tail_of "$tmp/serve.out"; tail_of "$tmp/serve.err"; return 1
  fi
  local sum=0 want=-1
  [[ -s $tmp/status-ref.json ]] &&
    want=$("$ref_python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["total_tokens"])' "$tmp/status-ref.json")
  # serve answers at once and counts in the background: scrape until the first scan is in.
  for _ in $(seq 100); do
    metrics=$(curl -fsS "$url/metrics" 2>&1) || { kill "$pid"; fail "f. GET /metrics failed: $metrics"; return 1; }
    sum=$(awk '/^token_monitor_tokens_total[{]/ { s += $NF } END { printf "%d", s }' <<<"$metrics")
    [[ $sum == "$want" || ($want == -1 && $sum -gt 0) ]] && break
    sleep 0.2
  done
  code=$(curl -s -o "$tmp/dashboard.html" -w '%{http_code}' "$dash") || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [[ $code == 200 ]] || { fail "f. the dashboard page answered $code"; return 1; }
  grep -qi 'uplot' "$tmp/dashboard.html" || { fail "f. the dashboard page does not load the bundled chart library"; return 1; }
  [[ -s $tmp/status-ref.json ]] || { say "f. /metrics and the dashboard answer (no reference totals to compare)"; return 0; }
  "$ref_python" - "$tmp/status-ref.json" "$sum" <<'EOF' || return 1
import json, sys
total = json.load(open(sys.argv[1]))["totals"]["total_tokens"]
if int(sys.argv[2]) != total:
    print(f"check: FAIL: f. /metrics tokens {sys.argv[2]} != status totals {total}", file=sys.stderr)
    sys.exit(1)
print(f"check: f. serve: /metrics sums to {total:,} tokens (= status --json); the dashboard page loads")
EOF
}

for check in check_version check_status check_tray check_autostart check_contents check_serve; do
  "$check" || failed+=("${check#check_}")
done
if [[ ${#failed[@]} -gt 0 ]]; then
  fail "${#failed[@]} check(s) failed: ${failed[*]}"
  exit 1
fi
say "all checks passed"
