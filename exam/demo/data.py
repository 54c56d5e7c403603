"""The demo district: towns, enterprises, people and accounts, generated from one ``rng``.

Everything here adds to the session and flushes; the ``anpei demo`` command commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.auth.services import create_account, ensure_candidate_account, set_password
from exam.core.extensions import db
from exam.core.identifiers import (
    CREDIT_ALPHABET,
    credit_check_char,
    id_check_char,
    org_code_check_char,
)
from exam.core.timeutil import display_zone, local_today
from exam.people.directors import must_have_director
from exam.people.models import Employment, Enterprise, Person, PersonRole, Sector, Town

#: The one password of every demo staff account (printed by ``anpei demo``).
DEMO_PASSWORD = "anpei-demo-2026"  # noqa: S105

#: (role label in Chinese, login, password, note): one printed line per demo login.
LoginRow = tuple[str, str, str, str]

# The data tables stay compact, one row of values per line.
# fmt: off
TOWNS = ("城关街道", "开发区街道", "新华街道", "东城街道", "柳泉镇", "石桥镇", "河口镇", "青山镇")
#: Indexes into TOWNS of the two towns the hazardous-chemicals organiser looks after.
HAZCHEM_TOWNS = (1, 6)
ROADS = ("工业路", "兴业路", "创业大道", "建设路", "胜利路", "经一路", "纬三路", "园区大道", "滨河路")

#: Shandong county-level region codes, used for birthplaces and registrations.
REGIONS = (
    "370102", "370104", "370112", "370124", "370211", "370281", "370302", "370303", "370305",
    "370321", "370481", "370602", "370684", "370702", "370786", "370881", "370902", "370983",
    "371002", "371102", "371302", "371321", "371402", "371502", "371602", "371702",
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "173", "176", "177", "178", "180", "181", "182", "183",
    "185", "186", "187", "188", "189",
)
SURNAMES = (
    "王王王张张张李李李刘刘孙孙赵杨陈徐高马于董郭宋冯韩曹田许周吴朱胡林郑梁谢唐"
    "袁邵魏吕丁任姜崔石贾夏孟秦邱尹薛段侯房毕牛鲍"
)
#: Common given names, one or two characters, as seen in Shandong registers.
MALE_GIVEN = (
    "伟", "强", "磊", "军", "勇", "涛", "明", "超", "刚", "平", "辉",
    "鹏", "华", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "杰",
    "峰", "建国", "志强", "海涛", "文杰", "明辉", "永刚", "立新", "庆华",
    "国栋", "振宇", "学军", "春生", "德胜", "卫东", "建华", "志刚", "海波",
    "俊杰", "晓东", "兆峰", "洪亮", "传利", "玉成", "广明", "宝山", "保国",
    "新民", "金龙", "继伟", "宪军", "树林", "长春", "光辉", "克勤", "士军",
    "文斌", "德明", "启航", "子豪", "家兴",
)
FEMALE_GIVEN = (
    "敏", "静", "丽", "艳", "娟", "霞", "芳", "燕", "玲", "婷", "红",
    "梅", "雪", "莉", "琳", "晶", "慧", "颖", "洁", "倩", "萍", "秀英",
    "桂兰", "丽娟", "艳红", "晓燕", "海燕", "玉梅", "春梅", "雪梅", "淑芬",
    "凤英", "红霞", "晓丽", "婷婷", "文静", "美玲", "慧敏", "丽萍", "秀云",
    "爱华", "晓梅", "佳琪", "思雨",
)
BRANDS = (
    "鑫泰", "华源", "恒达", "金诚", "瑞丰", "宏昌", "永安", "泰和", "润德", "天宇", "广汇", "正元",
    "齐兴", "立信", "佳和", "昌盛", "汇通", "宝丰", "嘉禾", "盛华", "金鼎", "顺达", "新元", "博远",
    "海川", "凯达", "远航", "弘毅", "信达", "聚力", "恒瑞", "丰源", "鼎盛", "荣华", "兴隆", "泰山",
    "元亨", "通汇", "腾飞", "晟达", "裕丰", "安泰", "明德", "振华", "东升", "长青",
)
#: (name suffix, sector codes, employee range) of each demo enterprise, hazardous chemicals first.
TEMPLATES: tuple[tuple[str, tuple[str, ...], tuple[int, int]], ...] = (
    ("化工有限公司", ("hazardous_chemicals",), (120, 280)),
    ("精细化工有限公司", ("hazardous_chemicals",), (60, 180)),
    ("化工科技有限公司", ("hazardous_chemicals",), (40, 150)),
    ("石油化工有限公司", ("hazardous_chemicals",), (350, 900)),
    ("新材料科技有限公司", ("hazardous_chemicals", "dust_explosion"), (80, 260)),
    ("树脂有限公司", ("hazardous_chemicals", "dust_explosion"), (50, 160)),
    ("化学品储运有限公司", ("hazardous_chemicals", "transport"), (30, 90)),
    ("燃气有限公司", ("hazardous_chemicals",), (60, 200)),
    ("铝业有限公司", ("metal_smelting", "dust_explosion"), (300, 1200)),
    ("特钢有限公司", ("metal_smelting",), (400, 1500)),
    ("铜业有限公司", ("metal_smelting",), (120, 280)),
    ("再生金属有限公司", ("metal_smelting",), (40, 120)),
    ("冶金科技有限公司", ("metallurgy",), (80, 250)),
    ("铸造有限公司", ("metallurgy",), (60, 220)),
    ("冶金材料有限公司", ("metallurgy",), (50, 150)),
    ("木业有限公司", ("dust_explosion",), (40, 160)),
    ("面粉有限公司", ("dust_explosion",), (30, 120)),
    ("粮油有限公司", ("dust_explosion", "confined_space"), (60, 200)),
    ("饲料有限公司", ("dust_explosion",), (40, 140)),
    ("金属制品有限公司", ("dust_explosion",), (50, 180)),
    ("污水处理有限公司", ("confined_space",), (20, 60)),
    ("酿造有限公司", ("confined_space",), (80, 260)),
    ("食品有限公司", ("confined_space",), (100, 280)),
    ("建设工程有限公司", ("construction",), (150, 600)),
    ("建筑安装工程有限公司", ("construction",), (60, 200)),
    ("市政工程有限公司", ("construction",), (40, 150)),
    ("物流有限公司", ("transport",), (50, 200)),
    ("运输有限公司", ("transport",), (80, 260)),
    ("客运有限公司", ("transport",), (200, 450)),
    ("机械制造有限公司", ("industry_trade",), (100, 280)),
    ("纺织有限公司", ("industry_trade",), (300, 800)),
    ("包装有限公司", ("industry_trade",), (40, 150)),
    ("家具有限公司", ("industry_trade", "dust_explosion"), (60, 200)),
    ("电子科技有限公司", ("industry_trade",), (300, 700)),
    ("橡胶制品有限公司", ("industry_trade",), (80, 250)),
    ("汽车零部件有限公司", ("industry_trade",), (150, 400)),
    ("矿业有限公司", ("non_coal_mine",), (60, 220)),
    ("石材有限公司", ("non_coal_mine",), (20, 80)),
    ("烟花爆竹批发有限公司", ("fireworks",), (10, 40)),
    ("煤业有限公司", ("coal_mine",), (500, 1500)),
)
# fmt: on
#: The district's register was filled this many days before the demo's today (and over the
#: following month): before every demo exam, so that each exam expects its people.
REGISTERED_DAYS_AGO = 120


@dataclass(frozen=True)
class DemoLogins:
    """The demo logins to print: staff accounts and two candidates."""

    rows: list[LoginRow]


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def make_credit_code(rng: random.Random) -> str:
    """A unified social credit code of a Shandong company with both check characters valid."""
    if rng.random() < 0.5:  # codes issued since 2015 carry an 'MA' organisation code
        body = "MA" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "91" + rng.choice(REGIONS) + body + org_code_check_char(body)
    return first17 + credit_check_char(first17)


def make_id_number(rng: random.Random, born: date, male: bool) -> str:
    """A resident ID number born on ``born``; the sequence's parity gives the sex."""
    sequence = rng.randrange(0, 1000, 2) + (1 if male else 0)
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def make_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def make_name(rng: random.Random, male: bool) -> str:
    """A common surname and given name."""
    return rng.choice(SURNAMES) + rng.choice(MALE_GIVEN if male else FEMALE_GIVEN)


