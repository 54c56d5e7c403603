"""Moodle XML question files: read multichoice, truefalse and shortanswer questions, and write them.

Categories give topics (the last path segment); tags ``difficulty:``, ``source:``, ``topic:``,
``sector:``, ``role:`` and ``usage:`` carry what Moodle has no field for, so a file written here
reads back unchanged. A fill-in-the-blank question with several blanks is written as a cloze
(multianswer) question made of short answers, and such a cloze reads back; every other type is
reported as unsupported, never dropped.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

# The stdlib tree only builds and serialises what we write; reading goes through defusedxml.
from xml.etree.ElementTree import Element, SubElement, indent, tostring  # noqa: S405

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from question_bank.formats import (
    answer_feedback,
    category_topic,
    checked,
    difficulty_of,
    partial_credit,
    standard_weights,
    to_html,
    unequal_weights,
)
from question_bank.model import LETTERS, ParsedQuestion, ParseResult, QuestionData, Usage
from question_bank.problems import N_, Problem
from question_bank.text import plain, sanitise

_TAGGED = ("difficulty", "source", "topic", "sector", "role", "usage")
#: Moodle's default penalties (none, or a third of the mark per extra try): nothing is lost.
_DEFAULT_PENALTIES = {"", "0", "0.0", "0.0000000", "0.3333333", "0.33333", "0.333333"}
_SUPPORTED = ("multichoice", "truefalse", "shortanswer", "multianswer")
#: A cloze sub-question: {weight:TYPE:answers}, with \} \~ \# escaped inside.
_CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^\\}])*)\}", re.S)
_CLOZE_SHORT = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CLOZE_ESCAPE = re.compile(r"([\\}#~/\"])")
#: Blank markers in a stem, where a cloze writes its answer boxes: （　）, (  ), ____.
_BLANK = re.compile(r"[（(][\s　]*[）)]|_{2,}|＿{2,}")


def _rich(element: Element | None) -> str:
    """The text of a Moodle text element, sanitised when its format is HTML."""
    if element is None:
        return ""
    return to_html(element.findtext("text") or "", element.get("format", ""))


def _fraction(answer: Element, problems: list[Problem]) -> float:
    try:
        return float(answer.get("fraction", "0"))
    except ValueError:
        problems.append(
            Problem(
                N_("the answer fraction “%(value)s” is not a number"),
                {"value": answer.get("fraction", "")},
            )
        )
        return 0.0


def _tags(element: Element) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = defaultdict(list)
    for tag in element.findall("tags/tag"):
        name, _, value = (tag.findtext("text") or "").partition(":")
        if name.strip().lower() in _TAGGED and value.strip():
            tags[name.strip().lower()].append(value.strip())
    return tags


def _cloze(text: str, warnings: list[Problem]) -> tuple[str, list[list[str]]] | None:
    """A cloze text without its sub-questions and their accepted answers; None if not all short.

    Answers worth part of the marks are not accepted, and each is added to ``warnings``.
    """
    blanks = []
    for match in _CLOZE.finditer(text):
        if match.group(2) not in _CLOZE_SHORT:
            return None
        accepted = []
        for answer in re.split(r"(?<!\\)~", match.group(3)):
            answer = re.split(r"(?<!\\)#", answer, maxsplit=1)[0]
            weight = re.match(r"\s*(=|%(-?[\d.]+)%)", answer)
            value = re.sub(r"\\(.)", r"\1", answer[weight.end() :]).strip() if weight else ""
            if weight and (weight.group(1) == "=" or float(weight.group(2)) >= 100):
                accepted.append(value)
            elif weight and 0 < float(weight.group(2)) < 100:
                warnings.append(partial_credit(plain(value), float(weight.group(2))))
        blanks.append(accepted)
    return (_CLOZE.sub("", text), blanks) if blanks else None


def _unsupported(position: str, kind: str) -> ParsedQuestion:
    return ParsedQuestion(
        position, None, [Problem(N_("unsupported Moodle question type: %(type)s"), {"type": kind})]
    )


def _question(element: Element, kind: str, topic: str | None, position: str) -> ParsedQuestion:
    if kind not in _SUPPORTED:
        return _unsupported(position, kind or "?")
    problems: list[Problem] = []
    tags = _tags(element)
    difficulty = difficulty_of(tags["difficulty"][0] if tags["difficulty"] else "", problems)
    # Only Moodle's idnumber identifies a question; names repeat across (and within) files,
    # so without an idnumber a question is found again by its content.
    key = (element.findtext("idnumber") or "").strip()
    stem = _rich(element.find("questiontext"))
    common = {
        "explanation": _rich(element.find("generalfeedback")),
        "difficulty": difficulty,
        "legal_source": tags["source"][0] if tags["source"] else "",
        "topics": tuple(dict.fromkeys([topic, *tags["topic"]] if topic else tags["topic"])),
        "sectors": tuple(tags["sector"]),
        "roles": tuple(tags["role"]),
        "usage": tags["usage"][0]
        if tags["usage"] and tags["usage"][0] in Usage.ALL
        else Usage.BOTH,
        "external_key": key[:120],
    }
    answers = [(a, _fraction(a, problems)) for a in element.findall("answer")]
    warnings = _lost(element, answers)
    if kind == "multichoice":
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        right = _right_options(answers, single, warnings)
        letters = "".join(
            LETTERS[i] for i, (a, _) in enumerate(answers[: len(LETTERS)]) if a in right
        )
        data = QuestionData(
            kind="single" if single else "multiple",
            stem=stem,
            options=tuple(_rich(a) for a, _ in answers),
            answer=letters,
            **common,
        )
    elif kind == "truefalse":
        right = [(a.findtext("text") or "").strip().lower() for a, f in answers if f > 0]
        if len(right) != 1 or right[0] not in ("true", "false"):
            return ParsedQuestion(
                position,
                None,
                [
                    *problems,
                    Problem(
                        N_(
                            "the true/false question does not mark exactly one of true and false right"
                        )
                    ),
                ],
            )
        data = QuestionData(kind="truefalse", stem=stem, answer=right[0] == "true", **common)
    elif kind == "shortanswer":
        # Only answers worth full marks are accepted; a fill question has no partial answers.
        accepted = [(a.findtext("text") or "").strip() for a, f in answers if f >= 100]
        warnings += [
            partial_credit((a.findtext("text") or "").strip(), f) for a, f in answers if 0 < f < 100
        ]
        data = QuestionData(kind="fill", stem=stem, answer=[accepted], **common)
    else:
        text = element.find("questiontext")
        cloze = _cloze(text.findtext("text") or "", warnings) if text is not None else None
        if cloze is None:
            return _unsupported(position, kind)
        data = QuestionData(
            kind="fill", stem=to_html(cloze[0], text.get("format", "")), answer=cloze[1], **common
        )
    return checked(position, data, problems, warnings)


def _lost(element: Element, answers: list[tuple[Element, float]]) -> list[Problem]:
    """Warnings for what a Moodle question has and Anpei keeps nowhere: feedback per answer,
    a penalty for another try, a question's own mark."""
    warnings = [
        answer_feedback(plain(_rich(a)) or (a.findtext("text") or "").strip())
        for a, _f in answers
        if plain(_rich(a.find("feedback")))
    ]
    penalty = (element.findtext("penalty") or "0").strip()
    if penalty not in _DEFAULT_PENALTIES:
        warnings.append(
            Problem(
                N_("the penalty for another try (%(penalty)s) was not imported"),
                {"penalty": penalty},
            )
        )
    grade = (element.findtext("defaultgrade") or "1").strip()
    if grade.rstrip("0").rstrip(".") != "1":
        warnings.append(
            Problem(
                N_("the question's own mark (%(mark)s) was not imported: the exam sets the marks"),
                {"mark": grade},
            )
        )
    return warnings


