"""A tray that cannot start leaves nothing behind (no display here: no X, no Wayland)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_no_display_exits_1_and_leaves_no_dashboard_fifo(tmp_path: Path) -> None:
    # The dashboard's request FIFO was made before the tray failed and stayed behind.
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")} | {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": "",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "TOKEN_MONITOR_DB": str(tmp_path / "data" / "token-monitor" / "ledger.sqlite3"),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "none.yaml"),
        "PYSTRAY_BACKEND": "xorg",
    }
    done = subprocess.run([sys.executable, "-m", "tray_app", "tray"], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "DISPLAY is not set" in done.stderr
    left = sorted(p.name for p in (tmp_path / "data" / "token-monitor").iterdir())
    assert "dashboard.request" not in left and "dashboard.url" not in left
