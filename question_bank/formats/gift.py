"""Moodle's GIFT text format: ``::title:: stem {=right ~wrong #feedback}``, blank-line separated.

Read: multiple choice (one right answer → single, several → multiple), true/false and short
answer (→ fill). Matching, numerical, essay and description questions are reported as
unsupported, never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from question_bank.formats import (
    UndecodableText,
    answer_feedback,
    category_topic,
    checked,
    decode_text,
    partial_credit,
    standard_weights,
    to_html,
    undecodable,
    unequal_weights,
)
from question_bank.model import LETTERS, ParsedQuestion, ParseResult, QuestionData
from question_bank.problems import N_, Problem
from question_bank.text import plain

#: Escaped characters stand in the private-use area while the structure is parsed, so that
#: "\=" or "\{" is never taken for syntax; they are restored in each piece of text.
_ESCAPES = {
    "\\": "\ue000",
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
}
_RESTORE = str.maketrans({v: k for k, v in _ESCAPES.items()})
_ESCAPE = re.compile(r"\\(.)", re.S)
_FORMAT = re.compile(r"^\s*\[(html|plain|markdown|moodle)\]", re.I)
_TITLE = re.compile(r"^\s*::(.*?)::", re.S)
_TRUE_FALSE = re.compile(r"(TRUE|FALSE|T|F)\s*(#.*)?", re.S | re.I)
_WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
#: The empty stem of a question whose answer sits inside its text ("…坚持{=安全第一}的方针").
BLANK = "（　）"


def _protect(text: str) -> str:
    def replace(match: re.Match) -> str:
        char = match.group(1)
        return "\n" if char == "n" else _ESCAPES.get(char, match.group(0))

    return _ESCAPE.sub(replace, text)


@dataclass
class _Answer:
    mark: str  # "=" or "~"
    weight: float | None
    text: str  # as written, escapes still protected: an option's HTML or a short answer
    feedback: str

    @property
    def right(self) -> bool:
        if self.weight is None:
            return self.mark == "="
        return self.weight > 0


def _text(raw: str, fmt: str) -> str:
    """A piece of question text with escapes restored, as safe HTML (see ``to_html``)."""
    match = _FORMAT.match(raw)
    if match:
        fmt, raw = match.group(1).lower(), raw[match.end() :]
    return to_html(raw.translate(_RESTORE), fmt)


def _unsupported(position: str, kind: str) -> ParsedQuestion:
    return ParsedQuestion(
        position, None, [Problem(N_("unsupported GIFT question type: %(type)s"), {"type": kind})]
    )


def _answers(body: str, fmt: str) -> list[_Answer]:
    answers = []
    for mark, rest in re.findall(r"([=~])([^=~]*)", body):
        weight = _WEIGHT.match(rest)
        if weight:
            rest = rest[weight.end() :]
        text, _, feedback = rest.partition("#")
        answers.append(
            _Answer(mark, float(weight.group(1)) if weight else None, text, _text(feedback, fmt))
        )
    return answers


def _question(text: str, topic: str | None, position: str) -> ParsedQuestion:
    """One question block, its escapes already protected."""
    key = ""
    title = _TITLE.match(text)
    if title:
        # A GIFT title names a question but is not unique across files (often "Q1"), so it is
        # not used as a key: re-imports find questions by their content instead.
        text = text[title.end() :]
    match = _FORMAT.match(text)
    fmt = match.group(1).lower() if match else "moodle"
    text = text[match.end() :] if match else text
    start = text.find("{")
    if start < 0:
        return _unsupported(position, "description")
    end = text.find("}", start)
    if end < 0:
        return ParsedQuestion(
            position, None, [Problem(N_("the answer block is not closed with }"))]
        )
    if "{" in text[end + 1 :] or "::" in text[end + 1 :]:
        return ParsedQuestion(
            position,
            None,
            [
                Problem(
                    N_("two questions run together here; separate GIFT questions with a blank line")
                )
            ],
        )
    before, body, after = (
        _text(text[:start], fmt),
        text[start + 1 : end],
        _text(text[end + 1 :], fmt),
    )
    stem = f"{before}{BLANK}{after}" if after else before
    body, _, general = body.partition("####")
    body = body.strip()
    if not body:
        return _unsupported(position, "essay")
    if body.startswith("#"):
        return _unsupported(position, "numerical")
    if "->" in body:
        return _unsupported(position, "matching")
    topics = (topic,) if topic else ()
    true_false = _TRUE_FALSE.fullmatch(body)
    if true_false:
        # {T#shown when wrong#shown when right}: the first feedback explains the mistake.
        feedbacks = [_text(f, fmt) for f in (true_false.group(2) or "").split("#")]
        explanation = _text(general, fmt) or next((f for f in feedbacks if f), "")
        answer = true_false.group(1)[0].upper() == "T"
        # Each feedback belongs to the answer a candidate gives: first the wrong one, then the right.
        given = ["", "FALSE" if answer else "TRUE", "TRUE" if answer else "FALSE"]
        lost = [
            answer_feedback(given[i])
            for i, f in enumerate(feedbacks[:3])
            if f and f != explanation and given[i]
        ]
        data = QuestionData(
            kind="truefalse",
            stem=stem,
            answer=answer,
            explanation=explanation,
            topics=topics,
            external_key=key,
        )
        return checked(position, data, [], lost)
    first = min((i for i in (body.find("="), body.find("~")) if i >= 0), default=-1)
    if first != 0:
        return ParsedQuestion(
            position,
            None,
            [
                Problem(
                    N_("the answer block must list answers starting with = or ~: %(text)s"),
                    {"text": body.translate(_RESTORE)},
                )
            ],
        )
    answers = _answers(body, fmt)
    if all(a.mark == "=" for a in answers):
        data, warnings = _short_answer(answers, general, fmt)
    else:
        data, warnings = _choice(answers, general, fmt)
    data = replace(data, stem=stem, topics=topics, external_key=key)
    return checked(position, data, [], warnings)


def _plain(answer: _Answer) -> str:
    """An answer's text as a person reads it in a warning."""
    return plain(_FORMAT.sub("", answer.text).translate(_RESTORE)).strip()


