"""The Chinese TrueType font every printed page embeds, found and registered with reportlab.

Where it comes from, first found wins: the ``ANPEI_CERTIFICATE_FONT`` setting; a Chinese
TrueType font the system's fontconfig knows (Debian's ``fonts-wqy-microhei``); the copy of
WenQuanYi Micro Hei installed with Anpei as the pinned ``paperang-p2-fonts-cjk`` package,
located through its package metadata and never imported (its licence: see NOTICE).
reportlab embeds TrueType outlines only, so CFF-based fonts such as Noto CJK are passed over.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from exam.core.printing.text import printable_line

__all__ = [
    "FALLBACK_DISTRIBUTION",
    "FontChoice",
    "FontMissing",
    "choose_font",
    "first_usable",
    "font_name",
    "font_path",
    "missing_characters",
    "packaged_font",
    "registered_font",
    "system_font",
]

#: The distribution whose wheel carries WenQuanYi Micro Hei (byte for byte Debian's
#: wqy-microhei.ttc), pinned exactly in pyproject.toml, and the file in it.
FALLBACK_DISTRIBUTION = "paperang-p2-fonts-cjk"
FALLBACK_FILE = "wqy-microhei.ttc"
FALLBACK_FAMILY = "WenQuanYi Micro Hei"

#: What fontconfig is asked for: its preferred sans-serif faces for Simplified Chinese, best
#: first, each with what the choice needs (a first face, TrueType outlines, zh-cn coverage).
FC_PATTERN = "sans-serif:lang=zh-cn"
FC_FORMAT = "%{file}\\t%{index}\\t%{fontformat}\\t%{lang}\\t%{family[0]}\\n"


class FontMissing(Exception):
    """No usable Chinese TrueType font: certificates (and every other PDF) cannot be rendered.

    The messages name the certificate font, as the setting is called (``CERTIFICATE_FONT``).
    """


@dataclass(frozen=True)
class FontChoice:
    """The font PDFs embed and where it came from: ``configured`` (the setting), ``system``
    (fontconfig) or ``packaged`` (the pinned Python package)."""

    path: str
    family: str
    source: str


def choose_font(configured: str | None = None) -> FontChoice:
    """The Chinese TrueType font to embed: ``configured`` if given (it must exist), else the
    system's (fontconfig), else the packaged WenQuanYi Micro Hei."""
    if configured:
        if not Path(configured).is_file():
            raise FontMissing(
                f"the configured certificate font {configured!r} does not exist "
                "(give the path of a TrueType .ttf/.ttc with Chinese glyphs, or "
                "leave it unset to use the system's or the packaged Chinese font)"
            )
        return FontChoice(str(configured), _family(str(configured)), "configured")
    found = system_font() or packaged_font()
    if found is None:
        raise FontMissing(
            "no Chinese font for certificates: install Debian's fonts-wqy-microhei (with "
            f"fontconfig) or the Python package {FALLBACK_DISTRIBUTION}, or configure the "
            "path of a TrueType font with Chinese glyphs"
        )
    return found


def font_path(configured: str | None = None) -> str:
    """The path of the Chinese TrueType font to embed (see ``choose_font``)."""
    return choose_font(configured).path


@functools.cache
def system_font() -> FontChoice | None:
    """fontconfig's preferred Simplified Chinese TrueType face, asked once per process; None
    where fontconfig is missing or knows no such font."""
    try:
        # A fixed command line: fontconfig's own tool, found on the PATH.
        listing = subprocess.run(  # noqa: S603
            ["fc-match", "--sort", "--format", FC_FORMAT, FC_PATTERN],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return first_usable(listing)


def first_usable(listing: str) -> FontChoice | None:
    """The first face of ``fc-match --format FC_FORMAT`` output that can print Chinese
    certificates: a collection's first face, TrueType outlines, Simplified Chinese coverage."""
    for line in listing.splitlines():
        fields = line.split("\t")
        if len(fields) != 5:
            continue
        file, index, fontformat, langs, family = fields
        usable = index == "0" and fontformat == "TrueType" and "zh-cn" in langs.split("|")
        if usable and Path(file).is_file():
            return FontChoice(file, family, "system")
    return None


def packaged_font() -> FontChoice | None:
    """The packaged font's file, found through the distribution's list of installed files."""
    try:
        distribution = metadata.distribution(FALLBACK_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if file.name == FALLBACK_FILE:
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                return FontChoice(str(path), FALLBACK_FAMILY, "packaged")
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


def _family(path: str) -> str:
    """The family name the font file gives itself (registering it, which checks it is usable)."""
    family = pdfmetrics.getFont(registered_font(path)).face.familyName
    return family.decode("utf-8", "replace") if isinstance(family, bytes) else str(family)


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
