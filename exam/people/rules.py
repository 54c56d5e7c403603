"""Who a rule set names: the people an exam is for, a course is assigned to.

Rules are ``{"roles": [...], "sector_ids": [...], "town_ids": [...], "enterprise_ids": [...],
"person_ids": [...]}``. Named people always match; otherwise every non-empty list must match
the person's current enterprise; rules that list nothing match everybody in post, and rules
that only name people match nobody else.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, false, or_, select, true

from exam.people.models import Enterprise, Person, enterprise_sector

CONDITIONS = ("roles", "sector_ids", "town_ids", "enterprise_ids")


def matches(rules: dict | None, person: Person | None) -> bool:
    """Whether ``person`` is among the people the rules name."""
    rules = rules or {}
    if person is None:
        return False
    if person.id in (rules.get("person_ids") or ()):
        return True
    enterprise = person.enterprise
    if enterprise is None:
        return False
    checks = [
        ok
        for listed, ok in (
            (rules.get("roles"), person.role in (rules.get("roles") or ())),
            (rules.get("enterprise_ids"), enterprise.id in (rules.get("enterprise_ids") or ())),
            (rules.get("town_ids"), enterprise.town_id in (rules.get("town_ids") or ())),
            (
                rules.get("sector_ids"),
                bool(rules.get("sector_ids"))
                and any(s.id in rules["sector_ids"] for s in enterprise.sectors),
            ),
        )
        if listed
    ]
    if not checks:
        return not rules.get("person_ids")
    return all(checks)


def matching_people(rules: dict | None) -> Select:
    """The same rule as one SELECT of person ids (for counting who has not started)."""
    rules = rules or {}
    conditions = []
    if rules.get("roles"):
        conditions.append(Person.role.in_(rules["roles"]))
    if rules.get("enterprise_ids"):
        conditions.append(Person.enterprise_id.in_(rules["enterprise_ids"]))
    if rules.get("town_ids"):
        conditions.append(Enterprise.town_id.in_(rules["town_ids"]))
    if rules.get("sector_ids"):
        conditions.append(
            Person.enterprise_id.in_(
                select(enterprise_sector.c.enterprise_id).where(
                    enterprise_sector.c.sector_id.in_(rules["sector_ids"])
                )
            )
        )
    # Nothing listed: everybody, unless the rules only name people.
    by_rules = and_(*conditions) if conditions else (false() if rules.get("person_ids") else true())
    named = Person.id.in_(rules["person_ids"]) if rules.get("person_ids") else false()
    return (
        select(Person.id)
        .outerjoin(Enterprise, Person.enterprise_id == Enterprise.id)
        .where(or_(named, and_(Person.enterprise_id.is_not(None), by_rules)))
    )
