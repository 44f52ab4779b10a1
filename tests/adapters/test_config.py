"""Settings file: defaults, per-key fallbacks with clear warnings, private atomic writes."""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tray_app.adapters.config import (
    Colors,
    Settings,
    dump_settings,
    load_settings,
    save_settings,
    update_settings,
)

NO_ENV: dict[str, str] = {}


def write(tmp_path: Path, text: str) -> Path:
    """A config file with `text`."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_means_defaults_without_warnings(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.yaml", NO_ENV) == (Settings(), [])


def test_empty_or_comment_only_file_is_fine(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "# nothing yet\n"), NO_ENV) == (Settings(), [])


def test_path_comes_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "refresh_seconds: 5\n")
    settings_, warnings = load_settings(env={"TOKEN_MONITOR_CONFIG": str(path)})
    assert settings_.refresh_seconds == 5.0 and warnings == []


@pytest.mark.parametrize("text", ["thresholds: [1, 2\n", "a: b: c\n", "\tfoo: 1\n"])
def test_invalid_yaml_gives_defaults_and_one_warning(tmp_path: Path, text: str) -> None:
    settings_, warnings = load_settings(write(tmp_path, text), NO_ENV)
    assert settings_ == Settings()
    assert len(warnings) == 1 and "not valid YAML" in warnings[0]


def test_a_list_at_the_top_is_reported(tmp_path: Path) -> None:
    settings_, warnings = load_settings(write(tmp_path, "- 1\n- 2\n"), NO_ENV)
    assert settings_ == Settings() and "expected 'key: value' lines" in warnings[0]


def test_unreadable_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.mkdir()  # a directory where the file should be: reading fails on every OS
    settings_, warnings = load_settings(path, NO_ENV)
    assert settings_ == Settings() and "cannot read" in warnings[0]


def test_non_utf8_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"log_level: \xff\xfe\n")
    settings_, warnings = load_settings(path, NO_ENV)
    assert settings_ == Settings() and len(warnings) == 1


def test_each_bad_value_falls_back_alone(tmp_path: Path) -> None:
    text = "thresholds: abc\nrefresh_seconds: 10\nnotifications: maybe\nlog_level: debug\n"
    settings_, warnings = load_settings(write(tmp_path, text), NO_ENV)
    assert settings_ == replace(Settings(), refresh_seconds=10.0, log_level="DEBUG")
    assert warnings == [
        "thresholds: expected a list of numbers 1-100, got 'abc'; using the default [50, 80, 95]",
        "notifications: expected true or false, got 'maybe'; using the default true",
    ]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("data_dirs: [1, 2]", "data_dirs"),
        ("refresh_seconds: 0", "refresh_seconds"),
        ("refresh_seconds: true", "refresh_seconds"),
        ("thresholds: [50, 101]", "thresholds"),
        ("thresholds: [50.5]", "thresholds"),
        ("limit_mode: weekly", "limit_mode"),
        ("limit_tokens: -5", "limit_tokens"),
        ("limit_tokens: 1.5", "limit_tokens"),
        ("notify_projection: 1", "notify_projection"),
        ("colors: {ok: green}", "colors"),
        ("colors: {purple: '#123456'}", "colors"),
        ("db_path: ''", "db_path"),
        ("log_level: LOUD", "log_level"),
        ("prices: {claude-x: {input: -1}}", "prices"),
        ("prices: {claude-x: 3}", "prices"),
        ("timezone: Mars/Olympus", "timezone"),
        ("tracked_session: [a]", "tracked_session"),
    ],
)
def test_bad_values_are_named_by_key(tmp_path: Path, line: str, key: str) -> None:
    settings_, warnings = load_settings(write(tmp_path, line + "\n"), NO_ENV)
    assert getattr(settings_, key) == getattr(Settings(), key)
    assert len(warnings) == 1 and warnings[0].startswith(f"{key}: expected")
    assert "using the default" in warnings[0]


def test_good_values_are_normalised(tmp_path: Path) -> None:
    text = (
        "data_dirs: ~/claude\nthresholds: [95, 50, 50.0]\nlimit_mode: custom\n"
        "limit_tokens: 1_500_000\ncolors: {warn: '#ABCDEF'}\n"
        "prices: {claude-x: {input: 3, output: 15.5}}\ntimezone: Europe/Paris\n"
    )
    settings_, warnings = load_settings(write(tmp_path, text), NO_ENV)
    assert warnings == []
    assert settings_.data_dirs == ("~/claude",)
    assert settings_.thresholds == (50, 95)
    assert (settings_.limit_mode, settings_.limit_tokens) == ("custom", 1_500_000)
    assert settings_.colors == Colors(warn="#ABCDEF")
    assert settings_.prices == {"claude-x": {"input": 3.0, "output": 15.5}}
    assert settings_.timezone == "Europe/Paris"


def test_custom_mode_without_a_limit_falls_back_to_max(tmp_path: Path) -> None:
    settings_, warnings = load_settings(write(tmp_path, "limit_mode: custom\n"), NO_ENV)
    assert settings_.limit_mode == "max"
    assert warnings == ["limit_mode: custom needs limit_tokens; using max"]


def test_unknown_keys_are_warned_and_the_rest_applies(tmp_path: Path) -> None:
    settings_, warnings = load_settings(write(tmp_path, "refresh: 5\nlog_level: ERROR\n"), NO_ENV)
    assert settings_.log_level == "ERROR"
    assert warnings == ["refresh: unknown setting, ignored"]


def test_log_level_from_the_environment_wins(tmp_path: Path) -> None:
    path = write(tmp_path, "log_level: ERROR\n")
    assert load_settings(path, {"TOKEN_MONITOR_LOG_LEVEL": "debug"})[0].log_level == "DEBUG"
    settings_, warnings = load_settings(path, {"TOKEN_MONITOR_LOG_LEVEL": "chatty"})
    assert settings_.log_level == "ERROR" and "TOKEN_MONITOR_LOG_LEVEL" in warnings[0]


def test_save_is_private_commented_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "config.yaml"
    chosen = Settings(
        data_dirs=("~/a", "/b c"),
        thresholds=(60, 90),
        limit_mode="custom",
        limit_tokens=2_000_000,
        notify_new_block=True,
        colors=Colors(ok="#000000"),
        prices={"claude-x": {"input": 3.0}},
        tracked_session="abc-123",
    )
    assert save_settings(chosen, path) == path
    assert load_settings(path, NO_ENV) == (chosen, [])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Token Monitor settings")
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys[:4] == ["data_dirs", "refresh_seconds", "thresholds", "limit_mode"]
    assert "# alert when the 5-hour block passes these % of its limit\nthresholds:" in text
    assert [p.name for p in path.parent.iterdir()] == ["config.yaml"]  # no temp file left


def test_save_leaves_a_folder_the_user_chose_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    save_settings(Settings(), tmp_path / "config.yaml")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_save_keeps_a_symlinked_config(tmp_path: Path) -> None:
    real = write(tmp_path, "log_level: ERROR\n")
    (tmp_path / "home").mkdir()
    link = tmp_path / "home" / "config.yaml"
    link.symlink_to(real)
    save_settings(Settings(log_level="DEBUG"), link)
    assert link.is_symlink()
    assert load_settings(real, NO_ENV)[0].log_level == "DEBUG"


def test_save_replaces_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "log_level: ERROR\n")

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        save_settings(Settings(), path)
    assert path.read_text(encoding="utf-8") == "log_level: ERROR\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_update_changes_one_key_and_keeps_the_others(tmp_path: Path) -> None:
    path = write(tmp_path, "thresholds: [70]\nnotifications: false\n")
    result = update_settings(path, env={"TOKEN_MONITOR_LOG_LEVEL": "DEBUG"}, tracked_session="s1")
    assert result.log_level == "DEBUG"  # what load now gives…
    on_disk, warnings = load_settings(path, NO_ENV)
    assert warnings == [] and on_disk.log_level == "INFO"  # …but the env never lands in the file
    assert (on_disk.thresholds, on_disk.notifications, on_disk.tracked_session) == (
        (70,),
        False,
        "s1",
    )
    assert not (tmp_path / "config.yaml.bak").exists()


def test_update_keeps_a_copy_of_a_file_it_could_not_fully_read(tmp_path: Path) -> None:
    path = write(tmp_path, "thresholds: lots\n")
    update_settings(path, env=NO_ENV, notifications=False)
    backup = tmp_path / "config.yaml.bak"
    assert backup.read_text(encoding="utf-8") == "thresholds: lots\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_update_rejects_an_unknown_field(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        update_settings(tmp_path / "config.yaml", env=NO_ENV, no_such_setting=1)


text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
rates = st.dictionaries(text, st.floats(0, 1000, allow_nan=False), max_size=3)
color = st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)
settings_strategy = st.builds(
    Settings,
    data_dirs=st.lists(text, max_size=3).map(tuple),
    refresh_seconds=st.floats(1, 3600),
    thresholds=st.sets(st.integers(1, 100), max_size=4).map(lambda s: tuple(sorted(s))),
    limit_mode=st.sampled_from(["max", "p90"]),
    limit_tokens=st.none() | st.integers(1, 10**12),
    notifications=st.booleans(),
    colors=st.builds(Colors, ok=color, warn=color, danger=color, idle=color),
    db_path=st.none() | text,
    log_level=st.sampled_from(["DEBUG", "INFO", "WARNING"]),
    prices=st.dictionaries(text, rates, max_size=3),
    timezone=st.sampled_from([None, "UTC", "Europe/Paris", "America/New_York"]),
    tracked_session=st.none() | text,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=settings_strategy)
def test_what_save_writes_load_reads_back_equal(tmp_path: Path, chosen: Settings) -> None:
    path = save_settings(chosen, tmp_path / "config.yaml")
    assert load_settings(path, NO_ENV) == (chosen, [])
    assert yaml.safe_load(dump_settings(chosen))["thresholds"] == list(chosen.thresholds)


def test_a_fifo_config_file_gives_defaults_and_a_warning_not_a_hang(tmp_path: Path) -> None:
    # A FIFO (or a symlink to /dev/zero) as config.yaml hung every command at start.
    import threading

    path = tmp_path / "config.yaml"
    os.mkfifo(path)
    got: list[tuple[Settings, list[str]]] = []
    worker = threading.Thread(target=lambda: got.append(load_settings(path, {})), daemon=True)
    worker.start()
    worker.join(5)
    assert got, "load_settings blocked on a FIFO"
    loaded, warnings = got[0]
    assert loaded == Settings()
    assert len(warnings) == 1 and "not a regular file" in warnings[0]
