"""Candidates' exam pages: the list, the sitting page (driven by exam.js and the API), results."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from exam.accounts.forms import ActionForm
from exam.auth.access import roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import services, signals
from exam.exams.access import get_attempt_or_404, review_allowed
from exam.exams.eligibility import is_eligible
from exam.exams.examday import terms_for
from exam.exams.models import Attempt, Exam, ExamStatus
from exam.exams.review import review as paper_review
from exam.exams.sitting import current_device
from exam.questions.access import get_question_or_404
from question_bank import kinds
from question_bank.kinds import KINDS


@roles_required(UserRole.CANDIDATE)
def index():
    return _exam_list()


def _exam_list():
    """The candidate's exams page (also what a start the bank cannot serve answers with)."""
    now = utcnow()
    exams = [
        (e, terms_for(e, current_user))
        for e in db.session.scalars(
            select(Exam).where(Exam.is_published).order_by(Exam.opens_at.desc())
        )
        if is_eligible(e, current_user)
    ]
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.user_id == current_user.id).order_by(Attempt.id)
    ).all()
    shortfalls = {}
    if any(e.requires_training for e, _terms in exams):
        from exam.core.timeutil import local_today
        from exam.training.services import meets_requirement

        short = meets_requirement(current_user.person, local_today())
        shortfalls = {
            e.id: short for e, _terms in exams if e.requires_training and short is not None
        }
    prerequisites = {
        e.id: state
        for e, _terms in exams
        if (state := services.unfinished_prerequisite(e, current_user.person)) is not None
    }
    return render_template(
        "exams/index.html",
        exams=exams,
        now=now,
        attempts=attempts,
        ExamStatus=ExamStatus,
        shortfalls=shortfalls,
        prerequisites=prerequisites,
        totals={e.id: services.blueprint_of(e).total_points for e, _terms in exams},
    )


@roles_required(UserRole.CANDIDATE)
def notice(exam_id: int):
    """考试须知: the exam's terms and the integrity settings in force, and the confirmation
    that starts the clock (a POST to ``start``; this page writes nothing)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or not exam.is_published or not is_eligible(exam, current_user):
        abort(404)
    mine = db.session.scalars(
        select(Attempt).where(Attempt.exam_id == exam.id, Attempt.user_id == current_user.id)
    ).all()
    under_way = next((a for a in mine if a.submitted_at is None), None)
    if under_way is not None:
        return redirect(url_for("exams.sit", attempt_id=under_way.id))
    terms = terms_for(exam, current_user)
    blueprint = services.blueprint_of(exam)
    return render_template(
        "exams/notice.html",
        exam=exam,
        terms=terms,
        status=terms.status(exam, utcnow()),
        used=len(mine),
        total=blueprint.total_points,
        questions=blueprint.question_count,
    )


@roles_required(UserRole.CANDIDATE)
def start(exam_id: int):
    from exam.accounts.forms import ActionForm

    exam = db.session.get(Exam, exam_id)
    if exam is None or not exam.is_published or not is_eligible(exam, current_user):
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(
            exam,
            current_user,
            utcnow(),
            device=current_device(),
            address=request.remote_addr,
            access_code=request.form.get("access_code"),
        )
    except services.ExamError as error:
        db.session.commit()
        flash(_start_refusal(error), "warning")
        if error.code == "unservable":
            # Not the candidate's doing, nor a 500: the list again, with why, as a 409.
            return _exam_list(), error.status
        return redirect(url_for("exams.index"))
    db.session.commit()
    return redirect(url_for("exams.sit", attempt_id=attempt.id))


def _start_refusal(error) -> str:
    if error.code == "course_required":
        return _(
            "Complete the online course “%(course)s” first: %(done)s of %(lessons)s lessons done.",
            **error.params,
        )
    return error.message


@roles_required(UserRole.CANDIDATE)
def sit(attempt_id: int):
    """The exam page; the paper itself comes from the API, never with its answer key."""
    attempt = get_attempt_or_404(attempt_id) or abort(404)
    if services.close_if_overdue(attempt, utcnow()):
        db.session.commit()
    if attempt.submitted_at is not None:
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    return render_template(
        "exams/sit.html",
        attempt=attempt,
        kind_labels={code: _(kind.english) for code, kind in KINDS.items()},
    )


def worker():
    """The exam page's service worker, from the site's root so that it may keep the exam page
    and its paper for a reload without a network (static/exam-worker.js says what it keeps)."""
    response = current_app.send_static_file("exam-worker.js")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@roles_required(UserRole.CANDIDATE)
def result(attempt_id: int):
    """The score and the paper as the candidate saw it; the key only as the policy allows."""
    attempt = get_attempt_or_404(attempt_id) or abort(404)
    changed = services.close_if_overdue(attempt, utcnow())
    if attempt.submitted_at is None:
        return redirect(url_for("exams.sit", attempt_id=attempt.id))
    reveal = review_allowed(attempt, utcnow())
    if reveal and attempt.review_shown_at is None:
        attempt.review_shown_at, changed = utcnow(), True  # it may no longer be reopened
    if changed:
        db.session.commit()
    from exam.learning.services import suggested_courses

    share = 100 * attempt.exam.pass_mark / attempt.total_points if attempt.total_points else 80.0
    suggested = suggested_courses(
        current_user.person, (attempt.result or {}).get("by_topic", {}), share
    )
    return render_template(
        "exams/result.html",
        attempt=attempt,
        review=paper_review(attempt, reveal),
        revealed=reveal,
        kinds=kinds.KINDS,
        links=_result_links(attempt),
        topics=_topic_names(),
        suggested=suggested,
    )


def _result_links(attempt: Attempt) -> list[signals.ResultLink]:
    """What the features above offer for a pass (a certificate), in the order they answer."""
    if not attempt.counts_as_pass:
        return []
    return [link for _receiver, link in signals.result_links.send(attempt) if link is not None]


def _topic_names() -> dict[str, str]:
    from exam.questions.models import Topic

    return {t.code: t.name for t in db.session.scalars(select(Topic))}


@roles_required(UserRole.ADMIN)
def regrade_question(question_id: int):
    """Grade submitted papers again by this question's corrected version (logged)."""
    question = get_question_or_404(question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    changed = services.regrade_question(question, current_user)
    db.session.commit()
    flash(_("%(n)s submitted papers were graded again.", n=len(changed)), "success")
    return redirect(url_for("questions.detail", question_id=question.id))
