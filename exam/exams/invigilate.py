"""Exam day for organisers: the live invigilation console, actions on one attempt,
per-person and per-group overrides, and the makeup exam."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import load_only

from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.timeutil import utcnow
from exam.core.web import parse_id
from exam.exams import examday
from exam.exams.access import get_exam_or_404
from exam.exams.eligibility import candidates_of, expected_of
from exam.exams.forms import MakeupForm, OverrideForm, ReasonForm
from exam.exams.manage import _local, _utc
from exam.exams.models import Attempt, AttemptAnswer, AttemptEvent, Exam, ExamOverride
from exam.exams.services import ExamError, close_if_overdue
from exam.people.access import visible_enterprises, visible_people
from exam.people.models import Enterprise, Person, Town
from exam.people.naming import name_people, naming_errors

#: Answers that count as "not answered" on the console (cleared choices, empty blanks).
EMPTY_ANSWERS = ("null", '""', "[]", '[""]', '["",""]')


def _visible_person_ids() -> set[int]:
    return set(db.session.scalars(visible_people(current_user).with_only_columns(Person.id)))


def _questions_in(exam: Exam) -> int:
    blueprint = exam.blueprint or {}
    return sum(rule.get("count", 0) for rule in blueprint.get("rules", ())) + len(
        blueprint.get("fixed", ())
    )


def console_rows(exam: Exam, now) -> list[dict]:
    """One row per candidate the exam is for (within the organiser's scope), newest attempt:
    while it is open, whoever may sit it; once it has closed, the people it expected (the base
    of its roster, its makeup and its rates)."""
    visible = _visible_person_ids()
    everybody = expected_of(exam) if exam.has_closed(now) else candidates_of(exam)
    users = [u for u in everybody if u.person_id in visible]
    attempts: dict[int, Attempt] = {}
    for attempt in db.session.scalars(
        select(Attempt)
        .options(
            load_only(
                Attempt.id,
                Attempt.user_id,
                Attempt.number,
                Attempt.deadline,
                Attempt.submitted_at,
                Attempt.auto_submitted,
                Attempt.score,
                Attempt.passed,
                Attempt.device_changes,
                Attempt.focus_losses,
                Attempt.last_seen_at,
                Attempt.cancelled_at,
                Attempt.new_device_allowed,
                Attempt.started_at,
            )
        )
        .where(Attempt.exam_id == exam.id)
        .order_by(Attempt.number)
    ):
        attempts[attempt.user_id] = attempt
    ids = [a.id for a in attempts.values()]
    answered = (
        dict(
            db.session.execute(
                select(AttemptAnswer.attempt_id, func.count(AttemptAnswer.id))
                .where(
                    AttemptAnswer.attempt_id.in_(ids),
                    cast(AttemptAnswer.response, Text).not_in(EMPTY_ANSWERS),
                )
                .group_by(AttemptAnswer.attempt_id)
            ).all()
        )
        if ids
        else {}
    )
    last_saved = (
        dict(
            db.session.execute(
                select(AttemptAnswer.attempt_id, func.max(AttemptAnswer.saved_at))
                .where(AttemptAnswer.attempt_id.in_(ids))
                .group_by(AttemptAnswer.attempt_id)
            ).all()
        )
        if ids
        else {}
    )
    blocked = (
        set(
            db.session.scalars(
                select(AttemptEvent.attempt_id).where(
                    AttemptEvent.attempt_id.in_(ids),
                    AttemptEvent.kind == AttemptEvent.DEVICE_BLOCKED,
                )
            )
        )
        if ids
        else set()
    )
    questions = _questions_in(exam)
    rows = []
    for user in users:
        person, attempt = user.person, attempts.get(user.id)
        enterprise = person.enterprise
        row = {
            "person_id": person.id,
            "name": person.name,
            "enterprise": enterprise.name if enterprise else "",
            "enterprise_id": enterprise.id if enterprise else None,
            "town": enterprise.town.name if enterprise and enterprise.town else "",
            "town_id": enterprise.town_id if enterprise else None,
            "questions": questions,
            "state": "not_started",
            "attempt_id": None,
        }
        if attempt is not None:
            contact = max(
                filter(None, [attempt.last_seen_at, last_saved.get(attempt.id), attempt.started_at])
            )
            row.update(
                {
                    "attempt_id": attempt.id,
                    "number": attempt.number,
                    "answered": answered.get(attempt.id, 0),
                    "state": (
                        "cancelled"
                        if attempt.cancelled_at
                        else "submitted"
                        if attempt.submitted_at
                        else "in_progress"
                    ),
                    "seconds_left": max(0, int((attempt.deadline - now).total_seconds()))
                    if attempt.submitted_at is None
                    else None,
                    "last_contact": contact.isoformat(),
                    "last_contact_seconds": int((now - contact).total_seconds()),
                    "device_changes": attempt.device_changes,
                    "device_waiting": attempt.id in blocked
                    and attempt.submitted_at is None
                    and not attempt.new_device_allowed,
                    "focus_losses": attempt.focus_losses,
                    "score": attempt.score,
                    "passed": attempt.passed,
                    "url": url_for("manage_exams.attempt", exam_id=exam.id, attempt_id=attempt.id),
                }
            )
        rows.append(row)
    return rows


@roles_required(*MANAGERS)
def invigilate(exam_id: int):
    exam = get_exam_or_404(exam_id)
    unservable = [p.render(_) for p in examday.unservable(exam, utcnow())]
    return render_template("exams/invigilate.html", exam=exam, unservable=unservable)


@roles_required(*MANAGERS)
def invigilate_data(exam_id: int):
    exam = get_exam_or_404(exam_id)
    now = utcnow()
    rows = console_rows(exam, now)
    enterprise_id, town_id = (
        parse_id(request.args.get("enterprise")),
        parse_id(request.args.get("town")),
    )
    shown = [
        r
        for r in rows
        if (enterprise_id is None or r["enterprise_id"] == enterprise_id)
        and (town_id is None or r["town_id"] == town_id)
    ]
    counts = {
        state: sum(r["state"] == state for r in shown)
        for state in ("not_started", "in_progress", "submitted", "cancelled")
    }
    return jsonify(
        {
            "server_time": now.isoformat(),
            "status": exam.status(now),
            "counts": counts,
            "rows": shown,
            "enterprises": sorted(
                {(r["enterprise_id"], r["enterprise"]) for r in rows if r["enterprise_id"]},
                key=lambda e: e[1],
            ),
            "towns": sorted(
                {(r["town_id"], r["town"]) for r in rows if r["town_id"]}, key=lambda t: t[1]
            ),
        }
    )


def _attempt_or_404(exam: Exam, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if (
        attempt is None
        or attempt.exam_id != exam.id
        or attempt.user.person_id is None
        or db.session.scalar(
            visible_people(current_user).where(Person.id == attempt.user.person_id)
        )
        is None
    ):
        abort(404)
    return attempt


@roles_required(*MANAGERS)
def attempt(exam_id: int, attempt_id: int):
    exam = get_exam_or_404(exam_id)
    found = _attempt_or_404(exam, attempt_id)
    events = db.session.execute(
        select(AttemptEvent, User)
        .outerjoin(User, User.id == AttemptEvent.actor_id)
        .where(AttemptEvent.attempt_id == found.id)
        .order_by(AttemptEvent.id)
    ).all()
    return render_template(
        "exams/manage_attempt.html",
        exam=exam,
        attempt=found,
        events=events,
        now=utcnow(),
        form=ReasonForm(),
        labels=AttemptEvent.LABELS,
    )


ACTIONS = {
    "extend": (
        lambda a, form, now: examday.extend(
            a, form.minutes.data or 0, current_user, form.reason.data, now
        ),
        lambda n: _("Given %(n)s more minutes.", n=n),
    ),
    "reopen": (
        lambda a, form, now: examday.reopen(
            a, form.minutes.data or 0, current_user, form.reason.data, now
        ),
        lambda n: _("Reopened for %(n)s minutes: the candidate can go on with their answers.", n=n),
    ),
    "allow_device": (
        lambda a, form, now: examday.allow_new_device(a, current_user, form.reason.data, now),
        lambda n: _("The next device the candidate uses may take the attempt over."),
    ),
    "cancel": (
        lambda a, form, now: examday.cancel(a, current_user, form.reason.data, now),
        lambda n: _("The score is cancelled: it is kept, marked, and counted in no pass rate."),
    ),
}


@roles_required(*MANAGERS)
def act(exam_id: int, attempt_id: int, action: str):
    exam = get_exam_or_404(exam_id)
    found = _attempt_or_404(exam, attempt_id)
    form = ReasonForm()
    back = redirect(url_for("manage_exams.attempt", exam_id=exam.id, attempt_id=found.id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return back
    run, done = ACTIONS[action]
    now = utcnow()
    close_if_overdue(found, now)  # past its deadline: closed first (and kept closed), then act
    try:
        with db.session.begin_nested():  # a refused action undoes itself, not the closing
            run(found, form, now)
    except ExamError as error:
        db.session.commit()
        flash(error.message, "danger")
        return back
    db.session.commit()
    flash(done(form.minutes.data), "success")
    return back


# --- overrides ------------------------------------------------------------------------------


def _override_form() -> OverrideForm:
    form = OverrideForm()
    enterprises = db.session.scalars(
        visible_enterprises(current_user).order_by(Enterprise.name)
    ).all()
    form.enterprise_id.choices = options([(0, "—")] + [(e.id, e.name) for e in enterprises])
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    reachable = {e.town_id for e in enterprises}
    form.town_id.choices = options(
        [(0, "—")] + [(t.id, t.name) for t in towns if t.id in reachable]
    )
    return form


@roles_required(*MANAGERS)
def overrides(exam_id: int):
    exam = get_exam_or_404(exam_id)
    form = _override_form()
    if form.validate_on_submit():
        target = {}
        if form.target.data == "person":
            named = name_people(form.person_login.data, visible_people(current_user))
            person = named.people[0] if named.complete and len(named.people) == 1 else None
            if named.invalid or named.ambiguous:  # a shared mobile names neither of its people
                form.person_login.errors.extend(naming_errors(named))
            elif person is None:
                form.person_login.errors.append(
                    _("Nobody you may see has this ID number or mobile.")
                )
            target["person"] = person
        elif form.target.data == "enterprise":
            enterprise = (
                db.session.scalar(
                    visible_enterprises(current_user).where(
                        Enterprise.id == form.enterprise_id.data
                    )
                )
                if form.enterprise_id.data
                else None
            )
            if enterprise is None:
                form.enterprise_id.errors.append(_("Choose an enterprise."))
            target["enterprise"] = enterprise
        else:
            town = db.session.get(Town, form.town_id.data) if form.town_id.data else None
            if town is None:
                form.town_id.errors.append(_("Choose a town/street."))
            target["town"] = town
        if None not in target.values():
            try:
                examday.add_override(
                    exam,
                    current_user,
                    reason=form.reason.data,
                    now=utcnow(),
                    opens_at=_utc(form.opens_at.data) if form.opens_at.data else None,
                    closes_at=_utc(form.closes_at.data) if form.closes_at.data else None,
                    extra_minutes=form.extra_minutes.data or 0,
                    extra_attempts=form.extra_attempts.data or 0,
                    **target,
                )
            except ExamError as error:
                db.session.rollback()
                flash(error.message, "danger")
            else:
                db.session.commit()
                flash(_("Saved: the new terms apply at once."), "success")
                return redirect(url_for("manage_exams.overrides", exam_id=exam.id))
    listed = db.session.scalars(
        select(ExamOverride).where(ExamOverride.exam_id == exam.id).order_by(ExamOverride.id)
    ).all()
    return render_template(
        "exams/overrides.html", exam=exam, form=form, overrides=listed, local=_local
    )


@roles_required(*MANAGERS)
def delete_override(exam_id: int, override_id: int):
    from exam.accounts.forms import ActionForm

    exam = get_exam_or_404(exam_id)
    override = db.session.get(ExamOverride, override_id)
    if override is None or override.exam_id != exam.id or not ActionForm().validate_on_submit():
        abort(404)
    examday.remove_override(override, current_user)
    db.session.commit()
    flash(_("Removed: the exam's own terms apply again to attempts not yet started."), "info")
    return redirect(url_for("manage_exams.overrides", exam_id=exam.id))


# --- the makeup exam ----------------------------------------------------------------------


@roles_required(*MANAGERS)
def makeup(exam_id: int):
    exam = get_exam_or_404(exam_id)
    form = MakeupForm()
    if not form.validate_on_submit():
        flash(_("Give the makeup exam's window."), "danger")
        return redirect(url_for("manage_exams.detail", exam_id=exam.id))
    now = utcnow()
    try:
        created = examday.create_makeup(
            exam,
            current_user,
            _utc(form.opens_at.data),
            _utc(form.closes_at.data),
            now,
            include_cancelled=form.include_cancelled.data,
        )
    except ExamError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("manage_exams.detail", exam_id=exam.id))
    from exam.exams.services import publish

    problems = publish(created, now)
    db.session.commit()
    enrolled = len(created.eligibility["person_ids"])
    if problems:
        flash(
            _(
                "The makeup exam is saved as a draft for %(n)s people: %(why)s",
                n=enrolled,
                why="; ".join(p.render(_) for p in problems),
            ),
            "warning",
        )
    else:
        flash(
            _(
                "The makeup exam is published for the %(n)s people who failed or did not come.",
                n=enrolled,
            ),
            "success",
        )
    return redirect(url_for("manage_exams.detail", exam_id=created.id))
