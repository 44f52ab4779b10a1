"""Load the bundled price table (`tray_app/data/prices.json`) and the user's overrides."""

from __future__ import annotations

import json
import logging
import pkgutil
from collections.abc import Mapping

from tray_app.usage.pricing import PriceTable

log = logging.getLogger(__name__)

PRICES_FILE = "prices.json"


def bundled_price_table() -> PriceTable:
    """The bundled table; a broken file raises ValueError (a packaging bug, not user data)."""
    # The package's loader rather than __file__: it also finds the file inside a zip or a
    # PyInstaller bundle (which must collect tray_app/data/*.json). pkgutil, not
    # importlib.resources: that one (with zipfile) was ~3 ms of every command's start.
    raw = pkgutil.get_data("tray_app.data", PRICES_FILE)
    if raw is None:
        raise ValueError(f"bundled {PRICES_FILE} cannot be read by its package's loader")
    try:
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"bundled {PRICES_FILE} is not valid JSON: {error}") from error
    return PriceTable.from_mapping(data)


def load_price_table(overrides: Mapping[str, Mapping[str, float]] | None = None) -> PriceTable:
    """The bundled table with the config's per-model overrides; bad ones are logged, skipped."""
    table = bundled_price_table()
    if not overrides:
        return table
    if not isinstance(overrides, Mapping):
        # The config is user-edited YAML: a wrong shape must not stop the app starting.
        log.warning("price overrides ignored: expected a mapping of model -> prices")
        return table
    for model, prices in overrides.items():
        # One model at a time, so one typo costs only that model its override.
        try:
            table = table.with_overrides({model: prices})
        except ValueError as error:
            log.warning("%s; override skipped", error)
    return table
