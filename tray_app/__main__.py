"""Run Token Monitor with `python -m tray_app` (same as the `token-monitor` command)."""

from tray_app.launcher import main

# Guarded: the tray's first scan spawns reader processes, which import this module again
# (as __mp_main__) and must not start a second app.
if __name__ == "__main__":
    raise SystemExit(main())
