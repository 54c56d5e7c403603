"""Demo online learning: two short courses on the Work Safety Law (安全生产法, 2021 revision),
with text pages quoting it, a small generated PDF handout, a one-minute video shipped with the
package (``duties.webm``, made by scripts/make_demo_video.py), and study progress for the demo
leaders: some have completed, some are halfway, some have not started."""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import display_zone, utcnow
from exam.exams.models import Exam
from exam.learning.forms import lesson_html
from exam.learning.models import Course, Lesson, LessonKind, StudyDay, StudyProgress
from exam.learning.storage import store_upload
from exam.people.models import Person, PersonRole
from exam.questions.models import Topic

#: The lesson video, package data (scripts/make_demo_video.py draws it from DUTIES).
DEMO_VIDEO = Path(__file__).with_name("duties.webm")

LAW = "《中华人民共和国安全生产法》（2021年修正）"

ART_5 = (
    "<h2>第五条　第一责任人</h2>"
    "<blockquote><p>生产经营单位的主要负责人是本单位安全生产第一责任人，对本单位的安全生产工作全面负责。"
    "其他负责人对职责范围内的安全生产工作负责。</p></blockquote>"
    "<p>“第一责任人”意味着：安全生产工作不能层层推给分管负责人或安全管理部门，主要负责人对本单位安全生产工作"
    "<strong>全面负责</strong>；其他负责人实行“管业务必须管安全”，对分管范围内的安全生产负责。</p>"
    f"<p>出处：{LAW}第五条。</p>"
)

DUTIES = (
    "建立健全并落实本单位全员安全生产责任制，加强安全生产标准化建设",
    "组织制定并实施本单位安全生产规章制度和操作规程",
    "组织制定并实施本单位安全生产教育和培训计划",
    "保证本单位安全生产投入的有效实施",
    "组织建立并落实安全风险分级管控和隐患排查治理双重预防工作机制，督促、检查本单位的安全生产工作，"
    "及时消除生产安全事故隐患",
    "组织制定并实施本单位的生产安全事故应急救援预案",
    "及时、如实报告生产安全事故",
)
NUMERALS = "一二三四五六七"

ART_21 = (
    "<h2>第二十一条　主要负责人的七项职责</h2>"
    "<p>生产经营单位的主要负责人对本单位安全生产工作负有下列职责：</p>"
    + "".join(
        f"<p>（{NUMERALS[i]}）{duty}{'。' if i == len(DUTIES) - 1 else '；'}</p>"
        for i, duty in enumerate(DUTIES)
    )
    + "<p>其中第（三）项是本平台培训、学习和考试的直接依据：教育培训计划由主要负责人组织制定并实施。</p>"
    f"<p>出处：{LAW}第二十一条。</p>"
)

ART_27 = (
    "<h2>第二十七条　知识和管理能力考核</h2>"
    "<blockquote><p>生产经营单位的主要负责人和安全生产管理人员必须具备与本单位所从事的生产经营活动相应的"
    "安全生产知识和管理能力。</p>"
    "<p>危险物品的生产、经营、储存、装卸单位以及矿山、金属冶炼、建筑施工、运输单位的主要负责人和安全生产"
    "管理人员，应当由主管的负有安全生产监督管理职责的部门对其安全生产知识和管理能力考核合格。考核不得收费。"
    "</p></blockquote>"
    "<p>这就是本平台专题考试的法律依据：高危行业单位的主要负责人和安全生产管理人员须经考核合格，"
    "而且<strong>考核不得收费</strong>。</p>"
    f"<p>出处：{LAW}第二十七条第一款、第二款。</p>"
)

ART_28 = (
    "<h2>第二十八条　全员安全生产教育和培训</h2>"
    "<blockquote><p>生产经营单位应当对从业人员进行安全生产教育和培训，保证从业人员具备必要的安全生产知识，"
    "熟悉有关的安全生产规章制度和安全操作规程，掌握本岗位的安全操作技能，了解事故应急处理措施，知悉自身在"
    "安全生产方面的权利和义务。未经安全生产教育和培训合格的从业人员，不得上岗作业。</p>"
    "<p>生产经营单位应当建立安全生产教育和培训档案，如实记录安全生产教育和培训的时间、内容、参加人员以及"
    "考核结果等情况。</p></blockquote>"
    "<p>本平台为每人记录培训学时（现场培训与在线学习分开统计），正是这份“培训档案”的电子版。</p>"
    f"<p>出处：{LAW}第二十八条第一款、第四款。</p>"
)

