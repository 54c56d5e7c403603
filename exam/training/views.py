"""Training for those who attend: their sessions and hours, enrolling or giving up a place,
signing in with the room's QR code, and the calendars (.ics)."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from exam.accounts.forms import ActionForm
from exam.auth.access import roles_required
from exam.auth.models import UserRole
from exam.core.errors import message
from exam.core.extensions import db
from exam.core.timeutil import local_today, to_form_time, utcnow
from exam.people.models import Person, Sector
from exam.training import services
from exam.training.access import get_session_or_404
from exam.training.calendar import ics_response
from exam.training.models import Enrolment, EnrolmentStatus, Mode, TrainingSession
from exam.training.services import upcoming_for

# --- organisers: sessions -----------------------------------------------------------------------


# --- organisers: hours --------------------------------------------------------------------------


# --- attendees ------------------------------------------------------------------------------------


def _me() -> Person:
    if current_user.role != UserRole.CANDIDATE or current_user.person is None:
        abort(403)
    return current_user.person


@roles_required(UserRole.CANDIDATE)
def mine():
    person = _me()
    now = utcnow()
    return render_template(
        "training/mine.html",
        person=person,
        upcoming=upcoming_for(person, now),
        now=now,
        ledger=services.ledger(person, local_today().year),
        attended=services.attended(person),
        local=to_form_time,
        Mode=Mode,
        EnrolmentStatus=EnrolmentStatus,
    )


@roles_required(UserRole.CANDIDATE)
def enrol(session_id: int, action: str):
    person = _me()
    session = get_session_or_404(session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    now = utcnow()
    try:
        if action == "enrol":
            enrolment = services.enrol(session, person, now)
            message = (
                _("You are enrolled.")
                if enrolment.status == EnrolmentStatus.ENROLLED
                else _(
                    "The session is full: you are on the waiting list and move up when a seat is free."
                )
            )
        else:
            enrolment = db.session.scalar(
                select(Enrolment).where(
                    Enrolment.session_id == session.id, Enrolment.person_id == person.id
                )
            ) or abort(404)
            services.withdraw(enrolment, now)
            message = _("You have given up your place.")
    except services.TrainingError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("training.mine"))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("training.mine"))


@login_required
def signin(session_id: int):
    """The page the room's QR code opens: the attendee confirms and is signed in."""
    person = _me()
    session = get_session_or_404(session_id)
    code = request.values.get("code", "")
    now = utcnow()
    done = error = None
    # Scanning again (or pressing the button again) after signing in shows that they are
    # signed in and when, whatever the code: there is nothing left to do.
    already = db.session.scalar(
        select(Enrolment).where(
            Enrolment.session_id == session.id,
            Enrolment.person_id == person.id,
            Enrolment.attended_at.is_not(None),
        )
    )
    if already is not None:
        if request.method == "POST" and not ActionForm().validate_on_submit():
            abort(400)
        done = already
    elif request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            done = services.sign_in(session, person, code, now)
            db.session.commit()
        except services.TrainingError as problem:
            db.session.rollback()
            error = problem.message
    elif not services.code_valid(session, code, now):
        error = message("bad_code", "training")
    elif not services.signin_open(session, now):
        error = message("signin_closed", "training")
    return render_template(
        "training/signin.html",
        session=session,
        person=person,
        code=code,
        done=done,
        error=error,
        local=to_form_time,
    ), (200 if not error else 409)


# --- calendars (.ics) --------------------------------------------------------------------------


def feed():
    """Every session from a month ago on (no personal data), for calendar applications;
    ``?sector=<code>`` narrows it to the sessions for that sector (those for every sector too)."""
    query = select(TrainingSession).where(TrainingSession.starts_at > utcnow() - timedelta(days=31))
    sector = db.session.scalar(select(Sector).where(Sector.code == request.args.get("sector", "")))
    if sector is not None:
        query = query.where(TrainingSession.for_sector(sector.id))
    return ics_response(
        db.session.scalars(query.order_by(TrainingSession.starts_at)).all(), "安培·安全培训"
    )


def session_ics(session_id: int):
    return ics_response([get_session_or_404(session_id)], "安培·安全培训")
