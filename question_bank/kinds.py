"""Question kinds behind one interface, looked up by code (adding a kind touches one place).

Each kind validates a definition, parses an answer as clerks write it ("ABD", "对"),
formats it back, and grades a candidate's response.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from question_bank.model import LETTERS, MAX_OPTIONS, Grade, QuestionData, ScoringPolicy
from question_bank.problems import N_, Problem
from question_bank.text import normalise_answer, plain

TRUE_WORDS = {"对", "正确", "是", "√", "✓", "t", "true", "y", "yes", "1"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "x", "f", "false", "n", "no", "0"}
#: Between the accepted answers of one blank, and between blanks, as clerks type them.
ALTERNATIVE_SEPARATORS = ("|", "｜")  # not '/': answers such as 10m/s contain it
BLANK_SEPARATORS = (";", "；")


class Kind(ABC):
    """The behaviour of one kind of question."""

    code: str
    #: Chinese name as used in templates and Word files (单选题...).
    chinese: str
    english: str
    #: Other names files use for it.
    aliases: tuple[str, ...] = ()

    def validate(self, q: QuestionData) -> list[Problem]:
        """Everything wrong with a definition of this kind (empty when it is sound)."""
        problems = []
        if not plain(q.stem):
            problems.append(Problem(N_("the question text is empty")))
        return problems + self._validate(q)

    @abstractmethod
    def _validate(self, q: QuestionData) -> list[Problem]: ...

    @abstractmethod
    def parse_answer(self, text: str) -> object:
        """The answer as a clerk writes it, in this kind's form; ValueError if unreadable."""

    @abstractmethod
    def format_answer(self, answer: object) -> str:
        """The answer as a clerk writes it (the inverse of ``parse_answer``)."""

    @abstractmethod
    def grade(
        self, q: QuestionData, response: object, policy: str = ScoringPolicy.ALL_OR_NOTHING
    ) -> Grade: ...


class _Choice(Kind):
    min_options = 2

    def _validate(self, q: QuestionData) -> list[Problem]:
        problems = []
        if not self.min_options <= len(q.options) <= MAX_OPTIONS:
            problems.append(
                Problem(
                    N_("a %(kind)s needs %(min)s to %(max)s options, not %(n)s"),
                    {
                        "kind": self.chinese,
                        "min": self.min_options,
                        "max": MAX_OPTIONS,
                        "n": len(q.options),
                    },
                )
            )
        if any(not plain(o) for o in q.options):
            problems.append(Problem(N_("an option is empty")))
        normalised = [normalise_answer(plain(o)) for o in q.options]
        if len(set(normalised)) != len(normalised):
            problems.append(Problem(N_("two options are the same")))
        letters = LETTERS[: len(q.options)]
        answer = q.answer if isinstance(q.answer, str) else ""
        if not answer:
            problems.append(Problem(N_("the answer is missing")))
        elif any(c not in letters for c in answer):
            problems.append(
                Problem(
                    N_("the answer %(answer)s names an option that does not exist"),
                    {"answer": answer},
                )
            )
        else:
            problems.extend(self._check_count(answer))
        return problems

    def _check_count(self, answer: str) -> list[Problem]:
        return []

    def parse_answer(self, text: str) -> str:
        letters = "".join(c for c in normalise_answer(text).upper() if not c.isspace())
        letters = letters.replace(",", "").replace("、", "").replace("，", "")
        if not letters or any(c not in LETTERS for c in letters):
            raise ValueError(text)
        return "".join(sorted(set(letters)))

    def format_answer(self, answer: object) -> str:
        return str(answer)

    @staticmethod
    def _chosen(response: object) -> set[str]:
        if isinstance(response, str):
            return set(response.upper())
        return {str(r).upper() for r in (response or ())}


class SingleChoice(_Choice):
    code, chinese, english = "single", "单选题", "Single choice"
    aliases = ("单选", "单项选择题", "单项选择", "single choice", "multichoice-single")

    def _check_count(self, answer: str) -> list[Problem]:
        if len(answer) != 1:
            return [
                Problem(
                    N_("a single-choice question has exactly one right option, not %(answer)s"),
                    {"answer": answer},
                )
            ]
        return []

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        right = self._chosen(response) == set(q.answer)
        return Grade(1.0 if right else 0.0, right)


