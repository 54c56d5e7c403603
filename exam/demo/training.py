"""Demo training programme: past sessions across sectors with their attendance (so that
some leaders have done their hours and some fall short) and coming sessions with enrolments."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import display_zone, utcnow
from exam.people.models import Person, PersonRole, Sector
from exam.questions.models import Topic
from exam.training.models import Enrolment, EnrolmentStatus, Mode, TrainingSession
from exam.training.services import new_secret

# (title, sector codes, lecturer, hours, days from today, mode)
SESSIONS = (
    (
        "危险化学品企业主要负责人安全生产专题培训",
        ("hazardous_chemicals",),
        "省化工研究院 高级工程师 王建国",
        8,
        -250,
        Mode.ONSITE,
    ),
    (
        "冶金企业煤气安全与高温熔融金属作业培训",
        ("metal_smelting",),
        "市冶金安全专家 刘志强",
        6,
        -200,
        Mode.ONSITE,
    ),
    (
        "有限空间作业安全与应急救援培训",
        ("confined_space", "industry_trade"),
        "区应急救援中心 张明",
        4,
        -160,
        Mode.ONSITE,
    ),
    (
        "粉尘涉爆企业除尘系统安全专题培训",
        ("dust_explosion",),
        "省安全生产专家 赵立新",
        4,
        -120,
        Mode.ONLINE,
    ),
    ("“八抓20项”创新措施解读（第一期）", (), "区应急管理局 李红", 4, -90, Mode.ONSITE),
    ("安全总监履职能力提升培训", (), "省应急管理干部学院 陈刚", 8, -60, Mode.ONSITE),
    ("双重预防机制建设与隐患排查治理", (), "市安全生产专家 孙伟", 4, -30, Mode.ONLINE),
    (
        "危险化学品重大危险源安全包保责任培训",
        ("hazardous_chemicals",),
        "省化工研究院 周涛",
        4,
        -12,
        Mode.ONSITE,
    ),
    ("“八抓20项”创新措施解读（第二期）", (), "区应急管理局 李红", 4, 6, Mode.ONSITE),
    ("冶金企业年度安全再培训", ("metal_smelting",), "市冶金安全专家 刘志强", 8, 13, Mode.ONSITE),
    ("有限空间“十不准”专题培训", ("confined_space",), "区应急救援中心 张明", 3, 20, Mode.ONLINE),
    (
        "粉尘涉爆企业年度安全再培训",
        ("dust_explosion",),
        "省安全生产专家 赵立新",
        4,
        27,
        Mode.ONSITE,
    ),
)
#: What each session is about: areas of the topic tree (the eight grips, G1-G8), by title.
TOPICS = {
    "危险化学品企业主要负责人安全生产专题培训": ("G1", "G6"),
    "冶金企业煤气安全与高温熔融金属作业培训": ("G6",),
    "有限空间作业安全与应急救援培训": ("G7",),
    "粉尘涉爆企业除尘系统安全专题培训": ("G6",),
    "“八抓20项”创新措施解读（第一期）": ("G1", "G2"),
    "安全总监履职能力提升培训": ("G1", "G4"),
    "双重预防机制建设与隐患排查治理": ("G3",),
    "危险化学品重大危险源安全包保责任培训": ("G3", "G4"),
    "“八抓20项”创新措施解读（第二期）": ("G1", "G2"),
    "冶金企业年度安全再培训": ("G1",),
    "有限空间“十不准”专题培训": ("G7",),
    "粉尘涉爆企业年度安全再培训": ("G1",),
}
VENUES = (
    "区应急管理局三楼会议室",
    "区政务服务中心报告厅",
    "化工园区管委会培训中心",
    "区职业技术学校实训楼",
)


def load_demo_training(rng: random.Random, now: datetime | None = None) -> int:
    """Add the programme; the number of sessions."""
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    leaders = db.session.scalars(
        select(Person)
        .join(User, User.person_id == Person.id)
        .where(Person.role.in_(PersonRole.ALL), Person.enterprise_id.is_not(None))
        .order_by(Person.id)
    ).all()
    today = (
        (now or utcnow())
        .astimezone(display_zone())
        .replace(hour=9, minute=0, second=0, microsecond=0)
    )
    for title, codes, lecturer, hours, days, mode in SESSIONS:
        starts = today + timedelta(days=days)
        session = TrainingSession(
            title=title,
            lecturer=lecturer,
            organising_unit="区应急管理局",
            hours=hours,
            mode=mode,
            starts_at=starts,
            ends_at=starts + timedelta(hours=min(hours, 8) + 1),
            signin_secret=new_secret(),
            venue=rng.choice(VENUES) if mode == Mode.ONSITE else "",
            capacity=rng.choice([None, 60, 80]),
            link="https://meeting.example.gov.cn/anpei" if mode == Mode.ONLINE else "",
            sectors=[sectors[c] for c in codes if c in sectors],
            topics=[topics[c] for c in TOPICS.get(title, ()) if c in topics],
            invitation={},
            created_at=starts - timedelta(days=20),
        )
        db.session.add(session)
        db.session.flush()
        invited = [
            p for p in leaders if not codes or {s.code for s in p.enterprise.sectors} & set(codes)
        ]
        _attend(session, invited, rng, starts, past=days < 0)
    return len(SESSIONS)


def _attend(
    session: TrainingSession,
    invited: list[Person],
    rng: random.Random,
    starts: datetime,
    past: bool,
) -> None:
    """Most invited people enrol; in the past most of those came (by roll call or QR code)."""
    seats = session.capacity or len(invited)
    for number, person in enumerate(
        rng.sample(invited, k=int(len(invited) * rng.uniform(0.5, 0.85)))
    ):
        status = EnrolmentStatus.ENROLLED if number < seats else EnrolmentStatus.WAITING
        enrolment = Enrolment(
            session_id=session.id,
            person_id=person.id,
            status=status,
            enrolled_at=starts - timedelta(days=rng.randint(3, 15)),
        )
        if past and status == EnrolmentStatus.ENROLLED and rng.random() < 0.85:
            enrolment.attended_at = starts + timedelta(minutes=rng.randint(-20, 15))
            enrolment.attended_by = rng.choice(["qr", "qr", "rollcall"])
        db.session.add(enrolment)
    db.session.flush()
