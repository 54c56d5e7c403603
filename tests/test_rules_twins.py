"""A rule and its SQL twin agree: for each rule the reports need in SQL (who an exam is for,
where a person stands, the hours a person owes), one table of cases built through the models
and services, evaluated by the Python form and by a query using the SQL form, row by row."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, timedelta

from reports_data import NOW, beijing, certificate, exam, hand_made
from sqlalchemy import case, false, select, true

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.exams.eligibility import eligible_clause, is_eligible
from exam.exams.models import Exam
from exam.exams.standing import (
    STATUSES,
    Facts,
    back_to_training,
    horizon,
    latest_result,
    result_times,
    standing,
)
from exam.people.models import Enterprise, Person, PersonRole, Sector
from exam.people.services import mark_left
from exam.reports.queries import tracker
from exam.training.obligations import hours_owed, requirement

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


def test_standing_in_python_and_in_sql_agree(app, make_user):
    data = hand_made()
    people = data.people
    # Beyond the tracker's own cases: a pass whose certificate was revoked since, and an
    # invitation to a makeup still to come.
    revoked = certificate(people.p4, "AP2026-CCCCC-CCCCC", date(2026, 9, 16), date(2029, 9, 15))
    revoked.revoked_at, revoked.revoke_reason = NOW - timedelta(days=5), "冒名顶替"
    _e1, _m1, e2, _e3 = data.exams
    exam(
        "2026年9月主要负责人考试（补考）",
        beijing(2026, 12, 1),
        makeup_of_id=e2.id,
        eligibility={"person_ids": [people.p6.id]},
    )
    db.session.commit()
    admin = make_user(UserRole.ADMIN)

    at = horizon(NOW)
    facts = [f.name for f in fields(Facts)]
    inner = tracker._standing(admin, tracker.Filters(), NOW, tracker.open_exams(NOW)).subquery()
    rows = db.session.execute(select(inner)).mappings().all()
    assert len(rows) == 9
    seen = set()
    for row in rows:
        person = db.session.get(Person, row["person_id"])
        python = standing(Facts(**{name: row[name] for name in facts}), at)
        assert python == row["status"], person.name
        seen.add(python)
        # The facts of the latest score that counts, in Python, are those the SQL read.
        latest = latest_result(person)
        if latest is None:
            assert row["last_at"] is None, person.name
            continue
        attempt, sat = latest
        makeup = db.session.scalar(select(Exam).where(Exam.makeup_of_id == sat.id))
        times = result_times(
            attempt.submitted_at,
            attempt.passed,
            sat.makeup_of_id is not None,
            makeup.closes_at if makeup else None,
            NOW,
        )
        assert times == {name: row[name] for name in times}, person.name
        assert bool(back_to_training(person)) == (
            row["makeup_fail_at"] is not None and row["makeup_fail_at"] == row["last_at"]
        ), person.name
    assert seen == set(STATUSES)  # every branch of the rule is exercised
    assert back_to_training(people.p3) == [data.exams[1]]  # 张三 failed the makeup


def test_hours_owed_in_python_and_in_sql_agree(app, make_enterprise, make_person):
    year = 2026

    def in_post(sectors, appointed, role=LEADER):
        return make_person(
            role=role, enterprise=make_enterprise(sectors=sectors), appointed_on=appointed
        )

    # person -> the hours owed in ``year`` (None: nothing)
    cases = {
        in_post(("hazardous_chemicals",), date(year, 1, 15)): 48,
        in_post(("metal_smelting",), date(year - 3, 6, 1), DIRECTOR): 16,
        in_post(("coal_mine",), None, MANAGER): 16,
        in_post(("dust_explosion",), date(year, 12, 31)): 32,
        # appointed on New Year's Eve: the initial training is due at the end of June
        in_post(("construction",), date(year - 1, 12, 31), MANAGER): 32,
        in_post(("construction",), date(year - 1, 6, 30), MANAGER): 12,
        in_post(("construction", "fireworks"), date(year - 2, 1, 1), MANAGER): 16,
        in_post((), None): 12,
        in_post(("hazardous_chemicals",), date(year + 1, 1, 1)): None,
    }
    gone = in_post(("hazardous_chemicals",), date(year - 5, 1, 1))
    mark_left(gone, date(year, 3, 1))
    db.session.commit()
    cases[gone] = None
    for when in (year - 1, year, year + 1):
        sql = dict(db.session.execute(hours_owed(when)).all())
        for person, expected in cases.items():
            owed = requirement(person, when)
            python = None if owed is None else owed.hours
            in_sql = None if sql.get(person.id) is None else float(sql[person.id])
            assert python == in_sql, (when, person.id, person.appointed_on)
            if when == year:
                assert python == expected, (person.id, person.appointed_on)


def test_who_an_exam_expects_in_python_and_in_sql_agree(app):
    """``is_expected`` and ``expected_rows`` over one table of people and rules: registered
    by the close, placed where they were on the day the exam opened."""
    from reports_data import enterprise, person, user_of

    from exam.exams.eligibility import expected_rows, is_expected
    from exam.people.models import Town
    from exam.people.services import update_person

    town = Town(name="城关街道")
    db.session.add(town)
    a = enterprise("甲化工有限公司", town, "hazardous_chemicals")
    b = enterprise("乙商贸有限公司", town, "industry_trade")
    opens, closes = beijing(2026, 3, 10), beijing(2026, 3, 12, 17)
    before, during, after = beijing(2026, 1, 5), beijing(2026, 3, 11), beijing(2026, 4, 1)
    people = {
        "in post at a": person("甲一", LEADER, a, created=before),
        "registered mid-window": person("甲二", MANAGER, a, created=during),
        "registered after the close": person("甲三", LEADER, a, created=after),
        "left a before the window": person("甲四", LEADER, a, created=before),
        "left a during the window": person("甲五", LEADER, a, created=before),
        "left a after the window": person("甲六", LEADER, a, created=before),
        "moved b to a mid-window": person("乙一", LEADER, b, created=before),
        "manager, leader since April": person("甲七", MANAGER, a, created=before),
        "disabled at a": person("甲八", LEADER, a, created=before),
    }
    for p in people.values():  # every stint starts long before the exam
        p.employments[0].started_on = date(2025, 1, 1)
    mark_left(people["left a before the window"], date(2026, 3, 1))
    mark_left(people["left a during the window"], date(2026, 3, 11))
    mark_left(people["left a after the window"], date(2026, 3, 20))
    update_person(people["moved b to a mid-window"], {}, a, date(2026, 3, 11))
    update_person(people["manager, leader since April"], {"role": LEADER}, None, date(2026, 4, 1))
    user_of(people["disabled at a"]).disabled = True
    db.session.commit()
    pid = {name: p.id for name, p in people.items()}
    at_a = {
        "in post at a",
        "registered mid-window",
        "left a during the window",
        "left a after the window",
        "manager, leader since April",
    }
    cases = {
        "everybody in post": ({}, at_a | {"moved b to a mid-window"}),
        "enterprise a": ({"enterprise_ids": [a.id]}, at_a),
        "enterprise b": ({"enterprise_ids": [b.id]}, {"moved b to a mid-window"}),
        "sector of b": ({"sector_ids": [_sector("industry_trade")]}, {"moved b to a mid-window"}),
        "managers": (
            {"roles": [MANAGER]},
            {"registered mid-window", "manager, leader since April"},
        ),
        "named": (
            {"person_ids": [pid["left a before the window"], pid["in post at a"]]},
            {"in post at a"},
        ),
    }
    for label, (rules, expected) in cases.items():
        sql = {row.person_id for row in db.session.execute(expected_rows(rules, opens, closes))}
        for name, p in people.items():
            python = is_expected(rules, opens, closes, user_of(p))
            assert (python, p.id in sql) == (name in expected,) * 2, (label, name)


def test_safety_director_rule_in_python_and_in_sql_agree(
    app, make_enterprise, make_person, make_town
):
    """Who must have a safety director (鲁政办字〔2025〕137号: the flagged sectors, or 300
    employees and more) and who has one, for one table of cases."""
    from exam.people.directors import (
        has_director,
        has_director_clause,
        must_have_director,
        must_have_director_clause,
    )

    def at(sectors, employees, *roles):
        e = make_enterprise(sectors=sectors, employee_count=employees)
        for role in roles:
            make_person(role=role, enterprise=e)
        return e

    # The bureau flags confined spaces too (reference data it edits).
    db.session.scalar(
        select(Sector).where(Sector.code == "confined_space")
    ).requires_safety_director = True
    left = at(("construction",), 80, DIRECTOR)
    mark_left(left.people[0], date(2026, 6, 1))
    # name: (enterprise, must have one, has one)
    cases = {
        "hazardous chemicals, small, none": (at(("hazardous_chemicals",), 50), True, False),
        "mine, size unknown, with one": (at(("non_coal_mine",), None, DIRECTOR), True, True),
        "dust explosion among others": (at(("industry_trade", "dust_explosion"), 40), True, False),
        "trade, 299 employees": (at(("industry_trade",), 299, MANAGER), False, False),
        "trade, 300 employees": (at(("industry_trade",), 300, LEADER), True, False),
        "trade, size unknown": (at(("industry_trade",), None), False, False),
        "metallurgy (not smelting), 1000": (at(("metallurgy",), 1000, DIRECTOR), True, True),
        "trade, small, has one anyway": (at(("industry_trade",), 20, DIRECTOR), False, True),
        "construction, the director left": (left, True, False),
        "flagged by the bureau": (at(("confined_space",), 10), True, False),
        "no sector, 5000": (at((), 5000, DIRECTOR), True, True),
    }
    db.session.commit()
    ids = [e.id for e, _must, _has in cases.values()]
    sql = {
        row[0]: (bool(row[1]), bool(row[2]))
        for row in db.session.execute(
            select(
                Enterprise.id,
                case((must_have_director_clause(), true()), else_=false()),
                case((has_director_clause(), true()), else_=false()),
            ).where(Enterprise.id.in_(ids))
        )
    }
    for name, (enterprise, must, has) in cases.items():
        db.session.refresh(enterprise)
        python = (must_have_director(enterprise), has_director(enterprise))
        assert python == sql[enterprise.id] == (must, has), name
