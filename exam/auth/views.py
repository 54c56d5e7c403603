"""Log in, log out, change password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from exam.auth import services
from exam.auth.forms import ChangePasswordForm, LoginForm, SignOutEverywhereForm
from exam.core.errors import message
from exam.core.extensions import db
from exam.core.redirects import safe_next


def login_error_message(result: services.LoginResult) -> str:
    if result.error == "locked_account":
        return _(
            "Too many failed logins for this account. Try again in %(minutes)s minutes, "
            "or ask an administrator to unlock it.",
            minutes=result.retry_minutes,
        )
    if result.error == "locked_address":
        return _(
            "Too many failed logins from your network. Try again in %(minutes)s minutes.",
            minutes=result.retry_minutes,
        )
    if result.error == "disabled":
        return _("This account is disabled. Please contact the bureau.")
    if result.error == "busy":
        return _("Many people are logging in at this moment. Please press Log in again.")
    return _("Wrong login or password.")


def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(
            form.login.data, form.password.data, request.remote_addr or ""
        )
        if result.user is not None:
            services.sign_in(result.user)
        db.session.commit()  # the attempt is recorded whatever the outcome
        if result.user is not None:
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"))
        form.password.errors.append(login_error_message(result))
        if result.error == "busy":
            page = render_template("auth/login.html", form=form)
            return page, 503, {"Retry-After": str(services.BUSY_RETRY_SECONDS)}
        status = 429 if result.error in ("locked_account", "locked_address") else 200
        return render_template("auth/login.html", form=form), status
    return render_template("auth/login.html", form=form)


def logout():
    # The login session ends: a cookie copied before is refused. Other devices stay signed in.
    if current_user.is_authenticated:
        services.end_session(current_user)
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@login_required
def sessions():
    """The browsers signed in to this account, and a button that signs them all out."""
    return render_template(
        "auth/sessions.html",
        sessions=services.sessions_of(current_user),
        current_key=current_user.session_key,
    )


@login_required
def sign_out_everywhere():
    if not SignOutEverywhereForm().validate_on_submit():
        abort(400)
    ended = services.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("You have been signed out on all devices (%(count)s).", count=ended), "info")
    return redirect(url_for("auth.login"))


@login_required
def change_password():
    form = ChangePasswordForm()
    if current_user.must_change_password and current_user.initial_password:
        form.current.label.text = _("One-time password")
    if form.is_submitted() and _password_change_checked(form):
        services.set_password(current_user, form.new.data)  # other devices signed out
        db.session.commit()
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)


def _password_change_checked(form: ChangePasswordForm) -> bool:
    """Check every field of a submitted password change and put *all* that is wrong on the
    form at once (a wrong current password and a weak or mistyped new one), so that one more
    try can fix everything; the password fields come back empty, as passwords never return
    to the page."""
    valid = form.validate()
    if "csrf_token" in form.errors:
        return False  # not this user's page: no password is checked
    checked = form.current.data and not form.current.errors
    if checked and not services.check_password(current_user, form.current.data):
        form.current.errors.append(_("The current password is wrong."))
    problem = (
        form.new.data
        and not form.new.errors
        and services.password_problem(form.new.data, current_user)
    )
    if problem:
        form.new.errors.append(message(problem, "auth"))
    return valid and not (form.current.errors or form.new.errors)
