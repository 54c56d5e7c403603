"""API endpoints for candidates sitting exams.

Reads and writes are built to cost a constant number of SQL statements whatever the
paper's length: the paper's JSON is built once when the attempt starts and sent as it is,
and an answer save is one guarded upsert.
"""

from __future__ import annotations

import json
from functools import wraps

from flask import Response, jsonify, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.auth.services import BUSY_RETRY_SECONDS, authenticate, sign_in
from exam.core.errors import api_error, invalid_request, webargs_problems
from exam.core.extensions import csrf, db
from exam.core.timeutil import utcnow
from exam.exams import services, signals
from exam.exams.access import get_attempt_or_404, review_allowed
from exam.exams.api_errors import CANDIDATE, WRITE, answers
from exam.exams.api_schemas import (
    AnswerIn,
    AnswerOut,
    AttemptStartOut,
    EventIn,
    ExamOut,
    LoginIn,
    MeOut,
    PaperOut,
    ResultOut,
    StartIn,
    StatusOut,
)
from exam.exams.blueprint import api_bp as blp
from exam.exams.eligibility import is_eligible
from exam.exams.examday import (
    check_device,
    check_network,
    focus_lost,
    terms_for,
)
from exam.exams.models import Attempt, Exam
from exam.exams.review import review as paper_review
from exam.exams.sitting import (
    Sitting,
    answers_json,
    current_device,
    papers,
    quick_heartbeat,
    quick_save,
    quick_sitting,
)

#: The largest answer a save may carry (twenty blanks of 200 characters fit easily).
MAX_SAVE_BYTES = 64 * 1024


def candidate_required(view):
    """JSON 401/403 instead of a redirect; only candidates sit exams."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return api_error("unauthenticated")
        if current_user.role != UserRole.CANDIDATE:
            return api_error("not_found")
        if current_user.must_change_password:  # the paper and save endpoints skip the global check
            return api_error("must_change_password")
        return view(*args, **kwargs)

    return wrapped


def _me(user: User) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "must_change_password": user.must_change_password,
        "csrf_token": generate_csrf(),
    }


@blp.route("/login", methods=["POST"])
@blp.arguments(LoginIn)
@blp.response(200, MeOut)
@answers(*WRITE, 401, 403, 422, 429, 503)
def login(args):
    """Log in with an ID number, mobile or username (sets the session cookie)."""
    result = authenticate(args["login"], args["password"], request.remote_addr or "")
    if result.user is not None:
        sign_in(result.user)
    db.session.commit()  # the attempt is recorded whatever the outcome
    if result.error == "busy":
        body, status = api_error("retry")
        return body, status, {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if result.user is None:
        code = {
            "locked_account": "throttled",
            "locked_address": "throttled",
            "disabled": "disabled",
        }.get(result.error, "invalid_login")
        return (
            api_error(code, retry_minutes=result.retry_minutes)
            if code == "throttled"
            else api_error(code)
        )
    return _me(result.user)


csrf.exempt(login)


def own_attempt(*columns):
    """Load the current candidate's attempt named in the URL (``attempt_id``) and pass it to
    the view as ``attempt``; another person's attempt, or none, is a JSON 404. An attempt
    still under way must be on its own device and network."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, attempt_id: int, **kwargs):
            attempt = get_attempt_or_404(attempt_id, *columns)
            if attempt is None:
                return api_error("not_found")
            if attempt.submitted_at is None:
                try:
                    check_network(attempt.exam, request.remote_addr)
                    # This device holds the attempt now: the view's one commit keeps it.
                    check_device(attempt, current_device(), utcnow())
                except services.ExamError as error:
                    db.session.commit()  # the refused device is on the organisers' console
                    return api_error(error)
            return view(*args, attempt=attempt, **kwargs)

        return wrapped

    return decorator


@blp.route("/me/exams")
@blp.response(200, ExamOut(many=True))
@answers(*CANDIDATE)
@candidate_required
def my_exams():
    """The published exams the candidate may sit, with their attempts."""
    now = utcnow()
    exams = db.session.scalars(
        select(Exam).where(Exam.is_published).order_by(Exam.opens_at.desc())
    ).all()
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == current_user.id)).all()
    rows = []
    for exam in exams:
        if not is_eligible(exam, current_user):
            continue
        mine = [a for a in attempts if a.exam_id == exam.id]
        open_attempt = next((a for a in mine if a.submitted_at is None), None)
        terms = terms_for(exam, current_user)
        rows.append(
            {
                "id": exam.id,
                "title": exam.title,
                "status": terms.status(exam, now),
                "opens_at": terms.opens_at,
                "closes_at": terms.closes_at,
                "duration_minutes": terms.duration_minutes,
                "total_points": services.blueprint_of(exam).total_points,
                "pass_mark": exam.pass_mark,
                "attempts_allowed": terms.attempts_allowed,
                "attempts_used": len(mine),
                "open_attempt_id": open_attempt.id if open_attempt else None,
                "access_code_required": bool(exam.access_code),
                "makeup": exam.makeup_of_id is not None,
            }
        )
    return rows


