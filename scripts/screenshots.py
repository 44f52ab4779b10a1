"""Write README screenshots of the real tray into assets/screenshots/ (needs Xvfb etc.).

    python -m scripts.screenshots [--app-icons]

Starts the same private desktop the display tests use (Xvfb, D-Bus, dunst, trayer), runs
the tray in its own process, and saves, cropped and scaled 2×:
  tray.png      the icon docked in the tray at 63 %
  menu.png      the open right-click menu
  sessions.png  the "Tracked session" submenu
  rename.png    the rename dialog
  states.png    every icon look at 16/22/32/64 px (rendered, not captured)
  official-limits.png  the real tray with Claude Code's official 5-hour and weekly figures
With --app-icons it also rewrites assets/token-monitor.{png,ico} and tray_app/data/icon.png.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from scripts import screenshot_official
from scripts.app_icons import write_app_icons
from tests.ui.desktop import Desktop, Window, start_desktop
from tests.ui.factories import idle, snapshot
from tests.ui.tray_process import TrayProcess
from tray_app.ui.icon import render_icon

ROOT = Path(__file__).resolve().parents[1]

OUT = ROOT / "assets" / "screenshots"
MARGIN = 8


def save(img: Image.Image, box: tuple[int, int, int, int], name: str, margin: int = MARGIN) -> Path:
    """Crop `box` (plus a margin, clipped to the screen), scale 2× without blur, save."""
    x0, y0, x1, y1 = box
    left, top = max(0, x0 - margin), max(0, y0 - margin)
    crop = img.crop((left, top, min(img.width, x1 + margin), min(img.height, y1 + margin)))
    path = OUT / name
    crop.resize((crop.width * 2, crop.height * 2), Image.Resampling.NEAREST).save(path)
    print(f"wrote {path.relative_to(ROOT)} {crop.width * 2}x{crop.height * 2}")
    return path


def union(*windows: Window) -> tuple[int, int, int, int]:
    """The box around all `windows`."""
    return (
        min(w.x for w in windows),
        min(w.y for w in windows),
        max(w.x + w.width for w in windows),
        max(w.y + w.height for w in windows),
    )


def capture(desk: Desktop, workdir: Path) -> None:
    """Drive a tray through the menu, submenu and dialog, saving each view."""
    tray = TrayProcess(desk, workdir)
    try:
        tray.send(pct=63)
        time.sleep(0.8)
        icon = tray.icon()
        panel = desk.tray
        save(desk.screenshot(), panel.box, "tray.png", margin=0)
        desk.click(*icon.center, button=3)
        menu = tray.wait_popups(1)[0]
        time.sleep(0.5)
        save(desk.screenshot(), union(menu, icon), "menu.png")
        desk.key("Down", "Right")
        sub = tray.wait_popups(2)[1]
        time.sleep(0.5)
        save(desk.screenshot(), union(menu, sub, icon), "sessions.png")
        desk.key("Escape", "Escape", "Escape")
        time.sleep(0.3)
        desk.click(*icon.center, button=3)
        tray.wait_popups(1)
        time.sleep(0.3)
        desk.key("Down", "Down", "Return")
        dialog = desk.wait_window(lambda w: w.name == "Rename tracked session")
        assert dialog is not None
        time.sleep(0.5)
        save(desk.screenshot(), dialog.box, "rename.png")
        desk.key("Escape")
    finally:
        tray.close()


def states() -> None:
    """A grid of every icon look at the common tray sizes."""
    looks = [
        ("starting", None),
        ("no data", snapshot(status="no_data")),
        ("error", snapshot(status="error", error="unreadable")),
        ("idle", idle()),
        ("30 %", snapshot(30)),
        ("60 %", snapshot(60)),
        ("85 %", snapshot(85)),
        ("97 %", snapshot(97)),
        ("110 %", snapshot(110)),
    ]
    sizes, label_w, gap = (16, 22, 32, 64), 70, 12
    width = label_w + sum(sizes) + gap * (len(sizes) + 1)
    sheet = Image.new("RGBA", (width, len(looks) * (64 + gap) + gap), (236, 239, 241, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=13)
    for row, (label, snap) in enumerate(looks):
        y = gap + row * (64 + gap)
        draw.text((gap, y + 24), label, fill=(38, 50, 56, 255), font=font)
        x = label_w + gap
        for size in sizes:
            sheet.alpha_composite(render_icon(snap, size), (x, y + (64 - size) // 2))
            x += size + gap
    path = OUT / "states.png"
    sheet.resize((sheet.width * 2, sheet.height * 2), Image.Resampling.NEAREST).save(path)
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> int:
    """Capture everything; exit 1 when no private desktop can start."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app-icons", action="store_true", help="also rewrite the app icons")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.app_icons:
        for path in write_app_icons(ROOT):
            print(f"wrote {path.relative_to(ROOT)}")
    states()
    with tempfile.TemporaryDirectory() as tmp, start_desktop(Path(tmp) / "runtime") as desk:
        capture(desk, Path(tmp))
        screenshot_official.capture(desk, Path(tmp) / "official")  # official-limits.png
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
