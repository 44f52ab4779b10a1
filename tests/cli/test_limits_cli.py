"""`status --json` limits, `limits`, `watch --json` limits, and the statusLine round trip."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import T0, assistant, write_jsonl
from tray_app.adapters.rate_capture import record_for
from tray_app.adapters.spool_files import SETUP, append_record
from tray_app.cli.environment import Environment
from tray_app.cli.main import main
from tray_app.cli.statusline_setup import our_command
from tray_app.cli.watch_cmd import snapshot_json
from tray_app.service.snapshot import Snapshot
from tray_app.usage.limits import Limit
from tray_app.usage.model import Totals

NOW = T0.timestamp() + 60 * 60


def cli(tmp: Path, *args: str, now: float = NOW) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(out, err, {"TOKEN_MONITOR_DB": str(tmp / "state" / "l.db"),
                                 "TOKEN_MONITOR_CONFIG": str(tmp / "none.yaml"),
                                 "CLAUDE_CONFIG_DIR": str(tmp / "claude"),
                                 "HOME": str(tmp)}, now)  # fmt: skip
    code = main(list(args), env)
    return code, out.getvalue(), err.getvalue()


def data(tmp: Path) -> Path:
    root = tmp / "claude" / "projects"
    write_jsonl(root / "p" / "s1.jsonl",
                [assistant(f"msg_{i}", 1000, minutes=i) for i in range(40)])  # fmt: skip
    return root


def capture(tmp: Path, at: float, five: float = 40.0, week: float = 85.0) -> None:
    rl = {"five_hour": {"used_percentage": five, "resets_at": NOW + 7200},
          "seven_day": {"used_percentage": week, "resets_at": NOW + 3 * 86400},
          "seven_day_opus": {"used_percentage": 12.5, "resets_at": NOW + 3 * 86400}}  # fmt: skip
    append_record(str(tmp / "state"), record_for(rl, at, "statusline", "s1", "claude-opus-4-5"))


def status_json(tmp: Path, root: Path, *extra: str) -> Any:
    code, out, err = cli(tmp, "status", "--json", "--data-dir", str(root), *extra)
    assert code == 0, err
    return json.loads(out)


def test_status_json_uses_a_fresh_capture(tmp_path: Path) -> None:
    root = data(tmp_path)
    capture(tmp_path, NOW - 120)
    got = status_json(tmp_path, root)
    assert got["active_block"]["percent"] == 40.0
    assert got["active_block"]["limit_source"] == "official"
    assert got["limit"]["source"] == "official"
    assert got["limits"]["five_hour"] == {
        "percent": 40.0, "source": "official", "estimated": False,
        "captured_at": "2026-02-10T22:09:59.000Z", "age_seconds": 120.0,
        "resets_at": "2026-02-11T00:11:59.000Z",
    }  # fmt: skip
    assert got["limits"]["seven_day"]["percent"] == 85.0
    assert got["limits"]["seven_day_opus"]["source"] == "official"
    # The same with files only (no ledger) gives the same figures.
    assert status_json(tmp_path, root, "--no-ledger")["limits"] == got["limits"]


def test_tokens_since_the_capture_move_the_official_figure(tmp_path: Path) -> None:
    root = data(tmp_path)  # 40 responses, one a minute from T0
    capture(tmp_path, T0.timestamp() + 19.5 * 60)  # after 20 of them, 40 minutes ago
    assert status_json(tmp_path, root)["limits"]["five_hour"]["source"] == "none"  # stale
    (tmp_path / "none.yaml").write_text("official_max_age: 3600\n")
    got = status_json(tmp_path, root)
    five = got["limits"]["five_hour"]
    # 20 responses = 40 %; 20 more counted since → 80 % (estimated).
    assert (five["percent"], five["estimated"]) == (80.0, True)


def test_stale_capture_falls_back_and_says_which(tmp_path: Path) -> None:
    root = data(tmp_path)
    capture(tmp_path, NOW - 3600)
    got = status_json(tmp_path, root)
    assert got["limit"]["source"] == "none"  # no finished block yet: nothing to compare with
    assert [got["limits"][w]["source"] for w in ("five_hour", "seven_day")] == ["none", "none"]
    code, out, _ = cli(tmp_path, "limits", "--data-dir", str(root))
    assert code == 0 and "No fresh figure from Claude Code" in out


def test_limits_command_lists_every_window(tmp_path: Path) -> None:
    root = data(tmp_path)
    capture(tmp_path, NOW - 120)
    code, out, _ = cli(tmp_path, "limits", "--data-dir", str(root), "--timezone", "UTC")
    assert code == 0
    rows = [line.split() for line in out.splitlines()[2:]]
    assert rows[0][:5] == ["5-hour", "40%", "official", "·", "2"]
    assert rows[1][:2] == ["weekly", "85%"] and rows[2][:3] == ["weekly", "Opus", "13%"]
    code, out, _ = cli(tmp_path, "limits", "--compact", "--data-dir", str(root))
    assert out.strip() == ("5-hour 40% (official · 2 min ago) · weekly 85% (official · 2 min "
                           "ago) · weekly Opus 13% (official · 2 min ago)")  # fmt: skip


def settings_file(tmp: Path) -> Path:
    return tmp / "claude" / "settings.json"


def test_install_chains_and_uninstall_restores_exactly(tmp_path: Path) -> None:
    mine = {"type": "command", "command": "echo 'my own line'", "padding": 2}
    path = settings_file(tmp_path)
    path.parent.mkdir(parents=True)
    original = {"model": "opus", "statusLine": mine, "hooks": {"Stop": []}}
    path.write_text(json.dumps(original, indent=2))
    code, out, err = cli(tmp_path, "statusline", "install", "--command", "tm-line")
    assert code == 0, err
    written = json.loads(path.read_text())
    assert written["model"] == "opus" and written["hooks"] == {"Stop": []}
    assert written["statusLine"] == {"type": "command", "command": "tm-line", "padding": 0,
                                     "refreshInterval": 30}  # fmt: skip
    setup = json.loads((tmp_path / "state" / SETUP).read_text())
    assert setup["previous"] == mine and setup["position"] == "append"
    code, out, _ = cli(tmp_path, "statusline", "status")
    assert "Installed: tm-line" in out and "Chained: echo 'my own line'" in out
    # Installing again keeps the user's line as the one to restore.
    assert cli(tmp_path, "statusline", "install", "--command", "tm-line", "--position",
               "prepend")[0] == 0  # fmt: skip
    assert json.loads((tmp_path / "state" / SETUP).read_text())["previous"] == mine
    assert cli(tmp_path, "statusline", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == original
    assert not (tmp_path / "state" / SETUP).exists()


def test_install_without_previous_line_then_uninstall_removes_the_key(tmp_path: Path) -> None:
    path = settings_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"model": "sonnet"}')
    assert cli(tmp_path, "statusline", "install", "--command", "tm-line")[0] == 0
    assert "statusLine" in json.loads(path.read_text())
    assert cli(tmp_path, "statusline", "uninstall")[0] == 0
    assert json.loads(path.read_text()) == {"model": "sonnet"}


def test_malformed_settings_are_reported_and_left_untouched(tmp_path: Path) -> None:
    path = settings_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"model": "opus",,}')
    code, _, err = cli(tmp_path, "statusline", "install", "--command", "tm-line")
    assert code != 0 and "not valid JSON" in err and "untouched" in err
    assert path.read_text() == '{"model": "opus",,}'
    assert not (tmp_path / "state" / SETUP).exists()


def test_hand_edited_line_is_not_clobbered_by_uninstall(tmp_path: Path) -> None:
    path = settings_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{}")
    assert cli(tmp_path, "statusline", "install", "--command", "tm-line")[0] == 0
    path.write_text('{"statusLine": {"type": "command", "command": "other"}}')
    code, _, err = cli(tmp_path, "statusline", "uninstall")
    assert code != 0 and "no longer ours" in err
    assert json.loads(path.read_text())["statusLine"]["command"] == "other"


def test_installed_command_runs_and_chains(tmp_path: Path) -> None:
    """The real round trip: install, then run the command exactly as settings.json says."""
    path = settings_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"statusLine": {"type": "command", "command": "echo mine"}}))
    assert cli(tmp_path, "statusline", "install")[0] == 0
    command = json.loads(path.read_text())["statusLine"]["command"]
    assert command.endswith("statusline")
    stdin = json.dumps({"cost": {"total_cost_usd": 0.5},
                        "rate_limits": {"seven_day": {"used_percentage": 41.2}}})  # fmt: skip
    env = {"TOKEN_MONITOR_DB": str(tmp_path / "state" / "l.db"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, shell=True, input=stdin.encode(), env=env,
                          capture_output=True, timeout=30)  # fmt: skip
    assert done.returncode == 0
    assert done.stdout.decode() == "mine  wk 41% · $0.50\n"


def test_watch_json_snapshot_has_limits() -> None:
    limits = (Limit(None, "official", "five_hour", 41.0, NOW - 60, NOW + 600, True),
              Limit(None, "none", "seven_day"))  # fmt: skip
    snap = Snapshot(NOW, "idle", Totals(), None, None, True, (), limits=limits)
    got = snapshot_json(snap)["limits"]
    assert got["five_hour"] == {"percent": 41.0, "source": "official", "estimated": True,
                                "captured_at": "2026-02-10T22:10:59.000Z", "age_seconds": 60.0,
                                "resets_at": "2026-02-10T22:21:59.000Z"}  # fmt: skip
    assert got["seven_day"]["source"] == "none" and got["seven_day"]["percent"] is None


def test_our_command_for_the_venv_and_the_packaged_app(monkeypatch: pytest.MonkeyPatch) -> None:
    assert our_command() == f"{Path(sys.executable).parent / 'token-monitor'} statusline"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/Token Monitor/token-monitor")
    assert our_command() == "'/opt/Token Monitor/token-monitor' statusline"


def test_status_text_names_the_official_limit_and_its_reset(tmp_path: Path) -> None:
    root = data(tmp_path)
    capture(tmp_path, NOW - 120)
    code, out, _ = cli(tmp_path, "status", "--data-dir", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith("resets in 2 h (official)")  # Claude Code's reset, not the block's
    assert lines[1] == "  Tokens      40,120 — 40% of the 5-hour limit (official · 2 min ago)"
    assert "Limits        5-hour 40% (official · 2 min ago) · weekly 85%" in out


def test_refresh_interval_is_checked_and_set(tmp_path: Path) -> None:
    assert cli(tmp_path, "statusline", "install", "--refresh", "0")[0] == 2
    assert not settings_file(tmp_path).exists()
    assert cli(tmp_path, "statusline", "install", "--command", "x", "--refresh", "90")[0] == 0
    assert json.loads(settings_file(tmp_path).read_text())["statusLine"]["refreshInterval"] == 90


def test_doctor_says_whether_the_status_line_is_installed(tmp_path: Path) -> None:
    root = data(tmp_path)
    code, out, _ = cli(tmp_path, "doctor", "--data-dir", str(root))
    assert code == 0
    assert (
        "Status line   not installed (token-monitor statusline install); no official figure yet"
        in out
    )
    settings_file(tmp_path).write_text(
        json.dumps({"statusLine": {"type": "command", "command": "mine"}})
    )
    assert cli(tmp_path, "statusline", "install", "--command", "tm-line")[0] == 0
    capture(tmp_path, NOW - 120)
    code, out, _ = cli(tmp_path, "doctor", "--json", "--data-dir", str(root))
    assert json.loads(out)["status_line"] == {"installed": True, "chained": "mine",
                                              "last_capture_age_seconds": 120.0}  # fmt: skip


def test_a_chained_command_with_escapes_is_shown_cleaned(tmp_path: Path) -> None:
    # The previous statusLine command was echoed raw by install/status/doctor: its escape
    # sequences set the terminal's title and its newline forged a line.
    evil = "echo hi\x1b]0;pwned\x07\nForged: yes"
    path = settings_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"statusLine": {"type": "command", "command": evil}}))
    outputs = [cli(tmp_path, "statusline", "install", "--command", "tm-line")[1]]
    outputs.append(cli(tmp_path, "statusline", "status")[1])
    outputs.append(cli(tmp_path, "doctor", "--data-dir", str(data(tmp_path)))[1])
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out
        assert not any(line.startswith("Forged") for line in out.splitlines())
    assert "ours after it: echo hi Forged: yes" in outputs[0]
    assert "Chained: echo hi Forged: yes (ours appended)" in outputs[1]
    # The remembered command itself is kept exactly, to be run and restored.
    assert json.loads((tmp_path / "state" / SETUP).read_text())["previous"]["command"] == evil


def test_status_reads_enough_blocks_for_a_weekly_window_that_reset_days_ago(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A weekly capture taken 4 days ago, its window reset 3 days ago: the estimate reads
    # the blocks of the week before that reset (back to 10 days ago), which `status` must
    # still decode rather than sum away with the older ones.
    from tray_app.adapters.block_cache import BlockCache

    day = 86400.0
    now = T0.timestamp() + 14 * day
    root = tmp_path / "claude" / "projects"
    write_jsonl(root / "p" / "s1.jsonl", [
        assistant(f"msg_{d}", 1000, minutes=(14.25 - d) * 24 * 60) for d in (12, 11, 10, 6, 5, 2, 1)
    ])  # fmt: skip
    week = {"seven_day": {"used_percentage": 40.0, "resets_at": now - 3 * day}}
    append_record(str(tmp_path / "state"), record_for(week, now - 4 * day, "statusline", "s1",
                                                      "claude-opus-4-5"))  # fmt: skip

    def limits() -> Any:
        code, out, err = cli(tmp_path, "status", "--json", "--data-dir", str(root), now=now)
        assert code == 0, err
        return json.loads(out)["limits"]

    limits()  # builds the block cache (a first build returns every block)
    got = limits()
    blocks = BlockCache.blocks
    monkeypatch.setattr(BlockCache, "blocks", lambda self, now, resets, recent=None: blocks(
        self, now, resets))  # every cached block decoded  # fmt: skip
    assert got == limits()
    # Three blocks of the week before the reset up to the capture, two since: 2/3 of 40 %.
    assert got["seven_day"]["percent"] == pytest.approx(26.67, abs=0.01)
