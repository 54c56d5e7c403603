"""Account administration for the bureau."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from exam.accounts.forms import ActionForm, StaffAccountForm
from exam.audit.services import record
from exam.auth import services as auth
from exam.auth.access import roles_required
from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.forms import options
from exam.core.i18n import select_locale
from exam.core.web import page_arg
from exam.people.models import Enterprise, Person, Sector, Town


def get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@roles_required(UserRole.ADMIN)
def index():
    query = select(User).outerjoin(Person, User.person_id == Person.id)
    if (role := request.args.get("role")) in UserRole.ALL:
        query = query.where(User.role == role)
    if q := request.args.get("q", "").strip():
        query = query.where(
            or_(
                User.username.contains(q.lower()),
                User.display_name.contains(q),
                Person.name.contains(q),
                Person.mobile.contains(q),
            )
        )
    if request.args.get("status") == "disabled":
        query = query.where(User.disabled.is_(True))
    page = db.paginate(
        page=page_arg(),
        select=query.order_by(User.role, User.username),
        per_page=50,
        error_out=False,
    )
    locked = auth.locked_user_ids([u.id for u in page.items])
    return render_template("accounts/index.html", page=page, locked=locked)


def _staff_form(user: User | None) -> StaffAccountForm:
    form = StaffAccountForm(obj=user)
    enterprises = db.session.execute(
        select(Enterprise.id, Enterprise.name).order_by(Enterprise.name)
    )
    form.enterprise_id.choices = options([(0, "—"), *enterprises])
    form.scope_sectors.choices = options(
        (s.id, s.display_name(select_locale()))
        for s in db.session.scalars(select(Sector).order_by(Sector.sort_order))
    )
    form.scope_towns.choices = options(
        (t.id, t.name)
        for t in db.session.scalars(select(Town).order_by(Town.sort_order, Town.name))
    )
    if user is not None and not form.is_submitted():
        form.scope_sectors.data = [s.id for s in user.scope_sectors]
        form.scope_towns.data = [t.id for t in user.scope_towns]
        form.enterprise_id.data = user.enterprise_id or 0
    return form


@roles_required(UserRole.ADMIN)
def edit(user_id: int | None):
    user = get_user_or_404(user_id) if user_id else None
    if user is not None and user.role == UserRole.CANDIDATE:
        abort(404)  # candidates' accounts follow their person record
    form = _staff_form(user)
    if form.validate_on_submit():
        username = form.username.data.lower()
        if form.role.data == UserRole.CONTACT and not form.enterprise_id.data:
            form.enterprise_id.errors.append(_("Choose the enterprise this contact looks after."))
        elif db.session.scalar(
            select(User).where(User.username == username, User.id != (user.id if user else -1))
        ):
            form.username.errors.append(_("This login name is taken."))
        else:
            user = _save_staff(user, form, username)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("accounts.detail", user_id=user.id))
    return render_template("accounts/form.html", form=form, user=user)


def _snapshot(user: User) -> dict:
    """What the audit log compares when a staff account is edited."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "enterprise_id": user.enterprise_id,
        "scope_sectors": sorted(s.name for s in user.scope_sectors),
        "scope_towns": sorted(t.name for t in user.scope_towns),
    }


def _save_staff(user: User | None, form: StaffAccountForm, username: str) -> User:
    is_organiser = form.role.data == UserRole.ORGANISER
    fields = {
        "enterprise_id": form.enterprise_id.data if form.role.data == UserRole.CONTACT else None,
        "scope_sectors": db.session.scalars(
            select(Sector).where(Sector.id.in_(form.scope_sectors.data or []))
        ).all()
        if is_organiser
        else [],
        "scope_towns": db.session.scalars(
            select(Town).where(Town.id.in_(form.scope_towns.data or []))
        ).all()
        if is_organiser
        else [],
    }
    if user is None:
        user, _password = auth.create_account(
            username, form.role.data, form.display_name.data, **fields
        )
        record("account.create", user, f"{username} ({form.role.data})")
        return user
    before = _snapshot(user)
    user.username, user.display_name, user.role = username, form.display_name.data, form.role.data
    for key, value in fields.items():
        setattr(user, key, value)
    after = _snapshot(user)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        record("account.update", user, user.username, changes)
    return user


@roles_required(UserRole.ADMIN)
def detail(user_id: int):
    user = get_user_or_404(user_id)
    return render_template(
        "accounts/detail.html",
        user=user,
        locked=auth.is_locked(user),
        sessions=auth.sessions_of(user),
        action=ActionForm(),
    )


@roles_required(UserRole.ADMIN)
def act(user_id: int, action: str):
    """Reset the password of, disable, enable, unlock or sign out everywhere an account (one
    endpoint each)."""
    user = get_user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if user.id == current_user.id and action in ("disable", "reset_password", "sign_out"):
        flash(_("You cannot do that to your own account."), "warning")
        return redirect(url_for("accounts.detail", user_id=user.id))
    if action == "reset_password":
        auth.reset_password(user)
        flash(_("A new one-time password has been set; it is shown below."), "success")
    elif action == "disable":
        user.disabled = True
        auth.end_sessions(user)
        flash(_("The account is disabled."), "success")
    elif action == "enable":
        user.disabled = False
        flash(_("The account is enabled again."), "success")
    elif action == "unlock":
        auth.unlock(user)
        flash(_("The account is unlocked."), "success")
    elif action == "sign_out":
        ended = auth.end_sessions(user)
        flash(_("The account is signed out on all devices (%(count)s).", count=ended), "success")
    record(f"account.{action}", user, user.username)
    db.session.commit()
    return redirect(url_for("accounts.detail", user_id=user.id))
