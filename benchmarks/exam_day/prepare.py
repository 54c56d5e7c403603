"""The exam day's data: a question bank, one published exam, N candidates and an organiser.

Passwords are hashed the way the server is configured to hash them (``PASSWORD_METHOD``, as
production sets it) unless ``cheap`` is asked for (the stress mode, and the fault benchmark):
the one shared password is hashed once and that hash stored for every account, so thousands
of accounts are made fast while every login still pays the full cost of checking it.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from datetime import UTC, date, datetime, timedelta

PASSWORD = "Bench-pass-2026"
CHEAP_HASH = "pbkdf2:sha256:1000"
ORGANISER = "bench-organiser"


def create_database() -> str:
    name = f"anpei_examday_{os.getpid()}"
    psql(f"CREATE DATABASE {name}")
    return name


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True)


def id_number(i: int) -> str:
    """The i-th candidate's ID number (a thousand a birthday)."""
    from exam.core.identifiers import example_id_number

    born = date(1975, 1, 1) + timedelta(days=i // 1000)
    return example_id_number(i, born=f"{born:%Y%m%d}")


def _question(kind: str, i: int):
    from question_bank.model import QuestionData

    return {
        "single": lambda: QuestionData(
            kind="single",
            stem=f"单选{i}：生产经营单位的主要负责人是本单位安全生产的（　）。",
            options=("第一责任人", "直接责任人", "监督人", "协助人"),
            answer="A",
        ),
        "multiple": lambda: QuestionData(
            kind="multiple",
            stem=f"多选{i}：安全生产工作应当（　）。",
            options=("以人为本", "坚持安全第一", "预防为主", "综合治理", "事后处理"),
            answer="ABCD",
        ),
        "truefalse": lambda: QuestionData(
            kind="truefalse", stem=f"判断{i}：从业人员有权拒绝违章指挥。", answer=True
        ),
        "fill": lambda: QuestionData(
            kind="fill",
            stem=f"填空{i}：坚持____、____的方针。",
            answer=[["安全第一"], ["预防为主"]],
        ),
    }[kind]()


def prepare(
    url: str, candidates: int, questions: int, bank_size: int = 0, cheap: bool = True
) -> list[dict]:
    """Schema, a bank (``bank_size`` questions, at least twice the paper, in the paper's mix
    of kinds), one open exam and the candidates; returns their logins."""
    logins, _ = prepare_day(url, candidates, questions, bank_size, cheap)
    return logins


def prepare_day(
    url: str, candidates: int, questions: int, bank_size: int = 0, cheap: bool = True
) -> tuple[list[dict], dict]:
    """As ``prepare``; also returns the exam's id and the organiser's login."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from exam import create_app
    from exam.auth.models import User, UserRole
    from exam.auth.services import create_account
    from exam.core.extensions import db
    from exam.core.identifiers import example_credit_code
    from exam.core.timeutil import utcnow
    from exam.exams import services as exams
    from exam.exams.models import Exam
    from exam.people.models import Enterprise, Sector, Town
    from exam.people.services import add_person
    from exam.questions import services as bank
    from exam.questions.models import QuestionStatus, Topic

    # Half single choice, a quarter multiple choice, the rest true/false and fill-in.
    counts = {"single": questions // 2, "multiple": questions // 4, "truefalse": questions // 8}
    counts["fill"] = questions - sum(counts.values())
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, **({"PASSWORD_METHOD": CHEAP_HASH} if cheap else {})}
    )
    logins = []
    with app.app_context():
        with contextlib.redirect_stderr(io.StringIO()):  # alembic's log of every migration
            upgrade()
        # Hashed once, as the server would hash it; every account stores the same hash.
        shared_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_METHOD"])
        topic = db.session.scalar(db.select(Topic).where(Topic.code == "G1"))
        for kind, count in counts.items():
            for i in range(max(2 * count, bank_size * count // questions)):
                question = bank.create_question(_question(kind, i), [topic], [], None)
                question.status = QuestionStatus.ACTIVE
        town = Town(name="基准镇")
        sector = db.session.scalar(db.select(Sector).where(Sector.code == "hazardous_chemicals"))
        enterprise = Enterprise(
            name="基准企业", credit_code=example_credit_code(1), town=town, sectors=[sector]
        )
        db.session.add(enterprise)
        now = utcnow()
        exam = Exam(
            title="考试日基准",
            blueprint={
                "rules": [
                    {"count": count, "kind": kind, "points": 100 / questions}
                    for kind, count in counts.items()
                    if count
                ]
            },
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(hours=6),
            duration_minutes=120,
        )
        db.session.add(exam)
        assert exams.publish(exam, now) == []
        for i in range(candidates):
            person, _ = add_person(
                {
                    "name": f"考生{i}",
                    "id_number": id_number(i),
                    "mobile": f"139{i:08d}",
                    "role": "principal_leader",
                },
                enterprise,
            )
            db.session.flush()
            user = db.session.scalar(db.select(User).where(User.person_id == person.id))
            _give_password(user, shared_hash, now)
            assert user.role == UserRole.CANDIDATE
            # Candidates type their ID number or their mobile.
            logins.append(
                {"login": id_number(i) if i % 2 == 0 else f"139{i:08d}", "password": PASSWORD}
            )
        organiser, _ = create_account(ORGANISER, UserRole.ORGANISER, "基准组织者")
        _give_password(organiser, shared_hash, now)
        # Every candidate's paper drawn ahead, as the scheduler does in the day before an exam
        # published in advance opens (its job draws for up to 5 s every 15 s).
        db.session.flush()
        exams.predraw_papers(exam, now)
        db.session.commit()
        exam_id = exam.id
        db.engine.dispose()
    return logins, {"exam_id": exam_id, "organiser": {"login": ORGANISER, "password": PASSWORD}}


def _give_password(user, password_hash: str, now) -> None:
    """The account's own (shared) password, already hashed: no change at first login."""
    user.password_hash = password_hash
    user.initial_password = None
    user.must_change_password = False
    user.password_changed_at = now


def schedule_exam(url: str, exam_id: int, opens_at: float, duration_minutes: int) -> None:
    """Open the exam at ``opens_at`` (epoch seconds) for ``duration_minutes`` per attempt, and
    close its window long after the last attempt's deadline."""
    from exam import create_app
    from exam.core.extensions import db
    from exam.exams.models import Exam

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        exam = db.session.get(Exam, exam_id)
        exam.opens_at = datetime.fromtimestamp(opens_at, UTC)
        exam.closes_at = exam.opens_at + timedelta(minutes=duration_minutes + 120)
        exam.duration_minutes = duration_minutes
        db.session.commit()
        db.engine.dispose()
