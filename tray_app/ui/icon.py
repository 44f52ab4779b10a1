"""The tray icon: a gauge of the active block toward its limit, drawn at the target size."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from tray_app.service.snapshot import Snapshot
from tray_app.ui.limit_lines import icon_figure
from tray_app.usage.formatting import compact, percent

RGBA = tuple[int, int, int, int]
Look = Literal["starting", "no_data", "idle", "active", "near", "over", "error"]
DEFAULT_THRESHOLDS = (50, 80, 95)
SMALL = 20  # below this many pixels a number is unreadable, so only the gauge is drawn


@dataclass(frozen=True, slots=True)
class IconColors:
    """The palette; `levels` runs green → yellow → amber → red."""

    background: RGBA = (38, 50, 56, 255)
    track: RGBA = (84, 110, 122, 255)
    text: RGBA = (255, 255, 255, 255)
    dim: RGBA = (144, 164, 174, 255)
    levels: tuple[RGBA, ...] = (
        (67, 160, 71, 255),
        (205, 220, 57, 255),
        (255, 160, 0, 255),
        (229, 57, 53, 255),
    )
    over: RGBA = (198, 40, 40, 255)
    error: RGBA = (255, 112, 67, 255)


DEFAULT_COLORS = IconColors()


@dataclass(frozen=True, slots=True)
class Gauge:
    """What to draw, decided from a snapshot (kept apart from pixels to be testable)."""

    look: Look
    fraction: float  # 0..1 of the bar filled
    level: int  # index into IconColors.levels
    label: str  # short number or symbol; "" for none
    window: str = "five_hour"  # "seven_day": the weekly window is fuller (a 7-part bar)


def level_for(value: float, thresholds: tuple[int, ...], levels: int = 4) -> int:
    """Colour index: 0 below the first threshold, last at/above the last, amber just below."""
    passed = sum(1 for t in thresholds if value >= t)
    if passed == 0:
        return 0
    if passed >= len(thresholds):
        return levels - 1
    middle = levels - 2  # the colours between green and red
    return max(1, min(middle, middle - (len(thresholds) - passed) + 1))


def gauge_for(snapshot: Snapshot | None, thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS) -> Gauge:
    """Classify a snapshot into one of the distinct looks."""
    if snapshot is None:
        return Gauge("starting", 0.0, 0, "…")
    if snapshot.status == "error":
        return Gauge("error", 0.0, 0, "!")
    if snapshot.status == "no_data":
        return Gauge("no_data", 0.0, 0, "?")
    view = snapshot.active_block
    # The fuller of the 5-hour block and the official weekly window (usage/official_limits);
    # while idle the block is empty, so a known weekly figure is what is left to show.
    figure, window = icon_figure(snapshot, None if view is None else view.percent)
    if (snapshot.status == "idle" or view is None) and window != "seven_day":
        return Gauge("idle", 0.0, 0, "idle")
    if figure is None:  # no limit known yet: show tokens, an empty gauge
        return Gauge("active", 0.0, 0, compact(view.block.tokens if view else 0))
    pct = figure
    fraction = min(1.0, max(0.0, pct / 100.0))
    level = level_for(pct, thresholds)
    if pct > 100:
        return Gauge("over", 1.0, level, percent(pct), window)
    near = bool(thresholds) and pct >= thresholds[-1]
    return Gauge("near" if near else "active", fraction, level, percent(pct), window)


@functools.lru_cache(maxsize=64)
def _font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The bundled default TrueType face at `px` (pillow ≥ 10.1)."""
    return ImageFont.load_default(size=px)


def _fit_font(
    text: str, width: int, height: int
) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, int]:
    """Largest font (and stroke) whose ink box fits; stroke thickens thin glyphs a little."""
    for px in range(max(6, round(height * 1.5)), 5, -1):
        font = _font(px)
        stroke = px // 18
        left, top, right, bottom = font.getbbox(text, anchor="mm", stroke_width=stroke)
        if right - left <= width and bottom - top <= height:
            return font, stroke
    return _font(6), 0


