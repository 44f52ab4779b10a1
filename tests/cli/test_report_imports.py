"""Each report loads only what it uses: every module (and each dataclass in it) is start-up
time of every run, so a restart with nothing new must not pay for another report's parts."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.builders import assistant, write_jsonl

CHECK = """
import sys
from tray_app.adapters import early_listing
from tray_app.launcher import main
# What the command needs itself: nothing imported ahead while a late listing is awaited.
early_listing.warm = lambda modules: None
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("loaded:" + ",".join(sorted(
    m for m in sys.modules if m.startswith(("tray_app.", "orjson")) or m in ("hashlib", "_hashlib")
)))
"""

# Parts of one report or command that another report never needs.
ROLLUP = {"tray_app.usage.rollup", "tray_app.usage.grouping", "tray_app.adapters.usage_rollup",
          "tray_app.adapters.rollup_queries"}  # fmt: skip
ACTIVITY = {"tray_app.usage.model_activity", "tray_app.adapters.model_activity"}
SESSION_READS = {"tray_app.adapters.response_queries"}
LIMIT_SOURCES = {"tray_app.usage.limits", "tray_app.usage.official_limits",
                 "tray_app.cli.limits_cmd"}  # fmt: skip
BLOCK_CLASSES = {"tray_app.usage.blocks", "tray_app.usage.block_model",
                 "tray_app.usage.block_builder"}  # fmt: skip
OTHER_COMMANDS = {"tray_app.cli.statusline_setup", "tray_app.cli.roots_cmd",
                  "tray_app.cli.sessions_cmd", "tray_app.cli.reports_cmd",
                  "tray_app.adapters.claude_settings"}  # fmt: skip


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The tray_app modules each report imports on a restart with nothing new."""
    tmp = tmp_path_factory.mktemp("imports")
    data = tmp / "claude"
    write_jsonl(data / "projects" / "p" / "s.jsonl", [assistant("m1", 5), assistant("m2", 7)])
    env = {
        "PATH": "/usr/bin:/bin",
        "TOKEN_MONITOR_DB": str(tmp / "l.db"),
        "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml"),
        "HOME": str(tmp),
    }

    def run(*args: str) -> set[str]:
        line = [sys.executable, "-c", CHECK, *args, "--data-dir", str(data)]
        done = subprocess.run(line, capture_output=True, text=True, env=env, check=True)
        return set(done.stdout.strip().splitlines()[-1].removeprefix("loaded:").split(","))

    run("status", "--json")  # the first run counts the file and builds the caches
    commands = {
        "status": ("status", "--json"),
        # Inside the block of the two responses: status lists its models (text only).
        "status_active": ("status", "--json", "--now", "2026-02-10T22:00:00+00:00"),
        "status_text": ("status", "--now", "2026-02-10T22:00:00+00:00"),
        "daily": ("daily", "--json"),
        "sessions": ("sessions", "--json"),
        "export": ("export", "--period", "daily", "--json"),
    }
    return {name: run(*args) for name, args in commands.items()}


def test_status_reads_no_rollup_activity_or_session_queries(loaded: dict[str, set[str]]) -> None:
    assert "tray_app.adapters.block_cache" in loaded["status"]  # (it does read its blocks)
    assert loaded["status"] & (ROLLUP | ACTIVITY | SESSION_READS) == set()


def test_daily_loads_no_limit_sources_and_no_model_activity(loaded: dict[str, set[str]]) -> None:
    assert "tray_app.adapters.rollup_queries" in loaded["daily"]  # (its sums come from there)
    assert loaded["daily"] & (LIMIT_SOURCES | ACTIVITY | SESSION_READS) == set()


def test_reports_without_blocks_build_no_block_classes(loaded: dict[str, set[str]]) -> None:
    for name in ("daily", "sessions", "export"):
        assert "tray_app.adapters.block_cache" in loaded[name]  # (the rollup's index, prices)
        assert loaded[name] & BLOCK_CLASSES == set(), name
    assert loaded["status"] >= BLOCK_CLASSES


def test_sessions_loads_no_model_activity(loaded: dict[str, set[str]]) -> None:
    assert loaded["sessions"] & (ACTIVITY | LIMIT_SOURCES) == set()


def test_export_loads_no_other_commands_modules(loaded: dict[str, set[str]]) -> None:
    assert "tray_app.cli.export_periods" in loaded["export"]
    assert loaded["export"] & (OTHER_COMMANDS | LIMIT_SOURCES | ACTIVITY) == set()


def test_json_needs_no_table_module_and_a_table_no_json_library(
    loaded: dict[str, set[str]],
) -> None:
    assert "tray_app.cli.table" not in loaded["status_active"]
    assert "orjson" in loaded["status_active"]
    assert "tray_app.cli.table" in loaded["status_text"]  # (its models line may shorten)
    assert "orjson" not in loaded["status_text"]


def test_no_report_loads_openssl_for_a_digest(loaded: dict[str, set[str]]) -> None:
    # hashlib loads OpenSSL's library: ~3 ms of every command, for a digest BLAKE2 gives.
    for name, modules in loaded.items():
        assert not {"hashlib", "_hashlib"} & modules, name
