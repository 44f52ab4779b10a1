"""PyInstaller entry point: the frozen `token-monitor` is exactly the console script."""

import sys

from tray_app.launcher import main

if __name__ == "__main__":
    sys.exit(main())
