"""Candidates practise on practice-enabled questions by topic and keep a wrong-answer list."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, func, select
from sqlalchemy.orm import joinedload

from exam.auth.access import roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.core.web import parse_id
from exam.questions.forms import PracticeAnswerForm
from exam.questions.models import (
    PracticeAnswer,
    Question,
    QuestionStatus,
    QuestionVersion,
    Topic,
    WrongAnswer,
    question_topic,
)
from question_bank import kinds
from question_bank.model import LETTERS, Usage
from question_bank.text import normalise_answer

#: Questions answered this recently are not asked again while others remain.
RECENT = 20
#: Questions per page of the wrong-answer book.
PER_PAGE = 20


def practice_pool():
    """Questions a candidate may practise on: in use, and not kept for exams only."""
    return select(Question).where(
        Question.status == QuestionStatus.ACTIVE, Question.usage != Usage.EXAM
    )


def _in_topic(query, topic: Topic):
    return query.where(
        Question.id.in_(
            select(question_topic.c.question_id).where(
                question_topic.c.topic_id.in_(topic.subtree_ids())
            )
        )
    )


@roles_required(UserRole.CANDIDATE)
def index():
    areas = db.session.scalars(
        select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.sort_order)
    ).all()
    counts = {
        a.id: db.session.scalar(
            select(func.count()).select_from(_in_topic(practice_pool(), a).subquery())
        )
        for a in areas
    }
    wrong = db.session.scalar(select(func.count()).select_from(_my_wrong_answers().subquery()))
    answered, right = db.session.execute(
        select(
            func.count(PracticeAnswer.id),
            func.count(PracticeAnswer.id).filter(PracticeAnswer.correct),
        ).where(PracticeAnswer.user_id == current_user.id)
    ).one()
    return render_template(
        "practice/index.html",
        areas=areas,
        counts=counts,
        wrong=wrong,
        answered=answered,
        right=right,
    )


def _next_question(query):
    recent = (
        select(QuestionVersion.question_id)
        .join(PracticeAnswer, PracticeAnswer.version_id == QuestionVersion.id)
        .where(PracticeAnswer.user_id == current_user.id)
        .order_by(PracticeAnswer.id.desc())
        .limit(RECENT)
    )
    fresh = db.session.scalar(
        query.where(Question.id.not_in(recent)).order_by(func.random()).limit(1)
    )
    return fresh or db.session.scalar(query.order_by(func.random()).limit(1))


def _ask(question: Question | None, mode: str, title: str):
    if question is None:
        return render_template("practice/empty.html", title=title)
    form = PracticeAnswerForm(
        question_id=question.id, version_id=question.current_version_id, mode=mode
    )
    return render_template(
        "practice/question.html",
        question=question,
        version=question.current,
        form=form,
        title=title,
        letters=LETTERS,
    )


@roles_required(UserRole.CANDIDATE)
def topic(topic_id: int):
    chosen = db.session.get(Topic, topic_id) or abort(404)
    return _ask(
        _next_question(_in_topic(practice_pool(), chosen)), f"topic:{chosen.id}", chosen.path
    )


def _my_wrong_answers():
    """The candidate's wrong-answer book (错题本): their wrong answers on questions still open
    for practice, the latest mistake first."""
    return (
        select(WrongAnswer)
        .options(joinedload(WrongAnswer.question))
        .join(Question, Question.id == WrongAnswer.question_id)
        .where(
            WrongAnswer.user_id == current_user.id,
            Question.id.in_(practice_pool().with_only_columns(Question.id)),
        )
        .order_by(WrongAnswer.last_wrong_at.desc(), WrongAnswer.id.desc())
    )


def _last_wrong_responses(question_ids: list[int]) -> dict[int, object]:
    """The candidate's latest wrong response to each of ``question_ids`` (on the version in
    use, the one the book shows)."""
    rows = db.session.execute(
        select(Question.id, PracticeAnswer.response)
        .join(QuestionVersion, QuestionVersion.id == PracticeAnswer.version_id)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(
            PracticeAnswer.user_id == current_user.id,
            PracticeAnswer.correct.is_(False),
            Question.id.in_(question_ids),
        )
        .order_by(PracticeAnswer.id.desc())
    )
    latest: dict[int, object] = {}
    for question_id, response in rows:
        latest.setdefault(question_id, response)
    return latest


@roles_required(UserRole.CANDIDATE)
def wrong():
    """The wrong-answer book to read: each question with its options, the right answer, the
    explanation and its source, and when it was last answered wrong."""
    page = db.paginate(_my_wrong_answers(), per_page=PER_PAGE, error_out=False)
    entries = list(page.items)
    last = _last_wrong_responses([entry.question_id for entry in entries])
    return render_template(
        "practice/wrong.html",
        page=page,
        entries=entries,
        last=last,
        letters=LETTERS,
        marks=_marks,
    )


@roles_required(UserRole.CANDIDATE)
def drill():
    """Practise the questions of the wrong-answer book, one at a time; answered right here,
    a question leaves the book."""
    query = practice_pool().where(
        Question.id.in_(
            select(WrongAnswer.question_id).where(WrongAnswer.user_id == current_user.id)
        )
    )
    return _ask(_next_question(query), "wrong", _("Practise my wrong answers"))


def _marks(version: QuestionVersion, response: object) -> dict:
    """What the feedback marks on ``version`` for ``response``: the letters (or truth value)
    chosen, and for fill-in questions each blank as typed, its accepted answers and whether it
    was right (None: ``response`` is None, nothing to mark)."""
    kind = kinds.get(version.kind)
    if version.kind == "fill":
        typed = [response] if isinstance(response, str) else list(response or ())
        blanks = []
        for i, accepted in enumerate(version.answer or ()):
            text = typed[i] if i < len(typed) else ""
            ok = (
                None  # no answer to mark (the book without a recorded answer)
                if response is None
                else normalise_answer(text) in {normalise_answer(a) for a in accepted}
            )
            blanks.append({"typed": text, "accepted": list(accepted), "right": ok})
        return {"blanks": blanks}
    if kind.has_options:
        return {"chosen": set(response or "") if isinstance(response, str) else set()}
    return {"chosen": response}  # true/false: True, False or None


@roles_required(UserRole.CANDIDATE)
def answer():
    form = PracticeAnswerForm()
    question_id, version_id = parse_id(form.question_id.data), parse_id(form.version_id.data)
    if not form.validate_on_submit() or question_id is None or version_id is None:
        abort(400)
    question = db.session.scalar(practice_pool().where(Question.id == question_id))
    if question is None or question.current_version_id != version_id:
        # Not (or no longer) open for practice, or a version other than the one in use:
        # older wordings were never approved for candidates to see.
        abort(404)
    version = question.current
    kind = kinds.get(version.kind)
    response = kind.read_form(request.form.to_dict(flat=False))
    grade = kind.grade(version.data(), response)
    db.session.add(
        PracticeAnswer(
            user_id=current_user.id, version_id=version.id, response=response, correct=grade.correct
        )
    )
    entry = db.session.scalar(
        select(WrongAnswer).where(
            WrongAnswer.user_id == current_user.id, WrongAnswer.question_id == question.id
        )
    )
    if not grade.correct:
        if entry is None:
            db.session.add(WrongAnswer(user_id=current_user.id, question_id=question.id))
        else:
            entry.times_wrong += 1
            entry.last_wrong_at = utcnow()
    elif entry is not None and form.mode.data == "wrong":
        # Right at last, from the wrong-answer list itself: it leaves the list.
        db.session.execute(delete(WrongAnswer).where(WrongAnswer.id == entry.id))
    db.session.commit()
    mode = form.mode.data or ""
    topic_id = parse_id(mode.removeprefix("topic:")) if mode.startswith("topic:") else None
    next_url = (
        url_for("practice.drill")
        if mode == "wrong"
        else url_for("practice.topic", topic_id=topic_id)
        if topic_id
        else url_for("practice.index")
    )
    from exam.learning.services import courses_on_topics

    suggested = (
        []
        if grade.correct
        else courses_on_topics(current_user.person, [t.code for t in question.topics])
    )
    return render_template(
        "practice/result.html",
        question=question,
        version=version,
        grade=grade,
        suggested=suggested,
        response=response,
        marks=_marks(version, response),
        right_answer=kind.format_answer(version.answer),
        your_answer=kind.describe(response) or "—",
        next_url=next_url,
        letters=LETTERS,
    )
