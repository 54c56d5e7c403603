"""The layout exam clerks type in Word and plain text: numbered questions under 一、单选题 headings.

A question starts with its number ("1．", "2、", "3)"); options follow as "A．…" (several may
share a line); "答案：", "解析：", "难度：", "依据：" and "知识点：" lines carry the rest. A
section heading ("二、多项选择题（每题2分）") sets the kind of the questions below it; without
one the kind is inferred from the options and the answer.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from question_bank import kinds
from question_bank.formats import (
    UndecodableText,
    checked,
    decode_text,
    difficulty_of,
    split_topics,
    to_html,
    undecodable,
)
from question_bank.model import LETTERS, ParsedQuestion, ParseResult, QuestionData
from question_bank.problems import N_, Problem
from question_bank.text import normalise_answer

_NUMERALS = "一二三四五六七八九十"
#: "一、单选题", "（二）多选题：", "第三部分 判断题（每题2分）", or a bare "填空题".
_HEADING = re.compile(
    rf"^(?P<prefix>[{_NUMERALS}]+\s*[、.．]|[（(][{_NUMERALS}]+[）)]"
    rf"|第\s*[{_NUMERALS}\d]+\s*(?:部分|大题|节)\s*[、.．:：]?)?"
    r"\s*(?P<name>[^\s（(，,：:]{1,12}?)\s*[:：]?\s*(?:[（(][^）)]*[）)])?\s*[:：。]?$"
)
_SECTION_KINDS = (
    ("单选", "single"),
    ("单项选择", "single"),
    ("多选", "multiple"),
    ("多项选择", "multiple"),
    ("不定项", "multiple"),
    ("判断", "truefalse"),
    ("是非", "truefalse"),
    ("填空", "fill"),
)
#: "12．", "3、", "4)" but not "1.5米" (a decimal continuing the text above).
_QUESTION = re.compile(r"^(?P<number>\d{1,4})\s*(?:[.．](?!\d)|[、)）])\s*(?P<rest>.*)$", re.S)
#: An option marker at the start of a line or after whitespace: "A．", "Ｂ、", "(C)", "D:".
_OPTION = re.compile(r"(?:^|(?<=\s))[(（]?(?P<letter>[A-HＡ-Ｈ])\s*[.．、:：)）]")
_FIELDS = {
    "答案": "answer",
    "参考答案": "answer",
    "正确答案": "answer",
    "标准答案": "answer",
    "解析": "explanation",
    "答案解析": "explanation",
    "试题解析": "explanation",
    "难度": "difficulty",
    "依据": "source",
    "法律依据": "source",
    "法规依据": "source",
    "知识点": "topics",
    "专题": "topics",
}
_FIELD_NAMES = "|".join(sorted(_FIELDS, key=len, reverse=True))
#: "【答案】" anywhere; "答案：" only at the start or after whitespace, so text mentioning
#: "依据:" mid-sentence stays text.
_FIELD = re.compile(
    rf"[【\[]\s*(?P<bracketed>{_FIELD_NAMES})\s*[】\]]\s*[:：]?"
    rf"|(?:^|(?<=\s))(?P<named>{_FIELD_NAMES})\s*[:：]"
)
_TRUE_FALSE_WORDS = {"对", "错", "正确", "错误", "√", "×", "✓", "✗", "true", "false"}


@dataclass
class _Draft:
    """A question being collected line by line."""

    number: int
    line: int
    kind: str | None
    unsupported: str
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)
    #: Where a line without a marker belongs: "stem", "option" (the last) or a field name.
    target: str = "stem"
    problems: list[Problem] = field(default_factory=list)

    def add_options(self, text: str) -> None:
        expected = len(self.options)
        for letter, option in _split_options(text):
            if letter != expected:
                self.problems.append(
                    Problem(
                        N_("option %(letter)s is out of order (expected %(expected)s)"),
                        {"letter": LETTERS[letter], "expected": LETTERS[expected]},
                    )
                )
            self.options.append(option)
            expected = letter + 1
        self.target = "option"

    def add_text(self, text: str) -> None:
        if self.target == "stem":
            self.stem.append(text)
        elif self.target == "option":
            self.options[-1] = f"{self.options[-1]}\n{text}"
        else:
            self.fields[self.target].append(text)

    def add_field(self, name: str, text: str) -> None:
        self.fields.setdefault(name, []).append(text)
        self.target = name

    def get(self, name: str) -> str:
        return "\n".join(self.fields.get(name, ())).strip()


def _letter(marker: str) -> int:
    return LETTERS.index(unicodedata.normalize("NFKC", marker))


def _split_options(text: str) -> list[tuple[int, str]]:
    """Options sharing a line, split only at markers that continue the sequence A, B, C…

    so that a letter out of sequence ("C．使用 A.类 灭火器") stays in the option's text.
    """
    markers = list(_OPTION.finditer(text))
    cuts = [markers[0]]
    for marker in markers[1:]:
        if _letter(marker["letter"]) == _letter(cuts[-1]["letter"]) + 1:
            cuts.append(marker)
    ends = [m.start() for m in cuts[1:]] + [len(text)]
    return [
        (_letter(m["letter"]), text[m.end() : end].strip())
        for m, end in zip(cuts, ends, strict=True)
    ]


def _split_fields(line: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before any field marker, and the fields on the line ("答案：A　难度：易")."""
    markers = list(_FIELD.finditer(line))
    if not markers:
        return line, []
    ends = [m.start() for m in markers[1:]] + [len(line)]
    fields = [
        (_FIELDS[m["bracketed"] or m["named"]], line[m.end() : end].strip())
        for m, end in zip(markers, ends, strict=True)
    ]
    return line[: markers[0].start()].strip(), fields


