"""A stand-in seal for the demo's certificates: a red ring, a star, the bureau's name along
the top and 「示例」 (specimen) across the bottom, so that nobody mistakes it for a real one."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

RED = (200, 16, 30, 235)


def demo_seal(name: str, font_path: str, size: int = 480) -> bytes:
    """A PNG with a transparent background."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre, ring = size / 2, size * 0.03
    draw.ellipse((ring, ring, size - ring, size - ring), outline=RED, width=int(size * 0.035))
    _star(draw, centre, centre, size * 0.16)
    font = ImageFont.truetype(font_path, int(size * 0.1))
    _arc_text(image, name, font, centre, size * 0.36, start=-150, end=-30)
    small = ImageFont.truetype(font_path, int(size * 0.09))
    draw.text((centre, size * 0.74), "示例", font=small, fill=RED, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _star(draw: ImageDraw.ImageDraw, x: float, y: float, radius: float) -> None:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.4
        angle = math.radians(-90 + i * 36)
        points.append((x + r * math.cos(angle), y + r * math.sin(angle)))
    draw.polygon(points, fill=RED)


def _arc_text(
    image: Image.Image,
    text: str,
    font: ImageFont.FreeTypeFont,
    centre: float,
    radius: float,
    start: float,
    end: float,
) -> None:
    """Each character upright along a circle, from angle ``start`` to ``end`` (degrees)."""
    step = (end - start) / max(len(text) - 1, 1)
    for i, char in enumerate(text):
        angle = math.radians(start + i * step)
        glyph = Image.new("RGBA", (font.size * 2, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font.size, font.size), char, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        x = centre + radius * math.cos(angle) - glyph.width / 2
        y = centre + radius * math.sin(angle) - glyph.height / 2
        image.alpha_composite(glyph, (int(x), int(y)))
