"""The one error dialect (a stable code, its field and params, translated here), and error
pages in the user's language; no stack trace ever reaches a user."""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from exam.core.database import is_transient, short_reason
from exam.core.extensions import db, login_manager

#: How long a client should wait before sending again a request the database could not serve.
RETRY_AFTER_SECONDS = 5

STATUS_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You do not have permission to see this page."),
    404: lambda: _("The page or record you asked for does not exist, or you may not see it."),
    405: lambda: _("This address does not accept that kind of request."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many requests. Please wait a little and try again."),
    500: lambda: _("Something went wrong on our side. It has been logged; please try again."),
    503: lambda: _(
        "The system is very busy for a moment. Nothing you entered is lost: "
        "please try again in a few seconds."
    ),
}


#: The one error dialect: a refused action is an ``AnpeiError`` with a stable ``code`` (the API
#: answers with it, tests assert it), the form ``field`` it concerns if any, and ``params`` for
#: its message. Each feature's subclass names its ``domain``, whose catalogue (registered with
#: ``catalogue``) words its codes; ``message`` is the one place they are translated, for
#: services, forms and the API alike.


class AnpeiError(Exception):
    """A refused action: ``code``, the form ``field`` it concerns (or None) and ``params``."""

    domain = "core"

    def __init__(self, code: str, field: str | None = None, **params):
        super().__init__(code)
        self.code, self.field, self.params = code, field, params

    @property
    def message(self) -> str:
        """What to tell the user, in their language."""
        return message(self.code, self.domain, **self.params)

    @property
    def status(self) -> int:
        """The HTTP status the API answers it with."""
        return _STATUSES.get((self.domain, self.code), 400)


class Refusals(AnpeiError):
    """Several things wrong with one input at once (each an ``AnpeiError`` with its field)."""

    def __init__(self, errors: list[AnpeiError]):
        super().__init__("invalid")
        self.errors = errors
        self.args = (", ".join(f"{e.field}:{e.code}" for e in errors),)


_MESSAGES: dict[tuple[str, str], Callable[..., str]] = {}
_STATUSES: dict[tuple[str, str], int] = {}


def catalogue(domain: str, messages: dict, statuses: dict[str, int] | None = None) -> None:
    """Register a domain's codes: their messages (a function of the params, or a lazy string)
    and, for the API, their HTTP statuses."""
    for code, words in messages.items():
        _MESSAGES[domain, code] = (
            words if isinstance(words, FunctionType) else lambda words=words, **_p: str(words)
        )
    for code, status in (statuses or {}).items():
        _STATUSES[domain, code] = status


def message(code: str, domain: str = "core", **params) -> str:
    """The message of ``code`` in the user's language (a domain's own, else the core's)."""
    words = _MESSAGES.get((domain, code)) or _MESSAGES.get(("core", code))
    if words is None:
        words = _MESSAGES["core", "bad_request"]
    return words(**params)


def problem_message(problem) -> str:
    """A ``question_bank.problems.Problem`` (an English msgid and its params), translated."""
    return problem.render(_)


catalogue(
    "core",
    {
        "unauthenticated": lambda **p: _("Please log in."),
        "invalid_login": lambda **p: _("Wrong login or password."),
        "throttled": lambda **p: _("Too many failed logins. Try again later."),
        "disabled": lambda **p: _("This account is disabled. Please contact the bureau."),
        "must_change_password": lambda **p: _("Change your one-time password first."),
        "not_found": lambda **p: _("Not found, or not yours."),
        "bad_request": lambda **p: _("The request could not be understood."),
        "invalid": lambda **p: (
            _("Some of what was sent is missing or not valid: %(fields)s.", fields=p["fields"])
            if p.get("fields")
            else _("Some of what was sent is missing or not valid.")
        ),
        "csrf": lambda **p: _("The page has expired; reload it."),
        "too_large": lambda **p: _("The request is too large."),
        "server_error": lambda **p: _("Something went wrong on our side; the page will try again."),
        "retry": lambda **p: _("The system is busy for a moment; the page will try again."),
    },
    {
        "unauthenticated": 401,
        "invalid_login": 401,
        "throttled": 429,
        "disabled": 403,
        "must_change_password": 403,
        "not_found": 404,
        "bad_request": 400,
        "invalid": 422,
        "csrf": 400,
        "too_large": 413,
        "server_error": 500,
        "retry": 503,
    },
)


def api_error(error: AnpeiError | str, status: int | None = None, **extra):
    """A JSON error response: ``{"error": {"code": ..., "message": ...}}``; a 422 names what
    is wrong with each member of the request (``fields``). Its OpenAPI schema:
    ``exam.core.error_schema``."""
    if isinstance(error, str):
        error = AnpeiError(error)
    status = status or error.status
    if status == 422 and error.field:
        extra.setdefault("fields", {error.field: [error.message]})
    body = {"error": {"code": error.code, "message": error.message, **extra}}
    return jsonify(body), status


def invalid_request(problems: dict[str, list[str]]):
    """422 for an API request with members missing or not valid: ``problems`` says what is
    wrong with each (``body``: the body as a whole)."""
    return api_error(AnpeiError("invalid", fields=", ".join(problems)), 422, fields=problems)


def webargs_problems(messages: dict) -> dict[str, list[str]]:
    """What webargs (``@blp.arguments``) found wrong, per member of the request."""
    found: dict[str, list[str]] = {}
    for location in messages.values():
        members = location if isinstance(location, dict) else {"_schema": location}
        for name, problems in members.items():
            listed = problems if isinstance(problems, list) else [problems]
            found["body" if name == "_schema" else str(name)] = [str(p) for p in listed]
    return found


API_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "not_found",
    404: "not_found",
    405: "bad_request",
    413: "too_large",
    422: "invalid",
    429: "throttled",
    500: "server_error",
    503: "retry",
}


def render_error(code: int, message: str | None = None):
    """The error in the dialect of the address: JSON under ``/api/``, else a page."""
    if request.path.startswith("/api/"):
        return api_error(API_CODES.get(code, "bad_request"), code)
    message = message or STATUS_MESSAGES.get(code, STATUS_MESSAGES[500])()
    return render_template("errors/error.html", code=code, message=message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.path.startswith("/api/"):
            # A fresh token for the page to send again with (an exam may outlive its token);
            # only a page of this site can read it, as with the one it had.
            return api_error("csrf", csrf_token=generate_csrf())
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
        messages = (getattr(error, "data", None) or {}).get("messages")
        if error.code == 422 and messages and request.path.startswith("/api/"):
            return invalid_request(webargs_problems(messages))
        return render_error(error.code)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return render_error(500)

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_unavailable(error: sa_exc.SQLAlchemyError):
        if not is_transient(error):
            return unexpected(error)
        return _unavailable(app, error)


def _unavailable(app: Flask, error: Exception):
    """503 and ``Retry-After`` for a database that is away or busy for a while: one warning
    line in the log (no traceback: it is the weather, not a bug), the session rolled back."""
    app.logger.warning(
        "database unavailable: %s %s: %s", request.method, request.path, short_reason(error)
    )
    try:
        db.session.rollback()  # a cut connection was already invalidated by SQLAlchemy
    except sa_exc.SQLAlchemyError:
        db.session.close()
    # The page is drawn for nobody in particular: the signed-in user's row cannot be loaded now.
    g._login_user = login_manager.anonymous_user()
    response, status = render_error(503)
    response = app.make_response((response, status))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