def _heading(line: str) -> tuple[str | None, str] | None:
    """(kind, unsupported section name) for a section heading, None for any other line."""
    match = _HEADING.match(line)
    if not match:
        return None
    name = match["name"]
    for word, kind in _SECTION_KINDS:
        # Without a numbered prefix only a bare "判断题" is a heading, not "下列判断正确".
        if word in name and (match["prefix"] or (name.startswith(word) and name.endswith("题"))):
            return kind, ""
    # A numbered section of a kind this reader does not know ("五、简答题") is reported
    # question by question; a bare unknown word is just text.
    if match["prefix"] and name.endswith("题"):
        return None, name
    return None


def _infer(options: list[str], answer: str) -> str:
    """The kind of a question outside any section, from its options and its answer."""
    if options and all(normalise_answer(o) in _TRUE_FALSE_WORDS for o in options):
        return "truefalse"
    if options:
        try:
            letters = kinds.get("single").parse_answer(answer)
        except ValueError:
            return "single"  # the unreadable answer is reported when it is parsed
        return "multiple" if len(letters) > 1 else "single"
    return "truefalse" if normalise_answer(answer) in _TRUE_FALSE_WORDS else "fill"


def _true_false(options: list[str], answer: str) -> tuple[bool, list[str]]:
    """A true/false answer; "A" chooses among options "A．正确 B．错误", which are then dropped."""
    true_false = kinds.get("truefalse")
    if not options or not all(normalise_answer(o) in _TRUE_FALSE_WORDS for o in options):
        return true_false.parse_answer(answer), options
    try:
        letters = kinds.get("single").parse_answer(answer)
    except ValueError:
        return true_false.parse_answer(answer), []
    index = LETTERS.index(letters[0])
    if len(letters) != 1 or index >= len(options):
        raise ValueError(answer)
    return true_false.parse_answer(options[index]), []


def _finish(draft: _Draft, unit: str) -> ParsedQuestion:
    position = f"question {draft.number} ({unit} {draft.line})"
    if draft.unsupported:
        return ParsedQuestion(
            position,
            None,
            [Problem(N_("unsupported question type: %(type)s"), {"type": draft.unsupported})],
        )
    problems = list(draft.problems)
    answer_text = draft.get("answer")
    if not answer_text:
        return ParsedQuestion(
            position, None, [*problems, Problem(N_("the answer (答案：) is missing"))]
        )
    kind = draft.kind or _infer(draft.options, answer_text)
    options = draft.options
    try:
        if kind == "truefalse":
            answer, options = _true_false(options, answer_text)
        else:
            answer = kinds.get(kind).parse_answer(answer_text)
    except ValueError:
        return ParsedQuestion(
            position,
            None,
            [
                *problems,
                Problem(
                    N_("the answer “%(answer)s” cannot be read as the answer of a %(kind)s"),
                    {"answer": answer_text, "kind": kinds.get(kind).chinese},
                ),
            ],
        )
    data = QuestionData(
        kind=kind,
        stem=to_html("\n".join(draft.stem)),
        options=tuple(to_html(o) for o in options),
        answer=answer,
        explanation=to_html(draft.get("explanation")),
        difficulty=difficulty_of(draft.get("difficulty"), problems),
        legal_source=draft.get("source"),
        topics=split_topics(draft.get("topics")),
    )
    return checked(position, data, problems)


