"""Who a rule set names: the people an exam is for, a course is assigned to.

Rules are ``{"roles": [...], "sector_ids": [...], "town_ids": [...], "enterprise_ids": [...],
"person_ids": [...]}``. Named people always match; otherwise every non-empty list must match
the person's current enterprise; rules that list nothing match everybody in post, and rules
that only name people match nobody else.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select, true

from exam.people.models import Enterprise, Person, enterprise_sector

CONDITIONS = ("roles", "sector_ids", "town_ids", "enterprise_ids")


def _ids(rules: dict, key: str) -> list[int]:
    return [int(i) for i in rules.get(key) or ()]


def matches(rules: dict | None, person: Person | None) -> bool:
    """Whether ``person`` is among the people the rules name (``matches_clause`` in SQL)."""
    rules = rules or {}
    if person is None:
        return False
    named = _ids(rules, "person_ids")
    if person.id in named:
        return True
    enterprise = person.enterprise
    if enterprise is None:
        return False
    checks = []
    if rules.get("roles"):
        checks.append(person.role in rules["roles"])
    if rules.get("enterprise_ids"):
        checks.append(enterprise.id in _ids(rules, "enterprise_ids"))
    if rules.get("town_ids"):
        checks.append(enterprise.town_id in _ids(rules, "town_ids"))
    if rules.get("sector_ids"):
        sectors = _ids(rules, "sector_ids")
        checks.append(any(s.id in sectors for s in enterprise.sectors))
    # Nothing listed: everybody in post, unless the rules only name people.
    return all(checks) if checks else not named


def matches_clause(rules: dict | None, person=Person, enterprise=Enterprise) -> ColumnElement[bool]:
    """The SQL twin of ``matches``: the same rules as a condition over a row holding the person
    and their current enterprise (outer-joined: None once they have left it)."""
    rules = rules or {}
    conditions = []
    if rules.get("roles"):
        conditions.append(person.role.in_(list(rules["roles"])))
    if rules.get("enterprise_ids"):
        conditions.append(enterprise.id.in_(_ids(rules, "enterprise_ids")))
    if rules.get("town_ids"):
        conditions.append(enterprise.town_id.in_(_ids(rules, "town_ids")))
    if rules.get("sector_ids"):
        es = enterprise_sector.c
        conditions.append(
            exists(
                select(literal(1)).where(
                    es.enterprise_id == enterprise.id,
                    es.sector_id.in_(_ids(rules, "sector_ids")),
                )
            )
        )
    named = _ids(rules, "person_ids")
    # Nothing listed: everybody in post, unless the rules only name people.
    by_rules = and_(*conditions) if conditions else (false() if named else true())
    in_post = and_(person.enterprise_id.is_not(None), by_rules)
    return or_(person.id.in_(named), in_post) if named else in_post


def matching_people(rules: dict | None) -> Select:
    """The same rule as one SELECT of person ids (for counting who has not started)."""
    return (
        select(Person.id)
        .outerjoin(Enterprise, Person.enterprise_id == Enterprise.id)
        .where(matches_clause(rules))
    )