def unique(make: Callable[[], str], seen: set[str]) -> str:
    """Call ``make`` until it returns a value not yet in ``seen``, and remember it."""
    while (value := make()) in seen:
        pass
    seen.add(value)
    return value


class _Register:
    """Builds the rows, keeping names, ID numbers and mobiles unique across the demo."""

    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.seen: set[str] = set()

    def registered(self) -> datetime:
        """When the next row was registered: 09:00 Beijing on a day of the month the register
        was filled (``REGISTERED_DAYS_AGO``), spread without drawing from ``rng`` (the
        demo's names and results stay those of its seed)."""
        day = self.today - timedelta(days=REGISTERED_DAYS_AGO - len(self.seen) % 30)
        return datetime.combine(day, time(9), display_zone()).astimezone(UTC)

    def add_towns(self) -> list[Town]:
        """Add the towns and streets in display order."""
        towns = [Town(name=name, sort_order=i) for i, name in enumerate(TOWNS)]
        db.session.add_all(towns)
        return towns

    def add_enterprises(self, sectors: dict[str, Sector], towns: list[Town]) -> list[Enterprise]:
        """Add one enterprise per template, spread over all towns."""
        rng = self.rng
        brands = rng.sample(BRANDS, len(TEMPLATES))
        scope = [towns[i] for i in HAZCHEM_TOWNS]
        offset = rng.randrange(len(towns))
        enterprises = []
        for i, (suffix, codes, (low, high)) in enumerate(TEMPLATES):
            if "hazardous_chemicals" in codes:
                # Chemical plants cluster in the two park towns; the first one always does.
                town = scope[0] if i == 0 else rng.choice(scope if rng.random() < 0.75 else towns)
            else:
                town = towns[(offset + i) % len(towns)]
            enterprise = Enterprise(
                name=f"山东{brands[i]}{suffix}",
                credit_code=unique(lambda: make_credit_code(rng), self.seen),
                town=town,
                address=f"{town.name}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                employee_count=rng.randint(low, high),
                sectors=[sectors[c] for c in codes if c in sectors],
                created_at=self.registered(),
            )
            db.session.add(enterprise)
            enterprises.append(enterprise)
        return enterprises

    def add_person(
        self, enterprise: Enterprise, role: str, ages: tuple[int, int], male_share: float
    ) -> Person:
        """Add a person in ``role`` with a current stint that began at appointment."""
        rng = self.rng
        male = rng.random() < male_share
        age = rng.randint(*ages)
        born = years_before(self.today, age) - timedelta(days=rng.randint(1, 364))
        # Appointed 1-10 years ago, and not before the age of 26.
        appointed_on = self.today - timedelta(days=rng.randint(365, min(10, age - 26) * 365))
        person = Person(
            name=unique(lambda: make_name(rng, male), self.seen),
            id_number=unique(lambda: make_id_number(rng, born, male), self.seen),
            mobile=unique(lambda: make_mobile(rng), self.seen),
            role=role,
            enterprise=enterprise,
            appointed_on=appointed_on,
            employments=[Employment(enterprise=enterprise, role=role, started_on=appointed_on)],
            created_at=self.registered(),
        )
        db.session.add(person)
        return person

    def add_people(self, enterprise: Enterprise) -> list[Person]:
        """Add the leader, the director where required and 1-2 managers of an enterprise."""
        people = [self.add_person(enterprise, PersonRole.PRINCIPAL_LEADER, (40, 60), 0.9)]
        if must_have_director(enterprise):
            people.append(self.add_person(enterprise, PersonRole.SAFETY_DIRECTOR, (35, 58), 0.85))
        managers = 2 if (enterprise.employee_count or 0) >= 100 else self.rng.randint(1, 2)
        for _ in range(managers):
            people.append(self.add_person(enterprise, PersonRole.SAFETY_MANAGER, (28, 55), 0.7))
        # The enterprise's contact is its first safety manager.
        enterprise.contact_name = people[-managers].name
        enterprise.contact_phone = people[-managers].mobile
        return people

    def add_history(self, person: Person, enterprises: list[Enterprise]) -> None:
        """Give ``person`` an earlier stint at another enterprise, ended by a transfer."""
        rng = self.rng
        current = person.employments[0]
        assert current.started_on is not None
        earlier = rng.choice([e for e in enterprises if e is not person.enterprise])
        ended_on = current.started_on - timedelta(days=rng.randint(7, 45))
        person.employments.append(
            Employment(
                enterprise=earlier,
                role=PersonRole.SAFETY_MANAGER,
                started_on=years_before(ended_on, rng.randint(2, 5)),
                ended_on=ended_on,
                end_reason="transferred",
            )
        )


