"""Error pages in the user's language; no stack trace ever reaches a user."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exam.core.extensions import db

STATUS_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have permission to see this page."),
    404: lambda: _("The page or record you asked for does not exist, or you may not see it."),
    405: lambda: _("This address does not accept that kind of request."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many requests. Please wait a little and try again."),
    500: lambda: _("Something went wrong on our side. It has been logged; please try again."),
}


#: The one error dialect: a stable code and its message in the user's language. Services
#: raise codes, views flash or render them, the API answers them as JSON.
MESSAGES = {
    "unauthenticated": lambda: _("Please log in."),
    "invalid_login": lambda: _("Wrong login or password."),
    "throttled": lambda: _("Too many failed logins. Try again later."),
    "disabled": lambda: _("This account is disabled. Please contact the bureau."),
    "must_change_password": lambda: _("Change your one-time password first."),
    "not_found": lambda: _("Not found, or not yours."),
    "not_open": lambda: _("This exam is not open now."),
    "not_eligible": lambda: _("This exam is not for you."),
    "no_attempts_left": lambda: _("You have used all your attempts at this exam."),
    "submitted": lambda: _("This attempt has been submitted; answers can no longer change."),
    "too_late": lambda: _("The time for this attempt is over; the answer was not saved."),
    "unknown_question": lambda: _("This question is not on your paper."),
    "bad_answer": lambda: _("This answer does not fit the question."),
    "bad_sequence": lambda: _("The answer's sequence number is not valid."),
    "bad_request": lambda: _("The request could not be understood."),
    "csrf": lambda: _("The page has expired; reload it."),
    "too_large": lambda: _("The request is too large."),
    "server_error": lambda: _("Something went wrong on our side; the page will try again."),
    "device_blocked": lambda: _(
        "This attempt is open on another device. Your answers are kept here; "
        "ask the invigilator to allow this device."
    ),
    "network": lambda: _("This exam can only be sat from the exam room's network."),
    "access_code": lambda: _("The access code is not right. Type the code shown in the exam room."),
    "override_target": lambda: _("Choose one person, one enterprise or one town."),
    "override_ends_before_start": lambda: _("The window must end after it starts."),
    "override_empty": lambda: _("Give another window, extra minutes or extra attempts."),
    "bad_minutes": lambda: _("Give between 1 and 1440 minutes."),
    "not_submitted": lambda: _("This attempt is still under way."),
    "review_shown": lambda: _(
        "The candidate has already seen the right answers of this attempt: it cannot be "
        "reopened. Give an extra attempt with an override instead."
    ),
    "training_required": lambda: _(
        "This exam is for those who have done this year's training hours; yours are "
        "not complete yet. See My training."
    ),
    "course_required": lambda: _(
        "This exam asks you to complete an online course first; see My courses."
    ),
    "other_open": lambda: _("The candidate has another attempt at this exam under way."),
    "cancelled": lambda: _("This attempt's score has been cancelled."),
    "makeup_of_makeup": lambda: _(
        "A makeup exam has no makeup of its own: whoever fails it goes back to training."
    ),
    "makeup_exists": lambda: _("This exam already has its makeup exam."),
    "makeup_before_close": lambda: _(
        "The makeup exam can be created once the exam has closed for everybody."
    ),
    "makeup_nobody": lambda: _("Everybody passed: nobody needs a makeup exam."),
}
STATUS = {
    "unauthenticated": 401,
    "invalid_login": 401,
    "throttled": 429,
    "disabled": 403,
    "must_change_password": 403,
    "not_found": 404,
    "not_open": 409,
    "not_eligible": 403,
    "no_attempts_left": 409,
    "submitted": 409,
    "too_late": 409,
    "unknown_question": 404,
    "bad_answer": 422,
    "bad_sequence": 422,
    "bad_request": 400,
    "csrf": 400,
    "too_large": 413,
    "server_error": 500,
    "device_blocked": 409,
    "network": 403,
    "access_code": 403,
    "bad_minutes": 422,
    "training_required": 403,
    "course_required": 403,
    "not_submitted": 409,
    "cancelled": 409,
}


def api_error(code: str, status: int | None = None, **extra):
    """A JSON error response: ``{"error": {"code": ..., "message": ...}}``."""
    body = {
        "error": {"code": code, "message": MESSAGES.get(code, MESSAGES["bad_request"])(), **extra}
    }
    return jsonify(body), status or STATUS.get(code, 400)


API_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "not_found",
    404: "not_found",
    405: "bad_request",
    413: "too_large",
    422: "bad_request",
    429: "throttled",
    500: "server_error",
}


def render_error(code: int, message: str | None = None):
    if request.path.startswith("/api/"):
        return api_error(API_CODES.get(code, "bad_request"), code)
    message = message or STATUS_MESSAGES.get(code, STATUS_MESSAGES[500])()
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.path.startswith("/api/"):
            return api_error("csrf")
        return render_error(
            400,
            _(
                "The form has expired or did not come from this site. "
                "Go back, reload the page and try again."
            ),
        )

    @app.errorhandler(413)
    def too_large(error):
        return render_error(
            413, _("The file is larger than the %(mb)s MB allowed.", mb=app.config["MAX_UPLOAD_MB"])
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500)