class MultipleChoice(_Choice):
    code, chinese, english = "multiple", "多选题", "Multiple choice"
    aliases = ("多选", "多项选择题", "多项选择", "multiple choice", "multichoice-multiple")

    def _check_count(self, answer: str) -> list[Problem]:
        if len(answer) < 2:
            return [Problem(N_("a multiple-choice question needs at least two right options"))]
        return []

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        chosen, right = self._chosen(response), set(q.answer)
        if chosen == right:
            return Grade(1.0, True)
        if policy == ScoringPolicy.PARTIAL and chosen and chosen < right:
            return Grade(len(chosen) / len(right), False)
        return Grade(0.0, False)


class TrueFalse(Kind):
    code, chinese, english = "truefalse", "判断题", "True/false"
    aliases = ("判断", "是非题", "true/false", "truefalse", "true false")

    def _validate(self, q: QuestionData) -> list[Problem]:
        problems = []
        if q.options:
            problems.append(Problem(N_("a true/false question has no options")))
        if not isinstance(q.answer, bool):
            problems.append(Problem(N_("the answer must be 对 or 错")))
        return problems

    def parse_answer(self, text: str) -> bool:
        word = normalise_answer(text)
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(text)

    def format_answer(self, answer: object) -> str:
        return "对" if answer else "错"

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        if isinstance(response, str):
            try:
                response = self.parse_answer(response)
            except ValueError:
                return Grade(0.0, False)
        right = isinstance(response, bool) and response == q.answer
        return Grade(1.0 if right else 0.0, right)


class FillBlank(Kind):
    code, chinese, english = "fill", "填空题", "Fill in the blank"
    aliases = ("填空", "fill in the blank", "shortanswer", "short answer")

    def _validate(self, q: QuestionData) -> list[Problem]:
        problems = []
        if q.options:
            problems.append(Problem(N_("a fill-in-the-blank question has no options")))
        blanks = q.answer if isinstance(q.answer, list | tuple) else []
        if not blanks or any(not [a for a in blank if normalise_answer(a)] for blank in blanks):
            problems.append(Problem(N_("every blank needs at least one accepted answer")))
        return problems

    def parse_answer(self, text: str) -> list[list[str]]:
        """``安全第一|安全 第一; 预防为主``: blanks split by ';', alternatives by '|'."""
        blanks = [text]
        for separator in BLANK_SEPARATORS:
            blanks = [part for b in blanks for part in b.split(separator)]
        parsed = []
        for blank in blanks:
            alternatives = [blank]
            for separator in ALTERNATIVE_SEPARATORS:
                alternatives = [part for a in alternatives for part in a.split(separator)]
            accepted = [a.strip() for a in alternatives if a.strip()]
            if accepted:
                parsed.append(accepted)
        if not parsed:
            raise ValueError(text)
        return parsed

    def format_answer(self, answer: object) -> str:
        return "; ".join("|".join(blank) for blank in answer)

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        responses = [response] if isinstance(response, str) else list(response or ())
        blanks = list(q.answer)
        hits = sum(
            1
            for i, blank in enumerate(blanks)
            if i < len(responses)
            and normalise_answer(responses[i]) in {normalise_answer(a) for a in blank}
        )
        right = hits == len(blanks)
        # Each blank is worth its share; partial credit follows the exam's policy.
        fraction = (
            1.0 if right else (hits / len(blanks) if policy == ScoringPolicy.PARTIAL else 0.0)
        )
        return Grade(fraction, right)


KINDS: dict[str, Kind] = {
    k.code: k for k in (SingleChoice(), MultipleChoice(), TrueFalse(), FillBlank())
}


def get(code: str) -> Kind:
    """The kind with this code; KeyError for an unknown one."""
    return KINDS[code]


def by_name(name: str) -> Kind | None:
    """Find a kind by its code, Chinese or English name, or an alias (as files name it)."""
    wanted = normalise_answer(name)
    for kind in KINDS.values():
        names = (kind.code, kind.chinese, kind.english, *kind.aliases)
        if wanted in {normalise_answer(n) for n in names}:
            return kind
    return None


def validate(q: QuestionData) -> list[Problem]:
    """Everything wrong with a question, whatever its kind."""
    kind = KINDS.get(q.kind)
    if kind is None:
        return [Problem(N_("unknown question kind “%(kind)s”"), {"kind": q.kind})]
    return kind.validate(q)


def grade(q: QuestionData, response: object, policy: str = ScoringPolicy.ALL_OR_NOTHING) -> Grade:
    return KINDS[q.kind].grade(q, response, policy)
