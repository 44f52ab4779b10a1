"""Model choices: aliases, profiles, known ids, --force, and Claude Code's precedence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tray_app.usage.model_select import (
    DEFAULT_PROFILES,
    Choice,
    ChoiceError,
    Layer,
    all_profiles,
    describe,
    effective_model,
    resolve_choice,
)

KNOWN = frozenset({"claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5"})
PROFILES = all_profiles({"fast": "haiku", "best": "opus[1m]"})


@pytest.mark.parametrize("alias", ["opus", "sonnet", "haiku", "opusplan", "sonnet[1m]", "opus[1m]"])
def test_aliases_are_accepted_as_they_are(alias: str) -> None:
    assert resolve_choice(alias, PROFILES, KNOWN) == Choice(alias)


def test_default_removes_the_key() -> None:
    assert resolve_choice("default", PROFILES, KNOWN) == Choice(None)


def test_profiles_resolve_and_the_user_may_redefine_a_default_one() -> None:
    assert resolve_choice("balanced", PROFILES, KNOWN) == Choice("sonnet", "balanced")
    assert resolve_choice("best", PROFILES, KNOWN) == Choice("opus[1m]", "best")
    assert resolve_choice("fast", PROFILES, KNOWN) == Choice("haiku", "fast")
    assert DEFAULT_PROFILES == {"best": "opus", "balanced": "sonnet", "cheap": "haiku"}


def test_full_ids_with_a_date_are_known() -> None:
    assert resolve_choice("claude-sonnet-4-5-20250929", PROFILES, KNOWN).known


def test_a_typo_is_refused_unless_forced() -> None:
    with pytest.raises(ChoiceError, match=r"unknown model 'sonet'.*--force"):
        resolve_choice("sonet", PROFILES, KNOWN)
    assert resolve_choice("sonet", PROFILES, KNOWN, force=True) == Choice("sonet", known=False)


@given(st.text(min_size=1, max_size=30))
def test_nothing_with_control_characters_gets_through(name: str) -> None:
    try:
        choice = resolve_choice(name, PROFILES, KNOWN, force=True)
    except ChoiceError:
        return
    assert choice.value is None or (choice.value.isprintable() and " " not in choice.value)


def user(value: str | None) -> Layer:
    return Layer("user", "/home/u/.claude/settings.json", value)


def test_user_setting_alone_wins_without_warnings() -> None:
    layers = [Layer("env", "ANTHROPIC_MODEL", None), Layer("project", "/p", None), user("opus")]
    result = effective_model(layers)
    assert (result.value, result.warnings, result.user_value) == ("opus", (), "opus")
    assert result.source is not None and result.source.kind == "user"


@pytest.mark.parametrize(
    ("winner", "what"),
    [
        (Layer("env", "ANTHROPIC_MODEL", "haiku"), "the variable ANTHROPIC_MODEL"),
        (Layer("managed", "/etc/claude-code/managed-settings.json", "haiku"), "managed"),
        (Layer("local", "/p/.claude/settings.local.json", "haiku"), "local"),
        (Layer("project", "/p/.claude/settings.json", "haiku"), "project"),
    ],
)
def test_each_override_of_the_user_setting_is_named(winner: Layer, what: str) -> None:
    result = effective_model([winner, user("opus")])
    assert result.value == "haiku" and result.source == winner
    assert len(result.warnings) == 1 and what in result.warnings[0]
    assert winner.where in result.warnings[0] and "'opus'" not in result.warnings[0]
    assert "overrides your user setting (opus)" in result.warnings[0]


def test_nothing_set_means_claude_codes_default() -> None:
    result = effective_model([Layer("env", "ANTHROPIC_MODEL", None), user(None)])
    assert result.value is None and result.source is None and result.warnings == ()


def test_an_unreadable_file_is_a_warning() -> None:
    result = effective_model([Layer("project", "/p/s.json", None, "not valid JSON"), user("x")])
    assert result.value == "x" and result.warnings == (
        "/p/s.json could not be read: not valid JSON",
    )


def test_describe_names_the_profile() -> None:
    assert describe("sonnet", PROFILES) == "sonnet (profile balanced)"
    assert describe(None, PROFILES) == "Claude Code's default"
    assert describe("claude-x", PROFILES) == "claude-x"
