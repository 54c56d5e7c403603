"""The part of the district a user works in: one value, computed once per request, that every
feature's ``can_manage`` and list filters are built on.

- administrators: everything;
- organisers: the sectors and/or towns they are limited to (none listed: all of them);
- enterprise contacts: their own enterprise;
- candidates and anonymous visitors: nothing.

A thing (an exam, a course, a screening, a training session) is *within* a scope when the
sectors and towns it is for lie inside the organiser's limits; a thing for "every sector"
is within no sector-limited scope, since it reaches people outside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, false, true

from exam.auth.models import UserRole


@dataclass(frozen=True)
class Scope:
    role: str | None
    user_id: int | None = None
    #: The sectors an organiser is limited to; None: not limited.
    sector_ids: frozenset[int] | None = None
    #: The towns/streets an organiser is limited to; None: not limited.
    town_ids: frozenset[int] | None = None
    #: The enterprise a contact looks after.
    enterprise_id: int | None = None

    @classmethod
    def of(cls, user) -> Scope:
        """The scope of an account (or of an anonymous visitor)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(role=None)
        if user.role == UserRole.ORGANISER:
            return cls(
                role=user.role,
                user_id=user.id,
                sector_ids=frozenset(s.id for s in user.scope_sectors) or None,
                town_ids=frozenset(t.id for t in user.scope_towns) or None,
            )
        return cls(role=user.role, user_id=user.id, enterprise_id=user.enterprise_id)

    @property
    def is_admin(self) -> bool:
        return self.role == UserRole.ADMIN

    @property
    def manages(self) -> bool:
        """Administrators and organisers manage things (within their scope)."""
        return self.role in (UserRole.ADMIN, UserRole.ORGANISER)

    @property
    def unlimited(self) -> bool:
        """The whole district: an administrator, or an organiser with no limits."""
        return self.is_admin or (
            self.role == UserRole.ORGANISER and self.sector_ids is None and self.town_ids is None
        )

    @property
    def limits(self) -> tuple[list[int] | None, list[int] | None]:
        """The sector and town ids to filter lists by (None: not limited)."""
        if self.is_admin:
            return None, None
        return (
            sorted(self.sector_ids) if self.sector_ids is not None else None,
            sorted(self.town_ids) if self.town_ids is not None else None,
        )

    def covers(self, sector_ids: Iterable[int] | None, town_ids: Iterable[int] | None) -> bool:
        """Whether a thing for these sectors and towns (empty or None: all) lies within."""
        if self.is_admin:
            return True
        if self.role != UserRole.ORGANISER:
            return False
        for limit, ids in ((self.sector_ids, sector_ids), (self.town_ids, town_ids)):
            wanted = {i for i in ids or () if i is not None}
            if limit is not None and not (wanted and wanted <= limit):
                return False
        return True

    def covers_clause(self, sector_id, town_id) -> ColumnElement[bool]:
        """The SQL twin of ``covers([sector], [town])`` for rows held for one sector (or none)
        and one town (or none): ``sector_id`` and ``town_id`` are their columns."""
        if self.is_admin:
            return true()
        if self.role != UserRole.ORGANISER:
            return false()
        limits = [
            column.in_(sorted(ids))
            for column, ids in ((sector_id, self.sector_ids), (town_id, self.town_ids))
            if ids is not None
        ]
        return and_(true(), *limits)

    def covers_rules(self, rules: dict | None) -> bool:
        """Whether a thing whose eligibility or assignment rules are ``rules`` lies within."""
        rules = rules or {}
        return self.covers(rules.get("sector_ids"), rules.get("town_ids"))


def scope_of(user) -> Scope:
    """The scope of ``user``: the request's own when it is the signed-in user."""
    if has_request_context() and (
        user is current_user or user is current_user._get_current_object()
    ):
        return current_scope()
    return Scope.of(user)


def current_scope() -> Scope:
    """The signed-in user's scope, computed once per request."""
    if "anpei_scope" not in g:
        g.anpei_scope = Scope.of(current_user)
    return g.anpei_scope
