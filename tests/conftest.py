"""Shared fixtures; `desktop` is a private X display with a tray host, bus and notifier.

Use it from tests marked `@pytest.mark.display`:

    @pytest.mark.display
    def test_x(desktop: Desktop) -> None:
        subprocess.run([...], env=desktop.env)   # DISPLAY, private DBUS_SESSION_BUS_ADDRESS
        img = desktop.screenshot()

One Xvfb (free display via -displayfd), a private session bus started with DISPLAY already
in its environment, dunst as org.freedesktop.Notifications (the GTK tray backends need an
owner) and trayer as the XEmbed tray host serve the whole test session and are stopped
at its end. Missing programs skip the display tests with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ui.desktop import Desktop, DesktopUnavailable, start_desktop


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    """The shared private desktop (see the module docstring)."""
    try:
        with start_desktop(tmp_path_factory.mktemp("xdg-runtime")) as desk:
            yield desk
    except DesktopUnavailable as exc:
        pytest.skip(f"no private X desktop: {exc}")
