"""The register: enterprises and people, as each role may see and change them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from exam.auth.access import STAFF, roles_required
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.i18n import select_locale
from exam.core.timeutil import local_today
from exam.core.web import int_arg, page_arg
from exam.people import services, signals
from exam.people.access import (
    can_edit_people_of,
    get_enterprise_or_404,
    get_person_or_404,
    visible_enterprises,
    visible_people,
)
from exam.people.directors import director_note, has_director, must_have_director
from exam.people.forms import EnterpriseForm, LeaveForm, PersonForm
from exam.people.models import Enterprise, Person, PersonRole, Sector, Town, enterprise_sector

PER_PAGE = 50


def _filter_options():
    sectors = db.session.scalars(select(Sector).order_by(Sector.sort_order)).all()
    towns = db.session.scalars(select(Town).order_by(Town.sort_order, Town.name)).all()
    return sectors, towns


def _apply_common_filters(query):
    if sector := int_arg("sector"):
        query = query.where(
            Enterprise.id.in_(
                select(enterprise_sector.c.enterprise_id).where(
                    enterprise_sector.c.sector_id == sector
                )
            )
        )
    if town := int_arg("town"):
        query = query.where(Enterprise.town_id == town)
    return query


@roles_required(*STAFF)
def enterprises():
    query = _apply_common_filters(visible_enterprises(current_user))
    if q := request.args.get("q", "").strip():
        query = query.where(
            or_(Enterprise.name.contains(q), Enterprise.credit_code.contains(q.upper()))
        )
    page = db.paginate(
        page=page_arg(), select=query.order_by(Enterprise.name), per_page=PER_PAGE, error_out=False
    )
    sectors, towns = _filter_options()
    return render_template("people/enterprises.html", page=page, sectors=sectors, towns=towns)


@roles_required(*STAFF)
def enterprise(enterprise_id: int):
    ent = get_enterprise_or_404(enterprise_id, current_user)
    former = db.session.scalars(
        select(Person)
        .where(Person.employments.any(enterprise_id=ent.id))
        .where(or_(Person.enterprise_id.is_(None), Person.enterprise_id != ent.id))
        .order_by(Person.name)
    ).all()
    return render_template(
        "people/enterprise.html",
        enterprise=ent,
        former=former,
        can_edit=can_edit_people_of(current_user, ent.id),
        director_note=director_note(ent),
        director_missing=must_have_director(ent) and not has_director(ent),
    )


def _enterprise_form(ent: Enterprise | None) -> EnterpriseForm:
    form = EnterpriseForm(obj=ent)
    sectors, towns = _filter_options()
    form.sectors.choices = options((s.id, s.display_name(select_locale())) for s in sectors)
    form.town_id.choices = options((t.id, t.name) for t in towns)
    if ent is not None and not form.is_submitted():
        form.sectors.data = [s.id for s in ent.sectors]
    return form


@roles_required(UserRole.ADMIN)
def edit_enterprise(enterprise_id: int | None):
    ent = get_enterprise_or_404(enterprise_id, current_user) if enterprise_id else None
    form = _enterprise_form(ent)
    if form.validate_on_submit():
        clash = db.session.scalar(
            select(Enterprise).where(
                Enterprise.credit_code == form.credit_code.data,
                Enterprise.id != (ent.id if ent else -1),
            )
        )
        if clash is not None:
            form.credit_code.errors.append(
                _("Another enterprise (%(name)s) has this credit code.", name=clash.name)
            )
        else:
            values = {
                f: getattr(form, f).data
                for f in (
                    "name",
                    "credit_code",
                    "address",
                    "contact_name",
                    "contact_phone",
                    "employee_count",
                )
            }
            values["town"] = db.session.get(Town, form.town_id.data)
            chosen = db.session.scalars(
                select(Sector).where(Sector.id.in_(form.sectors.data))
            ).all()
            ent, _changed = services.save_enterprise(ent, values, list(chosen))
            if _commit_or_explain(form.credit_code):
                flash(_("Saved."), "success")
                return redirect(url_for("people.enterprise", enterprise_id=ent.id))
    return render_template("people/enterprise_form.html", form=form, enterprise=ent)


def _commit_or_explain(field) -> bool:
    """Commit; a uniqueness race lost to another request becomes a message on ``field``."""
    try:
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        field.errors.append(_("This value was registered by someone else a moment ago."))
        return False


@roles_required(*STAFF)
def people():
    query = _apply_common_filters(visible_people(current_user))
    if q := request.args.get("q", "").strip():
        query = query.where(
            or_(
                Person.name.contains(q),
                Person.id_number.contains(q.upper()),
                Person.mobile.contains(q),
                Enterprise.name.contains(q),
            )
        )
    if (role := request.args.get("role")) in PersonRole.ALL:
        query = query.where(Person.role == role)
    if request.args.get("status") == "left" and current_user.role == UserRole.ADMIN:
        query = query.where(Person.enterprise_id.is_(None))
    page = db.paginate(
        page=page_arg(),
        select=query.order_by(Enterprise.name, Person.role, Person.name),
        per_page=PER_PAGE,
        error_out=False,
    )
    sectors, towns = _filter_options()
    return render_template("people/people.html", page=page, sectors=sectors, towns=towns)


@roles_required(*STAFF)
def person(person_id: int):
    p = get_person_or_404(person_id, current_user)
    # The features above the register add their part of the file (exams, certificates …).
    parts = {"attempts": [], "back_to_training": [], "certificates": [], "screenings": []}
    for _receiver, values in signals.person_file.send(p):
        parts.update(values)
    return render_template(
        "people/person.html",
        person=p,
        account=services.account_of(p),
        can_edit=can_edit_people_of(current_user, p.enterprise_id),
        today=local_today(),
        **parts,
    )


def _person_form(p: Person | None) -> PersonForm:
    form = PersonForm(obj=p)
    if current_user.role == UserRole.CONTACT:
        form.enterprise_id.choices = options(
            [(current_user.enterprise.id, current_user.enterprise.name)]
        )
        if not form.is_submitted():
            form.enterprise_id.data = current_user.enterprise_id
    else:
        rows = db.session.execute(select(Enterprise.id, Enterprise.name).order_by(Enterprise.name))
        form.enterprise_id.choices = options(rows)
        if p is None and not form.is_submitted():
            form.enterprise_id.data = int_arg("enterprise")
    return form


def _person_clashes(form: PersonForm, p: Person | None) -> bool:
    """Put a message on the form if the ID number or mobile belongs to someone else."""
    others = select(Person).where(Person.id != (p.id if p else -1))
    clash = db.session.scalar(others.where(Person.id_number == form.id_number.data))
    if clash is not None:
        if current_user.role == UserRole.ADMIN:
            form.id_number.errors.append(
                _("This ID number is already registered (%(name)s).", name=clash.name)
            )
        else:  # a contact learns only that the person exists, not who or where
            form.id_number.errors.append(
                _(
                    "This person is already registered at another "
                    "enterprise; ask the bureau to move them to yours."
                )
            )
        return True
    if db.session.scalar(others.where(Person.mobile == form.mobile.data)) is not None:
        form.mobile.errors.append(
            _(
                "This mobile number is registered to another person; "
                "candidates log in with it, so it must be their own."
            )
        )
        return True
    return False


@roles_required(UserRole.ADMIN, UserRole.CONTACT)
def edit_person(person_id: int | None):
    p = get_person_or_404(person_id, current_user, edit=True) if person_id else None
    form = _person_form(p)
    if form.validate_on_submit():
        ent = db.session.get(Enterprise, form.enterprise_id.data)
        if ent is None or not can_edit_people_of(current_user, ent.id):
            abort(403)
        if not _person_clashes(form, p):
            values = {
                f: getattr(form, f).data
                for f in ("name", "id_number", "mobile", "role", "appointed_on")
            }
            if p is None:
                p, _password = services.add_person(values, ent)
            else:
                services.update_person(p, values, ent, local_today())
            if _commit_or_explain(form.id_number):
                flash(_("Saved."), "success")
                return redirect(url_for("people.person", person_id=p.id))
    return render_template("people/person_form.html", form=form, person=p)


@roles_required(UserRole.ADMIN, UserRole.CONTACT)
def leave(person_id: int):
    p = get_person_or_404(person_id, current_user, edit=True)
    if p.enterprise_id is None:
        abort(404)
    form = LeaveForm()
    if not form.is_submitted():
        form.left_on.data = local_today()
    if form.validate_on_submit():
        started = services.current_stint_start(p)
        if form.left_on.data > local_today():
            form.left_on.errors.append(_("The date cannot be in the future."))
        elif started is not None and form.left_on.data < started:
            form.left_on.errors.append(
                _(
                    "The date cannot be before the person started here (%(date)s).",
                    date=started.isoformat(),
                )
            )
        else:
            enterprise_id = p.enterprise_id
            services.mark_left(p, form.left_on.data, form.reason.data or "")
            db.session.commit()
            flash(_("%(name)s is recorded as having left.", name=p.name), "success")
            return redirect(url_for("people.enterprise", enterprise_id=enterprise_id))
    return render_template("people/leave.html", form=form, person=p)
