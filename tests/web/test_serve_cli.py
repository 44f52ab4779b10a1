"""`serve` and `dashboard` on the command line: what they print, refuse and serve."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.web.served import Served, environment, transcripts


def test_serve_with_the_dashboard_prints_both_urls(tmp_path: Path) -> None:
    data = transcripts(tmp_path / "data", sessions=1, models=("claude-opus-4-6",))
    served = Served(environment(tmp_path / "home"), "serve", "--dashboard", "--data-dir", str(data))
    try:
        assert served.proc.stdout is not None
        second = served.proc.stdout.readline().strip()
        assert served.url.startswith("http://127.0.0.1:")
        assert second.startswith(f"dashboard: {served.url}/") and second.endswith("/")
        with urllib.request.urlopen(second.split(" ", 1)[1], timeout=10) as page:
            assert b"Token Monitor" in page.read()
        with urllib.request.urlopen(served.url + "/metrics", timeout=10) as metrics:
            assert b"token_monitor_tokens_total" in metrics.read()
    finally:
        assert served.stop() == 0


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tray_app", *args],
                          env=environment(tmp_path / "home"), capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_refusals(tmp_path: Path) -> None:
    data = str(transcripts(tmp_path / "data", sessions=1, models=("claude-opus-4-6",)))
    public = _run(tmp_path, "serve", "--host", "0.0.0.0", "--dashboard", "--data-dir", data)
    assert public.returncode == 2 and public.stdout == ""
    assert "the dashboard is only served on 127.0.0.1" in public.stderr
    no_ledger = _run(tmp_path, "dashboard", "--no-ledger", "--no-browser", "--data-dir", data)
    assert no_ledger.returncode == 2 and "drop --no-ledger" in no_ledger.stderr


def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path) -> None:
    # It was exit 1 ("bind(): port must be 0-65535") after the engine had started.
    for port in ("99999", "-1"):
        done = _run(tmp_path, "serve", "--port", port)
        assert done.returncode == 2 and done.stdout == ""
        assert "--port: expected 0-65535" in done.stderr