ART_41 = (
    "<h2>第四十一条　双重预防机制</h2>"
    "<blockquote><p>生产经营单位应当建立安全风险分级管控制度，按照安全风险分级采取相应的管控措施。</p>"
    "<p>生产经营单位应当建立健全并落实生产安全事故隐患排查治理制度，采取技术、管理措施，及时发现并消除事故"
    "隐患。事故隐患排查治理情况应当如实记录，并通过职工大会或者职工代表大会、信息公示栏等方式向从业人员通报。"
    "其中，重大事故隐患排查治理情况应当及时向负有安全生产监督管理职责的部门和职工大会或者职工代表大会报告。"
    "</p></blockquote>"
    "<p>两道防线：先把风险<strong>分级管控</strong>住，再把管控失效形成的隐患<strong>排查治理</strong>掉。"
    "这也是“八抓20项”中“抓苗头隐患”的要求。</p>"
    f"<p>出处：{LAW}第四十一条第一款、第二款。</p>"
)

# (title, description, topic codes, roles, days until due, lessons: (title, kind, minutes, body))
COURSES = (
    (
        "主要负责人安全生产职责（安全生产法）",
        "第一责任人与七项法定职责：主要负责人、安全总监必学。学完可参加“八抓20项”专题考试。",
        ("G1", "G2"),
        (PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR),
        20,
        (
            ("第一责任人（第五条）", LessonKind.TEXT, 3, ART_5),
            ("七项职责（第二十一条）", LessonKind.TEXT, 5, ART_21),
            ("职责一览（讲义）", LessonKind.PDF, 4, None),
            ("七项职责（视频）", LessonKind.VIDEO, 1, None),
        ),
    ),
    (
        "安全培训考核与双重预防",
        "考核合格、全员培训和双重预防机制的法律要求。",
        ("G1", "G3"),
        (PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR),
        -3,
        (
            ("考核合格、不得收费（第二十七条）", LessonKind.TEXT, 4, ART_27),
            ("全员培训与培训档案（第二十八条）", LessonKind.TEXT, 4, ART_28),
            ("风险分级管控与隐患排查治理（第四十一条）", LessonKind.TEXT, 5, ART_41),
        ),
    ),
)


def load_demo_learning(rng: random.Random, now: datetime | None = None) -> int:
    """Add the demo courses (published) and the leaders' study; the number of courses."""
    author = db.session.scalar(select(User).where(User.username == "organiser"))
    topics = {t.code: t for t in db.session.scalars(select(Topic))}
    now = now or utcnow()
    today = now.astimezone(display_zone()).date()
    courses = []
    for title, description, codes, roles, due_in, lessons in COURSES:
        course = Course(
            title=title,
            description=description,
            assignment={"roles": list(roles)},
            due_on=today + timedelta(days=due_in),
            published_at=now - timedelta(days=30),
            created_by_id=author.id if author else None,
            topics=[topics[c] for c in codes if c in topics],
        )
        db.session.add(course)
        for position, (name, kind, minutes, body) in enumerate(lessons):
            db.session.add(_lesson(course, position, name, kind, minutes, body, author))
        courses.append(course)
    db.session.flush()
    _prerequisite(courses[0])
    _study(courses, rng, today)
    return len(courses)


def _lesson(course, position, title, kind, minutes, body, author) -> Lesson:
    stored = None
    if kind == LessonKind.PDF:
        stored = store_upload(io.BytesIO(handout_pdf()), "主要负责人职责一览.pdf", kind, author)
    elif kind == LessonKind.VIDEO:
        stored = store_upload(io.BytesIO(duties_video()), "七项职责.webm", kind, author)
    return Lesson(
        course=course,
        position=position,
        title=title,
        kind=kind,
        minutes=minutes,
        body=lesson_html(body) if body else "",
        file=stored,
    )


def _prerequisite(course: Course) -> None:
    """Those who failed the first exam (or missed it) study the duties course before the makeup."""
    makeup = db.session.scalar(
        select(Exam).where(Exam.makeup_of_id.is_not(None)).order_by(Exam.id).limit(1)
    )
    if makeup is not None:
        makeup.prerequisite_course_id = course.id