@blp.route("/exams/<int:exam_id>/attempts", methods=["POST"])
@blp.arguments(StartIn, required=False)
@blp.response(201, AttemptStartOut)
@answers(*CANDIDATE, *WRITE, 409, 422)
@candidate_required
def start(body, exam_id: int):
    """Start the exam, or get the attempt already under way (starting twice gives one)."""
    exam = db.session.get(Exam, exam_id)
    if exam is None or not exam.is_published or not is_eligible(exam, current_user):
        return api_error("not_found")
    try:
        attempt = services.start_attempt(
            exam,
            current_user,
            utcnow(),
            device=current_device(),
            address=request.remote_addr,
            access_code=body.get("access_code"),
        )
    except services.ExamError as error:
        db.session.commit()  # an overdue attempt closed on the way stays closed
        return api_error(error)
    started = {"attempt_id": attempt.id, "url": url_for("exams.sit", attempt_id=attempt.id)}
    db.session.commit()  # (read before: after it the attempt, paper and all, would load again)
    return started


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


@blp.route("/attempts/<int:attempt_id>")
@blp.response(
    200,
    PaperOut,
    description="the paper (no answer key), the server's deadline and time, and the answers "
    "saved so far with their seq",
)
@answers(*CANDIDATE, 409)
def attempt(attempt_id: int):
    """The paper as sat, the deadline set by the server, the server's time and saved answers."""
    now = utcnow()
    sitting = quick_sitting(attempt_id, now)
    if sitting is None:
        return _full_attempt(attempt_id=attempt_id)
    return _paper_response(sitting, now)


@candidate_required
@own_attempt(Attempt.paper_json, Attempt.paper, Attempt.seed)
def _full_attempt(attempt: Attempt):
    now = utcnow()
    services.close_if_overdue(attempt, now)
    papers().put(attempt)
    sitting = Sitting(
        attempt.paper_json,
        attempt.deadline,
        attempt.submitted_at is not None,
        answers_json(services.saved_answers(attempt)),
    )
    db.session.commit()  # an overdue attempt closed, or this device now holding it
    return _paper_response(sitting, now)


def _paper_response(sitting: Sitting, now) -> Response:
    head = json.dumps(
        {
            "attempt_id": request.view_args["attempt_id"],
            "deadline": _iso(sitting.deadline),
            "server_time": _iso(now),
            "submitted": sitting.submitted,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    # The paper's JSON was built once when the attempt started, the answers' by the database:
    # both are spliced in as they are.
    body = f'{head[:-1]},"answers":{sitting.answers_json},"paper":{sitting.page_json}}}'

    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})


