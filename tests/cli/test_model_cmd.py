"""`token-monitor model` end to end: real settings files in a temp home, a real ledger."""

from __future__ import annotations

import io
import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import T0, assistant, write_jsonl
from tray_app.cli.environment import Environment, ExitStatus
from tray_app.cli.main import main


class Home:
    """A temp home with a project folder, config and ledger paths."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.home = tmp_path / "home"
        self.project = tmp_path / "proj"
        self.home.mkdir(parents=True)
        self.project.mkdir()
        self.settings = self.home / ".claude" / "settings.json"
        self.config = tmp_path / "config.yaml"
        self.env = {
            "HOME": str(self.home),
            "TOKEN_MONITOR_DB": str(tmp_path / "db" / "ledger.sqlite3"),
            "TOKEN_MONITOR_CONFIG": str(self.config),
        }

    def run(self, *args: str, **env: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["model", *args, "--cwd", str(self.project)], Environment(out, err, {**self.env, **env})
        )
        return code, out.getvalue(), err.getvalue()

    def json(self, *args: str, **env: str) -> Any:
        code, out, err = self.run(*args, "--json", **env)
        assert code == ExitStatus.OK, err
        return json.loads(out)


@pytest.fixture
def h(tmp_path: Path) -> Home:
    return Home(tmp_path)


def test_nothing_set_shows_claude_codes_default(h: Home) -> None:
    got = h.json()
    assert (got["model"], got["source"], got["warnings"]) == (None, None, [])
    assert got["user_file"] == str(h.settings)


def test_set_a_profile_writes_only_the_model_key(h: Home) -> None:
    h.settings.parent.mkdir()
    h.settings.write_text('{"theme": "dark", "model": "opus", "hooks": {}}')
    h.settings.chmod(0o644)
    got = h.json("set", "balanced")
    assert (got["model"], got["previous"], got["file"]) == ("sonnet", "opus", str(h.settings))
    assert json.loads(h.settings.read_text()) == {"theme": "dark", "model": "sonnet", "hooks": {}}
    assert stat.S_IMODE(h.settings.stat().st_mode) == 0o644
    assert got["backup"] and json.loads(Path(got["backup"]).read_text())["model"] == "opus"
    assert h.json()["model"] == "sonnet"


def test_a_typo_is_refused_and_nothing_is_written(h: Home) -> None:
    code, out, err = h.run("set", "sonet")
    assert code == ExitStatus.USAGE and "unknown model 'sonet'" in err and out == ""
    assert not h.settings.exists()
    assert h.json("set", "sonet", "--force")["model"] == "sonet"


def test_unset_removes_the_key(h: Home) -> None:
    h.json("set", "haiku")
    h.json("unset")
    assert json.loads(h.settings.read_text()) == {}


def test_a_malformed_settings_file_is_reported_and_kept(h: Home) -> None:
    h.settings.parent.mkdir()
    h.settings.write_text('{"model": "opus",,}')
    before = (h.settings.read_bytes(), h.settings.stat().st_mtime_ns)
    code, _, err = h.run("set", "haiku")
    assert code == ExitStatus.ERROR and "not valid JSON" in err and "nothing was changed" in err
    assert (h.settings.read_bytes(), h.settings.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    ("where", "kind"),
    [(".claude/settings.json", "project"), (".claude/settings.local.json", "local")],
)
def test_a_project_or_local_file_overrides_with_a_warning(h: Home, where: str, kind: str) -> None:
    h.json("set", "opus")
    file = h.project / where
    file.parent.mkdir(exist_ok=True)
    file.write_text('{"model": "haiku"}')
    got = h.json()
    assert got["model"] == "haiku" and got["source"] == {"kind": kind, "where": str(file)}
    assert got["user_value"] == "opus" and len(got["warnings"]) == 1
    assert "overrides your user setting (opus)" in got["warnings"][0]


def test_local_beats_project_beats_user(h: Home) -> None:
    h.json("set", "opus")
    (h.project / ".claude").mkdir()
    (h.project / ".claude" / "settings.json").write_text('{"model": "sonnet"}')
    (h.project / ".claude" / "settings.local.json").write_text('{"model": "haiku"}')
    assert h.json()["model"] == "haiku"


@pytest.mark.parametrize("var", ["ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_MODEL"])
def test_an_environment_variable_overrides_the_files(h: Home, var: str) -> None:
    (h.project / ".claude").mkdir()
    (h.project / ".claude" / "settings.json").write_text('{"model": "sonnet"}')
    got = h.json(**{var: "claude-opus-4-5"})
    assert got["model"] == "claude-opus-4-5" and got["source"] == {"kind": "env", "where": var}


def test_the_env_block_of_a_settings_file_counts_as_the_variable(h: Home) -> None:
    h.settings.parent.mkdir()
    h.settings.write_text('{"model": "opus", "env": {"ANTHROPIC_MODEL": "haiku"}}')
    got = h.json()
    assert got["model"] == "haiku" and got["source"]["where"] == f"ANTHROPIC_MODEL in {h.settings}"


def test_claude_config_dir_moves_the_user_file(h: Home) -> None:
    cfg = h.root / "cc"
    got = h.json("set", "haiku", CLAUDE_CONFIG_DIR=str(cfg))
    assert got["file"] == str(cfg / "settings.json") and not h.settings.exists()


def test_profiles_from_config_and_history_of_changes(h: Home) -> None:
    h.config.write_text("model_profiles: {long: 'sonnet[1m]'}\n")
    rows = h.json("profiles")["profiles"]
    assert [(r["name"], r["model"], r["own"]) for r in rows] == [
        ("best", "opus", False),
        ("balanced", "sonnet", False),
        ("cheap", "haiku", False),
        ("long", "sonnet[1m]", True),
    ]
    h.json("set", "long")
    h.json("set", "cheap")
    changes = h.json("history")["history"]
    assert [(c["kind"], c["from"], c["to"], c["source"]) for c in changes] == [
        ("manual", "sonnet[1m]", "haiku", "cli"),
        ("manual", None, "sonnet[1m]", "cli"),
    ]


def test_export_then_import_on_another_machine(h: Home, tmp_path: Path) -> None:
    h.config.write_text("model_profiles: {fast: haiku, long: 'opus[1m]'}\n")
    file = tmp_path / "profiles.json"
    h.json("export", str(file))
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    code, _, err = h.run("export", str(file))
    assert code == ExitStatus.USAGE and "exists" in err
    other = Home(tmp_path / "other")
    got = other.json("import", str(file))
    assert got["imported"] == ["fast", "long"]
    names = {r["name"]: r["model"] for r in other.json("profiles")["profiles"]}
    assert names["fast"] == "haiku" and names["long"] == "opus[1m]"


def test_import_refuses_a_bad_file_whole(h: Home, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "token-monitor-model-profiles", "profiles":
                               {"ok": "haiku", "typo": "sonet"}}))  # fmt: skip
    code, _, err = h.run("import", str(bad))
    assert code == ExitStatus.USAGE and "typo" in err and "nothing imported" in err
    assert not h.config.exists()


def test_recommend_reprices_usage_and_ranks_a_suggestion(h: Home, tmp_path: Path) -> None:
    data = tmp_path / "claude"
    lines: list[dict[str, Any] | bytes | str] = [
        assistant(f"m{i}", 20_000, minutes=i * 10, input_tokens=1000, cache_read=50_000,
                  request=f"r{i}")
        for i in range(6)
    ]  # fmt: skip
    write_jsonl(data / "projects" / "-p" / "s.jsonl", lines)
    now = T0.timestamp() + 3 * 86400
    code, out, err = h.run("recommend", "--data-dir", str(data), "--json",
                           "--now", _iso(now))  # fmt: skip
    assert code == ExitStatus.OK, err
    got = json.loads(out)
    opus = 6 * (1000 * 5 + 50_000 * 0.5 + 20_000 * 25) / 1e6
    assert got["cost_usd"] == pytest.approx(opus)
    priced = {x["as"]: x["cost_usd"] for x in got["repriced"]}
    assert priced["sonnet"] == pytest.approx(6 * (1000 * 2 + 50_000 * 0.2 + 20_000 * 10) / 1e6)
    assert got["cache_hit_ratio"] == pytest.approx(50_000 / 51_000)
    assert got["suggestions"][0]["profile"] in ("balanced", "best")
    assert all(s["reason"] for s in got["suggestions"])


def _iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).isoformat()


def test_recommend_uses_claude_codes_own_weekly_figure(h: Home, tmp_path: Path) -> None:
    from tray_app.cli.statusline_cmd import run as statusline

    data = tmp_path / "claude"
    lines: list[dict[str, Any] | bytes | str] = [
        assistant("m1", 1000, minutes=0, request="r1"),
        assistant("m2", 1000, minutes=400, request="r2"),  # two small blocks: no peak worry
    ]
    write_jsonl(data / "projects" / "-p" / "s.jsonl", lines)
    now = T0.timestamp() + 8 * 3600
    week_reset = now + 2 * 86400
    capture = (
        '{"session_id":"s","model":{"id":"claude-opus-4-6"},"rate_limits":{"seven_day":'
        f'{{"used_percentage":91,"resets_at":{week_reset:.0f}}}}}}}'
    )
    statusline(capture.encode(), h.env, now - 60)  # recorded a minute ago
    code, out, err = h.run("recommend", "--data-dir", str(data), "--json", "--now", _iso(now))
    assert code == ExitStatus.OK, err
    got = json.loads(out)
    assert got["limits"]["official_now"] == {"seven_day": 91.0}
    first = got["suggestions"][0]
    assert (
        first["profile"] == "balanced"
        and "Claude Code says you are at weekly 91 %" in (first["reason"])
    )


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux managed-settings folder")
def test_managed_policy_and_its_drop_ins_beat_the_project(
    h: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tray_app.adapters import claude_settings

    managed = tmp_path / "etc-claude-code"
    (managed / "managed-settings.d").mkdir(parents=True)
    (managed / "managed-settings.json").write_text('{"model": "sonnet"}')
    monkeypatch.setitem(claude_settings.MANAGED_DIRS, "linux", (str(managed),))
    (h.project / ".claude").mkdir()
    (h.project / ".claude" / "settings.local.json").write_text('{"model": "haiku"}')
    got = h.json()
    assert got["model"] == "sonnet" and got["source"]["kind"] == "managed"
    (managed / "managed-settings.d" / "10-a.json").write_text('{"model": "opus"}')
    (managed / "managed-settings.d" / "20-b.json").write_text('{"theme": "x"}')
    got = h.json()  # the later fragment does not set it: 10-a's value wins over the base
    assert got["model"] == "opus" and got["source"]["where"].endswith("10-a.json")


def test_a_choice_made_after_an_automatic_switch_holds_until_its_reset(h: Home) -> None:
    from tray_app.adapters import model_history
    from tray_app.adapters.model_history import ModelChange

    ledger = Path(h.env["TOKEN_MONITOR_DB"])
    until = 2_000_000_000.0
    model_history.record(
        ledger, ModelChange(1.0, "auto", "opus", "sonnet", "weekly", until, "auto")
    )
    got = h.json("set", "opus", "--now", "2030-01-01T00:00:00+00:00")
    assert got["held_until"] == "2033-05-18T03:33:20.000Z"
    latest = model_history.recent(ledger)[0]
    assert (latest.kind, latest.new, latest.until, latest.source) == (
        "manual",
        "opus",
        until,
        "cli",
    )
    code, out, _ = h.run("set", "haiku", "--now", "2030-01-01T00:00:00+00:00")
    assert code == 0 and "until the reset" in out


def test_compact_is_one_line(h: Home) -> None:
    h.json("set", "cheap")
    lines = {a: h.run(a, "--compact")[1].splitlines() for a in ("show", "profiles", "history")}
    assert lines["show"] == [f"New sessions: haiku (profile cheap) (from {h.settings})"]
    assert lines["profiles"] == ["best=opus balanced=sonnet cheap=haiku"]
    assert lines["history"] == ["manual (cli): default → haiku"]


def test_a_model_value_with_escapes_and_newlines_cannot_forge_lines(h: Home) -> None:
    # The value comes from settings files or the environment; a newline in it added lines
    # such as "Forged: yes" to `model` and `model set`.
    evil = "opus\x1b]0;pwned\x07\nForged: yes"
    h.settings.parent.mkdir(parents=True)
    h.settings.write_text(json.dumps({"model": evil}))
    code, out, _ = h.run(ANTHROPIC_MODEL=evil)
    assert code == ExitStatus.OK and "\x1b" not in out
    assert not any(line.startswith("Forged") for line in out.splitlines())
    assert out.splitlines()[0] == "New sessions: opus Forged: yes (from ANTHROPIC_MODEL)"
    code, out, _ = h.run("set", "sonnet")
    assert code == ExitStatus.OK and "\x1b" not in out
    assert not any(line.startswith("Forged") for line in out.splitlines())
    assert h.json()["user_value"] == "sonnet"


def test_importing_a_fifo_or_dev_zero_is_refused_at_once(h: Home, tmp_path: Path) -> None:
    # `model import` read the named file whole: a FIFO hung, /dev/zero filled memory.
    import os
    import threading

    fifo = tmp_path / "profiles.json"
    os.mkfifo(fifo)
    got: list[tuple[int, str, str]] = []
    worker = threading.Thread(target=lambda: got.append(h.run("import", str(fifo))), daemon=True)
    worker.start()
    worker.join(5)
    assert got, "model import blocked on a FIFO"
    code, _, err = got[0]
    assert code == ExitStatus.USAGE and "not a regular file" in err
    code, _, err = h.run("import", "/dev/zero")
    assert code == ExitStatus.USAGE and "not a regular file" in err


def test_a_change_the_ledger_cannot_record_is_still_made_and_says_so(h: Home) -> None:
    # With the ledger refused (here: TOKEN_MONITOR_DB names a folder), `model set` wrote the
    # setting and silently left it out of `model history`.
    folder = h.root / "a-folder"
    folder.mkdir()
    code, _, err = h.run("set", "haiku", TOKEN_MONITOR_DB=str(folder))
    assert code == ExitStatus.OK
    assert json.loads(h.settings.read_text())["model"] == "haiku"
    assert "not recorded in `model history`" in err and str(folder) in err
    assert sorted(p.name for p in folder.iterdir()) == []
