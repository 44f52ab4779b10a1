"""Run the CLI with `python -m tray_app`."""

from tray_app.cli.main import main

raise SystemExit(main())
