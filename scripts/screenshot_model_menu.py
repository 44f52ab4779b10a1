"""Write assets/screenshots/model-menu.png: the tray's "Model for new sessions" submenu.

    python -m scripts.screenshot_model_menu

Same private desktop as scripts/screenshots.py; the tray runs tests.ui.model_tray_driver
against a throw-away Claude Code config dir whose settings.json says `"model": "sonnet"`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from scripts.screenshots import OUT, save, union
from tests.ui.desktop import start_desktop
from tests.ui.tray_process import TrayProcess

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Open the submenu and save it with the menu and the icon."""
    # No options, but --help must explain rather than overwrite the committed image.
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, start_desktop(Path(tmp) / "runtime") as desk:
        claude = Path(tmp) / "claude"
        claude.mkdir()
        (claude / "settings.json").write_text('{"model": "sonnet"}\n')
        (Path(tmp) / "config.yaml").write_text("model_profiles: {long: 'opus[1m]'}\n")
        env = {
            "CLAUDE_CONFIG_DIR": str(claude),
            "TOKEN_MONITOR_CONFIG": str(Path(tmp) / "config.yaml"),
            "TOKEN_MONITOR_DB": str(Path(tmp) / "ledger.sqlite3"),
        }
        tray = TrayProcess(desk, Path(tmp), module="tests.ui.model_tray_driver", extra_env=env)
        try:
            tray.send(pct=63)
            time.sleep(0.8)
            icon = tray.icon()
            desk.click(*icon.center, button=3)
            menu = tray.wait_popups(1)[0]
            time.sleep(0.3)
            desk.key("Down", "Down", "Down", "Down", "Right")
            sub = tray.wait_popups(2)[1]
            time.sleep(0.5)
            save(desk.screenshot(), union(menu, sub, icon), "model-menu.png")
            desk.key("Escape", "Escape", "Escape")
        finally:
            tray.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
