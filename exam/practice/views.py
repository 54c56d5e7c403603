"""Candidates practise on practice-enabled questions by topic and keep a wrong-answer list."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import delete, func, select

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

#: Questions answered this recently are not asked again while others remain.
RECENT = 20


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
    wrong = db.session.scalar(
        select(func.count(WrongAnswer.id)).where(WrongAnswer.user_id == current_user.id)
    )
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


@roles_required(UserRole.CANDIDATE)
def wrong():
    query = practice_pool().where(
        Question.id.in_(
            select(WrongAnswer.question_id).where(WrongAnswer.user_id == current_user.id)
        )
    )
    from flask_babel import gettext as _

    return _ask(_next_question(query), "wrong", _("My wrong answers"))


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
        url_for("practice.wrong")
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
        right_answer=kind.format_answer(version.answer),
        your_answer=kind.describe(response) or "—",
        next_url=next_url,
        letters=LETTERS,
    )
