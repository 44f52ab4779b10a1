"""Claude Code's settings files: real temp homes, symlinks, bad files, concurrent edits."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tray_app.adapters.claude_settings import (
    BACKUP_SUFFIX,
    ConcurrentEdit,
    MalformedSettings,
    SettingsError,
    claude_config_dir,
    managed_settings_paths,
    read_layered,
    read_settings,
    set_key,
    set_user_key,
    user_settings_path,
)


def home_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose home is a fresh temp dir."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home)}


def write_json(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_user_file_is_under_home_dot_claude(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    assert user_settings_path(env) == tmp_path / "home" / ".claude" / "settings.json"


def test_claude_config_dir_wins_and_a_list_uses_its_first_entry(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    assert claude_config_dir({**env, "CLAUDE_CONFIG_DIR": str(tmp_path / "a")}) == tmp_path / "a"
    both = f"{tmp_path / 'a'}, {tmp_path / 'b'}"
    assert claude_config_dir({**env, "CLAUDE_CONFIG_DIR": both}) == tmp_path / "a"
    projects = f"{tmp_path / 'c' / 'projects'},{tmp_path / 'b'}"
    assert claude_config_dir({**env, "CLAUDE_CONFIG_DIR": projects}) == tmp_path / "c"


def test_a_real_dir_with_a_comma_in_its_name_is_one_dir(tmp_path: Path) -> None:
    odd = tmp_path / "me,work"
    odd.mkdir()
    assert claude_config_dir({"CLAUDE_CONFIG_DIR": str(odd)}) == odd


def test_managed_paths_per_platform() -> None:
    assert managed_settings_paths("linux") == [Path("/etc/claude-code/managed-settings.json")]
    assert managed_settings_paths("darwin") == [
        Path("/Library/Application Support/ClaudeCode/managed-settings.json")
    ]
    assert [str(p) for p in managed_settings_paths("win32")] == [
        str(Path("C:\\Program Files\\ClaudeCode") / "managed-settings.json"),
        str(Path("C:\\ProgramData\\ClaudeCode") / "managed-settings.json"),
    ]


def test_missing_file_reads_as_none(tmp_path: Path) -> None:
    assert read_settings(tmp_path / "settings.json") is None


@pytest.mark.parametrize("text", ['{"model": ', "[1, 2]", '{"a": 1} trailing', "// c\n{}"])
def test_malformed_file_is_a_typed_error(tmp_path: Path, text: str) -> None:
    path = write_json(tmp_path / "settings.json", text)
    with pytest.raises(MalformedSettings) as caught:
        read_settings(path)
    assert caught.value.path == path and str(path) in str(caught.value)


def test_layers_come_highest_precedence_first(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    project = tmp_path / "proj"
    write_json(project / ".claude" / "settings.json", '{"model": "sonnet", "x": 1}')
    write_json(project / ".claude" / "settings.local.json", '{"x": 2}')
    write_json(user_settings_path(env), '{"model": "opus"}')
    layered = read_layered(env, project, platform="plan9")  # no managed dirs on this "OS"
    assert [f.scope for f in layered.files] == ["local", "project", "user"]
    winner = layered.winner("model")
    assert (
        winner is not None
        and winner.scope == "project"
        and winner.data
        == {
            "model": "sonnet",
            "x": 1,
        }
    )
    assert layered.user().data == {"model": "opus"}
    assert layered.winner("nothing") is None


def test_a_malformed_layer_is_reported_not_raised(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    write_json(user_settings_path(env), "{oops")
    layered = read_layered(env, tmp_path, platform="plan9")
    user = layered.user()
    assert user.data is None and user.error is not None and "not valid JSON" in user.error


def test_set_creates_a_private_file_in_a_private_dir(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    written = set_user_key("model", "sonnet", env)
    assert written == user_settings_path(env)
    assert json.loads(written.read_text()) == {"model": "sonnet"}
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
    assert not written.with_name(written.name + BACKUP_SUFFIX).exists()  # nothing to back up


def test_set_keeps_other_keys_their_order_mode_and_backs_up(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    original = '{\n    "z": 1,\n    "model": "opus",\n    "a": {"deep": [1, 2]}\n}\n'
    path = write_json(user_settings_path(env), original, mode=0o640)
    set_user_key("model", "haiku", env)
    assert list(json.loads(path.read_text())) == ["z", "model", "a"]
    assert json.loads(path.read_text()) == {"z": 1, "model": "haiku", "a": {"deep": [1, 2]}}
    assert '\n    "z": 1' in path.read_text()  # the file's own 4-space indent is kept
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    backup = path.with_name("settings.json" + BACKUP_SUFFIX)
    assert backup.read_text() == original and stat.S_IMODE(backup.stat().st_mode) == 0o600
    set_user_key("statusLine", {"type": "command", "command": "x"}, env)
    assert list(json.loads(path.read_text())) == ["z", "model", "a", "statusLine"]


def test_none_deletes_the_key_and_only_that_key(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    path = write_json(user_settings_path(env), '{"model": "opus", "theme": "dark"}')
    set_user_key("model", None, env)
    assert json.loads(path.read_text()) == {"theme": "dark"}


def test_no_change_writes_nothing(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    path = write_json(user_settings_path(env), '{"model":"opus"}')
    before = path.stat().st_mtime_ns
    set_user_key("model", "opus", env)
    set_user_key("absent", None, env)
    assert path.read_text() == '{"model":"opus"}' and path.stat().st_mtime_ns == before
    assert not path.with_name(path.name + BACKUP_SUFFIX).exists()


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    dotfiles = write_json(tmp_path / "dotfiles" / "claude.json", '{"theme": "light"}', 0o600)
    link = user_settings_path(env)
    link.parent.mkdir(parents=True)
    link.symlink_to(dotfiles)
    written = set_user_key("model", "sonnet", env)
    assert written == dotfiles.resolve()
    assert link.is_symlink() and link.resolve() == dotfiles.resolve()
    assert json.loads(dotfiles.read_text()) == {"theme": "light", "model": "sonnet"}
    assert (dotfiles.parent / ("claude.json" + BACKUP_SUFFIX)).exists()


def test_a_dangling_symlink_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    link = user_settings_path(env)
    link.parent.mkdir(parents=True)
    link.symlink_to(tmp_path / "gone" / "settings.json")
    with pytest.raises(SettingsError):
        set_user_key("model", "opus", env)
    assert not (tmp_path / "gone").exists()


@pytest.mark.parametrize("text", ['{"model": "opus",}', "[]", "\xff"])
def test_a_malformed_file_is_never_overwritten(tmp_path: Path, text: str) -> None:
    env = home_env(tmp_path)
    path = user_settings_path(env)
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("latin-1"))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    with pytest.raises(MalformedSettings):
        set_user_key("model", "sonnet", env)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temp left


def test_a_concurrent_edit_is_merged_not_lost(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    path = write_json(user_settings_path(env), '{"model": "opus"}')
    edits = iter(['{"model": "opus", "theme": "dark"}'])

    def someone_else_writes() -> None:
        text = next(edits, None)
        if text is not None:
            path.write_text(text)
            os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock

    set_key(path, "model", "haiku", before_replace=someone_else_writes)
    assert json.loads(path.read_text()) == {"model": "haiku", "theme": "dark"}


def test_a_file_that_keeps_changing_is_left_alone(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    path = write_json(user_settings_path(env), '{"n": 0}')
    count = iter(range(1, 100))

    def keeps_writing() -> None:
        path.write_text(json.dumps({"n": next(count)}))

    with pytest.raises(ConcurrentEdit):
        set_key(path, "model", "haiku", before_replace=keeps_writing)
    assert "model" not in json.loads(path.read_text())
    left = sorted(p.name for p in path.parent.iterdir())
    assert left == ["settings.json", "settings.json" + BACKUP_SUFFIX]  # no temp files left


def test_a_directory_in_place_of_the_file_is_an_error(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    user_settings_path(env).mkdir(parents=True)
    with pytest.raises(SettingsError):
        set_user_key("model", "opus", env)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(st.text(max_size=6), json_values, max_size=6),
    st.text(min_size=1, max_size=6),
    json_values,
)
def test_one_key_changes_and_nothing_else(
    tmp_path: Path, before: dict[str, object], key: str, value: object
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(before))
    set_key(path, key, value)
    after = json.loads(path.read_text())
    expected = dict(before)
    if value is None:
        expected.pop(key, None)
    else:
        expected[key] = value
    assert after == expected
    assert [k for k in after if k != key] == [k for k in before if k != key]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_folder_we_may_not_write_is_a_settings_error(tmp_path: Path) -> None:
    env = home_env(tmp_path)
    path = write_json(user_settings_path(env), '{"model": "opus"}')
    path.parent.chmod(0o500)
    try:
        with pytest.raises(SettingsError, match="cannot write"):
            set_user_key("model", "haiku", env)
    finally:
        path.parent.chmod(0o700)
    assert json.loads(path.read_text()) == {"model": "opus"}


def test_a_file_in_place_of_the_config_folder_is_a_settings_error(tmp_path: Path) -> None:
    blocker = tmp_path / "cc"
    blocker.write_text("not a folder")
    with pytest.raises(SettingsError, match="cannot write"):
        set_user_key("model", "haiku", {"CLAUDE_CONFIG_DIR": str(blocker)})
    assert blocker.read_text() == "not a folder"


def test_a_fifo_settings_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    # A project's .claude/settings.json may come from a cloned repository: a FIFO (or a
    # symlink to /dev/zero) there made `token-monitor model` wait forever.
    import threading

    path = tmp_path / "settings.json"
    os.mkfifo(path)
    got: list[BaseException] = []

    def read() -> None:
        try:
            read_settings(path)
        except SettingsError as exc:
            got.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    assert len(got) == 1 and "not a regular file" in str(got[0])
