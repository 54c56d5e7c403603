"""The errors the exam API answers with, as its OpenAPI document declares them: each
operation lists every status it can answer (``answers``), and each status its closed list of
codes, whose statuses and messages are the catalogues' (``exam.core.errors``,
``exam.exams.errors``)."""

from __future__ import annotations

from http import HTTPStatus

from exam.core import schema  # noqa: F401  (registers the code not_initialised)
from exam.core.error_schema import error_schema
from exam.core.errors import AnpeiError
from exam.exams.blueprint import api_bp as blp
from exam.exams.errors import ExamError

#: Every code the API sends: the core dialect's (``api_error``, ``render_error``) and the
#: exams feature's refusals of a candidate on exam day.
CORE_CODES = (
    "bad_request",
    "csrf",
    "invalid",
    "unauthenticated",
    "invalid_login",
    "disabled",
    "must_change_password",
    "not_found",
    "too_large",
    "throttled",
    "retry",
    "not_initialised",
)
EXAM_CODES = (
    "not_open",
    "not_eligible",
    "no_attempts_left",
    "network",
    "access_code",
    "training_required",
    "course_required",
    "unservable",
    "device_blocked",
    "submitted",
    "too_late",
    "unknown_question",
    "bad_answer",
    "bad_sequence",
)


def codes_by_status() -> dict[int, tuple[str, ...]]:
    """The API's codes grouped by the HTTP status each is answered with."""
    grouped: dict[int, list[str]] = {}
    errors = [AnpeiError(c) for c in CORE_CODES] + [ExamError(c) for c in EXAM_CODES]
    for error in errors:
        grouped.setdefault(error.status, []).append(error.code)
    return {status: tuple(sorted(codes)) for status, codes in grouped.items()}


CODES = codes_by_status()
#: What a candidate's request may always meet: not signed in (or no longer), a one-time
#: password to change first, not a candidate (404), the database busy for a moment or not yet
#: initialised (503).
CANDIDATE = (401, 403, 404, 503)
#: What any write may meet besides: an unreadable body or a stale CSRF token (400), a body
#: past the size limit (413).
WRITE = (400, 413)


#: Headers an error of a status always carries (``exam.core.errors._unavailable``).
HEADERS = {
    503: {
        "Retry-After": {
            "description": "seconds to wait before sending the request again",
            "schema": {"type": "integer"},
        }
    }
}


def answers(*statuses: int):
    """Declare the error statuses an operation can answer, each with its codes' schema.

    Only the documentation is kept: flask-smorest's ``alt_response`` also wraps the view in a
    call-through layer per status, eight of them on the answer save, each asking Flask again
    whether the view is a coroutine; the view itself is returned, carrying their document."""

    def decorate(view):
        documented = view
        for status in sorted(set(statuses), reverse=True):
            documented = blp.alt_response(
                status,
                schema=error_schema(status, CODES[status]),
                description=f"{HTTPStatus(status).phrase}: code one of {', '.join(CODES[status])}",
                headers=HEADERS.get(status),
            )(documented)
        view._apidoc = documented._apidoc
        return view

    return decorate
