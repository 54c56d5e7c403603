"""Training for organisers: sessions as a calendar and a list, editing, the roll call and the
sign-in QR code, cancelling, who falls short of hours and inviting them."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime, timedelta

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from exam.accounts.forms import ActionForm
from exam.audit.services import record
from exam.auth.access import MANAGERS, roles_required
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.i18n import select_locale
from exam.core.printing import qr_svg
from exam.core.timeutil import display_zone, from_form_time, local_today, to_form_time, utcnow
from exam.core.web import int_arg, parse_id
from exam.people.access import visible_enterprises, visible_people
from exam.people.models import Enterprise, Person, Sector, Town
from exam.people.naming import name_people, naming_errors
from exam.questions.models import Topic
from exam.training import services
from exam.training.access import can_manage, get_managed_session_or_404
from exam.training.forms import ReasonForm, SessionForm
from exam.training.models import EnrolmentStatus, Mode, TrainingSession


def _visible_ids() -> set[int]:
    return set(db.session.scalars(visible_people(current_user).with_only_columns(Person.id)))


@roles_required(*MANAGERS)
def index():
    """Sessions as a month or week calendar, with the list below; ``?sector=<code>`` shows
    the sessions for that sector (those for every sector too)."""
    view = "week" if request.args.get("view") == "week" else "month"
    try:
        day = (
            date.fromisoformat(request.args.get("date", ""))
            if request.args.get("date")
            else local_today()
        )
    except ValueError:
        day = local_today()
    sector = db.session.scalar(select(Sector).where(Sector.code == request.args.get("sector", "")))
    if view == "week":
        first = day - timedelta(days=day.weekday())
        days = [first + timedelta(days=i) for i in range(7)]
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        weeks = month_calendar.Calendar().monthdatescalendar(day.year, day.month)
        days = [d for week in weeks for d in week]
        previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    start = datetime.combine(days[0], datetime.min.time(), display_zone())
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), display_zone())
    query = select(TrainingSession).where(
        TrainingSession.starts_at >= start, TrainingSession.starts_at < end
    )
    if sector is not None:
        query = query.where(TrainingSession.for_sector(sector.id))
    sessions = [
        s
        for s in db.session.scalars(
            query.options(selectinload(TrainingSession.sectors)).order_by(TrainingSession.starts_at)
        )
        if can_manage(current_user, s)
    ]
    by_day: dict[date, list[TrainingSession]] = {}
    for session in sessions:
        by_day.setdefault(to_form_time(session.starts_at).date(), []).append(session)
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    return render_template(
        "training/index.html",
        view=view,
        day=day,
        days=days,
        by_day=by_day,
        sessions=sessions,
        previous=previous,
        following=following,
        sectors=sectors,
        sector=sector,
        today=local_today(),
        local=to_form_time,
        Mode=Mode,
    )


def _form(session: TrainingSession | None) -> SessionForm:
    form = SessionForm()
    locale = select_locale()
    form.sector_ids.choices = options(
        (s.id, s.display_name(locale))
        for s in db.session.scalars(select(Sector).order_by(Sector.sort_order))
    )
    form.topic_codes.choices = options(
        (t.code, t.path)
        for t in db.session.scalars(
            select(Topic).where(Topic.parent_id.is_(None)).order_by(Topic.code)
        )
    )
    form.enterprise_ids.choices = options(
        (e.id, e.name)
        for e in db.session.scalars(visible_enterprises(current_user).order_by(Enterprise.name))
    )
    if session is not None and not form.is_submitted():
        for name in (
            "title",
            "lecturer",
            "organising_unit",
            "hours",
            "mode",
            "venue",
            "link",
            "capacity",
            "description",
        ):
            getattr(form, name).data = getattr(session, name)
        form.starts_at.data, form.ends_at.data = (
            to_form_time(session.starts_at),
            to_form_time(session.ends_at),
        )
        form.sector_ids.data = [s.id for s in session.sectors]
        form.topic_codes.data = [t.code for t in session.topics]
        rules = session.invitation or {}
        form.roles.data, form.enterprise_ids.data = (
            rules.get("roles", []),
            rules.get("enterprise_ids", []),
        )
        people = db.session.scalars(
            visible_people(current_user).where(Person.id.in_(rules.get("person_ids") or []))
        ).all()
        form.person_logins.data = "\n".join(p.id_number for p in people)
    elif session is None and not form.is_submitted():
        invite = [pid for pid in request.args.getlist("person", type=int)]
        people = db.session.scalars(visible_people(current_user).where(Person.id.in_(invite))).all()
        form.person_logins.data = "\n".join(p.id_number for p in people)
        form.hours.data = 4
        # Preselected from a report (a weak topic, its sector): ?topic=G3&sector=2
        form.topic_codes.data = request.args.getlist("topic")
        form.sector_ids.data = request.args.getlist("sector", type=int)
    return form


@roles_required(*MANAGERS)
def edit(session_id: int | None):
    session = get_managed_session_or_404(session_id) if session_id else None
    form = _form(session)
    if form.validate_on_submit():
        starts, ends = from_form_time(form.starts_at.data), from_form_time(form.ends_at.data)
        named = name_people(form.person_logins.data, visible_people(current_user))
        person_ids = [p.id for p in named.people]
        if ends <= starts:
            form.ends_at.errors.append(_("The session must end after it starts."))
        elif not named.complete:
            form.person_logins.errors.extend(naming_errors(named))
        elif form.mode.data == Mode.ONLINE and not form.link.data:
            form.link.errors.append(_("An online session needs its link."))
        else:
            fresh = session is None
            if fresh:
                session = TrainingSession(
                    created_by_id=current_user.id, signin_secret=services.new_secret()
                )
                db.session.add(session)
            try:
                services.set_capacity(session, form.capacity.data)
            except services.TrainingError as error:
                db.session.rollback()
                form.capacity.errors.append(error.message)
                return render_template("training/form.html", form=form, session=session)
            for name in (
                "title",
                "lecturer",
                "organising_unit",
                "hours",
                "mode",
                "venue",
                "link",
                "description",
            ):
                setattr(session, name, getattr(form, name).data or ("" if name != "hours" else 0))
            session.starts_at, session.ends_at = starts, ends
            session.sectors = db.session.scalars(
                select(Sector).where(Sector.id.in_(form.sector_ids.data or []))
            ).all()
            session.topics = db.session.scalars(
                select(Topic).where(Topic.code.in_(form.topic_codes.data or []))
            ).all()
            # Named people this organiser may not see stay invited (they cannot be shown here).
            hidden = [
                pid
                for pid in ((session.invitation or {}).get("person_ids") or [])
                if pid not in _visible_ids()
            ]
            session.invitation = {
                "person_ids": hidden + person_ids,
                "roles": form.roles.data or [],
                "enterprise_ids": form.enterprise_ids.data or [],
            }
            services.announce_session_edit(session)
            record("training.schedule" if fresh else "training.update", session, session.title)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("training.detail", session_id=session.id))
    return render_template("training/form.html", form=form, session=session)


@roles_required(*MANAGERS)
def detail(session_id: int):
    session = get_managed_session_or_404(session_id)
    visible = _visible_ids()
    enrolments = sorted(
        (e for e in session.enrolments if e.person_id in visible),
        key=lambda e: (e.status != EnrolmentStatus.ENROLLED, e.enrolled_at),
    )
    now = utcnow()
    return render_template(
        "training/detail.html",
        session=session,
        enrolments=enrolments,
        now=now,
        signin_open=services.signin_open(session, now),
        local=to_form_time,
        Mode=Mode,
        enrolled=services.enrolled_count(session),
        form=ReasonForm(),
        EnrolmentStatus=EnrolmentStatus,
    )


@roles_required(*MANAGERS)
def qr(session_id: int):
    """The sign-in QR code as it is now (it changes every two minutes)."""
    session = get_managed_session_or_404(session_id)
    url = url_for(
        "training.signin",
        session_id=session.id,
        code=services.signin_code(session, utcnow()),
        _external=True,
    )
    return Response(
        qr_svg(url, 300), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@roles_required(*MANAGERS)
def rollcall(session_id: int):
    session = get_managed_session_or_404(session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = lambda name: {pid for pid in (parse_id(v) for v in request.form.getlist(name)) if pid}  # noqa: E731
    known = {e.person_id for e in session.enrolments} & _visible_ids()
    try:
        marked, unmarked = services.roll_call(
            session,
            ids("present") & known,
            current_user,
            utcnow(),
            shown_present=ids("was_present") & known,
        )
    except services.TrainingError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("training.detail", session_id=session.id))
    db.session.commit()
    flash(
        _(
            "Roll call saved: %(marked)s marked present, %(unmarked)s unmarked.",
            marked=marked,
            unmarked=unmarked,
        ),
        "success",
    )
    return redirect(url_for("training.detail", session_id=session.id))


@roles_required(*MANAGERS)
def cancel(session_id: int):
    session = get_managed_session_or_404(session_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Say why: it goes into the log."), "danger")
    elif session.cancelled_at is None:
        session.cancelled_at, session.cancel_reason = utcnow(), form.reason.data
        services.announce_session_edit(session)
        record("training.cancel", session, session.title, {"reason": form.reason.data})
        db.session.commit()
        flash(_("Cancelled: it no longer counts, and enrolled people see it cancelled."), "info")
    return redirect(url_for("training.detail", session_id=session.id))


@roles_required(*MANAGERS)
def hours():
    """Who falls short of this year's hours, by enterprise, sector and town."""
    year = int_arg("year", local_today().year) or local_today().year
    if not 2000 <= year <= 2100:
        year = local_today().year
    enterprise_id, sector_id, town_id = (
        parse_id(request.args.get(k)) for k in ("enterprise", "sector", "town")
    )
    query = visible_people(current_user).where(Person.enterprise_id.is_not(None))
    if enterprise_id:
        query = query.where(Person.enterprise_id == enterprise_id)
    if sector_id or town_id:
        query = query.where(
            Person.enterprise_id.in_(services.enterprise_ids_in(sector_id, town_id))
        )
    people = db.session.scalars(
        query.options(selectinload(Person.enterprise).selectinload(Enterprise.sectors)).order_by(
            Person.enterprise_id, Person.name
        )
    ).all()
    ledgers = services.ledgers(people, year)
    short = [(p, ledgers[p.id]) for p in people if ledgers[p.id].gap > 0]
    upcoming = [
        s
        for s in db.session.scalars(
            select(TrainingSession)
            .where(TrainingSession.starts_at > utcnow(), TrainingSession.cancelled_at.is_(None))
            .order_by(TrainingSession.starts_at)
        )
        if can_manage(current_user, s)
    ]
    return render_template(
        "training/hours.html",
        year=year,
        short=short,
        total=len(people),
        upcoming=upcoming,
        local=to_form_time,
        enterprises=db.session.scalars(
            visible_enterprises(current_user).order_by(Enterprise.name)
        ).all(),
        sectors=db.session.scalars(select(Sector).order_by(Sector.sort_order)).all(),
        towns=db.session.scalars(select(Town).order_by(Town.sort_order)).all(),
    )


@roles_required(*MANAGERS)
def invite():
    if not ActionForm().validate_on_submit():
        abort(400)
    chosen = [pid for pid in (parse_id(v) for v in request.form.getlist("person")) if pid]
    people = db.session.scalars(visible_people(current_user).where(Person.id.in_(chosen))).all()
    if not people:
        flash(_("Choose the people to invite."), "warning")
        return redirect(request.referrer or url_for("training.hours"))
    if request.form.get("session") == "new":
        return redirect(url_for("training.edit", person=[p.id for p in people]))
    session = get_managed_session_or_404(parse_id(request.form.get("session")) or 0)
    added = services.invite(session, [p.id for p in people], current_user)
    db.session.commit()
    flash(_("%(n)s people invited; they see the session on their home page.", n=added), "success")
    return redirect(url_for("training.detail", session_id=session.id))
