"""The demo question bank: checked questions on the eight grips, from questions.json."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.people.models import Sector
from exam.questions.models import (
    PracticeAnswer,
    Question,
    QuestionStatus,
    QuestionVersion,
    Topic,
    WrongAnswer,
)
from question_bank import kinds
from question_bank.model import QuestionData, Usage

DATA = Path(__file__).with_name("questions.json")


def demo_questions() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def load_demo_questions(rng: random.Random, now: datetime | None = None) -> int:
    """Add the demo bank: most questions in use, a few drafts and reviewed ones waiting."""
    author = db.session.scalar(select(User).where(User.username == "organiser"))
    reviewer = db.session.scalar(select(User).where(User.username == "admin"))
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    now = now or utcnow()
    rows = demo_questions()
    for number, row in enumerate(rows, start=1):
        data = QuestionData(
            kind=row["kind"],
            stem=row["stem"],
            options=tuple(row["options"]),
            answer=row["answer"],
            explanation=row["explanation"],
            difficulty=row["difficulty"],
            legal_source=row["source"],
            roles=tuple(row.get("roles", ())),
        )
        assert not kinds.validate(data), row["stem"]
        # Every seventh question is kept for exams only, so practice and exams differ.
        usage = Usage.EXAM if number % 7 == 0 else Usage.BOTH
        status = (
            QuestionStatus.DRAFT
            if number % 40 == 1
            else QuestionStatus.REVIEWED
            if number % 40 == 2
            else QuestionStatus.ACTIVE
        )
        question = Question(
            status=status,
            usage=usage,
            external_key=f"demo-{number:03d}",
            topics=[topics[f"G{row['grip']}"]],
            sectors=[sectors[c] for c in row.get("sectors", ()) if c in sectors],
        )
        version = QuestionVersion(
            number=1,
            kind=data.kind,
            stem=data.stem,
            options=list(data.options),
            answer=data.answer,
            explanation=data.explanation,
            difficulty=data.difficulty,
            legal_source=data.legal_source,
            roles=list(data.roles),
            content_hash=data.content_hash(),
            created_by=author,
            reviewed_by=reviewer if status != QuestionStatus.DRAFT else None,
            reviewed_at=now if status != QuestionStatus.DRAFT else None,
        )
        question.versions.append(version)
        question.current = version
        db.session.add(question)
    db.session.flush()
    _practice_history(rng)
    return len(rows)


def _practice_history(rng: random.Random) -> None:
    """A few practice answers, right and wrong, for the demo's candidate with a known password."""
    candidate = db.session.scalar(
        select(User).where(User.role == UserRole.CANDIDATE, User.password_hash.is_not(None))
    )
    if candidate is None:
        return
    versions = db.session.scalars(
        select(QuestionVersion)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.status == QuestionStatus.ACTIVE, Question.usage != Usage.EXAM)
        .order_by(QuestionVersion.id)
    ).all()
    for version in rng.sample(versions, min(12, len(versions))):
        right = rng.random() < 0.7
        response = kinds.get(version.kind).example_response(version.content(), right)
        db.session.add(
            PracticeAnswer(
                user_id=candidate.id, version_id=version.id, response=response, correct=right
            )
        )
        if not right:
            db.session.add(WrongAnswer(user_id=candidate.id, question_id=version.question_id))
