"""Questions as plain data: what a kind validates and grades, and what formats read and write."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


class Difficulty:
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"
    ALL = (EASY, MEDIUM, HARD)
    CHINESE = {EASY: "易", MEDIUM: "中", HARD: "难"}


class Usage:
    """Where a question may appear: the clean split between practice and exam questions."""

    BOTH = "both"
    PRACTICE = "practice"  # practice only
    EXAM = "exam"  # exam only
    ALL = (BOTH, PRACTICE, EXAM)
    CHINESE = {BOTH: "练习和考试", PRACTICE: "仅练习", EXAM: "仅考试"}


class ScoringPolicy:
    """How a multiple-choice answer earns points (an exam setting)."""

    ALL_OR_NOTHING = "all_or_nothing"
    #: A correct subset with nothing wrong earns the share of correct options chosen.
    PARTIAL = "partial"
    ALL = (ALL_OR_NOTHING, PARTIAL)


LETTERS = "ABCDEFGH"
MAX_OPTIONS = len(LETTERS)


@dataclass(frozen=True)
class QuestionData:
    """One version of a question, independent of storage.

    ``answer`` depends on the kind: a letter ("B") for single choice, letters ("ABD") for
    multiple choice, a bool for true/false, and for fill-in-the-blank a list with, for
    each blank, the list of accepted answers.
    """

    kind: str
    stem: str
    options: tuple[str, ...] = ()
    answer: object = None
    explanation: str = ""
    difficulty: str = Difficulty.MEDIUM
    legal_source: str = ""
    #: Topic references (codes or names, resolved against the topic tree by the app).
    topics: tuple[str, ...] = ()
    #: Sector codes or names.
    sectors: tuple[str, ...] = ()
    #: Person roles the question suits (empty: all).
    roles: tuple[str, ...] = ()
    usage: str = Usage.BOTH
    #: A key from the source system (Moodle id, the bureau's own number) that makes
    #: re-imports find the same question.
    external_key: str = ""

    def content_hash(self) -> str:
        """A fingerprint of what the candidate sees and what counts as right.

        Re-importing a file without external keys finds questions again by this.
        """
        payload = json.dumps(
            [
                self.kind,
                " ".join(self.stem.split()),
                [" ".join(o.split()) for o in self.options],
                self.answer,
            ],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Grade:
    """The share of the question's points an answer earns (0 to 1) and whether it is right."""

    fraction: float
    correct: bool


@dataclass
class ParsedQuestion:
    """A question read from a file, where it was found, and what is wrong with it."""

    #: Where a person finds it in the file, e.g. "row 12" or "question 7 (line 40)".
    position: str
    data: QuestionData | None = None
    problems: list = field(default_factory=list)
    #: What the file says that Anpei cannot keep (partial credit, feedback per answer…): the
    #: question is imported without it, and the person importing is told so.
    warnings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.problems


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    #: Problems of the whole file (not readable, unsupported, nothing found).
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.questions) and all(q.ok for q in self.questions)
