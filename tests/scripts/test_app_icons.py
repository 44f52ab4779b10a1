"""scripts/app_icons.py: the packaging icons, drawn by the tray's own gauge code."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from scripts.app_icons import write_app_icons
from tray_app.ui.icon import DEFAULT_COLORS

GREEN = DEFAULT_COLORS.levels[0]


def test_app_icons(tmp_path: Path) -> None:
    written = write_app_icons(tmp_path)
    png, runtime, ico = written
    assert written == [
        tmp_path / "assets" / "token-monitor.png",
        tmp_path / "tray_app" / "data" / "icon.png",
        tmp_path / "assets" / "token-monitor.ico",
    ]
    assert Image.open(png).size == (256, 256)
    assert runtime.read_bytes() == png.read_bytes()
    with Image.open(ico) as img:
        assert {(16, 16), (32, 32), (256, 256)} <= set(img.info["sizes"])
        img.size = (16, 16)  # type: ignore[misc]
        raw = img.convert("RGBA").tobytes()
        assert bytes(GREEN) in {raw[i : i + 4] for i in range(0, len(raw), 4)}
