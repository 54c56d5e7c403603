"""The Chinese TrueType font every printed page embeds, found and registered with reportlab.

WenQuanYi Micro Hei is shipped by the ``paperang-p2-fonts-cjk`` package, so a PDF renders the
same on a machine without Chinese fonts; a deployment may configure another TrueType font.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from importlib import resources
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from exam.core.printing.text import printable_line

__all__ = [
    "PACKAGED_FONT",
    "SYSTEM_FONT",
    "FontMissing",
    "font_name",
    "font_path",
    "missing_characters",
    "registered_font",
]

PACKAGED_FONT = ("paperang_p2_fonts_cjk", "fonts/wqy-microhei.ttc")
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class FontMissing(Exception):
    """No usable Chinese TrueType font: certificates (and every other PDF) cannot be rendered.

    The messages name the certificate font, as the setting is called (``CERTIFICATE_FONT``).
    """


def font_path(configured: str | None = None) -> str:
    """The Chinese TrueType font to embed: ``configured`` if given (it must exist), else the
    packaged WenQuanYi Micro Hei, else Debian's ``fonts-wqy-microhei``."""
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(
                f"the configured certificate font {configured!r} does not exist "
                "(give the path of a TrueType .ttf/.ttc with Chinese glyphs, or "
                "leave it unset to use the packaged WenQuanYi Micro Hei)"
            )
        return str(configured)
    packaged = _packaged_font()
    if packaged:
        return packaged
    if SYSTEM_FONT.is_file():
        return str(SYSTEM_FONT)
    raise FontMissing(
        "no Chinese font for certificates: install the Python package "
        "paperang-p2-fonts-cjk (or Debian's fonts-wqy-microhei), or configure "
        "the path of a TrueType font with Chinese glyphs"
    )


def _packaged_font() -> str | None:
    package, name = PACKAGED_FONT
    try:
        candidate = resources.files(package).joinpath(name)
    except ModuleNotFoundError:
        return None
    if isinstance(candidate, Path) and candidate.is_file():
        return str(candidate)
    return None


_font_lock = threading.Lock()


@functools.cache
def registered_font(path: str) -> str:
    """Register the font at ``path`` with reportlab (once per process) and return its name."""
    name = "AnpeiCJK-" + hashlib.sha1(path.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]
    with _font_lock:
        if name in pdfmetrics.getRegisteredFontNames():
            return name
        options = {"subfontIndex": 0} if path.lower().endswith((".ttc", ".otc")) else {}
        try:
            pdfmetrics.registerFont(TTFont(name, path, **options))
        except (TTFError, OSError) as error:
            raise FontMissing(
                f"cannot use {path!r} as the certificate font: {error} "
                "(reportlab embeds TrueType outlines only, not CFF/OpenType-"
                "PostScript fonts such as Noto CJK)"
            ) from error
    return name


def font_name(configured: str | None = None) -> str:
    """The reportlab name of the configured (or default) Chinese font, registered once."""
    return registered_font(font_path(configured))


def missing_characters(text: str, font: str | None = None) -> str:
    """The characters of ``text`` the font has no glyph for, which would print blank: a
    caller can warn before issuing (a rare character (生僻字) in a name, say 𠮷 or 䶮, which
    WenQuanYi Micro Hei lacks)."""
    face = pdfmetrics.getFont(font_name(font)).face
    absent = (
        ch for ch in printable_line(text) if not ch.isspace() and ord(ch) not in face.charToGlyph
    )
    return "".join(dict.fromkeys(absent))
