"""Demo warning-film screenings: a small film library and screenings over the past months in
several towns/streets, with people named from the demo register and headcounts.

Runs after ``build_demo`` (it needs the towns, the people and the ``organiser`` account);
adds and flushes, the caller commits.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import display_zone, utcnow
from exam.demo.data import HAZCHEM_TOWNS
from exam.people.models import Person, PersonRole, Sector, Town
from exam.screenings import services
from exam.screenings.models import Film, Screening

# fmt: off
#: (title, the accident shown, minutes, source). Accidents by their usual names only; the
#: descriptions say no more about them than those names do.
FILMS = (
    ("生命至上 警钟长鸣", "近年来典型生产安全事故案例", 45, "应急管理部宣传教育中心"),
    ("“8·12”天津港特别重大火灾爆炸事故警示教育片",
     "2015年天津港“8·12”瑞海公司危险品仓库特别重大火灾爆炸事故", 38, "应急管理部宣传教育中心"),
    ("“3·21”江苏响水天嘉宜化工特别重大爆炸事故警示片",
     "2019年江苏响水天嘉宜化工有限公司“3·21”特别重大爆炸事故", 32, "应急管理部宣传教育中心"),
    ("盲目施救 酿成悲剧", "有限空间作业中毒窒息及盲目施救事故案例", 25, "山东省应急管理厅"),
    ("粉尘爆炸事故警示录", "2014年江苏昆山中荣金属制品有限公司“8·2”特别重大铝粉尘爆炸事故", 30,
     "应急管理部宣传教育中心"),
    ("“11·22”青岛输油管道泄漏爆炸特别重大事故警示片",
     "2013年山东青岛“11·22”中石化东黄输油管道泄漏爆炸特别重大事故", 35, "山东省应急管理厅"),
)
#: (days ago, hour, film indexes, held for hazardous chemicals, named people, headcount kind).
#: Headcount kinds: "both" (counted, the named among them), "count" (no names), "named" (names only).
PLAN = (
    (12, 9, (0,), False, 6, "both"),
    (28, 14, (1, 2), True, 8, "both"),
    (47, 9, (3,), False, 0, "count"),
    (66, 14, (4, 0), False, 5, "both"),
    (90, 9, (5,), True, 7, "named"),
    (118, 14, (2,), True, 4, "both"),
    (150, 9, (0, 3), False, 0, "count"),
    (183, 14, (1,), False, 6, "both"),
)
AUDIENCES = ("辖区企业主要负责人、安全总监及一线职工", "镇街安监人员及企业安全管理人员",
             "园区危险化学品企业主要负责人及一线职工", "各村（社区）干部及企业职工代表")
# fmt: on


def load_demo_screenings(rng: random.Random, now: datetime | None = None) -> list[Screening]:
    """Add the film library and eight past screenings; the named people are leaders and safety
    directors with candidate accounts, in the town/street of the screening."""
    now = now or utcnow()
    organiser = db.session.scalar(select(User).where(User.username == "organiser"))
    assert organiser is not None, "build the demo register first"
    films = [
        Film(
            title=title,
            accident=accident,
            duration_minutes=minutes,
            source=source,
            description=f"警示教育片。反映：{accident}。",
        )
        for title, accident, minutes, source in FILMS
    ]
    db.session.add_all(films)
    db.session.flush()
    towns = db.session.scalars(select(Town).order_by(Town.sort_order)).all()
    hazchem = db.session.scalar(select(Sector).where(Sector.code == "hazardous_chemicals"))
    people = db.session.scalars(
        select(Person)
        .join(User, User.person_id == Person.id)
        .where(
            Person.role.in_([PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR]),
            Person.enterprise_id.is_not(None),
        )
        .order_by(Person.id)
    ).all()
    screenings = []
    for i, (days_ago, hour, film_indexes, for_hazchem, n_named, kind) in enumerate(PLAN):
        town = (
            towns[HAZCHEM_TOWNS[i % len(HAZCHEM_TOWNS)]] if for_hazchem else towns[i % len(towns)]
        )
        day = (now.astimezone(display_zone()) - timedelta(days=days_ago)).date()
        starts_at = datetime.combine(
            day, time(hour, 30 if hour == 14 else 0), tzinfo=display_zone()
        )
        local = [
            p
            for p in people
            if p.enterprise is not None
            and p.enterprise.town_id == town.id
            and (not for_hazchem or hazchem in p.enterprise.sectors)
        ]
        named = rng.sample(local, min(n_named, len(local)))
        cadres = workers = None
        if kind != "named":
            cadres = rng.randint(6, 25) + sum(p.role == PersonRole.PRINCIPAL_LEADER for p in named)
            workers = rng.randint(40, 160) + len(named)
        data = services.ScreeningData(
            starts_at=starts_at,
            film_ids=[films[j].id for j in film_indexes],
            venue=f"{town.name}便民服务中心多功能厅" if i % 2 else "区应急管理局三楼会议室",
            organising_unit="区应急管理局危化科" if for_hazchem else f"区安委会办公室、{town.name}",
            audience=AUDIENCES[2] if for_hazchem else rng.choice(AUDIENCES),
            hours=rng.choice((1.0, 1.5, 2.0)),
            headcount_cadres=cadres,
            headcount_workers=workers,
            sector_id=hazchem.id if for_hazchem and hazchem else None,
            town_id=town.id,
        )
        screening = services.save_screening(None, data, organiser, now)
        if named:
            services.add_attendees(
                screening, "\n".join(p.id_number for p in named), select(Person), organiser, now
            )
        screenings.append(screening)
    db.session.flush()
    return screenings