@blp.route("/attempts/<int:attempt_id>/answers/<int:question_id>", methods=["PUT"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": AnswerIn}}})
@blp.response(200, AnswerOut)
@answers(*CANDIDATE, *WRITE, 409, 422)
def save(attempt_id: int, question_id: int):
    """Save one answer; a save with a lower seq than the stored one changes nothing."""
    # Read by hand rather than through a schema: this is the busiest endpoint of exam day.
    if (request.content_length or 0) > MAX_SAVE_BYTES:
        return api_error("too_large")
    body = request.get_json(silent=True)
    if body is None:
        return api_error("bad_request")  # not JSON at all
    if not isinstance(body, dict) or body.keys() != {"answer", "seq"}:
        return invalid_request(webargs_problems({"json": AnswerIn().validate(body)}))
    now = utcnow()
    if not quick_save(attempt_id, question_id, body["answer"], body["seq"], now):
        return _full_save(body, attempt_id=attempt_id, question_id=question_id)
    return _saved(True, body["seq"], now)


@candidate_required
@own_attempt(Attempt.paper, Attempt.paper_json, Attempt.seed)
def _full_save(body: dict, attempt: Attempt, question_id: int):
    now = utcnow()
    papers().put(attempt)
    try:
        with db.session.begin_nested():  # a refused save undoes itself, not the device's claim
            stored = services.save_answer(attempt, question_id, body["answer"], body["seq"], now)
    except services.ExamError as error:
        db.session.commit()
        return api_error(error)
    db.session.commit()
    return _saved(stored, body["seq"], now)


def _saved(stored: bool, seq: int, now) -> Response:
    # Encoded here rather than by jsonify (the app's JSON provider): exam day's busiest answer.
    body = json.dumps(
        {"stored": stored, "seq": seq, "server_time": _iso(now)}, separators=(",", ":")
    )
    return Response(body, mimetype="application/json")


def _status(attempt: Attempt, now) -> dict:
    return {
        "deadline": attempt.deadline,
        "server_time": now,
        "submitted": attempt.submitted_at is not None,
        "focus_losses": attempt.focus_losses,
    }


#: What the heartbeat and events need of an attempt (not its paper).
STATUS_COLUMNS = (
    Attempt.device_id,
    Attempt.new_device_allowed,
    Attempt.device_changes,
    Attempt.focus_losses,
    Attempt.last_seen_at,
    Attempt.auto_submitted,
)


@blp.route("/attempts/<int:attempt_id>/heartbeat", methods=["POST"])
@blp.response(200, StatusOut)
@answers(*CANDIDATE, *WRITE, 409)
def heartbeat(attempt_id: int):
    """The page is still there: the invigilators see its last contact; the answer carries the
    deadline as it is now."""
    now = utcnow()
    beat = quick_heartbeat(attempt_id, now)
    if beat is None:
        return _full_heartbeat(attempt_id=attempt_id)
    # As the schema writes it, without its cost: every page sends one every 20 seconds.
    return jsonify(
        {
            "deadline": beat.deadline.isoformat(),
            "server_time": now.isoformat(),
            "submitted": False,
            "focus_losses": beat.focus_losses,
            "csrf_token": generate_csrf(),
        }
    )


@candidate_required
@own_attempt(*STATUS_COLUMNS)
def _full_heartbeat(attempt: Attempt):
    now = utcnow()
    services.close_if_overdue(attempt, now)
    attempt.last_seen_at = now
    # A fresh token with every beat: an exam with extra time may outlive the page's first one.
    status = {**_status(attempt, now), "csrf_token": generate_csrf()}
    db.session.commit()
    return status


@blp.route("/attempts/<int:attempt_id>/events", methods=["POST"])
@blp.arguments(EventIn)
@blp.response(200, StatusOut)
@answers(*CANDIDATE, *WRITE, 409, 422)
@candidate_required
@own_attempt(*STATUS_COLUMNS)
def event(args, attempt: Attempt):
    """Report that the page lost focus (recorded with the server's time, if the exam records
    it; past the exam's limit, if it has one, the attempt is submitted)."""
    now = utcnow()
    if not services.close_if_overdue(attempt, now):
        focus_lost(attempt, now)
    status = _status(attempt, now)
    db.session.commit()
    return status


@blp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@blp.response(200, ResultOut)
@answers(*CANDIDATE, *WRITE, 409)
@candidate_required
@own_attempt()
def submit(attempt: Attempt):
    """Submit the attempt; submitting again (or from another tab) gives the same result."""
    services.submit(attempt, utcnow())
    result, passed, attempt_id = _result(attempt), attempt.passed, attempt.id
    db.session.commit()
    if passed:  # after the submission is safe, never inside it
        signals.attempt_passed.send(attempt_id)
    return result


@blp.route("/attempts/<int:attempt_id>/result")
@blp.response(200, ResultOut)
@answers(*CANDIDATE, 409)
@candidate_required
@own_attempt()
def result(attempt: Attempt):
    """Score, pass/fail and per-topic breakdown; answers only as the review policy allows."""
    services.close_if_overdue(attempt, utcnow())
    if attempt.submitted_at is None:
        db.session.commit()  # this device now holding the attempt
        return api_error("not_found")
    result = _result(attempt)
    db.session.commit()
    return result


def _result(attempt: Attempt) -> dict:
    # Nothing of the paper until the review policy lets the key be seen.
    reveal = review_allowed(attempt, utcnow())
    review = [row.as_json() for row in paper_review(attempt, reveal)] if reveal else []
    if review and attempt.review_shown_at is None:
        attempt.review_shown_at = utcnow()  # committed by the view, with the rest
    return {
        "attempt_id": attempt.id,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "score": attempt.score,
        "total_points": attempt.total_points,
        "pass_mark": attempt.exam.pass_mark,
        "passed": attempt.counts_as_pass,
        "cancelled": attempt.cancelled_at is not None,
        "by_topic": (attempt.result or {}).get("by_topic", {}),
        "review": review,
    }
