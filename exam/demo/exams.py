"""Demo exams: one open now for the demo candidates, one closed with a spread of results, and
the closed one's makeup exam (open now) for those who failed it or did not come; the two are
the rounds (第一期, 第二期) of the demo's campaign."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from exam.auth.models import User, UserRole
from exam.campaigns.models import Campaign, CampaignExam
from exam.core.extensions import db
from exam.core.timeutil import display_zone, utcnow
from exam.exams import services
from exam.exams.examday import create_makeup
from exam.exams.models import Attempt, Exam, ReviewPolicy
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


def load_demo_exams(rng: random.Random, now: datetime | None = None) -> list[Exam]:
    """Add the two demo exams (the rounds of the demo campaign) and the closed one's makeup; the
    closed one gets passes, failures and no-shows, the open ones their first candidates."""
    now = now or utcnow()
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
    # Some have sat the makeup already, and some of those who never came the second round.
    _sit_some(makeup, rng, makeup.eligibility["person_ids"], now - timedelta(minutes=50))
    _sit_some(open_exam, rng, _absent_from(closed_exam), now - timedelta(minutes=45))
    _campaign(closed_exam, open_exam, author)
    return [open_exam, closed_exam, makeup]


#: What the demo's campaign is called, as the bureau's report names the exams.
CAMPAIGN_NAME = "安全生产“八抓”20项系列创新举措专题考试"


def _campaign(first: Exam, second: Exam, author: User | None) -> Campaign:
    """The campaign of the two rounds (the first's makeup follows it): for the whole district,
    so its figures are still provisional while the second round and the makeup are open."""
    campaign = Campaign(
        name=CAMPAIGN_NAME,
        year=second.opens_at.astimezone(display_zone()).year,  # this year's dashboard
        description="面向全区企业主要负责人、安全总监，分两期组织，第一期设补考。",
        reach={},
        created_by_id=author.id if author else None,
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add_all(
        [CampaignExam(exam_id=e.id, campaign_id=campaign.id) for e in (first, second)]
    )
    db.session.flush()
    return campaign


def _absent_from(exam: Exam) -> list[int]:
    """The people who never came to ``exam``: of its makeup's list, those with no attempt."""
    came = select(User.person_id).join(Attempt, Attempt.user_id == User.id)
    makeup = db.session.scalar(select(Exam).where(Exam.makeup_of_id == exam.id))
    listed = makeup.eligibility["person_ids"] if makeup else []
    return sorted(set(listed) - set(db.session.scalars(came.where(Attempt.exam_id == exam.id))))


def _sit_some(exam: Exam, rng: random.Random, person_ids: list[int], at) -> None:
    """About half of these people (demo logins excepted) sit ``exam`` at ``at``; most pass."""
    users = db.session.scalars(
        select(User)
        .where(User.person_id.in_(person_ids), User.password_hash.is_(None))
        .order_by(User.person_id)
    ).all()
    for user in users:
        if rng.random() < 0.5:
            _sit(exam, user, rng.choice([0.97, 0.92, 0.88, 0.7]), at, rng)


def _sit(exam: Exam, user: User, skill: float, at, rng: random.Random) -> None:
    # The paper drawn from the demo's seed, not a fresh random one: the same demo each time.
    attempt = services.start_attempt(exam, user, at, paper_seed=rng.randrange(2**31))
    for seq, item in enumerate(attempt.paper, start=1):
        answer = _answer(item, right=rng.random() < skill)
        if answer is not None:
            services.save_answer(attempt, item["question_id"], answer, seq, at)
    services.submit(attempt, at + timedelta(minutes=rng.randint(20, 40)))


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
        _sit(exam, user, rng.choice([0.97, 0.92, 0.88, 0.84, 0.75, 0.6]), sat_at, rng)


def _answer(item: dict, right: bool):
    """A right or a wrong answer to a paper item, as the candidate would have given it."""
    from exam.questions.models import QuestionVersion

    version = db.session.get(QuestionVersion, item["version_id"])
    kind = kinds.get(version.kind)
    return kind.to_shown(kind.example_response(version.content(), right), item["option_order"])
