"""Who may see and change which enterprises and people.

- administrators: everything;
- organisers: everything within their scope (sectors and/or towns; empty means all);
- enterprise contacts: their own enterprise and its people;
- candidates: none of the register (they see their own profile on their home page).

Every view loads objects through ``get_enterprise_or_404`` / ``get_person_or_404``, so
the check lives in one place. An object outside the user's reach is a 404, not a 403,
so ids cannot be probed.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, false, select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.people.models import Enterprise, Person, enterprise_sector
from exam.people.scope import scope_of


def scope_enterprises(query: Select, user: User) -> Select:
    """Restrict a query that has Enterprise in its FROM to what ``user`` may see."""
    scope = scope_of(user)
    if scope.is_admin:
        return query
    if scope.role == UserRole.CONTACT:
        return query.where(Enterprise.id == scope.enterprise_id)
    if scope.role != UserRole.ORGANISER:
        return query.where(false())
    sectors, towns = scope.limits
    if towns is not None:
        query = query.where(Enterprise.town_id.in_(towns))
    if sectors is not None:
        in_sectors = select(enterprise_sector.c.enterprise_id).where(
            enterprise_sector.c.sector_id.in_(sectors)
        )
        query = query.where(Enterprise.id.in_(in_sectors))
    return query


def visible_enterprises(user: User) -> Select:
    return scope_enterprises(select(Enterprise), user)


def visible_people(user: User) -> Select:
    """People currently at an enterprise the user may see (admins also see those who left)."""
    if user.role == UserRole.ADMIN:
        return select(Person).outerjoin(Enterprise, Person.enterprise_id == Enterprise.id)
    return scope_enterprises(
        select(Person).join(Enterprise, Person.enterprise_id == Enterprise.id), user
    )


def can_edit_people_of(user: User, enterprise_id: int | None) -> bool:
    if user.role == UserRole.ADMIN:
        return True
    return (
        user.role == UserRole.CONTACT
        and enterprise_id is not None
        and enterprise_id == user.enterprise_id
    )


def get_enterprise_or_404(enterprise_id: int, user: User) -> Enterprise:
    enterprise = db.session.scalar(visible_enterprises(user).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        abort(404)
    return enterprise


def get_person_or_404(person_id: int, user: User, *, edit: bool = False) -> Person:
    """Load a person the user may see (and, with ``edit``, change), or answer 404/403."""
    person = db.session.scalar(visible_people(user).where(Person.id == person_id))
    if person is None:
        abort(404)
    if edit and not can_edit_people_of(user, person.enterprise_id):
        abort(403)
    return person
