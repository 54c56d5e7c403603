"""Readers and writers of question files: the clerks' Word/text layout, GIFT, Moodle XML, templates.

``read`` picks a reader by the format the caller names or by the file name and content. Every
reader returns a ``ParseResult``: one ``ParsedQuestion`` per question found (with its position in
the file and its problems), never dropping a question it cannot use. The helpers here are shared
by the readers; the readers themselves are imported lazily so that importing this package stays
cheap and a missing optional reader (the template one) cannot break it.
"""

from __future__ import annotations

import codecs
import re

from question_bank import kinds
from question_bank.model import Difficulty, ParsedQuestion, ParseResult, QuestionData
from question_bank.problems import N_, Problem
from question_bank.text import sanitise

FORMATS = ("docx", "text", "gift", "moodle", "xlsx", "csv")
_BY_EXTENSION = {"docx": "docx", "xml": "moodle", "gift": "gift", "xlsx": "xlsx", "csv": "csv"}

#: GIFT's tell-tale signs, so a .txt holding GIFT is not read as the clerks' layout.
_GIFT_MARKERS = re.compile(
    r"^\s*::[^\n]*::|^\s*\$CATEGORY:|\{\s*(?:[=~]|T\s*\}|F\s*\}|TRUE\s*\}|FALSE\s*\})", re.M
)

_DIFFICULTY_WORDS = {
    Difficulty.EASY: ("易", "容易", "简单", "较易", "easy"),
    Difficulty.MEDIUM: ("中", "中等", "一般", "适中", "medium", "normal"),
    Difficulty.HARD: ("难", "困难", "较难", "hard", "difficult"),
}
_TOPIC_SEPARATORS = re.compile(r"[、,，;；]+")
#: Moodle's editor wraps every text in a paragraph; a lone one is dropped.
_LONE_PARAGRAPH = re.compile(r"\s*<p>((?:(?!</?p>).)*)</p>\s*", re.S)


class UndecodableText(ValueError):
    """The bytes are neither UTF-8/UTF-16 (with a byte-order mark) nor GB18030."""


