"""Model-manager benchmark: one settings.json write, the layered read, `model` end to end.

    python -m scripts.bench_model [--runs 200]

Prints medians (and p95) in milliseconds for:
  set_key      one `model` change of a 60-key settings.json (temp file, fsync, rename,
               backup, concurrent-edit check), alternating two values so each run writes;
  read_layered managed + local + project + user files read and resolved for one folder;
  cli model    `token-monitor model --json` in a fresh process (interpreter start included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tray_app.adapters import model_store
from tray_app.adapters.claude_settings import set_key

ROOT = Path(__file__).resolve().parents[1]


def timed(runs: int, work: object) -> list[float]:
    """Milliseconds for each of `runs` calls of `work`."""
    out = []
    for i in range(runs):
        start = time.perf_counter()
        work(i)  # type: ignore[operator]
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, ms: list[float]) -> None:
    p95 = sorted(ms)[int(len(ms) * 0.95) - 1]
    print(f"{name:<13} median {statistics.median(ms):7.2f} ms   p95 {p95:7.2f} ms   n={len(ms)}")


def main() -> int:
    """Run the three measurements in a temp home."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        claude = Path(tmp) / "claude"
        project = Path(tmp) / "proj" / ".claude"
        claude.mkdir()
        project.mkdir(parents=True)
        data = {f"key{i}": {"nested": list(range(i % 7)), "text": "x" * 40} for i in range(59)}
        settings = claude / "settings.json"
        settings.write_text(json.dumps({**data, "model": "opus"}, indent=2))
        (project / "settings.json").write_text('{"permissions": {"allow": []}}')
        env = {**os.environ, "CLAUDE_CONFIG_DIR": str(claude)}
        values = ("sonnet", "opus")
        report("set_key", timed(args.runs, lambda i: set_key(settings, "model", values[i % 2])))
        cwd = project.parent
        report("read_layered", timed(args.runs, lambda i: model_store.effective(env, cwd)))
        exe = [sys.executable, "-m", "tray_app", "model", "--json", "--cwd", str(cwd)]
        env["TOKEN_MONITOR_CONFIG"] = str(Path(tmp) / "config.yaml")
        report("cli model", timed(max(5, args.runs // 20), lambda i: subprocess.run(
            exe, env=env, check=True, capture_output=True, cwd=ROOT)))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
