"""The real tray, over D-Bus: hostile names and paths reach the desktop cleaned.

A transcript's cwd and a name planted in the ledger (as an old version or another tool
could have stored it) carry a window-title escape, a screen clear, a carriage return, a
newline and a bidi override. A StatusNotifier host reads the tray's title and menu over
dbusmenu, as a panel would: no control character arrives, no header line is forged.
"""

from __future__ import annotations

import subprocess
import sys
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.builders import assistant, write_jsonl
from tests.ui.desktop import Desktop
from tests.ui.test_sni_display import DbusMenu, watcher  # noqa: F401 - the fixture
from tray_app.adapters.ledger import Ledger

pytestmark = pytest.mark.display
ROOT = str(Path(__file__).resolve().parents[2])
EVIL = "ok\x1b]0;pwned\x07\x1b[2J\rforged\nline\u202eevil"
SHOWN = "ok forged lineevil"
NAMED = "aaaa1111-0000-4000-8000-000000000001"
UNNAMED = "bbbb2222-0000-4000-8000-000000000002"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _line(msg: str, session: str, cwd: str, ts: float) -> dict[str, object]:
    out = assistant(msg, 10, session=session, cwd=cwd)
    out["timestamp"] = _iso(ts)
    return out


def _labels(nodes: list[dict[str, object]]) -> list[str]:
    out: list[str] = []
    for node in nodes:
        out.append(str(node["label"]))
        out.extend(_labels(node["children"]))  # type: ignore[arg-type]
    return out


def _unsafe(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n"]


def test_menu_and_title_show_cleaned_names(
    desktop: Desktop,
    watcher: Path,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    now = time.time()
    data = tmp_path / "claude"
    write_jsonl(data / "projects" / "p" / "a.jsonl", [_line("m1", NAMED, "/home/u/a", now - 120)])
    write_jsonl(
        data / "projects" / "p" / "b.jsonl", [_line("m2", UNNAMED, "/srv/" + EVIL, now - 60)]
    )
    env = {
        **desktop.env,
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "TOKEN_MONITOR_DB": str(tmp_path / "ledger.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp_path / "config.yaml"),
        "PYTHONPATH": ROOT,
    }
    cli = [sys.executable, "-m", "tray_app"]
    subprocess.run([*cli, "sessions", "--data-dir", str(data)], env=env, check=True, timeout=60)
    ledger = Ledger.open(tmp_path / "ledger.db")
    ledger.name_session(NAMED, "name" + EVIL)  # stored before names were checked
    ledger.close()
    proc = subprocess.Popen(
        [*cli, "tray", "--data-dir", str(data)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        host = DbusMenu(desktop, watcher)
        deadline = time.monotonic() + 20
        while True:
            labels = _labels(host.tree())
            if any(SHOWN in label for label in labels) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        title = str(host.props()["Title"])
        assert _unsafe(title) == [] and all(_unsafe(label) == [] for label in labels)
        assert not any(label.startswith(("forged", "line", "evil")) for label in labels)
        sessions = next(n for n in host.tree() if n["label"] == "Tracked session")
        assert _labels(sessions["children"]) == [  # type: ignore[arg-type]
            "Latest active (automatic)",
            f"{SHOWN} · bbbb2222 — 13 tok",
            f"name{SHOWN} — 13 tok",
        ]
        assert title.split("\n")[-1] == f"Session (auto): {SHOWN} · bbbb2222 · 13 tok · $0.00"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