def _study(courses: list[Course], rng: random.Random, today) -> None:
    """Leaders studied over the last weeks: about a third completed, a third halfway."""
    people = db.session.scalars(
        select(Person)
        .join(User, User.person_id == Person.id)
        .where(Person.role.in_([PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR]))
        .order_by(Person.id)
    ).all()
    for number, person in enumerate(people):
        days: dict = {}
        for course in courses:
            # The demo leader (the first person) is halfway through the first course only.
            share = (
                (0.5 if course is courses[0] else 0.0)
                if number == 0
                else rng.choice((1.0, 1.0, 0.5, 0.0, 0.0))
            )
            lessons = course.lessons[: max(1, round(len(course.lessons) * share))] if share else []
            for index, lesson in enumerate(lessons):
                complete = share == 1.0 or index < len(lessons) - 1
                seconds = (
                    lesson.required_seconds
                    if complete
                    else lesson.required_seconds * rng.uniform(0.2, 0.7)
                )
                day = today - timedelta(
                    days=rng.randint(1, min(20, today.timetuple().tm_yday - 1) or 1)
                )
                at = datetime.combine(day, time(20, rng.randint(0, 59)), display_zone())
                db.session.add(
                    StudyProgress(
                        person_id=person.id,
                        lesson_id=lesson.id,
                        seconds=seconds,
                        started_at=at,
                        updated_at=at,
                        position=seconds if lesson.kind == LessonKind.VIDEO else 0.0,
                        furthest=seconds if lesson.kind == LessonKind.VIDEO else 0.0,
                        completed_at=at if complete else None,
                    )
                )
                days[day] = (days.get(day, (0.0, at))[0] + seconds, at)
        for day, (seconds, at) in days.items():
            db.session.add(
                StudyDay(
                    person_id=person.id,
                    day=day,
                    seconds=seconds,
                    last_beat_at=at,
                    last_beat_active=False,
                )
            )
    db.session.flush()


# --- generated files ----------------------------------------------------------------------------


def handout_pdf() -> bytes:
    """A two-page A4 handout: the first responsible person, the seven duties, the assessment."""
    from flask import current_app
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from exam.core.printing import font_name

    font = font_name(current_app.config["CERTIFICATE_FONT"] or None)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    pdf.setTitle("主要负责人安全生产职责一览")
    width, height = A4
    pages = (
        (
            "主要负责人安全生产职责一览（一）",
            [
                "一、第一责任人（第五条）",
                "生产经营单位的主要负责人是本单位安全生产第一责任人，",
                "对本单位的安全生产工作全面负责。",
                "",
                "二、七项职责（第二十一条）",
                *[
                    ("　　　" if row else f"（{NUMERALS[i]}）") + line
                    for i, duty in enumerate(DUTIES)
                    for row, line in enumerate(_wrap(duty, 28))
                ],
            ],
        ),
        (
            "主要负责人安全生产职责一览（二）",
            [
                "三、考核合格（第二十七条）",
                "危险物品的生产、经营、储存、装卸单位以及矿山、金属冶炼、",
                "建筑施工、运输单位的主要负责人和安全生产管理人员，应当由",
                "主管的负有安全生产监督管理职责的部门对其安全生产知识和",
                "管理能力考核合格。考核不得收费。",
                "",
                "四、全员培训（第二十八条）",
                "未经安全生产教育和培训合格的从业人员，不得上岗作业。",
                "",
                "五、双重预防（第四十一条）",
                "建立安全风险分级管控制度；建立健全并落实生产安全事故",
                "隐患排查治理制度，及时发现并消除事故隐患。",
            ],
        ),
    )
    for number, (heading, lines) in enumerate(pages, start=1):
        pdf.setFillColorRGB(0.05, 0.25, 0.55)
        pdf.rect(0, height - 90, width, 90, stroke=0, fill=1)
        pdf.setFillColorRGB(1, 1, 1)
        pdf.setFont(font, 20)
        pdf.drawString(56, height - 56, heading)
        pdf.setFillColorRGB(0, 0, 0)
        y = height - 140
        for line in lines:
            pdf.setFont(font, 15 if line[:2] in ("一、", "二、", "三、", "四、", "五、") else 12.5)
            pdf.drawString(56, y, line)
            y -= 24
        pdf.setFont(font, 9)
        pdf.drawString(
            56, 40, f"依据：{LAW}　·　安培在线学习讲义　·　第 {number} 页，共 {len(pages)} 页"
        )
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def duties_video() -> bytes:
    """The one-minute WebM (VP8) of title cards, one per duty, that ships with the package
    (made once by scripts/make_demo_video.py)."""
    return DEMO_VIDEO.read_bytes()
