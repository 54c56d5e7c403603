"""Data sets for the report tests: a hand-made one whose figures are worked out by hand, and a
generated one of any size (for counting statements)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from conftest import valid_credit_code, valid_id_number

from exam.auth.models import User
from exam.certificates.models import Certificate
from exam.core.extensions import db
from exam.exams.models import Attempt, Exam
from exam.people.models import Employment, Enterprise, Person, PersonRole, Sector, Town
from exam.people.services import add_person
from exam.reports.kept import candidacy
from exam.reports.kept import hours as hourskept
from exam.screenings.models import Screening, ScreeningAttendance
from exam.training.models import Enrolment, TrainingSession

#: The reports are looked at on this day (20:00 in Beijing).
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
REGISTERED = datetime(2026, 1, 1, tzinfo=UTC)
LEADER, DIRECTOR, MANAGER = (
    PersonRole.PRINCIPAL_LEADER,
    PersonRole.SAFETY_DIRECTOR,
    PersonRole.SAFETY_MANAGER,
)


def beijing(y, m, d, hour=9) -> datetime:
    """A Beijing wall-clock time as UTC."""
    return datetime(y, m, d, hour, tzinfo=UTC) - timedelta(hours=8)


def sector(code: str) -> Sector:
    return db.session.scalar(db.select(Sector).where(Sector.code == code))


def enterprise(name: str, town: Town, *codes: str) -> Enterprise:
    e = Enterprise(
        name=name, credit_code=valid_credit_code(), town=town, sectors=[sector(c) for c in codes]
    )
    db.session.add(e)
    db.session.flush()
    return e


def person(
    name: str, role: str, at: Enterprise, created: datetime = REGISTERED, **fields
) -> Person:
    p, _password = add_person(
        {
            "name": name,
            "role": role,
            "id_number": valid_id_number(),
            "mobile": f"139{abs(hash(name)) % 10**8:08d}",
            **fields,
        },
        at,
    )
    p.created_at = created
    return p


def user_of(p: Person) -> User:
    return db.session.scalar(db.select(User).where(User.person_id == p.id))


def exam(title: str, opens: datetime, hours: int = 2, **fields) -> Exam:
    e = Exam(
        title=title,
        blueprint={"rules": []},
        opens_at=opens,
        closes_at=opens + timedelta(hours=hours),
        published_at=opens - timedelta(days=10),
        **fields,
    )
    db.session.add(e)
    db.session.flush()
    return e


def sit(
    e: Exam,
    p: Person,
    passed: bool,
    *,
    score: float | None = None,
    cancelled: bool = False,
    number: int = 1,
) -> Attempt:
    start = e.opens_at + timedelta(minutes=10 + number)
    a = Attempt(
        exam_id=e.id,
        user_id=user_of(p).id,
        number=number,
        seed=1,
        paper=[],
        paper_json="[]",
        started_at=start,
        deadline=start + timedelta(hours=1),
        submitted_at=start + timedelta(minutes=40),
        score=score if score is not None else (90.0 if passed else 60.0),
        total_points=100.0,
        passed=passed,
        cancelled_at=start + timedelta(minutes=50) if cancelled else None,
        cancel_reason="夹带资料" if cancelled else None,
    )
    db.session.add(a)
    return a


def certificate(p: Person, number: str, issued: date, until: date) -> Certificate:
    c = Certificate(
        number=number,
        person_id=p.id,
        holder_name=p.name,
        id_number=p.id_number,
        enterprise_name=p.enterprise.name,
        enterprise_id=p.enterprise_id,
        role=p.role,
        exam_title="专题考试",
        score=90.0,
        issued_on=issued,
        valid_until=until,
    )
    db.session.add(c)
    return c


def keep_report_rows(roots: list[int]) -> None:
    """What the reports keep for these original exams and everybody's hours, built from the
    rows added here directly (the services would have announced them one by one)."""
    db.session.flush()
    candidacy.rebuild(roots)
    hourskept.rebuild()


def hand_made() -> SimpleNamespace:
    """The data set whose figures the tests assert (worked out in tests/test_reports_passrates.py)."""
    t1, t2 = Town(name="城关街道"), Town(name="柳泉镇")
    db.session.add_all([t1, t2])
    a = enterprise("甲化工有限公司", t1, "hazardous_chemicals")
    b = enterprise("乙冶炼有限公司", t2, "hazardous_chemicals", "metal_smelting")
    c = enterprise("丙商贸有限公司", t1, "industry_trade")
    p = SimpleNamespace()
    p.p1, p.p2, p.p3 = (
        person("张一", LEADER, a),
        person("张二", DIRECTOR, a),
        person("张三", MANAGER, a),
    )
    p.p4, p.p5, p.p9 = (
        person("李四", LEADER, b),
        person("李五", DIRECTOR, b),
        person("李九", MANAGER, b),
    )
    p.p6 = person("王六", MANAGER, a)
    p.p7 = person("王七", MANAGER, c, created=datetime(2026, 10, 1, tzinfo=UTC))
    p.p8 = person("王八", LEADER, c)
    db.session.flush()
    # 王六 was a safety manager at 甲 until 1 June 2026, then principal leader at 丙.
    first = p.p6.employments[0]
    first.started_on, first.ended_on, first.end_reason = (
        date(2025, 1, 1),
        date(2026, 6, 1),
        "transferred",
    )
    p.p6.enterprise, p.p6.role = c, LEADER
    p.p6.employments.append(Employment(enterprise=c, role=LEADER, started_on=date(2026, 6, 1)))

    e1 = exam("2026年3月专题考试", beijing(2026, 3, 10))  # for everybody
    sit(e1, p.p1, True)
    sit(e1, p.p2, False)
    sit(e1, p.p3, False)
    sit(e1, p.p5, True, cancelled=True)
    sit(e1, p.p6, True)
    sit(e1, p.p9, False)
    m1 = exam(
        "2026年3月专题考试（补考）",
        beijing(2026, 4, 10),
        makeup_of_id=e1.id,
        eligibility={"person_ids": [p.p2.id, p.p3.id, p.p4.id, p.p8.id, p.p9.id]},
    )
    sit(m1, p.p2, True)
    sit(m1, p.p3, False)
    e2 = exam("2026年9月主要负责人考试", beijing(2026, 9, 15), eligibility={"roles": [LEADER]})
    sit(e2, p.p1, True)
    sit(e2, p.p4, True)
    sit(e2, p.p6, False)
    e3 = exam("2026年12月考试", beijing(2026, 12, 10), eligibility={"person_ids": [p.p7.id]})

    certificate(p.p1, "AP2026-AAAAA-AAAAA", date(2026, 3, 10), date(2029, 3, 9))
    certificate(p.p2, "AP2023-BBBBB-BBBBB", date(2023, 12, 16), date(2026, 12, 15))

    held = TrainingSession(
        title="危化品安全培训",
        starts_at=beijing(2026, 5, 6),
        ends_at=beijing(2026, 5, 6, 17),
        hours=16,
        signin_secret="s",
    )
    dropped = TrainingSession(
        title="取消的培训",
        starts_at=beijing(2026, 6, 6),
        ends_at=beijing(2026, 6, 6, 17),
        hours=16,
        signin_secret="s",
        cancelled_at=beijing(2026, 6, 1),
    )
    db.session.add_all([held, dropped])
    db.session.flush()
    for who in (p.p1, p.p2, p.p3):
        db.session.add(Enrolment(session_id=held.id, person_id=who.id, attended_at=held.starts_at))
    db.session.add(
        Enrolment(session_id=dropped.id, person_id=p.p8.id, attended_at=dropped.starts_at)
    )
    film = Screening(
        starts_at=beijing(2026, 7, 1), hours=2, headcount_cadres=30, headcount_workers=20
    )
    db.session.add(film)
    db.session.flush()
    for who in (p.p8, p.p9):
        db.session.add(ScreeningAttendance(screening_id=film.id, person_id=who.id))
    keep_report_rows([e1.id, e2.id, e3.id])
    db.session.commit()
    return SimpleNamespace(towns=(t1, t2), enterprises=(a, b, c), people=p, exams=(e1, m1, e2, e3))


def generated(scale: int) -> None:
    """``scale`` times a block of enterprises, people, attempts, makeups, certificates, training
    and screenings: the same kinds of rows whatever the scale."""
    town = Town(name=f"生成镇{scale}")
    db.session.add(town)
    e1 = exam("生成考试", beijing(2026, 3, 10))
    m1 = exam(
        "生成考试（补考）", beijing(2026, 4, 10), makeup_of_id=e1.id, eligibility={"person_ids": []}
    )
    e2 = exam("下月考试", beijing(2026, 12, 10), eligibility={"roles": [LEADER]})
    session = TrainingSession(
        title="培训",
        starts_at=beijing(2026, 5, 6),
        ends_at=beijing(2026, 5, 6, 17),
        hours=16,
        signin_secret="s",
    )
    film = Screening(starts_at=beijing(2026, 7, 1), hours=2, headcount_cadres=10)
    db.session.add_all([session, film])
    other = enterprise("生成企业-迁入", town, "industry_trade")
    makeup_people = []
    for i in range(5 * scale):
        at = enterprise(f"生成企业{i}", town, "hazardous_chemicals" if i % 2 else "dust_explosion")
        people = [
            person(f"人{i}-{j}", role, at) for j, role in enumerate((LEADER, DIRECTOR, MANAGER))
        ]
        db.session.flush()
        sit(e1, people[0], True)
        sit(e1, people[1], False)
        makeup_people.append(people[1].id)
        sit(m1, people[1], i % 2 == 0)
        sit(e1, people[2], True, cancelled=i % 3 == 0)
        certificate(people[0], f"AP2026-{scale}{i:05d}-G", date(2026, 3, 10), date(2029, 3, 9))
        db.session.add(
            Enrolment(session_id=session.id, person_id=people[0].id, attended_at=session.starts_at)
        )
        db.session.add(ScreeningAttendance(screening_id=film.id, person_id=people[2].id))
        if i % 2:  # the manager moves on
            stint = people[2].employments[0]
            stint.started_on, stint.ended_on = date(2025, 1, 1), date(2026, 6, 1)
            people[2].enterprise = other
            people[2].employments.append(
                Employment(enterprise=other, role=MANAGER, started_on=date(2026, 6, 1))
            )
    m1.eligibility = {"person_ids": makeup_people}
    keep_report_rows([e1.id, e2.id])
    db.session.commit()
    assert e2.id