def _draw_label(
    draw: ImageDraw.ImageDraw, text: str, box: tuple[int, int, int, int], fill: RGBA
) -> None:
    """Centre `text` inside `box` (inclusive pixel coordinates)."""
    x0, y0, x1, y1 = box
    font, stroke = _fit_font(text, x1 - x0 + 1, y1 - y0 + 1)
    left, top, right, bottom = font.getbbox(text, anchor="mm", stroke_width=stroke)
    # Centre the ink, not the font's em box, so digits sit in the middle of the area.
    cx = (x0 + x1 + 1) / 2 - (left + right) / 2
    cy = (y0 + y1 + 1) / 2 - (top + bottom) / 2
    draw.text(
        (cx, cy), text, font=font, fill=fill, anchor="mm", stroke_width=stroke, stroke_fill=fill
    )


def draw_gauge(gauge: Gauge, size: int, colors: IconColors = DEFAULT_COLORS) -> Image.Image:
    """Paint a `Gauge` onto a transparent square of `size` pixels."""
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    last = size - 1
    level_color = colors.levels[min(gauge.level, len(colors.levels) - 1)]
    background = colors.over if gauge.look == "over" else colors.background
    draw.rounded_rectangle((0, 0, last, last), radius=max(2, size // 6), fill=background)
    if gauge.look == "near":
        border = max(1, size // 21)
        draw.rounded_rectangle(
            (0, 0, last, last), radius=max(2, size // 6), outline=level_color, width=border
        )
    has_bar = gauge.look in ("idle", "active", "near", "over")
    bar_color = colors.text if gauge.look == "over" else level_color
    label_color = {"error": colors.error, "active": colors.text, "near": colors.text}.get(
        gauge.look, colors.text if gauge.look == "over" else colors.dim
    )
    margin = max(2, round(size * 0.09))
    if size < SMALL:
        # Too small for digits: the gauge fills the inside from the bottom, symbols stay.
        if has_bar:
            inner = last - 2 * margin + 1
            draw.rectangle((margin, margin, last - margin, last - margin), fill=colors.track)
            filled = round(gauge.fraction * inner)
            if filled:
                draw.rectangle(
                    (margin, last - margin - filled + 1, last - margin, last - margin),
                    fill=bar_color,
                )
        elif gauge.label:
            _draw_label(draw, gauge.label, (1, 1, last - 1, last - 1), label_color)
        return img
    if not has_bar:
        _draw_label(draw, gauge.label, (margin, margin, last - margin, last - margin), label_color)
        return img
    bar_h = max(3, round(size * 0.2))
    bar_y1 = last - margin
    bar_y0 = bar_y1 - bar_h + 1
    draw.rectangle((margin, bar_y0, last - margin, bar_y1), fill=colors.track)
    filled = round(gauge.fraction * (last - 2 * margin + 1))
    if filled:
        draw.rectangle((margin, bar_y0, margin + filled - 1, bar_y1), fill=bar_color)
    if gauge.window == "seven_day":  # seven days: the bar in seven parts
        width = last - 2 * margin + 1
        for day in range(1, 7):
            x = margin + round(day * width / 7)
            draw.line((x, bar_y0, x, bar_y1), fill=background, width=max(1, size // 32))
    side = max(1, margin // 2)
    gap = max(1, size // 24)
    _draw_label(draw, gauge.label, (side, side, last - side, bar_y0 - gap - 1), label_color)
    return img


def render_icon(
    snapshot: Snapshot | None,
    size: int = 64,
    colors: IconColors = DEFAULT_COLORS,
    thresholds: tuple[int, ...] = DEFAULT_THRESHOLDS,
) -> Image.Image:
    """The tray image for a snapshot, drawn natively at `size` pixels (16–256)."""
    return draw_gauge(gauge_for(snapshot, thresholds), size, colors)
