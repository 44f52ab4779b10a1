"""The model manager's config keys: profiles, auto-switch and its threshold."""

from __future__ import annotations

from pathlib import Path

from tray_app.adapters.config import load_settings, update_settings


def test_profiles_and_auto_switch_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("model_profiles: {fast: haiku, long: 'sonnet[1m]'}\nauto_switch: true\n")
    settings, warnings = load_settings(path, {})
    assert warnings == []
    assert dict(settings.model_profiles) == {"fast": "haiku", "long": "sonnet[1m]"}
    assert settings.auto_switch is True and settings.auto_switch_percent == 80
    update_settings(path, env={}, auto_switch=False, auto_switch_percent=90)
    again, warnings = load_settings(path, {})
    assert warnings == [] and again.auto_switch is False and again.auto_switch_percent == 90
    assert dict(again.model_profiles) == {"fast": "haiku", "long": "sonnet[1m]"}


def test_bad_model_keys_fall_back_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "model_profiles: {'bad name': opus}\nauto_switch: yes please\nauto_switch_percent: 0\n"
    )
    settings, warnings = load_settings(path, {})
    assert dict(settings.model_profiles) == {} and settings.auto_switch is False
    assert settings.auto_switch_percent == 80
    assert [w.split(":")[0] for w in warnings] == [
        "model_profiles",
        "auto_switch",
        "auto_switch_percent",
    ]


def test_a_control_character_in_a_profile_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text('model_profiles: {x: "opus\\e[31m"}\n')
    settings, warnings = load_settings(path, {})
    assert dict(settings.model_profiles) == {} and len(warnings) == 1
