"""Screenshot of the real tray showing Claude Code's official 5-hour and weekly figures.

    python -m scripts.screenshot_official     (also run by scripts/screenshots.py)

Starts the private test desktop, feeds a recorded status-line input through the real
`token-monitor statusline`, starts the real tray on a small history, opens its menu and
saves assets/screenshots/official-limits.png (the icon shows the fuller weekly window).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.builders import assistant, write_jsonl
from tests.ui.desktop import Desktop, Window, start_desktop

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "assets" / "screenshots" / "official-limits.png"
SESSION = "0b6c3a52-7d0e-4b9e-9d7a-2f1e0c9a8b11"


def _line(msg: str, tokens: int, ts: float) -> dict[str, object]:
    out = assistant(msg, 1, input_tokens=tokens - 1, session=SESSION, cwd="/home/u/webapp")
    out["timestamp"] = datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
    return out


def _icon(desk: Desktop) -> Window:
    tray = desk.tray

    def docked(w: Window) -> bool:
        inside = tray.x <= w.x < tray.x + tray.width and tray.y <= w.y < tray.y + tray.height
        return inside and w.id != tray.id and w.wm_class != "" and w.width > 8

    window = desk.wait_window(docked, timeout=15)
    assert window is not None, "the icon never docked"
    return window


def capture(desk: Desktop, tmp: Path, out: Path = OUT) -> Path:
    """Run the status line and the tray, open the menu, save the crop."""
    now = time.time()
    data = tmp / "claude"
    lines = [_line("msg_old", 4_000_000, now - 30 * 3600)]
    lines += [_line(f"msg_{i}", 60_000, now - 5400 + i * 120) for i in range(40)]
    write_jsonl(data / "projects" / "-home-u-webapp" / f"{SESSION}.jsonl", lines)  # type: ignore[arg-type]
    env = {
        **desk.env,
        "HOME": str(tmp / "home"),
        "XDG_CONFIG_HOME": str(tmp / "home/.config"),
        "XDG_DATA_HOME": str(tmp / "data"),
        "TOKEN_MONITOR_DB": str(tmp / "state/l.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp / "config.yaml"),
        "PYTHONPATH": str(ROOT),
    }
    stdin = {
        "session_id": SESSION,
        "model": {"id": "claude-opus-4-5", "display_name": "Opus"},
        "cost": {"total_cost_usd": 3.17},
        "rate_limits": {
            "five_hour": {"used_percentage": 46, "resets_at": now + 7900},
            "seven_day": {"used_percentage": 83, "resets_at": now + 2.2 * 86400},
        },
    }
    subprocess.run(
        [sys.executable, "-m", "tray_app", "statusline"],
        input=json.dumps(stdin).encode(),
        env=env,
        check=True,
        capture_output=True,
    )
    time.sleep(61)  # the age reads "1 min ago"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "tray", "--data-dir", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        icon = _icon(desk)
        time.sleep(3)
        desk.click(*icon.center, button=3)
        time.sleep(1.2)
        menus = [w for w in desk.windows() if w.width > 100 and w.height > 100 and w.y > 0]
        boxes = [icon.box, *(w.box for w in menus)]
        shot = desk.screenshot()
        box = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        left, top = max(0, box[0] - 8), max(0, box[1] - 8)
        crop = shot.crop((left, top, min(shot.width, box[2] + 8), min(shot.height, box[3] + 8)))
        out.parent.mkdir(parents=True, exist_ok=True)
        crop.resize((crop.width * 2, crop.height * 2)).save(out)
        desk.key("Escape")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    print(f"wrote {os.path.relpath(out, ROOT)}")
    return out


def main() -> int:
    """One private desktop, one screenshot."""
    # No options, but --help must explain rather than overwrite the committed image.
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as t, start_desktop(Path(t) / "runtime") as desk:
        capture(desk, Path(t))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
