"""Organisers' pages for warning-film screenings: the film library, screenings, and the people
who attended by name.

An organiser limited to some sectors or towns/streets sees and records only screenings held
for those, and names only people they may see.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from exam.accounts.forms import ActionForm
from exam.auth.access import MANAGERS, roles_required
from exam.auth.models import User
from exam.core.extensions import db
from exam.core.forms import options, put_on_form
from exam.core.i18n import select_locale
from exam.core.timeutil import from_form_time as _utc
from exam.core.timeutil import local_today, utcnow
from exam.core.timeutil import to_form_time as _local
from exam.core.web import int_arg, page_arg
from exam.people.access import get_person_or_404, visible_people
from exam.people.models import Person, Sector, Town
from exam.people.naming import naming_errors
from exam.people.scope import current_scope
from exam.screenings import services
from exam.screenings.access import can_manage, get_screening_or_404, visible_screenings
from exam.screenings.forms import AttendanceForm, FilmForm, ScreeningForm
from exam.screenings.models import (
    Film,
    Screening,
    ScreeningAttendance,
    screening_film,
)

#: What each refusal of the services says, in the user's language.


# --- scope -------------------------------------------------------------------------------------


def _refuse(form, refused: services.InvalidInput) -> None:
    """Put the services' refusals on the form's fields."""
    db.session.rollback()
    put_on_form(form, refused)


# --- screenings ----------------------------------------------------------------------------------


@roles_required(*MANAGERS)
def index():
    this_year = local_today().year
    year = int_arg("year", this_year)
    if not services.EARLIEST_YEAR <= year <= this_year + 1:
        year = this_year
    start, end = services.year_bounds(year)
    query = (
        visible_screenings()
        .where(Screening.starts_at >= start, Screening.starts_at < end)
        .options(selectinload(Screening.films), selectinload(Screening.town))
        .order_by(Screening.starts_at.desc(), Screening.id.desc())
    )
    page = db.paginate(query, page=page_arg(), per_page=50, error_out=False)
    named = services.named_counts([s.id for s in page.items])
    sectors, towns = current_scope().limits
    totals = services.totals(year, sector_ids=sectors, town_ids=towns)
    return render_template(
        "screenings/index.html",
        page=page,
        named=named,
        totals=totals,
        year=year,
        this_year=this_year,
        now=utcnow(),
        person_times=services.count_person_times,
    )


def _screening_form(screening: Screening | None) -> ScreeningForm:
    form = ScreeningForm()
    films = db.session.scalars(select(Film).order_by(Film.title)).all()
    form.film_ids.choices = options(
        (f.id, _("%(title)s (%(n)s min)", title=f.title, n=f.duration_minutes)) for f in films
    )
    sector_scope, town_scope = current_scope().limits
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    # A limited organiser must say which of their sectors/towns it was for; others may leave it open.
    form.sector_id.choices = options(
        ([] if sector_scope else [(0, "—")])
        + [
            (s.id, s.display_name(select_locale()))
            for s in sectors
            if sector_scope is None or s.id in sector_scope
        ]
    )
    form.town_id.choices = options(
        ([] if town_scope else [(0, "—")])
        + [(t.id, t.name) for t in towns if town_scope is None or t.id in town_scope]
    )
    if screening is not None and not form.is_submitted():
        form.film_ids.data = [f.id for f in screening.films]
        form.starts_at.data = _local(screening.starts_at)
        form.venue.data, form.organising_unit.data = screening.venue, screening.organising_unit
        form.audience.data, form.hours.data = screening.audience, screening.hours
        form.headcount_cadres.data = screening.headcount_cadres
        form.headcount_workers.data = screening.headcount_workers
        form.sector_id.data, form.town_id.data = screening.sector_id or 0, screening.town_id or 0
    elif screening is None and not form.is_submitted():
        form.starts_at.data = _local(utcnow()).replace(minute=0, second=0, microsecond=0)
    return form


def _screening_data(form: ScreeningForm) -> services.ScreeningData:
    return services.ScreeningData(
        starts_at=_utc(form.starts_at.data),
        film_ids=list(form.film_ids.data or []),
        venue=form.venue.data,
        organising_unit=form.organising_unit.data,
        audience=form.audience.data or "",
        hours=form.hours.data,
        headcount_cadres=form.headcount_cadres.data,
        headcount_workers=form.headcount_workers.data,
        sector_id=form.sector_id.data or None,
        town_id=form.town_id.data or None,
    )


@roles_required(*MANAGERS)
def edit(screening_id: int | None):
    screening = get_screening_or_404(screening_id) if screening_id else None
    form = _screening_form(screening)
    if form.validate_on_submit():
        data = _screening_data(form)
        if not can_manage(current_user, data.sector_id, data.town_id):
            form.sector_id.errors.append(
                _("Choose only sectors and towns/streets within your scope.")
            )
        else:
            try:
                screening = services.save_screening(screening, data, current_user)
            except services.InvalidInput as refused:
                _refuse(form, refused)
            else:
                db.session.commit()
                flash(_("Saved."), "success")
                return redirect(url_for("screenings.detail", screening_id=screening.id))
    return render_template(
        "screenings/form.html",
        form=form,
        screening=screening,
        has_films=bool(form.film_ids.choices),
    )


def _detail(screening: Screening, form: AttendanceForm) -> str:
    visible = visible_people(current_user).with_only_columns(Person.id)
    attendees = db.session.execute(
        select(ScreeningAttendance, Person)
        .join(Person, Person.id == ScreeningAttendance.person_id)
        .where(ScreeningAttendance.screening_id == screening.id, Person.id.in_(visible))
        .order_by(ScreeningAttendance.recorded_at.desc(), Person.name)
    ).all()
    named = services.named_count(screening)
    recorders = {
        u.id: u.name
        for u in db.session.scalars(
            select(User).where(
                User.id.in_({a.recorded_by_id for a, _person in attendees if a.recorded_by_id})
            )
        )
    }
    return render_template(
        "screenings/detail.html",
        screening=screening,
        form=form,
        attendees=attendees,
        named=named,
        hidden=named - len(attendees),
        person_times=services.person_times(screening),
        recorders=recorders,
        started=screening.starts_at <= utcnow(),
        year=_local(screening.starts_at).year,
    )


@roles_required(*MANAGERS)
def detail(screening_id: int):
    return _detail(get_screening_or_404(screening_id), AttendanceForm())


@roles_required(*MANAGERS)
def add_attendance(screening_id: int):
    screening = get_screening_or_404(screening_id)
    form = AttendanceForm()
    if not form.validate_on_submit():
        return _detail(screening, form)
    try:
        result = services.add_attendees(
            screening, form.lines.data, visible_people(current_user), current_user
        )
    except services.InvalidInput as refused:
        _refuse(form, refused)
        return _detail(screening, form)
    if not result.naming.complete:
        db.session.rollback()
        form.lines.errors.extend(naming_errors(result.naming))
        form.lines.errors.append(
            _("Nobody was added: correct or remove these lines and add again.")
        )
        return _detail(screening, form)
    try:
        db.session.commit()
    except IntegrityError:  # someone named the same person at the same moment
        db.session.rollback()
        flash(_("Someone else recorded attendance at the same time; add again."), "warning")
        return redirect(url_for("screenings.detail", screening_id=screening.id))
    flash(_("%(n)s added.", n=len(result.added)), "success")
    if result.already:
        flash(
            _("Named already: %(names)s", names="、".join(p.name for p in result.already)), "info"
        )
    return redirect(url_for("screenings.detail", screening_id=screening.id))


@roles_required(*MANAGERS)
def remove_attendance(screening_id: int, person_id: int):
    screening = get_screening_or_404(screening_id)
    person = get_person_or_404(person_id, current_user)
    if not ActionForm().validate_on_submit():
        abort(400)
    if services.remove_attendee(screening, person, current_user):
        db.session.commit()
        flash(
            _("%(name)s is no longer named; the hours are taken off their file.", name=person.name),
            "success",
        )
    return redirect(url_for("screenings.detail", screening_id=screening.id))


# --- the film library ----------------------------------------------------------------------------


@roles_required(*MANAGERS)
def films():
    shown = dict(
        db.session.execute(
            select(screening_film.c.film_id, func.count()).group_by(screening_film.c.film_id)
        ).all()
    )
    library = db.session.scalars(select(Film).order_by(Film.title)).all()
    return render_template("screenings/films.html", films=library, shown=shown)


@roles_required(*MANAGERS)
def edit_film(film_id: int | None):
    film = db.session.get(Film, film_id) if film_id else None
    if film_id and film is None:
        abort(404)
    form = FilmForm(obj=film)
    if form.validate_on_submit():
        data = services.FilmData(
            title=form.title.data,
            duration_minutes=form.duration_minutes.data,
            accident=form.accident.data or "",
            source=form.source.data or "",
            description=form.description.data or "",
        )
        try:
            services.save_film(film, data)
        except services.InvalidInput as refused:
            _refuse(form, refused)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("screenings.films"))
    return render_template("screenings/film_form.html", form=form, film=film)
