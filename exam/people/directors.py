"""Which enterprises must have a safety director (安全总监), and which have one: the rule in
Python for one enterprise (its page) and in SQL for all of them (the reports).

Shandong requires a safety director in mines, metal smelting, transport, construction and
dust-explosion enterprises, in dangerous-goods units, and in any unit with 300 or more
employees (鲁政办字〔2025〕137号, in force 2025-12-01; earlier trials 2021 and
鲁政办字〔2023〕116号; see ``DOMAIN.md``). The sectors are data the bureau edits
(``Sector.requires_safety_director``, on the Reference data page); the headcount is
``SAFETY_DIRECTOR_EMPLOYEES``. An enterprise of unknown size is judged by its sectors alone.
An enterprise has a safety director while a person in that post is currently there.

``must_have_director`` / ``has_director`` and their SQL twins ``must_have_director_clause`` /
``has_director_clause``: ``tests/test_rules_twins.py`` runs both over one table of cases.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, literal, or_, select

from exam.people.models import Enterprise, Person, PersonRole, Sector, enterprise_sector


def headcount() -> int:
    """The number of employees from which a safety director is required (configurable)."""
    return int(current_app.config["SAFETY_DIRECTOR_EMPLOYEES"])


def director_reasons(enterprise: Enterprise) -> list[str]:
    """Why ``enterprise`` must have a safety director: the names of its sectors that require
    one, and ``"employees"`` for its size; empty when it need not have one."""
    reasons = [s.name for s in enterprise.sectors if s.requires_safety_director]
    if enterprise.employee_count is not None and enterprise.employee_count >= headcount():
        reasons.append("employees")
    return reasons


def must_have_director(enterprise: Enterprise) -> bool:
    """Whether ``enterprise`` must have a safety director (``must_have_director_clause`` in
    SQL)."""
    return bool(director_reasons(enterprise))


def has_director(enterprise: Enterprise) -> bool:
    """Whether someone currently holds the post of safety director there
    (``has_director_clause`` in SQL)."""
    return any(p.role == PersonRole.SAFETY_DIRECTOR for p in enterprise.people)


def must_have_director_clause(enterprise=Enterprise) -> ColumnElement[bool]:
    """The SQL twin of ``must_have_director``, over a row holding the enterprise."""
    es = enterprise_sector.c
    in_sector = exists(
        select(literal(1))
        .select_from(enterprise_sector)
        .join(Sector, Sector.id == es.sector_id)
        .where(es.enterprise_id == enterprise.id, Sector.requires_safety_director.is_(True))
    )
    large = and_(enterprise.employee_count.is_not(None), enterprise.employee_count >= headcount())
    return or_(in_sector, large)


def has_director_clause(enterprise=Enterprise) -> ColumnElement[bool]:
    """The SQL twin of ``has_director``."""
    return exists(
        select(literal(1)).where(
            Person.enterprise_id == enterprise.id, Person.role == PersonRole.SAFETY_DIRECTOR
        )
    )


def reason_names(reasons: list[str]) -> str:
    """``director_reasons`` as the page reads them (the sectors, then the headcount)."""
    return "、".join(
        _("%(n)s or more employees", n=headcount()) if r == "employees" else r for r in reasons
    )


def director_note(enterprise: Enterprise) -> str:
    """One line on the enterprise's page and file: whether it must have a safety director, why,
    and whether it has one."""
    reasons = director_reasons(enterprise)
    if not reasons:
        return _("Not required")
    if has_director(enterprise):
        return _("Required (%(why)s); appointed", why=reason_names(reasons))
    return _("Required (%(why)s); none appointed", why=reason_names(reasons))
