"""A submitted paper as its candidate saw it: the questions in their order, the options in
the order shown (with the letters shown), the candidate's answers as given, and, only when
the exam's review policy allows it, the key, the explanation and the score per question.

What is withheld is never read into a row, so no page or API response built from one can
let it slip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from sqlalchemy import select

from exam.core.extensions import db
from exam.exams.models import Attempt, AttemptAnswer
from exam.questions.models import QuestionVersion
from question_bank import kinds


@dataclass(frozen=True)
class ReviewRow:
    """One question of a submitted paper. With the key withheld, ``revealed`` is False and
    ``right_answer``, ``score``, ``correct``, ``explanation`` and ``legal_source`` are None."""

    number: int
    question_id: int
    kind: str
    stem: str
    points: float
    shown: kinds.Review
    revealed: bool
    #: The candidate's answer and the key in words, in the letters shown ("C → B → A").
    your_answer: str
    right_answer: str | None = None
    score: float | None = None
    correct: bool | None = None
    explanation: str | None = None
    legal_source: str | None = None

    def as_json(self) -> dict:
        """The row for the API: the candidate's answer and the key in the letters shown."""
        return {
            "number": self.number,
            "question_id": self.question_id,
            "kind": self.kind,
            "stem": self.stem,
            "points": self.points,
            "score": self.score,
            "correct": self.correct,
            "options": [
                {"letter": o.letter, "text": o.text, "chosen": o.chosen, "right": o.is_key}
                for o in self.shown.options
            ],
            "blanks": [asdict(b) | {"accepted": list(b.accepted)} for b in self.shown.blanks],
            "your_answer": self.your_answer,
            "right_answer": self.right_answer,
            "explanation": self.explanation,
            "legal_source": self.legal_source,
        }


def review(attempt: Attempt, reveal: bool) -> list[ReviewRow]:
    """Each question of a submitted attempt as sat; the key and the explanations only when
    ``reveal`` (the caller asks ``access.review_allowed``)."""
    paper = attempt.paper
    # The versions sat (what the candidate saw) and, after a correction, the version it was
    # graded by (what counts as right).
    graded_by = {i["question_id"]: i.get("graded_version_id", i["version_id"]) for i in paper}
    wanted = {i["version_id"] for i in paper} | set(graded_by.values())
    versions = {
        v.id: v
        for v in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(wanted)))
    }
    answers = dict(
        db.session.execute(
            select(AttemptAnswer.question_id, AttemptAnswer.response).where(
                AttemptAnswer.attempt_id == attempt.id
            )
        ).all()
    )
    scores = {i["question_id"]: i for i in (attempt.result or {}).get("items", [])}
    rows = []
    for number, item in enumerate(paper, start=1):
        sat, graded = versions[item["version_id"]], versions[graded_by[item["question_id"]]]
        # The kind reads the key's shape (how many blanks) and keeps the key only if reveal.
        question = replace(sat.content(), answer=graded.answer)
        kind, order = kinds.get(sat.kind), tuple(item["option_order"])
        response = answers.get(item["question_id"])  # as stored: in the letters shown
        shown = kind.review(question, response, order, reveal)
        row = ReviewRow(
            number,
            item["question_id"],
            sat.kind,
            sat.stem,
            item["points"],
            shown,
            reveal,
            kind.describe(response),
        )
        if reveal:
            score = scores.get(item["question_id"], {})
            row = replace(
                row,
                right_answer=kind.format_answer(kind.to_shown(graded.answer, order)),
                score=score.get("score", 0.0),
                correct=score.get("correct", False),
                explanation=graded.explanation or "",
                legal_source=graded.legal_source or "",
            )
        rows.append(row)
    return rows
