"""Token Monitor: Claude Code usage in the system tray."""

__version__ = "0.1.0"