def _explanation(general: str, answers: list[_Answer], kept: list[_Answer], fmt: str):
    """The general feedback, else the right answers' feedback; and warnings for feedback lost."""
    explanation = _text(general, fmt)
    if explanation:
        used = []
    else:
        used = [a for a in kept if a.feedback]
        explanation = "<br>".join(dict.fromkeys(a.feedback for a in used))
    lost = [answer_feedback(_plain(a)) for a in answers if a.feedback and a not in used]
    return explanation, lost


def _short_answer(answers: list[_Answer], general: str, fmt: str):
    """Short answer: answers worth full marks are accepted; partial credit is reported."""
    full = [a for a in answers if a.weight is None or a.weight >= 100]
    warnings = [
        partial_credit(_plain(a), a.weight)
        for a in answers
        if a.weight is not None and 0 < a.weight < 100
    ]
    explanation, lost = _explanation(general, answers, full, fmt)
    accepted = [_FORMAT.sub("", a.text).translate(_RESTORE).strip() for a in full]
    data = QuestionData(kind="fill", stem="", answer=[accepted], explanation=explanation)
    return data, warnings + lost


def _choice(answers: list[_Answer], general: str, fmt: str):
    """Multiple choice: "=" (or 100%) answers are right; without one, every weighted answer is."""
    full = [a for a in answers if (a.mark == "=" and a.weight is None) or (a.weight or 0) >= 100]
    warnings = []
    if full:
        right = full
        warnings += [
            partial_credit(_plain(a), a.weight)
            for a in answers
            if a not in full and a.weight is not None and a.weight > 0
        ]
    else:
        right = [a for a in answers if a.right]
        weights = [a.weight for a in right if a.weight is not None]
        if len(right) > 1 and not standard_weights(weights):
            warnings.append(unequal_weights(weights))
        elif len(right) == 1 and right[0].weight is not None:
            warnings.append(partial_credit(_plain(right[0]), right[0].weight))
    explanation, lost = _explanation(general, answers, right, fmt)
    letters = "".join(LETTERS[i] for i, a in enumerate(answers[: len(LETTERS)]) if a in right)
    data = QuestionData(
        kind="single" if len(right) == 1 else "multiple",
        stem="",
        options=tuple(_text(a.text, fmt) for a in answers),
        answer=letters,
        explanation=explanation,
    )
    return data, warnings + lost


def _blocks(text: str) -> list[tuple[int, str]]:
    """Question blocks with the number of their first line; comment lines are left out."""
    blocks: list[tuple[int, str]] = []
    lines: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("//"):
            continue
        if line.strip():
            first = first if lines else number
            lines.append(line)
        elif lines:
            blocks.append((first, "\n".join(lines)))
            lines = []
    if lines:
        blocks.append((first, "\n".join(lines)))
    return blocks


def parse_gift(text: str) -> ParseResult:
    """Read GIFT text: one ParsedQuestion per question block, categories giving topics."""
    result = ParseResult()
    topic: str | None = None
    count = 0
    for line, block in _blocks(text):
        block = _protect(block).strip()
        if block.startswith("$CATEGORY:"):
            category, _, block = block.partition("\n")
            topic = category_topic(category[len("$CATEGORY:") :].translate(_RESTORE))
            line += 1  # a question may follow its category line directly
            block = block.strip()
            if not block:
                continue
        count += 1
        result.questions.append(_question(block, topic, f"question {count} (line {line})"))
    if not result.questions:
        result.problems.append(Problem(N_("no questions were found in the file")))
    return result


def read_gift(data: bytes) -> ParseResult:
    """Read a GIFT file (UTF-8 with or without BOM, or GB18030)."""
    try:
        return parse_gift(decode_text(data))
    except UndecodableText:
        return undecodable()