def _staff(username: str, role: str, display_name: str, **fields: object) -> User:
    user, _ = create_account(username, role, display_name, **fields)
    set_password(user, DEMO_PASSWORD)
    return user


def _add_accounts(people: list[Person], sectors: dict[str, Sector], towns: list[Town]) -> None:
    """A candidate account for everybody (one-time passwords), the staff accounts, and the
    demo leader's fixed password."""
    for person in people:
        ensure_candidate_account(person)
    leader, _director = demo_candidates()
    user = db.session.scalar(select(User).where(User.person_id == leader.id))
    set_password(user, DEMO_PASSWORD)
    hazchem = sectors.get("hazardous_chemicals")
    first = leader.enterprise
    assert first is not None
    _staff("admin", UserRole.ADMIN, "区应急局管理员")
    _staff("organiser", UserRole.ORGANISER, "培训组织者（全区）")
    scope = {
        "scope_sectors": [hazchem] if hazchem else [],
        "scope_towns": [towns[i] for i in HAZCHEM_TOWNS],
    }
    _staff("organiser-hazchem", UserRole.ORGANISER, "危化科培训组织者", **scope)
    _staff("contact", UserRole.CONTACT, first.contact_name, enterprise=first)


def demo_candidates() -> tuple[Person, Person]:
    """The two candidates the demo names: the leader of the first (hazardous-chemicals)
    enterprise, who has the demo password, and the first safety director elsewhere, who keeps
    the one-time password."""
    leader = db.session.scalar(select(Person).order_by(Person.id).limit(1))
    assert leader is not None, "no demo district in this database"
    director = db.session.scalar(
        select(Person)
        .where(
            Person.role == PersonRole.SAFETY_DIRECTOR,
            Person.enterprise_id != leader.enterprise_id,
        )
        .order_by(Person.id)
        .limit(1)
    )
    assert director is not None
    return leader, director


