"""Run Token Monitor with `python -m tray_app` (same as the `token-monitor` command)."""

from tray_app.launcher import main

raise SystemExit(main())
