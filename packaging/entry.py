"""PyInstaller entry point: the frozen `token-monitor` is exactly the console script."""

import multiprocessing
import sys

from tray_app.launcher import main

if __name__ == "__main__":
    # A first scan reads files on several processes; in the tray (GUI threads) they are
    # spawned, and a spawned child of a frozen app must stop here instead of starting it.
    multiprocessing.freeze_support()
    sys.exit(main())
