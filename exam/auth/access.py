"""Role checks for views."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from exam.auth.models import UserRole

MANAGERS, STAFF = UserRole.MANAGERS, UserRole.STAFF


def roles_required(*roles: str):
    """Let only logged-in users with one of these roles through; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
