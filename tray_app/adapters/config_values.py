"""Each setting's value parser: a bad value raises BadValue and falls back to its default."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

LimitMode = Literal["max", "p90", "custom"]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_COLOR = r"#[0-9a-fA-F]{6}"  # patterns compile on first use (re caches them)


@dataclass(frozen=True)
class Colors:
    """Icon colours by state, as #rrggbb."""

    ok: str = "#2e9d4f"
    warn: str = "#e0a100"
    danger: str = "#d64541"
    idle: str = "#7f8c8d"


class BadValue(ValueError):
    """A value of the wrong shape; the message says what was expected."""


def as_number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def str_list(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise BadValue("expected a list of folder paths")
    return tuple(items)


def seconds(value: object) -> float:
    number = as_number(value)
    if number is None or not 1 <= number <= 3600:
        raise BadValue("expected a number of seconds 1-3600")
    return number


def thresholds(value: object) -> tuple[int, ...]:
    numbers = [as_number(v) for v in value] if isinstance(value, list) else [None]
    ints = [int(n) for n in numbers if n is not None and n.is_integer() and 1 <= n <= 100]
    if len(ints) != len(numbers) or not isinstance(value, list):
        raise BadValue("expected a list of numbers 1-100")
    return tuple(sorted(set(ints)))


def limit_mode(value: object) -> LimitMode:
    if value == "max" or value == "p90" or value == "custom":
        return value
    raise BadValue("expected one of max, p90, custom")


def limit_tokens(value: object) -> int | None:
    number = as_number(value)
    if value is None or (number is not None and number.is_integer() and number > 0):
        return None if number is None else int(number)
    raise BadValue("expected a whole number of tokens above 0, or null")


def flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    raise BadValue("expected true or false")


def colors(value: object) -> Colors:
    names = {f.name for f in dataclasses.fields(Colors)}
    items = value.items() if isinstance(value, Mapping) else [(None, None)]
    if not all(k in names and isinstance(v, str) and re.fullmatch(_COLOR, v) for k, v in items):
        raise BadValue("expected ok/warn/danger/idle colours like '#e0a100'")
    return Colors(**value)  # type: ignore[arg-type]


def optional_str(value: object) -> str | None:
    if value is None or (isinstance(value, str) and value):
        return value
    raise BadValue("expected text or null")


def log_level(value: object) -> str:
    if isinstance(value, str) and value.upper() in LOG_LEVELS:
        return value.upper()
    raise BadValue(f"expected one of {', '.join(LOG_LEVELS)}")


def prices(value: object) -> dict[str, dict[str, float]]:
    prices: dict[str, dict[str, float]] = {}
    for model, rates in value.items() if isinstance(value, Mapping) else [(None, None)]:
        parsed = {k: as_number(v) for k, v in rates.items()} if isinstance(rates, Mapping) else {}
        clean = {k: v for k, v in parsed.items() if isinstance(k, str) and v is not None and v >= 0}
        if not isinstance(model, str) or not isinstance(rates, Mapping) or len(clean) != len(rates):
            raise BadValue(
                "expected model: {input: 3.0, output: 15.0, ...} in USD per million tokens"
            )
        prices[model] = clean
    return prices


def timezone(value: object) -> str | None:
    from zoneinfo import ZoneInfo  # on use: ~3 ms of every start

    try:
        return None if value is None else ZoneInfo(str(value)).key
    except (ValueError, OSError, KeyError) as error:  # ZoneInfoNotFoundError is a KeyError
        raise BadValue("expected an IANA time zone like Europe/Paris, or null") from error


def labels(value: object) -> dict[str, str]:
    items = value.items() if isinstance(value, Mapping) else [(None, None)]
    ok = all(k in ("user", "host") and isinstance(v, str) and 0 < len(v) <= 100 for k, v in items)
    if not ok:
        raise BadValue("expected {user: name, host: name}")
    return dict(items)


def budgets(value: object) -> dict[str, float]:
    items = value.items() if isinstance(value, Mapping) else [(None, None)]
    out = {k: as_number(v) for k, v in items if k in ("daily", "weekly", "monthly")}
    if len(out) != len(items) or not all(v is not None and v > 0 for v in out.values()):
        raise BadValue("expected {daily: USD, weekly: USD, monthly: USD} (any of them, above 0)")
    return out  # type: ignore[return-value]


def secret_str(value: object) -> str | None:
    # Never rejected here: the warning would echo the secret. The webhook checks it.
    return value if isinstance(value, str) and value else None


_PROFILE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}"
_MODEL_VALUE = r"[A-Za-z0-9][A-Za-z0-9_.:@/\[\]-]{0,99}"


def profiles(value: object) -> dict[str, str]:
    items = value.items() if isinstance(value, Mapping) else [(None, None)]
    ok = all(
        isinstance(k, str) and re.fullmatch(_PROFILE, k) and isinstance(v, str)
        and re.fullmatch(_MODEL_VALUE, v)
        for k, v in items
    )  # fmt: skip
    if not ok:
        raise BadValue("expected {profile-name: model alias or id}, e.g. {fast: haiku}")
    return dict(items)


def aliases(value: object) -> dict[str, str]:
    items = list(value.items()) if isinstance(value, Mapping) else [(None, None)]
    out = {k: v.strip() for k, v in items if isinstance(k, str) and k and isinstance(v, str)}
    if len(out) != len(items) or not all(out.values()):
        raise BadValue("expected {project path or folder name: short name}")
    return out


def percent(value: object) -> int:
    number = as_number(value)
    if number is None or not number.is_integer() or not 1 <= number <= 100:
        raise BadValue("expected a whole number 1-100")
    return int(number)


STATUSLINE_ITEMS = ("block", "weekly", "reset", "burn", "cost")


def max_age(value: object) -> float:
    number = as_number(value)
    if number is None or not 60 <= number <= 86400:
        raise BadValue("expected a number of seconds 60-86400")
    return number


def items(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(v in STATUSLINE_ITEMS for v in value):
        raise BadValue(f"expected a list of {', '.join(STATUSLINE_ITEMS)}")
    return tuple(value)


def position(value: object) -> str:
    if value in ("append", "prepend"):
        return str(value)
    raise BadValue("expected append or prepend")
