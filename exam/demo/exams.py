"""Demo exams: one open now for the demo candidates, one closed with a spread of results, and
the closed one's makeup exam (open now) for those who failed it or did not come."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import services
from exam.exams.examday import create_makeup
from exam.exams.models import Exam, ReviewPolicy
from exam.people.models import Person, PersonRole
from question_bank import kinds

#: 100 points: 10 single × 4 (one from each of the eight grips, two from any), 5 multiple × 6,
#: 5 true/false × 2, 2 fill-in × 10.
RULES = [
    *({"count": 1, "kind": "single", "points": 4, "topic": f"G{grip}"} for grip in range(1, 9)),
    {"count": 2, "kind": "single", "points": 4},
    {"count": 5, "kind": "multiple", "points": 6},
    {"count": 5, "kind": "truefalse", "points": 2},
    {"count": 2, "kind": "fill", "points": 10},
]
#: Every paper asks about each of the eight grips (the rules above guarantee it).
BLUEPRINT = {"rules": RULES, "coverage": {"per_area": 1, "areas": []}}


def load_demo_exams(rng: random.Random) -> list[Exam]:
    """Add the two demo exams; the closed one gets passes, failures and no-shows."""
    now = utcnow()
    author = db.session.scalar(select(User).where(User.username == "organiser"))
    leaders = {"roles": [PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR]}
    open_exam = Exam(
        title="“八抓20项”专题考试（第二期）",
        blueprint=BLUEPRINT,
        eligibility=leaders,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=14),
        duration_minutes=60,
        review_policy=ReviewPolicy.IMMEDIATELY,
        created_by_id=author.id if author else None,
    )
    closed_exam = Exam(
        title="“八抓20项”专题考试（第一期）",
        blueprint=BLUEPRINT,
        eligibility=leaders,
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=33),
        duration_minutes=60,
        review_policy=ReviewPolicy.AFTER_CLOSE,
        created_by_id=author.id if author else None,
    )
    db.session.add_all([open_exam, closed_exam])
    for exam in (open_exam, closed_exam):
        assert services.publish(exam, exam.opens_at - timedelta(days=1)) == [], exam.title
    db.session.flush()
    _sit_closed_exam(closed_exam, rng)
    # Those who failed the first exam or did not come have its makeup open now.
    makeup = create_makeup(
        closed_exam, author, now - timedelta(hours=1), now + timedelta(days=14), now
    )
    assert services.publish(makeup, now) == [], makeup.title
    return [open_exam, closed_exam, makeup]


def _sit_closed_exam(exam: Exam, rng: random.Random) -> None:
    """Leaders who sat the first exam: most passed, some failed, some never came."""
    candidates = db.session.scalars(
        select(User)
        .join(Person, Person.id == User.person_id)
        .where(
            User.role == UserRole.CANDIDATE,
            User.password_hash.is_(None),
            Person.role.in_([PersonRole.PRINCIPAL_LEADER, PersonRole.SAFETY_DIRECTOR]),
        )
        .order_by(Person.id)
    ).all()
    sat_at = exam.opens_at + timedelta(hours=2)
    for user in candidates:
        if rng.random() < 0.12:
            continue  # a no-show
        skill = rng.choice([0.97, 0.92, 0.88, 0.84, 0.75, 0.6])
        attempt = services.start_attempt(exam, user, sat_at)
        for seq, item in enumerate(attempt.paper, start=1):
            answer = _answer(item, right=rng.random() < skill)
            if answer is not None:
                services.save_answer(attempt, item["question_id"], answer, seq, sat_at)
        services.submit(attempt, sat_at + timedelta(minutes=rng.randint(20, 55)))


def _answer(item: dict, right: bool):
    """A right or a wrong answer to a paper item, as the candidate would have given it."""
    from exam.questions.models import QuestionVersion

    version = db.session.get(QuestionVersion, item["version_id"])
    kind = kinds.get(version.kind)
    return kind.to_shown(kind.example_response(version.content(), right), item["option_order"])
