"""A rule and its SQL twin agree: for each rule the reports need in SQL (who an exam is for,
where a person stands, the hours a person owes), one table of cases built through the models
and services, evaluated by the Python form and by a query using the SQL form, row by row."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, false, select, true

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.exams.eligibility import eligible_clause, is_eligible
from exam.exams.models import Exam
from exam.people.models import Enterprise, Person, PersonRole, Sector
from exam.people.services import mark_left

LEADER, DIRECTOR, MANAGER = (
    PersonRole.PRINCIPAL_LEADER,
    PersonRole.SAFETY_DIRECTOR,
    PersonRole.SAFETY_MANAGER,
)


def _sector(code: str) -> int:
    return db.session.scalar(select(Sector.id).where(Sector.code == code))


def test_eligibility_in_python_and_in_sql_agree(
    app, make_town, make_enterprise, make_person, make_user
):
    t1, t2 = make_town(), make_town()
    a = make_enterprise(sectors=("hazardous_chemicals",), town=t1)
    b = make_enterprise(sectors=("construction", "metal_smelting"), town=t2)

    def candidate(role, at):
        return make_user(UserRole.CANDIDATE, person=make_person(role=role, enterprise=at))

    accounts = {
        "leader at a": candidate(LEADER, a),
        "manager at b": candidate(MANAGER, b),
        "director at b": candidate(DIRECTOR, b),
        "left a": candidate(LEADER, a),
        "disabled at a": candidate(MANAGER, a),
        "organiser": make_user(UserRole.ORGANISER),
        "contact of a": make_user(UserRole.CONTACT, enterprise=a),
    }
    mark_left(accounts["left a"].person, date(2026, 1, 1))
    accounts["disabled at a"].disabled = True
    db.session.commit()
    pid = {name: user.person_id for name, user in accounts.items()}
    everybody_in_post = {"leader at a", "manager at b", "director at b"}
    # (rules, the accounts they make candidates)
    cases = {
        "nothing listed": ({}, everybody_in_post),
        "empty lists": ({"roles": [], "person_ids": []}, everybody_in_post),
        "a post": ({"roles": [LEADER]}, {"leader at a"}),
        "a sector": ({"sector_ids": [_sector("construction")]}, {"manager at b", "director at b"}),
        "no such sector": ({"sector_ids": [_sector("coal_mine")]}, set()),
        "a town": ({"town_ids": [t1.id]}, {"leader at a"}),
        "an enterprise": ({"enterprise_ids": [b.id]}, {"manager at b", "director at b"}),
        "every list must match": ({"roles": [MANAGER], "town_ids": [t2.id]}, {"manager at b"}),
        "only named people": (
            {"person_ids": [pid["director at b"], pid["left a"], pid["disabled at a"]]},
            {"director at b"},
        ),
        "named, or by the rules": (
            {"roles": [LEADER], "person_ids": [pid["manager at b"]]},
            {"leader at a", "manager at b"},
        ),
        "ids kept as text": ({"town_ids": [str(t2.id)]}, {"manager at b", "director at b"}),
    }
    for label, (rules, expected) in cases.items():
        sql = dict(
            db.session.execute(
                select(User.id, case((eligible_clause(rules), true()), else_=false()))
                .outerjoin(Person, Person.id == User.person_id)
                .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
                .where(User.id.in_([u.id for u in accounts.values()]))
            ).all()
        )
        for name, user in accounts.items():
            python = is_eligible(Exam(eligibility=rules), user)
            assert (python, bool(sql[user.id])) == (name in expected,) * 2, (label, name)
