"""Write the packaging icons from the tray's own gauge drawing (not part of the app).

    python -m scripts.app_icons        (also: python -m scripts.screenshots --app-icons)

Writes assets/token-monitor.png (256 px), assets/token-monitor.ico (16–256 px) and the
runtime copy tray_app/data/icon.png that notifications show.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

from tray_app.ui.icon import Gauge, draw_gauge

ROOT = Path(__file__).resolve().parents[1]


def write_app_icons(root: Path) -> list[Path]:
    """Write the packaging icons (assets/*.png, *.ico) and the runtime copy in tray_app/data."""
    logo = Gauge("active", 0.62, 0, "tok")
    # Large sizes are supersampled so the rounded corners are smooth; small ones stay crisp.
    big = draw_gauge(logo, 1024).resize((256, 256), Image.Resampling.LANCZOS)
    targets = [root / "assets" / "token-monitor.png", root / "tray_app" / "data" / "icon.png"]
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        big.save(path, "PNG", optimize=True)
    ico = root / "assets" / "token-monitor.ico"
    # Each ICO entry is drawn at its own size instead of letting pillow shrink the 256 px one.
    frames = [draw_gauge(logo, px) for px in (16, 24, 32, 48, 64)]
    frames.append(draw_gauge(logo, 512).resize((128, 128), Image.Resampling.LANCZOS))
    big.save(ico, "ICO", sizes=[(256, 256)] + [f.size for f in frames], append_images=frames)
    return [*targets, ico]


def main() -> int:
    """Rewrite the icons in this checkout."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    for path in write_app_icons(ROOT):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