def _right_options(answers: list[tuple[Element, float]], single: bool, warnings: list) -> list:
    """The options marked right; partial credit and unequal weights become warnings."""
    full = [a for a, f in answers if f >= 100]
    if single and full:
        warnings += [partial_credit(plain(_rich(a)), f) for a, f in answers if 0 < f < 100]
        return full
    right = [(a, f) for a, f in answers if f > 0]
    if single and right:
        warnings += [partial_credit(plain(_rich(a)), f) for a, f in right]
    elif not single and len(right) > 1 and not standard_weights([f for _a, f in right]):
        warnings.append(unequal_weights([f for _a, f in right]))
    return [a for a, _f in right]


def read_moodle(data: bytes) -> ParseResult:
    """Read a Moodle XML file; a DTD or entity declaration is refused, never expanded."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        return ParseResult(
            problems=[
                Problem(N_("the XML file declares a DTD or entities, which are refused for safety"))
            ]
        )
    except ParseError as error:
        return ParseResult(
            problems=[Problem(N_("the file is not valid XML: %(error)s"), {"error": str(error)})]
        )
    if root.tag != "quiz":
        return ParseResult(problems=[Problem(N_("the file is not a Moodle XML question file"))])
    result = ParseResult()
    topic: str | None = None
    count = 0
    for element in root.findall("question"):
        kind = element.get("type", "")
        if kind == "category":
            topic = category_topic(element.findtext("category/text") or "")
            continue
        count += 1
        name = (element.findtext("name/text") or "").strip()
        position = f"question {count} ({name})" if name else f"question {count}"
        result.questions.append(_question(element, kind, topic, position))
    if not result.questions:
        result.problems.append(Problem(N_("no questions were found in the file")))
    return result


# Writing ------------------------------------------------------------------------------------


def _text_element(parent: Element, tag: str, text: str, **attributes: str) -> Element:
    element = SubElement(parent, tag, attributes)
    SubElement(element, "text").text = text
    return element


def _rich_element(parent: Element, tag: str, text: str) -> Element:
    # The bank keeps safe HTML (see ``to_html``), which reads back unchanged.
    return _text_element(parent, tag, sanitise(text), format="html")


def _number(value: float) -> str:
    """A fraction as Moodle lists them: 100, 50, 33.33333, -25."""
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _answer(parent: Element, text: str, fraction: float, fmt: str = "") -> None:
    """An answer; rich text (an option) unless a format is named (true/false, short answers)."""
    element = (
        _text_element(parent, "answer", text, format=fmt)
        if fmt
        else _rich_element(parent, "answer", text)
    )
    element.set("fraction", _number(fraction))
    _text_element(element, "feedback", "", format="html")


def _cloze_text(stem: str, blanks: list[list[str]]) -> str:
    """The stem with an answer box per blank: inside its blank marker, or at the end."""
    boxes = [
        "{1:SHORTANSWER:" + "~".join("=" + _CLOZE_ESCAPE.sub(r"\\\1", a) for a in blank) + "}"
        for blank in blanks
    ]
    markers = list(_BLANK.finditer(stem))
    if len(markers) != len(boxes):
        return stem + "".join(boxes)
    parts, last = [], 0
    for marker, box in zip(markers, boxes, strict=True):
        # Inside the brackets, so that removing the box gives back the stem as it was.
        cut = marker.end() - 1 if marker.group().endswith((")", "）")) else marker.end()
        parts += [stem[last:cut], box]
        last = cut
    return "".join(parts) + stem[last:]


def _question_element(quiz: Element, q: QuestionData) -> None:
    blanks = list(q.answer) if q.kind == "fill" else []
    kind = {
        "single": "multichoice",
        "multiple": "multichoice",
        "truefalse": "truefalse",
        "fill": "shortanswer" if len(blanks) == 1 else "multianswer",
    }[q.kind]
    element = SubElement(quiz, "question", type=kind)
    _text_element(element, "name", html.unescape(plain(q.stem))[:60] or q.kind)
    if kind == "multianswer":
        stem = _cloze_text(sanitise(q.stem), [list(b) for b in blanks])
        _text_element(element, "questiontext", stem, format="html")
    else:
        _rich_element(element, "questiontext", q.stem)
    _rich_element(element, "generalfeedback", q.explanation)
    SubElement(element, "defaultgrade").text = "1"
    SubElement(element, "penalty").text = "0.3333333"
    SubElement(element, "hidden").text = "0"
    if q.external_key:  # an empty idnumber may clash with another in Moodle's unique index
        SubElement(element, "idnumber").text = q.external_key
    if kind == "multichoice":
        right = str(q.answer)
        n_wrong = len(q.options) - len(right)
        SubElement(element, "single").text = "true" if q.kind == "single" else "false"
        SubElement(element, "shuffleanswers").text = "true"
        SubElement(element, "answernumbering").text = "ABCD"
        for letter, option in zip(LETTERS, q.options, strict=False):
            if q.kind == "single":
                fraction = 100.0 if letter in right else 0.0
            else:  # right options share 100%, wrong ones take it back (Moodle's own scheme)
                fraction = 100 / len(right) if letter in right else -100 / max(n_wrong, 1)
            _answer(element, option, fraction)
    elif kind == "truefalse":
        _answer(element, "true", 100.0 if q.answer else 0.0, "moodle_auto_format")
        _answer(element, "false", 0.0 if q.answer else 100.0, "moodle_auto_format")
    elif kind == "shortanswer":
        SubElement(element, "usecase").text = "0"
        for accepted in blanks[0]:
            _answer(element, accepted, 100.0, "moodle_auto_format")
    tags = [
        f"difficulty:{q.difficulty}",
        *(f"topic:{t}" for t in q.topics),
        *(f"sector:{s}" for s in q.sectors),
        *(f"role:{r}" for r in q.roles),
    ]
    tags += [f"source:{q.legal_source}"] if q.legal_source else []
    tags += [f"usage:{q.usage}"] if q.usage != Usage.BOTH else []
    tag_list = SubElement(element, "tags")
    for tag in tags:
        _text_element(tag_list, "tag", tag)


def write_moodle(questions: list[QuestionData], category: str = "安培题库") -> bytes:
    """Moodle XML for the questions, one category per first topic under ``category``."""
    quiz = Element("quiz")
    groups: dict[str, list[QuestionData]] = defaultdict(list)
    for q in questions:
        groups[q.topics[0] if q.topics else ""].append(q)
    # Questions without a topic come first, before any category, so they land in the category
    # chosen on import rather than in one that would read back as a topic.
    for topic in sorted(groups, key=lambda t: t != ""):
        if topic:
            element = SubElement(quiz, "question", type="category")
            path = "/".join(
                part.replace("/", "//") for part in ("$course$", "top", category, topic)
            )
            _text_element(element, "category", path)
        for q in groups[topic]:
            _question_element(quiz, q)
    indent(quiz)
    return tostring(quiz, encoding="utf-8", xml_declaration=True)
