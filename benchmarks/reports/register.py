"""The register of the data set: towns, enterprises, people, accounts, topics, the question bank."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from benchmarks.reports.copying import copy_rows, row
from exam.core.identifiers import credit_check_char, id_check_char, org_code_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉飞鹏辉宇浩凯琳晨欣雪梅海波宁峰斌新利清"
PLACES = "柳泉港沟唐王董家遥墙临港郭店仲宫柳埠彩石华山鲍山东风全福龙洞荷花王舍孙村巨野鲁源泰和金盛永安兴华"
WORDS = [
    "化工",
    "冶金",
    "建材",
    "机械",
    "粉末",
    "物流",
    "建设",
    "矿业",
    "能源",
    "钢铁",
    "涂料",
    "食品",
    "木业",
    "纺织",
    "铸造",
    "运输",
    "燃气",
    "制药",
    "塑胶",
    "电力",
]
SUFFIXES = ["有限公司", "有限责任公司", "股份有限公司", "厂", "集团有限公司"]
ROLES = ("principal_leader", "safety_director", "safety_manager")
KINDS = ("single", "multiple", "truefalse", "fill")
LAWS = [
    "《中华人民共和国安全生产法》第二十一条",
    "《中华人民共和国安全生产法》第二十七条",
    "《中华人民共和国安全生产法》第二十八条",
    "《中华人民共和国安全生产法》第四十一条",
    "《生产经营单位安全培训规定》第九条",
    "《中华人民共和国安全生产法》第八十一条",
]
PHRASES = [
    "生产经营单位的主要负责人",
    "安全生产管理人员",
    "危险化学品的储存场所",
    "有限空间作业前",
    "粉尘涉爆企业",
    "应急救援预案",
    "安全风险分级管控",
    "事故隐患排查治理",
    "特种作业人员",
    "全员安全生产责任制",
    "动火作业审批",
    "劳动防护用品",
    "安全警示标志",
    "重大危险源",
]
OPTIONS = [
    "应当立即组织整改",
    "由主要负责人组织制定并实施",
    "每年至少进行一次",
    "不得少于四十八学时",
    "报告本单位负责人",
    "设置明显的安全警示标志",
    "先通风、再检测、后作业",
    "如实记录并通报",
    "经考核合格后方可任职",
    "定期组织演练",
    "建立健全并落实",
    "配备专职安全生产管理人员",
    "不得擅自处理",
    "由具备资质的单位实施",
]
PASSWORD_HASH = "pbkdf2:sha256:1000$bench$" + "0" * 64  # nobody logs in as a generated person


@dataclass
class Register:
    """Ids and facts later stages need, kept in memory while generating."""

    now: datetime
    admin_id: int = 1
    organiser_ids: list[int] = field(default_factory=list)
    sectors: dict[str, int] = field(default_factory=dict)
    high_risk: set[int] = field(default_factory=set)
    towns: list[int] = field(default_factory=list)
    enterprise_town: list[int] = field(default_factory=list)  # index = enterprise id
    enterprise_name: list[str] = field(default_factory=list)
    enterprise_sectors: list[tuple[int, ...]] = field(default_factory=list)
    person_role: list[str] = field(default_factory=list)  # index = person id
    person_enterprise: list[int | None] = field(default_factory=list)
    person_name: list[str] = field(default_factory=list)
    person_id_number: list[str] = field(default_factory=list)
    person_user: list[int] = field(default_factory=list)
    user_person: dict[int, int] = field(default_factory=dict)
    topics: dict[str, int] = field(default_factory=dict)
    points: list[int] = field(default_factory=list)  # topic ids of the knowledge points
    #: question id -> (kind, versions [(version id, options, answer)], topic codes, a, b)
    questions: dict[int, tuple] = field(default_factory=dict)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def load_register(
    conn,
    reg: Register,
    rng: random.Random,
    *,
    people: int,
    enterprises: int,
    towns: int,
    questions: int,
) -> dict[str, int]:
    """Towns, enterprises (with sectors), people with stints and accounts, topics, questions."""
    counts = {}
    reg.sectors = {code: sid for sid, code in conn.execute("SELECT id, code FROM sector")}
    reg.high_risk = {sid for (sid,) in conn.execute("SELECT id FROM sector WHERE high_risk")}
    created = reg.now - timedelta(days=800)
    names = set()
    while len(names) < towns:
        names.add(rng.choice(PLACES) + rng.choice(PLACES) + rng.choice(("镇", "街道", "街道")))
    reg.towns = list(range(1, towns + 1))
    counts["town"] = copy_rows(
        conn,
        "town",
        "id, name, sort_order",
        (row(i, n, i * 10) for i, n in enumerate(sorted(names), start=1)),
    )
    counts["enterprise"] = copy_rows(
        conn,
        "enterprise",
        "id, name, credit_code, town_id, address, contact_name, "
        "contact_phone, employee_count, created_at, updated_at",
        _enterprises(reg, rng, enterprises, created),
    )
    counts["enterprise_sector"] = copy_rows(
        conn,
        "enterprise_sector",
        "enterprise_id, sector_id",
        (row(e, s) for e in range(1, enterprises + 1) for s in reg.enterprise_sectors[e]),
    )
    counts.update(_people(conn, reg, rng, people, enterprises, created))
    counts.update(_topics(conn, reg, rng))
    counts.update(_questions(conn, reg, rng, questions, created))
    return counts


def _enterprises(reg: Register, rng: random.Random, n: int, created: datetime):
    reg.enterprise_town, reg.enterprise_name, reg.enterprise_sectors = [0], [""], [()]
    sector_ids = sorted(reg.sectors.values())
    weights = [3 if s in reg.high_risk else 8 for s in sector_ids]
    seen, serial = set(), rng.randrange(10_000_000, 50_000_000)
    for e in range(1, n + 1):
        name = rng.choice(PLACES) + rng.choice(PLACES) + rng.choice(WORDS) + rng.choice(SUFFIXES)
        while name in seen:
            name = rng.choice(PLACES) + name
        seen.add(name)
        serial += rng.randrange(1, 50)
        org = f"{serial:08d}"
        first17 = "91370112" + org + org_code_check_char(org)
        code = first17 + credit_check_char(first17)
        town = rng.choice(reg.towns)
        chosen = rng.choices(sector_ids, weights, k=1 if rng.random() < 0.8 else 2)
        reg.enterprise_town.append(town)
        reg.enterprise_name.append(name)
        reg.enterprise_sectors.append(tuple(sorted(set(chosen))))
        yield row(
            e,
            name,
            code,
            town,
            f"山东省济南市{name[:2]}路{rng.randrange(1, 999)}号",
            _name(rng),
            f"1{rng.randrange(3, 9)}{rng.randrange(10**8, 10**9)}",
            rng.choice((12, 45, 80, 150, 320, 900)),
            created,
            created,
        )


def _people(
    conn, reg: Register, rng: random.Random, n: int, enterprises: int, created: datetime
) -> dict:
    """Every enterprise has a principal leader; directors where required; managers for the rest."""
    roles = ["principal_leader"] * enterprises
    homes = list(range(1, enterprises + 1))
    for e in range(1, enterprises + 1):
        if len(roles) < n and (
            set(reg.enterprise_sectors[e]) & reg.high_risk or rng.random() < 0.35
        ):
            roles.append("safety_director")
            homes.append(e)
    while len(roles) < n:
        roles.append("safety_manager")
        homes.append(rng.randrange(1, enterprises + 1))
    order = list(range(n))
    rng.shuffle(order)
    reg.person_role, reg.person_enterprise = [""], [None]
    reg.person_name, reg.person_id_number, reg.person_user = [""], [""], [0]
    seen: set[str] = set()
    people_rows, stints, users = [], [], []
    user_id = 1 + 1 + 10  # the administrator, ten organisers, then candidates
    for pid, index in enumerate(order, start=1):
        role, home = roles[index], homes[index]
        while True:
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 38))
            first17 = f"3701{rng.randrange(2, 30):02d}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
            number = first17 + id_check_char(first17)
            if number not in seen:
                seen.add(number)
                break
        name = _name(rng)
        current = None if rng.random() < 0.02 else home  # 2 % have left their enterprise
        appointed = (reg.now - timedelta(days=rng.randrange(30, 3000))).date()
        reg.person_role.append(role)
        reg.person_enterprise.append(current)
        reg.person_name.append(name)
        reg.person_id_number.append(number)
        reg.person_user.append(user_id)
        reg.user_person[user_id] = pid
        people_rows.append(
            row(
                pid,
                name,
                number,
                f"13{rng.randrange(10**8, 10**9)}",
                role,
                current,
                appointed,
                created,
                created,
            )
        )
        if rng.random() < 0.05:  # changed enterprise: an earlier stint elsewhere
            before = rng.randrange(1, enterprises + 1)
            stints.append(
                (pid, before, role, appointed - timedelta(days=900), appointed, "transferred")
            )
        stints.append(
            (
                pid,
                home,
                role,
                appointed,
                None if current else reg.now.date(),
                "" if current else "left",
            )
        )
        users.append(
            row(
                user_id,
                number.lower(),
                "",
                "candidate",
                pid,
                None,
                PASSWORD_HASH,
                None,
                False,
                False,
                None,
                created,
                None,
                created,
            )
        )
        user_id += 1
    counts = {
        "person": copy_rows(
            conn,
            "person",
            "id, name, id_number, mobile, role, enterprise_id, appointed_on, "
            "created_at, updated_at",
            people_rows,
        )
    }
    counts["employment"] = copy_rows(
        conn,
        "employment",
        "id, person_id, enterprise_id, role, started_on, ended_on, end_reason",
        (row(i, *s) for i, s in enumerate(stints, start=1)),
    )
    staff = [
        row(
            1,
            "bench-admin",
            "基准测试管理员",
            "admin",
            None,
            None,
            PASSWORD_HASH,
            None,
            False,
            False,
            None,
            created,
            None,
            created,
        )
    ]
    for i in range(10):
        reg.organiser_ids.append(2 + i)
        staff.append(
            row(
                2 + i,
                f"organiser{i + 1}",
                f"培训组织者{i + 1}",
                "organiser",
                None,
                None,
                PASSWORD_HASH,
                None,
                False,
                False,
                None,
                created,
                None,
                created,
            )
        )
    columns = (
        "id, username, display_name, role, person_id, enterprise_id, password_hash, initial_password, "
        "must_change_password, disabled, locale, created_at, last_login_at, password_changed_at"
    )
    counts["user"] = copy_rows(conn, "user", columns, staff + users)
    # Half the organisers are limited to a few towns or a sector, as sector sections are.
    copy_rows(
        conn,
        "user_scope_town",
        "user_id, town_id",
        (row(u, t) for u in reg.organiser_ids[:3] for t in rng.sample(reg.towns, 5)),
    )
    copy_rows(
        conn,
        "user_scope_sector",
        "user_id, sector_id",
        (
            row(u, s)
            for u in reg.organiser_ids[3:5]
            for s in rng.sample(sorted(reg.sectors.values()), 2)
        ),
    )
    return counts


def _topics(conn, reg: Register, rng: random.Random) -> dict:
    """Twenty measures under the eight areas and five points under each (generic names)."""
    reg.topics = {code: tid for tid, code in conn.execute("SELECT id, code FROM topic")}
    next_id = max(reg.topics.values()) + 1
    lines = []
    for m in range(1, 21):
        area = reg.topics[f"G{(m - 1) % 8 + 1}"]
        code = f"BM{m:02d}"
        reg.topics[code] = next_id
        lines.append(row(next_id, area, "measure", code, f"基准措施{m}", m * 10))
        next_id += 1
    for m in range(1, 21):
        for p in range(1, 6):
            code = f"BP{m:02d}{p}"
            reg.topics[code] = next_id
            reg.points.append(next_id)
            lines.append(
                row(next_id, reg.topics[f"BM{m:02d}"], "point", code, f"基准知识点{m}-{p}", p * 10)
            )
            next_id += 1
    return {
        "topic": copy_rows(conn, "topic", "id, parent_id, level, code, name, sort_order", lines)
    }


def _questions(conn, reg: Register, rng: random.Random, n: int, created: datetime) -> dict:
    """The bank: kinds in the usual mix, one or two knowledge points, a fifth with a sector,
    some with a second version; each with a difficulty and discrimination for the simulation."""
    code_of = {tid: code for code, tid in reg.topics.items()}
    sector_ids = sorted(reg.sectors.values())
    questions, versions, q_topics, q_sectors = [], [], [], []
    version_id = 1
    for qid in range(1, n + 1):
        kind = rng.choices(KINDS, (50, 25, 20, 5))[0]
        topics = rng.sample(reg.points, 1 if rng.random() < 0.8 else 2)
        b = rng.gauss(-1.7, 0.8)
        a = -0.8 if rng.random() < 0.015 else rng.uniform(0.5, 2.0)  # a few wrong keys
        difficulty = "easy" if b < -2 else "hard" if b > -1.2 else "medium"
        made, count = [], rng.choice((4, 4, 5)) if kind == "multiple" else 4
        for number in range(1, 3 if rng.random() < 0.15 else 2):
            options, answer = [], None
            if kind in ("single", "multiple"):
                options = rng.sample(OPTIONS, count)
                letters = "ABCDE"[: len(options)]
                answer = (
                    rng.choice(letters)
                    if kind == "single"
                    else "".join(sorted(rng.sample(letters, rng.choice((2, 3)))))
                )
            elif kind == "truefalse":
                answer = rng.random() < 0.6
            else:
                answer = [["四十八", "48"]]
            stem = (
                f"{rng.choice(PHRASES)}{rng.choice(('应当', '必须', '不得'))}"
                f"{rng.choice(OPTIONS)}，{rng.choice(PHRASES)}对此负有责任（第{qid}题第{number}版）。"
            )
            versions.append(
                row(
                    version_id,
                    qid,
                    number,
                    kind,
                    stem,
                    json.dumps(options),
                    json.dumps(answer),
                    "依据法律法规的规定。",
                    difficulty,
                    rng.choice(LAWS),
                    json.dumps([]),
                    f"{qid:032x}{number:032x}",
                    created,
                    reg.admin_id,
                    reg.admin_id,
                    created,
                )
            )
            made.append((version_id, tuple(options), answer, stem))
            version_id += 1
        questions.append(row(qid, "active", "both", f"BENCH-{qid}", made[-1][0], created, created))
        q_topics.extend(row(qid, t) for t in topics)
        if rng.random() < 0.2:
            q_sectors.append(row(qid, rng.choice(sector_ids)))
        reg.questions[qid] = (
            kind,
            made,
            tuple(code_of[t] for t in sorted(topics, key=code_of.get)),
            a,
            b,
        )
    counts = {
        "question_version": copy_rows(
            conn,
            "question_version",
            "id, question_id, number, kind, stem, options, "
            "answer, explanation, difficulty, legal_source, roles, content_hash, "
            "created_at, created_by_id, reviewed_by_id, reviewed_at",
            versions,
        )
    }
    counts["question"] = copy_rows(
        conn,
        "question",
        "id, status, usage, external_key, current_version_id, created_at, updated_at",
        questions,
    )
    counts["question_topic"] = copy_rows(conn, "question_topic", "question_id, topic_id", q_topics)
    counts["question_sector"] = copy_rows(
        conn, "question_sector", "question_id, sector_id", q_sectors
    )
    return counts