def decode_text(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030."""
    # Notepad on Chinese Windows saves "ANSI" (GBK, a subset of GB18030) or "Unicode" (UTF-16).
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as error:
                raise UndecodableText(str(error)) from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise UndecodableText(str(error)) from error


def undecodable() -> ParseResult:
    """The result for a text file no supported encoding reads."""
    return ParseResult(problems=[Problem(N_("the file is neither UTF-8 nor GB18030 text"))])


def parse_difficulty(text: str) -> str | None:
    """A difficulty from 易/中/难 (or easy/medium/hard); None when it is not one."""
    word = "".join(text.split()).casefold().rstrip("。.")
    for difficulty, words in _DIFFICULTY_WORDS.items():
        if word in words:
            return difficulty
    return None


def difficulty_of(text: str, problems: list[Problem]) -> str:
    """The difficulty a file gives (medium when it gives none); an unknown one is a problem."""
    if not text.strip():
        return Difficulty.MEDIUM
    difficulty = parse_difficulty(text)
    if difficulty is None:
        problems.append(
            Problem(N_("unknown difficulty “%(value)s” (use 易, 中 or 难)"), {"value": text})
        )
    return difficulty or Difficulty.MEDIUM


def split_topics(text: str) -> tuple[str, ...]:
    """Topic references as clerks list them: "危险化学品、消防安全"."""
    return tuple(t.strip() for t in _TOPIC_SEPARATORS.split(text) if t.strip())


def to_html(text: str, fmt: str = "plain") -> str:
    """A stem, option or explanation as the bank keeps it: safe HTML, like the template reader.

    HTML (``fmt="html"``) is sanitised and loses the lone ``<p>`` editors wrap it in; other text
    is sanitised too (so "<5%" becomes "&lt;5%") and keeps its line breaks as ``<br>``.
    """
    if fmt == "html":
        cleaned = sanitise(text).strip()
        lone = _LONE_PARAGRAPH.fullmatch(cleaned)
        return lone.group(1).strip() if lone else cleaned
    lines = [line.strip() for line in text.strip().splitlines()]
    return "<br>".join(sanitise(line) for line in lines)


def category_topic(path: str) -> str | None:
    """The topic a Moodle category path names: its last segment ("$course$/top/安全/消防" → 消防)."""
    # Moodle writes a "/" inside a category name as "//".
    segments = [s.replace("\0", "/").strip() for s in path.replace("//", "\0").split("/")]
    segments = [s for s in segments if s]
    while segments and segments[0].startswith("$") and segments[0].endswith("$"):
        segments.pop(0)  # $course$, $system$, $module$, $cat1$…: where the bank lives
    if segments and segments[0] == "top":
        segments.pop(0)
    if not segments or segments[-1].startswith(("Default for ", "默认")):
        return None  # Moodle's own default category is no topic
    return segments[-1]


def checked(
    position: str, data: QuestionData | None, problems: list[Problem], warnings=()
) -> ParsedQuestion:
    """A parsed question with the kind's own validation added to the reader's problems."""
    found = list(problems)
    if data is not None:
        found.extend(kinds.validate(data))
    return ParsedQuestion(position=position, data=data, problems=found, warnings=list(warnings))


def weight_text(weight: float) -> str:
    """A credit percentage as files write it: 50, 33.33333, -25."""
    return f"{weight:.5f}".rstrip("0").rstrip(".")


def partial_credit(answer: str, weight: float) -> Problem:
    """The warning for an answer worth part of the marks, which Anpei has no place for."""
    return Problem(
        N_("partial-credit answer “%(answer)s” (%(weight)s%%) was not imported"),
        {"answer": answer, "weight": weight_text(weight)},
    )


def answer_feedback(answer: str) -> Problem:
    """The warning for feedback given on one answer (Anpei keeps one explanation per question)."""
    return Problem(N_("the feedback on answer “%(answer)s” was not imported"), {"answer": answer})


def unequal_weights(weights: list[float]) -> Problem:
    """The warning for a multiple-choice question whose right answers carry different weights."""
    return Problem(
        N_(
            "the answer weights (%(weights)s) were not imported: Anpei scores the question "
            "by its own rule"
        ),
        {"weights": " / ".join(f"{weight_text(w)}%" for w in weights)},
    )


def standard_weights(weights: list[float]) -> bool:
    """True when right answers share full marks equally (Moodle's usual multiple choice)."""
    return bool(weights) and max(weights) - min(weights) < 0.01 and abs(sum(weights) - 100) < 0.1


def detect(filename: str, data: bytes) -> str | None:
    """The format of a file from its extension, and for text files from its content."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    if extension in ("txt", "text", ""):
        if extension == "" and data.startswith(b"PK"):
            return "docx"  # a zip without a name: most likely a Word file
        if extension == "" and data.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<"):
            return "moodle"
        try:
            text = decode_text(data)
        except UndecodableText:
            return "text"  # the text reader reports the encoding
        return "gift" if _GIFT_MARKERS.search(text) else "text"
    return None


def read(filename: str, data: bytes, fmt: str | None = None) -> ParseResult:
    """Read a question file in the named format, or in the one its name and content suggest."""
    fmt = fmt or detect(filename, data)
    if fmt == "docx":
        from question_bank.formats.clerk import read_docx

        return read_docx(data)
    if fmt == "text":
        from question_bank.formats.clerk import read_text

        return read_text(data)
    if fmt == "gift":
        from question_bank.formats.gift import read_gift

        return read_gift(data)
    if fmt == "moodle":
        from question_bank.formats.moodle import read_moodle

        return read_moodle(data)
    if fmt in ("xlsx", "csv"):
        # Written separately; imported here only so a missing module fails this call, not import.
        from question_bank.formats.template import read_template

        return read_template(filename, data)
    return ParseResult(
        problems=[
            Problem(
                N_(
                    "the file type of %(name)s is not supported (use .docx, .txt, .gift, .xml, .xlsx or .csv)"
                ),
                {"name": filename},
            )
        ]
    )
