"""Question kinds behind one interface, looked up by code (adding a kind touches one place).

Each kind validates a definition, parses an answer as clerks write it ("ABD", "对"),
formats it back, checks the shape of what a candidate sends, maps a shuffled paper's
letters back to the question's own (and forward), grades a response, describes it for
people, and says what item analysis counts. Callers look the kind up (``get``) and ask
it; they never compare its code (file formats keep their own names for kinds, which is
knowledge of the format). The web app shows a kind with the template ``kinds/<code>.html``
and the exam page with the script ``static/kinds/<code>.js``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from question_bank.model import LETTERS, MAX_OPTIONS, Grade, QuestionData, ScoringPolicy
from question_bank.problems import N_, Problem
from question_bank.text import normalise_answer, plain

TRUE_WORDS = {"对", "正确", "是", "√", "✓", "t", "true", "y", "yes", "1"}
FALSE_WORDS = {"错", "错误", "否", "×", "✗", "x", "f", "false", "n", "no", "0"}
#: Between the accepted answers of one blank, and between blanks, as clerks type them.
ALTERNATIVE_SEPARATORS = ("|", "｜")  # not '/': answers such as 10m/s contain it
BLANK_SEPARATORS = (";", "；")
#: Longest text one blank may hold.
MAX_BLANK_CHARS = 200
#: Most blanks a practice form may send.
MAX_BLANKS = 20

#: A web form as ``{field name: [values]}`` (what ``request.form.to_dict(flat=False)`` gives).
FormData = Mapping[str, Sequence[str]]


class BadResponse(ValueError):
    """What a candidate sent does not have the shape this kind of question takes."""


@dataclass(frozen=True)
class ResponseShape:
    """What a paper records of a question to check responses against: how many options it
    shows and how many blanks it has."""

    options: int = 0
    blanks: int = 0


@dataclass(frozen=True)
class Choice:
    """One answer item analysis counts (an option as written, or 对 / 错) and whether it is
    part of the key. ``value`` is what ``Kind.chosen`` yields for it."""

    value: object
    label: str
    text: str
    is_key: bool


@dataclass(frozen=True)
class ShownOption:
    """An option of a submitted paper as the candidate saw it: the letter shown ("" for
    对 / 错), its text, whether they chose it, and whether it is part of the key (None: the
    key is withheld)."""

    letter: str
    text: str
    value: object
    chosen: bool
    is_key: bool | None = None


@dataclass(frozen=True)
class ShownBlank:
    """A blank of a submitted paper: what the candidate typed, the answers it accepts and
    whether the typed one is among them (empty and None: the key is withheld)."""

    typed: str
    accepted: tuple[str, ...] = ()
    right: bool | None = None


@dataclass(frozen=True)
class Review:
    """A question of a submitted paper as its candidate saw and answered it. Built with
    ``reveal=False`` it holds nothing of the key."""

    options: tuple[ShownOption, ...] = ()
    blanks: tuple[ShownBlank, ...] = ()
    answered: bool = False


class Kind(ABC):
    """The behaviour of one kind of question."""

    code: str
    #: Chinese name as used in templates and Word files (单选题...).
    chinese: str
    #: The English name, also the message the interface translates (marked with ``N_``).
    english: str
    #: Other names files use for it.
    aliases: tuple[str, ...] = ()
    #: Whether the question lists options (A, B, …) that a paper may shuffle.
    has_options: bool = False
    #: How ``tally`` writes answers, for the SQL that fills ``attempt_item`` in one statement:
    #: "letters" (options as written, in order), "truth" ("true" / "false"), or "" (nothing).
    tally_form: str = ""

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

    # --- a candidate's response ---------------------------------------------------------

    def shape(self, q: QuestionData) -> ResponseShape:
        """What a paper records of the question to check responses against."""
        return ResponseShape(options=len(q.options))

    def check_response(self, response: object, shape: ResponseShape) -> object:
        """The response in this kind's form, None for a cleared one; BadResponse if it has
        the wrong shape."""
        if response is None or response == "":
            return None
        return self._check(response, shape)

    @abstractmethod
    def _check(self, response: object, shape: ResponseShape) -> object: ...

    @abstractmethod
    def read_form(self, form: FormData) -> object:
        """The response a web form (this kind's template) sent."""

    def to_original(self, response: object, order: Sequence[int]) -> object:
        """The response as the question is written, from the paper that showed the options
        in ``order`` (original indices in shown order; empty: as written)."""
        return response

    def to_shown(self, response: object, order: Sequence[int]) -> object:
        """The inverse of ``to_original``: a response as written, as the paper shows it."""
        return response

    def describe(self, response: object) -> str:
        """The response for people to read ("" when there is none)."""
        return "" if response in (None, "", []) else self.format_answer(response)

    def example_response(self, q: QuestionData, right: bool) -> object:
        """A right (or a wrong) response as the question is written, for demo data."""
        return q.answer if right else None

    def review(
        self, q: QuestionData, response: object, order: Sequence[int], reveal: bool
    ) -> Review:
        """The question as the paper showed it (options in ``order``) with ``response`` as
        stored (as shown); the key only when ``reveal``. By default the options as shown,
        unmarked: the page says the answers in words (``describe``)."""
        shown = [q.options[i] for i in order] if order else list(q.options)
        return Review(
            options=tuple(
                ShownOption(letter, text, letter, False)
                for letter, text in zip(LETTERS, shown, strict=False)
            ),
            answered=response not in (None, "", []),
        )

    # --- item analysis -------------------------------------------------------------------

    def tally(self, response: object) -> str:
        """A response as written, in the short form answers are grouped by (at most 20
        characters; "" when nothing of it is kept)."""
        return ""

    def choices(self, q: QuestionData) -> tuple[Choice, ...]:
        """The answers item analysis counts for the question (none: only scores count)."""
        return ()

    def chosen(self, tally: str) -> list:
        """The ``Choice.value`` of each answer a tallied response chose."""
        return []


class _Choice(Kind):
    min_options = 2
    has_options = True
    tally_form = "letters"

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

    def _check(self, response: object, shape: ResponseShape) -> str:
        letters = LETTERS[: shape.options]
        if (
            not isinstance(response, str)
            or len(response) > len(letters)
            or any(c not in letters for c in response.upper())
        ):
            raise BadResponse(response)
        return "".join(sorted(set(response.upper())))

    def to_original(self, response: object, order: Sequence[int]) -> object:
        if not order or not isinstance(response, str):
            return response
        original = []
        for letter in response.upper():
            position = LETTERS.find(letter)
            if 0 <= position < len(order):
                original.append(LETTERS[order[position]])
        return "".join(sorted(original))

    def to_shown(self, response: object, order: Sequence[int]) -> object:
        if not order or not isinstance(response, str):
            return response
        order = list(order)
        shown = [LETTERS[order.index(LETTERS.index(c))] for c in response.upper() if c in LETTERS]
        return "".join(sorted(shown))

    def review(
        self, q: QuestionData, response: object, order: Sequence[int], reveal: bool
    ) -> Review:
        shown = [q.options[i] for i in order] if order else list(q.options)
        chosen = self._chosen(response) if response else set()
        key = str(self.to_shown(q.answer, order)) if reveal else ""
        options = []
        for letter, text in zip(LETTERS, shown, strict=False):
            is_key = (letter in key) if reveal else None
            options.append(ShownOption(letter, text, letter, letter in chosen, is_key))
        return Review(options=tuple(options), answered=bool(chosen))

    def example_response(self, q: QuestionData, right: bool) -> object:
        # Wrong: the option after the first right one.
        answer = str(q.answer)
        return answer if right else LETTERS[(LETTERS.index(answer[0]) + 1) % len(q.options)]

    def tally(self, response: object) -> str:
        if not isinstance(response, str):
            return ""
        return "".join(letter for letter in LETTERS if letter in response.upper())

    def choices(self, q: QuestionData) -> tuple[Choice, ...]:
        key = str(q.answer or "")
        return tuple(
            Choice(i, LETTERS[i], text, LETTERS[i] in key) for i, text in enumerate(q.options)
        )

    def chosen(self, tally: str) -> list:
        return [LETTERS.index(letter) for letter in tally if letter in LETTERS]


class SingleChoice(_Choice):
    code, chinese, english = "single", "单选题", N_("Single choice")
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

    def _check(self, response: object, shape: ResponseShape) -> str:
        letters = super()._check(response, shape)
        if len(letters) > 1:
            raise BadResponse(response)
        return letters

    def read_form(self, form: FormData) -> str:
        return _first(form, "choice")[:1]

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        right = self._chosen(response) == set(q.answer)
        return Grade(1.0 if right else 0.0, right)


class MultipleChoice(_Choice):
    code, chinese, english = "multiple", "多选题", N_("Multiple choice")
    aliases = ("多选", "多项选择题", "多项选择", "multiple choice", "multichoice-multiple")

    def _check_count(self, answer: str) -> list[Problem]:
        if len(answer) < 2:
            return [Problem(N_("a multiple-choice question needs at least two right options"))]
        return []

    def read_form(self, form: FormData) -> str:
        return "".join(sorted({c for c in form.get("choice", ()) if c in LETTERS}))

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        chosen, right = self._chosen(response), set(q.answer)
        if chosen == right:
            return Grade(1.0, True)
        if policy == ScoringPolicy.PARTIAL and chosen and chosen < right:
            return Grade(len(chosen) / len(right), False)
        return Grade(0.0, False)


class TrueFalse(Kind):
    code, chinese, english = "truefalse", "判断题", N_("True/false")
    aliases = ("判断", "是非题", "true/false", "truefalse", "true false")
    tally_form = "truth"

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

    def _check(self, response: object, shape: ResponseShape) -> bool:
        if not isinstance(response, bool):
            raise BadResponse(response)
        return response

    def read_form(self, form: FormData) -> bool | None:
        return {"true": True, "false": False}.get(_first(form, "choice"))

    def example_response(self, q: QuestionData, right: bool) -> bool:
        return bool(q.answer) if right else not q.answer

    def review(
        self, q: QuestionData, response: object, order: Sequence[int], reveal: bool
    ) -> Review:
        return Review(
            options=tuple(
                ShownOption(
                    "",
                    self.format_answer(value),
                    value,
                    response is value,
                    (q.answer is value) if reveal else None,
                )
                for value in (True, False)
            ),
            answered=isinstance(response, bool),
        )

    def tally(self, response: object) -> str:
        return ("true" if response else "false") if isinstance(response, bool) else ""

    def choices(self, q: QuestionData) -> tuple[Choice, ...]:
        return (
            Choice(True, "对", "", q.answer is True),
            Choice(False, "错", "", q.answer is False),
        )

    def chosen(self, tally: str) -> list:
        return {"true": [True], "false": [False]}.get(tally, [])

    def grade(self, q, response, policy=ScoringPolicy.ALL_OR_NOTHING) -> Grade:
        if isinstance(response, str):
            try:
                response = self.parse_answer(response)
            except ValueError:
                return Grade(0.0, False)
        right = isinstance(response, bool) and response == q.answer
        return Grade(1.0 if right else 0.0, right)


class FillBlank(Kind):
    code, chinese, english = "fill", "填空题", N_("Fill in the blank")
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

    def shape(self, q: QuestionData) -> ResponseShape:
        return ResponseShape(options=len(q.options), blanks=len(q.answer or ()))

    def _check(self, response: object, shape: ResponseShape) -> list[str] | None:
        if (
            not isinstance(response, list)
            or len(response) > shape.blanks
            or any(not isinstance(r, str) or len(r) > MAX_BLANK_CHARS for r in response)
        ):
            raise BadResponse(response)
        return response if any(r.strip() for r in response) else None

    def read_form(self, form: FormData) -> list[str]:
        return [b[:MAX_BLANK_CHARS] for b in form.get("blank", ())][:MAX_BLANKS]

    def describe(self, response: object) -> str:
        # A candidate's response: one text per blank (the key has alternatives per blank).
        if response in (None, "", []):
            return ""
        return "；".join(r or "—" for r in response)

    def review(
        self, q: QuestionData, response: object, order: Sequence[int], reveal: bool
    ) -> Review:
        typed = [response] if isinstance(response, str) else list(response or ())
        blanks = []
        for i, accepted in enumerate(q.answer or ()):
            mine = typed[i] if i < len(typed) and isinstance(typed[i], str) else ""
            if reveal:
                right = normalise_answer(mine) in {normalise_answer(a) for a in accepted}
                blanks.append(ShownBlank(mine, tuple(accepted), bool(mine.strip()) and right))
            else:
                blanks.append(ShownBlank(mine))
        return Review(blanks=tuple(blanks), answered=any(b.typed.strip() for b in blanks))

    def example_response(self, q: QuestionData, right: bool) -> list[str]:
        return [blank[0] for blank in q.answer] if right else ["不知道"] * len(q.answer)

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


def _first(form: FormData, name: str) -> str:
    values = form.get(name) or ("",)
    return values[0]


KINDS: dict[str, Kind] = {
    k.code: k for k in (SingleChoice(), MultipleChoice(), TrueFalse(), FillBlank())
}


def get(code: str) -> Kind:
    """The kind with this code; KeyError for an unknown one."""
    return KINDS[code]


def register(kind: Kind) -> Kind:
    """Add a kind to the registry (its code must be new)."""
    if kind.code in KINDS:
        raise ValueError(f"a question kind {kind.code!r} is already registered")
    KINDS[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    """Take a kind out of the registry (tests that register one of their own)."""
    KINDS.pop(code, None)


def codes(tally_form: str | None = None) -> list[str]:
    """The codes of the registered kinds (of those whose ``tally_form`` is this one)."""
    return [k.code for k in KINDS.values() if tally_form is None or k.tally_form == tally_form]


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
