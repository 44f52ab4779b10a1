"""The PyInstaller spec bundles every file of the dashboard where tray_app.web.api looks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.packaging.test_packaging import only, run_spec
from tray_app.web.api import STATIC


def test_static_files_are_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    datas = only(run_spec(monkeypatch), "Analysis").kwargs["datas"]
    bundled = {(Path(src).name, dest) for src, dest in datas}
    shipped = {(f.name, f.parent.relative_to(STATIC.parents[2]).as_posix())
               for f in STATIC.rglob("*") if f.is_file()}  # fmt: skip
    assert ("uPlot.iife.min.js", "tray_app/web/static/vendor") in shipped
    assert ("uPlot.LICENSE", "tray_app/web/static/vendor") in shipped
    assert ("index.html", "tray_app/web/static") in shipped
    assert shipped <= bundled