def demo_logins() -> DemoLogins:
    """The demo logins, read from the demo database: what ``anpei demo`` prints when it builds
    the demo, and again on request. A one-time password changed since is not shown."""
    leader, director = demo_candidates()
    first, elsewhere = leader.enterprise, director.enterprise
    assert first is not None and elsewhere is not None
    hazchem = db.session.scalar(select(User).where(User.username == "organiser-hazchem"))
    scope_towns = sorted(hazchem.scope_towns, key=lambda t: t.sort_order) if hazchem else []
    account = db.session.scalar(select(User).where(User.person_id == director.id))
    one_time = account.initial_password if account and account.must_change_password else None
    scope_note = "仅危险化学品行业，限" + "、".join(t.name for t in scope_towns)
    leader_note = f"{leader.name}，{first.name}；也可用手机号 {leader.mobile} 登录"
    director_note = f"{director.name}，{elsewhere.name}；" + (
        "一次性密码，首次登录须修改" if one_time else "已修改一次性密码"
    )
    return DemoLogins(
        rows=[
            ("区应急局管理员", "admin", DEMO_PASSWORD, "全区全部功能"),
            ("培训组织者（全区）", "organiser", DEMO_PASSWORD, "全区所有行业和镇街"),
            ("培训组织者（危化）", "organiser-hazchem", DEMO_PASSWORD, scope_note),
            ("企业联系人", "contact", DEMO_PASSWORD, f"{first.contact_name}，{first.name}"),
            ("考生（主要负责人）", leader.id_number, DEMO_PASSWORD, leader_note),
            ("考生（安全总监）", director.id_number, one_time or "（已修改）", director_note),
        ]
    )


def build_demo(rng: random.Random, today: date | None = None) -> DemoLogins:
    """Add the demo district to the session (flushed, not committed) and return its logins."""
    register = _Register(rng, today or local_today())
    sectors = {s.code: s for s in db.session.scalars(select(Sector))}
    towns = register.add_towns()
    enterprises = register.add_enterprises(sectors, towns)
    people = [p for e in enterprises for p in register.add_people(e)]
    db.session.flush()
    _leader, director = demo_candidates()
    # Three managers or directors moved here from another enterprise over 3 years ago.
    since = register.today - timedelta(days=3 * 365)
    movers = [
        p
        for p in people
        if p.role != PersonRole.PRINCIPAL_LEADER
        and p is not director
        and p.appointed_on
        and p.appointed_on < since
    ]
    for person in rng.sample(movers, 3):
        register.add_history(person, enterprises)
    db.session.flush()
    _add_accounts(people, sectors, towns)
    db.session.flush()
    return demo_logins()
