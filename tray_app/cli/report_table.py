"""The pieces every usage table shares: token columns, breakdown rows, output settings."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tray_app.cli import render as r
from tray_app.cli.environment import Environment
from tray_app.cli.table import Col, Line, Output, Rendered, terminal_width, wants_color
from tray_app.usage import formatting as fmt
from tray_app.usage.model import Totals

# Narrow terminals lose cache writes first, then cache reads, input, output; never Total.
TOKEN_COLS = (
    Col("Input", drop=2, compact=False),
    Col("Output", drop=1, compact=False),
    Col("Cache write", drop=4, compact=False),
    Col("Cache read", drop=3, compact=False),
    Col("Total"),
)
COST_COL = Col("Cost")


def token_cols(no_cost: bool, first_to_go: bool = False) -> list[Col]:
    """The token columns, and Cost unless --no-cost; `first_to_go`: dropped before text ones."""
    cols = [replace(c, drop=c.drop + 10) if c.drop and first_to_go else c for c in TOKEN_COLS]
    return cols if no_cost else [*cols, COST_COL]


def token_cells(t: Totals, no_cost: bool) -> list[str]:
    """Cells for `token_cols`: thousands separators, the cost marking any unpriced part."""
    cells = [
        f"{t.input_tokens:,}",
        f"{t.output_tokens:,}",
        f"{t.cache_creation_tokens:,}",
        f"{t.cache_read_tokens:,}",
        f"{t.total_tokens:,}",
    ]
    return cells if no_cost else [*cells, fmt.totals_cost(t)]


def breakdown_lines(
    per_model: Sequence[tuple[str, Totals]], lead: int, no_cost: bool
) -> list[Line]:
    """A dim row per model (`└─ model`) under its row; `lead` empty cells before the name."""
    return [Line([""] * lead + [f"└─ {m}", *token_cells(t, no_cost)], "sub") for m, t in per_model]


def per_model_json(per_model: Sequence[tuple[str, Totals]]) -> list[dict[str, Any]]:
    """`per_model` for JSON with --breakdown."""
    return r.per_model_json(per_model)


def output_of(args: argparse.Namespace, env: Environment) -> Output:
    """Width, colour and --compact for this run."""
    return Output(
        terminal_width(env.env, env.stdout),
        wants_color(getattr(args, "color", None), env.env, env.stdout),
        bool(getattr(args, "compact", False)),
    )


def show(env: Environment, args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """JSON with --json, else the text (tables come cleaned; other text is cleaned here)."""
    if args.json:
        print(r.dumps(payload), file=env.stdout)
    elif isinstance(text, Rendered):
        print(text, file=env.stdout)
    else:
        print(r.safe_lines(text), file=env.stdout)
