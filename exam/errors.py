"""Error pages in the user's language; no stack trace ever reaches a user."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exam.extensions import db

MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have permission to see this page."),
    404: lambda: _("The page or record you asked for does not exist, or you may not see it."),
    405: lambda: _("This address does not accept that kind of request."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many requests. Please wait a little and try again."),
    500: lambda: _("Something went wrong on our side. It has been logged; please try again."),
}


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
        from exam.api.errors import api_error

        return api_error(API_CODES.get(code, "bad_request"), code)
    message = message or MESSAGES.get(code, MESSAGES[500])()
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.path.startswith("/api/"):
            from exam.api.errors import api_error

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
