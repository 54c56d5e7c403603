"""Text handling: normalising answers and sanitising rich text in stems and options."""

from __future__ import annotations

import re
import unicodedata

import nh3

#: The small safe subset of HTML a stem, option or explanation may carry.
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "sub", "sup", "br", "p", "ul", "ol", "li", "img"}
ALLOWED_ATTRIBUTES = {"img": {"src", "alt", "width", "height"}}
#: Images only from the bank's own storage.
MEDIA_PREFIX = "/questions/media/"

_TRAILING_PUNCTUATION = "。．.，,；;！!？?、"


def normalise_answer(text: str) -> str:
    """Fold an answer for comparison: full-width to half-width, no spaces, case-folded,
    no trailing punctuation ("ＡＢＣ　" == "abc", "安全第一。" == "安全第一")."""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = "".join(folded.split()).casefold()
    return folded.rstrip(_TRAILING_PUNCTUATION)


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if (
        tag == "img"
        and attribute == "src"
        and (
            not value.startswith(MEDIA_PREFIX) or "/" in value[len(MEDIA_PREFIX) :] or ".." in value
        )
    ):
        return None  # an image from anywhere but the bank's own storage is dropped
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """Remove control characters (other than tab and line breaks): no file format wants them."""
    return _CONTROL.sub("", str(text))


def sanitise(html: str) -> str:
    """Reduce rich text to the safe subset: no scripts, event handlers or foreign links."""
    cleaned = nh3.clean(
        strip_controls(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=set(),
        link_rel=None,
    )
    return re.sub(r"<img(?![^>]*\bsrc=)[^>]*>", "", cleaned)  # an image left without a source


def plain(html: str) -> str:
    """The text of a rich-text value, for search and comparison."""
    return " ".join(nh3.clean(str(html), tags=set()).split())