def _clean(line: str) -> str:
    # Word and editors leave byte-order marks and zero-width spaces that strip() keeps.
    return line.replace("\ufeff", "").replace("\u200b", "").strip()


def _question_start(lead: str, draft: _Draft | None):
    """The match of a numbered line that starts a new question, or None."""
    start = _QUESTION.match(lead) if lead else None
    # A numbered list inside a stem or an explanation ("解析：\n1．…") continues it: a new
    # question has a higher number than the one being read.
    if (
        start
        and draft
        and draft.target in ("stem", "explanation", "source", "topics")
        and int(start["number"]) <= draft.number
    ):
        return None
    return start


def parse_lines(lines: Iterable[tuple[int, str]], unit: str = "line") -> ParseResult:
    """Read the clerks' layout from numbered lines; ``unit`` names the numbers in positions."""
    result = ParseResult()
    section: tuple[str | None, str] = (None, "")
    draft: _Draft | None = None
    for number, raw in lines:
        line = _clean(raw)
        if not line:
            continue  # blank lines separate nothing: questions start with their number
        heading = _heading(line)
        if heading is not None:
            if draft:
                result.questions.append(_finish(draft, unit))
            section, draft = heading, None
            continue
        lead, fields = _split_fields(line)
        start = _question_start(lead, draft)
        if start:
            if draft:
                result.questions.append(_finish(draft, unit))
            draft = _Draft(int(start["number"]), number, *section)
            if start["rest"]:
                draft.stem.append(start["rest"])
        elif draft is None:
            if fields or _OPTION.match(lead):
                result.problems.append(
                    Problem(
                        N_("text outside any question: %(text)s (%(where)s)"),
                        {"text": line, "where": f"{unit} {number}"},
                    )
                )
            continue  # a title or instructions before the first question
        elif lead and draft.target in ("stem", "option") and _OPTION.match(lead):
            draft.add_options(lead)
        elif lead:
            draft.add_text(lead)
        for name, text in fields:
            draft.add_field(name, text)
    if draft:
        result.questions.append(_finish(draft, unit))
    if not result.questions and not result.problems:
        result.problems.append(Problem(N_("no questions were found in the file")))
    return result


def read_text(data: bytes) -> ParseResult:
    """Read a plain-text file in the clerks' layout (UTF-8 with or without BOM, or GB18030)."""
    try:
        text = decode_text(data)
    except UndecodableText:
        return undecodable()
    return parse_lines(enumerate(text.splitlines(), start=1), unit="line")


def _docx_lines(document) -> Iterator[tuple[int, str]]:
    """The paragraphs of a Word document in order, table cells included, as numbered lines."""
    from docx.table import Table

    number = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            seen: set[int] = set()
            paragraphs = []
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) not in seen:  # a merged cell appears once per spanned column
                        seen.add(id(cell._tc))
                        paragraphs.extend(cell.paragraphs)
        else:
            paragraphs = [block]
        for paragraph in paragraphs:
            number += 1
            # A soft line break (Shift+Enter) comes back as "\n": each part is its own line.
            for part in paragraph.text.split("\n"):
                yield number, part


def read_docx(data: bytes) -> ParseResult:
    """Read a Word (.docx) file in the clerks' layout, paragraph by paragraph."""
    # Imported here so that reading text files does not need python-docx.
    import docx

    from question_bank.spreadsheets import SpreadsheetError, check_zip

    try:
        check_zip(data)  # a .docx is a zip too: refuse one that unpacks into gigabytes
    except SpreadsheetError as error:
        if error.reason == "zip_bomb":
            return ParseResult(
                problems=[
                    Problem(
                        N_(
                            "the Word file would unpack to far more data than a document holds; it is refused"
                        )
                    )
                ]
            )
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises zip, XML and its own errors alike
        return ParseResult(
            problems=[
                Problem(
                    N_("the Word file cannot be read: %(error)s"),
                    {"error": str(error) or type(error).__name__},
                )
            ]
        )
    # Each paragraph counts as a line, the unit the web app's positions know.
    return parse_lines(_docx_lines(document), unit="line")
