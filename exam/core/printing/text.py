"""Chinese text measured and broken into lines for reportlab: line breaks between Chinese
characters and Latin words, no closing punctuation at the start of a line (禁则), text
shortened with an ellipsis; and the Chinese way of writing a date."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from reportlab.pdfbase import pdfmetrics

__all__ = [
    "KEEP_TOGETHER",
    "Run",
    "Token",
    "break_lines",
    "chinese_date",
    "ellipsize",
    "longest_prefix",
    "printable_line",
    "text_width",
    "wrap",
]

#: Filled-in values up to this many characters are kept on one line.
KEEP_TOGETHER = 8


def printable_line(text: object) -> str:
    """``text`` as one printable line: control characters and lone surrogates become spaces."""
    return "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in str(text)
    ).strip()


def chinese_date(day: date) -> str:
    """``day`` as 2026年11月27日."""
    return f"{day.year}年{day.month}月{day.day}日"


def text_width(text: str, font: str, size: float) -> float:
    """The width of ``text`` in points."""
    return pdfmetrics.stringWidth(text, font, size)


#: Chinese characters and full-width forms: a line may break before or after any of them.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
#: A run of spaces, a Latin word or number (kept together), or one other character.
_TOKEN = re.compile(rf"\s+|[^\s{_CJK}]+|.", re.DOTALL)
_LATIN_WORD = re.compile(rf"[^\s{_CJK}]+")
#: Punctuation that must not start a line, and punctuation that must not end one (禁则).
_NO_START = frozenset("，。、；：？！）】》」』〉〕”’…—·%,.;:?!)]}")
_NO_END = frozenset("（【《「『〈〔“‘([{")

#: A piece of text and whether it is underlined (a filled-in value).
Run = tuple[str, bool]
#: A laid-out token: its text, whether it is underlined, its width.
Token = tuple[str, bool, float]


def _tokens(runs: Iterable[Run], font: str, size: float, width: float) -> list[Token]:
    tokens: list[Token] = []
    for text, underlined in runs:
        # A short filled-in value (a name, a post, a score) is not broken across lines.
        whole = underlined and len(text.strip()) <= KEEP_TOGETHER
        pieces = re.findall(r"\s+|\S+", text) if whole else _TOKEN.findall(text)
        for token in pieces:
            token_width = text_width(token, font, size)
            if token_width > width and len(token) > 1:  # longer than a line: break anywhere
                tokens.extend((ch, underlined, text_width(ch, font, size)) for ch in token)
            else:
                tokens.append((token, underlined, token_width))
    return tokens


def break_lines(
    runs: Iterable[Run],
    font: str,
    size: float,
    width: float,
    indent: float = 0.0,
    squeeze: bool = True,
) -> list[list[Token]]:
    """Greedy line breaking (between Chinese characters and between Latin words) that keeps
    closing punctuation off the start of a line and opening punctuation off its end. With
    ``squeeze`` a line may be a little too long, for a justified line closes it up."""
    lines: list[list[Token]] = []
    line: list[Token] = []
    used = indent
    pending = _tokens(runs, font, size, width - indent)
    pending.reverse()
    while pending:
        token = pending.pop()
        text, underlined, token_width = token
        if text.isspace() and not line:
            continue
        if (
            line
            and used + token_width > width
            and len(text) > 1
            and _LATIN_WORD.fullmatch(text)
            and width - used > size * 3
        ):
            # A long number or word would leave a wide gap: break it (an ID number or a
            # URL may break anywhere in Chinese text).
            cut = longest_prefix(text, font, size, width - used)
            pending.append((text[cut:], underlined, text_width(text[cut:], font, size)))
            token = (text[:cut], underlined, text_width(text[:cut], font, size))
            text, token_width = token[0], token[2]
        if (
            squeeze
            and line
            and used + token_width > width
            and text in _NO_START
            and used + token_width - width <= min(2 * size, 0.08 * size * len(line))
        ):
            # Closing punctuation squeezes into the line (justification closes it up, by
            # less than a tenth of a character each) rather than pushing a word down.
            line.append(token)
            used += token_width
            continue
        if line and used + token_width > width and not text.isspace():
            carry = [token]
            _drop_trailing_spaces(line)
            while len(line) > 1 and carry[0][0][0] in _NO_START:
                carry.insert(0, line.pop())
                _drop_trailing_spaces(line)
            while len(line) > 1 and line[-1][0][-1] in _NO_END:
                carry.insert(0, line.pop())
                _drop_trailing_spaces(line)
            lines.append(line)
            line, used = carry, sum(t[2] for t in carry)
            continue
        line.append(token)
        used += token_width
    _drop_trailing_spaces(line)
    if line:
        lines.append(line)
    return lines or [[]]


def _drop_trailing_spaces(line: list[Token]) -> None:
    while line and line[-1][0].isspace():
        line.pop()


def longest_prefix(text: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``text`` fit ``width`` (at least one)."""
    cut = 1
    while cut < len(text) and text_width(text[: cut + 1], font, size) <= width:
        cut += 1
    return cut


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines of at most ``width`` (ragged, not squeezed)."""
    return [
        "".join(token[0] for token in line)
        for line in break_lines([(text, False)], font, size, width, squeeze=False)
    ]


def ellipsize(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width``."""
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
