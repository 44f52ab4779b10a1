"""Token sums of ccusage next to the truth, on the same data (for README claims about peers).

Usage: ``python -m scripts.compare_ccusage [--size-mb 200 --seed 1] [--data DIR ...]``

Without ``--data`` it generates a data dir with ``scripts/gen_data.py`` (its
``expected.json`` is the truth). A ``--data DIR`` without ``expected.json`` (e.g. the real
fixtures) is compared with ``token-monitor daily --json --no-ledger`` instead. ccusage runs
as ``npx -y ccusage@20.0.24 daily|blocks --json --offline`` with ``CLAUDE_CONFIG_DIR=DIR``
(DIR must hold ``projects/``); ``blocks`` sums its non-gap blocks.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

from scripts import gen_data

CCUSAGE = "ccusage@20.0.24"  # 20.0.26 (the newest 20.x) needs a native binary npm lacks here
KINDS = {
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "cache_creation_tokens": "cacheCreationTokens",
    "cache_read_tokens": "cacheReadTokens",
}
BLOCK_KINDS = {
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
    "cache_creation_tokens": "cacheCreationInputTokens",
    "cache_read_tokens": "cacheReadInputTokens",
}


def ccusage(command: str, data: Path) -> Any:
    """ccusage's JSON for one command on `data`."""
    npx = shutil.which("npx") or sys.exit("npx not found")
    env = dict(os.environ, CLAUDE_CONFIG_DIR=str(data))
    res = subprocess.run(
        [npx, "-y", CCUSAGE, command, "--json", "--offline"],
        env=env, capture_output=True, timeout=1800, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return orjson.loads(res.stdout)


def daily_sums(data: Path) -> dict[str, int]:
    """ccusage `daily` totals."""
    totals = ccusage("daily", data).get("totals", {})
    return {k: int(totals.get(v, 0)) for k, v in KINDS.items()}


def blocks_sums(data: Path) -> dict[str, int]:
    """ccusage `blocks`: token counts summed over its non-gap blocks."""
    sums = dict.fromkeys(KINDS, 0)
    for block in ccusage("blocks", data)["blocks"]:
        if not block.get("isGap"):
            for k, v in BLOCK_KINDS.items():
                sums[k] += int(block.get("tokenCounts", {}).get(v, 0))
    return sums


def truth(data: Path) -> tuple[dict[str, int], str]:
    """expected.json, else token-monitor's own count of the files (no ledger)."""
    expected = data / "expected.json"
    if expected.is_file():
        return orjson.loads(expected.read_bytes()), "gen_data expected.json"
    exe = Path(sys.executable).parent / "token-monitor"
    env = {k: v for k, v in os.environ.items() if k != "CLAUDE_CONFIG_DIR"}
    env["TOKEN_MONITOR_CONFIG"] = str(data / "no-such-config.yaml")
    res = subprocess.run(
        [str(exe), "daily", "--json", "--no-ledger", "--data-dir", str(data)],
        env=env, capture_output=True, timeout=1800, check=True,
    )  # fmt: skip
    return orjson.loads(res.stdout)["totals"], "token-monitor daily --no-ledger"


def report(data: Path) -> None:
    """Print ccusage daily and blocks against the truth for one data dir."""
    want, source = truth(data)
    print(f"== {data} (truth: {source})")
    for name, got in (("daily", daily_sums(data)), ("blocks", blocks_sums(data))):
        for k in KINDS:
            diff = got[k] - want[k]
            pct = diff * 100 / want[k] if want[k] else 0.0
            print(
                f"  {name:6} {k:22} ccusage {got[k]:>15,}  truth {want[k]:>15,}  "
                f"{diff:>+12,} ({pct:+.2f} %)"
            )


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", action="append", type=Path, help="an existing data dir")
    ap.add_argument("--size-mb", type=float, default=200.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="tm-ccusage-"))
    try:
        dirs = list(args.data or [])
        if not dirs:
            gen_data.generate(work / "data", args.size_mb, args.seed)
            dirs.append(work / "data")
        for data in dirs:
            report(data)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
