"""Publishing an exam goes through a summary the organiser confirms: GET shows it and writes
nothing, POST (with its CSRF token) publishes; the exam's page shows the same summary."""

from datetime import timedelta

import pytest

from exam.audit.models import AuditEntry
from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams.models import Exam
from exam.people.models import PersonRole

RULES = [
    {"count": 5, "kind": "single", "points": 10, "topic": "G1"},
    {"count": 2, "kind": "multiple", "points": 10},
    {"count": 2, "kind": "truefalse", "points": 10},
    {"count": 1, "kind": "fill", "points": 10},
]


@pytest.fixture
def draft(active_bank):
    """A draft of 10 questions, 100 points, pass mark 80, open from an hour ago for a day."""

    def make(rules=RULES, opens=-1, closes=24, **fields):
        now = utcnow()
        exam = Exam(
            title="八抓20项专题考试",
            blueprint={"rules": rules},
            opens_at=now + timedelta(hours=opens),
            closes_at=now + timedelta(hours=closes),
            duration_minutes=60,
            **fields,
        )
        db.session.add(exam)
        db.session.commit()
        return exam

    return make


def _audit_count() -> int:
    return db.session.scalar(db.select(db.func.count(AuditEntry.id)))


def test_the_confirmation_page_shows_the_set_up_and_writes_nothing(
    client, login_as, draft, make_person
):
    make_person(role=PersonRole.PRINCIPAL_LEADER)
    make_person(role=PersonRole.SAFETY_MANAGER)
    make_person(role=PersonRole.SAFETY_MANAGER)
    exam = draft(
        eligibility={"roles": [PersonRole.SAFETY_MANAGER]},
        attempts_allowed=2,
        access_code="AB12",
    )
    login_as(UserRole.ORGANISER)
    before = _audit_count()
    response = client.get(f"/manage/exams/{exam.id}/publish")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert db.session.get(Exam, exam.id).published_at is None and _audit_count() == before
    assert 'id="publish-confirm"' in page and "确认发布" in page
    assert "共 10 题，100 分" in page and "合格 80 / 满分 100，80%" in page
    assert "单选题 5" in page and "多选题 2" in page and "判断题 2" in page and "填空题 1" in page
    assert "按专题领域：抓教育培训 5 · 不限领域 5" in page
    assert "每次考试 60 分钟" in page and "允许考 2 次" in page
    assert "准入码 AB12" in page
    assert "目前可参加：2 人" in page  # the two safety officers, not the principal leader


def test_the_confirmation_counts_people_by_the_eligibility_rule(
    client, login_as, draft, make_person
):
    from exam.exams.eligibility import candidates_of

    for _ in range(3):
        make_person()
    exam = draft()
    login_as(UserRole.ORGANISER)
    page = client.get(f"/manage/exams/{exam.id}/publish").get_data(as_text=True)
    assert f"目前可参加：{len(candidates_of(exam))} 人" in page and len(candidates_of(exam)) == 3


def test_nobody_eligible_is_a_warning_on_the_confirmation(client, login_as, draft):
    exam = draft(eligibility={"roles": [PersonRole.SAFETY_MANAGER]})
    login_as(UserRole.ORGANISER)
    page = client.get(f"/manage/exams/{exam.id}/publish").get_data(as_text=True)
    assert 'id="setup-warnings"' in page and "目前无人可以参加此考试" in page
    assert "目前可参加：0 人" in page


def test_posting_the_confirmation_publishes_and_says_the_exam_is_open(
    client, login_as, draft, make_person
):
    make_person()
    exam = draft()  # its window began an hour ago
    login_as(UserRole.ORGANISER)
    response = client.post(f"/manage/exams/{exam.id}/publish")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/exams/{exam.id}")
    assert db.session.get(Exam, exam.id).published_at is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已发布，考试进行中。" in page and "考试将在设定时间开放" not in page


def test_publishing_an_upcoming_exam_says_when_it_opens(client, login_as, draft):
    exam = draft(opens=24, closes=48)
    login_as(UserRole.ORGANISER)
    page = client.post(f"/manage/exams/{exam.id}/publish", follow_redirects=True).get_data(
        as_text=True
    )
    assert "已发布：考试将在设定时间开放。" in page


def test_the_confirmation_needs_its_csrf_token(app, client, login_as, draft):
    exam = draft()
    login_as(UserRole.ORGANISER)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/manage/exams/{exam.id}/publish").status_code == 400
    assert db.session.get(Exam, exam.id).published_at is None
    page = client.get(f"/manage/exams/{exam.id}/publish").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/manage/exams/{exam.id}/publish", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(Exam, exam.id).published_at is not None


def test_an_unreachable_pass_mark_is_shown_and_cannot_be_confirmed(client, login_as, draft):
    fifty = [dict(rule, points=5) for rule in RULES]  # 50 points, pass mark 80
    exam = draft(rules=fifty)
    exam.blueprint = dict(exam.blueprint, confirmed_total=50)
    db.session.commit()
    login_as(UserRole.ORGANISER)
    page = client.get(f"/manage/exams/{exam.id}/publish").get_data(as_text=True)
    assert 'id="publish-refused"' in page and "合格分 80 高于试卷满分 50 分：无人能够合格" in page
    assert 'id="publish-confirm"' not in page
    assert "试卷满分为 50 分，不是 100 分（已确认）" in page  # the confirmed total: a warning
    response = client.post(f"/manage/exams/{exam.id}/publish")
    assert response.headers["Location"].endswith(f"/manage/exams/{exam.id}/publish")
    assert db.session.get(Exam, exam.id).published_at is None


def test_a_published_exam_s_confirmation_goes_to_its_page(client, login_as, make_exam):
    exam = make_exam()
    login_as(UserRole.ORGANISER)
    response = client.get(f"/manage/exams/{exam.id}/publish")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/exams/{exam.id}")


def test_the_exam_page_shows_the_same_summary(client, login_as, make_exam, make_person):
    make_person()
    exam = make_exam()
    login_as(UserRole.ORGANISER)
    page = client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert 'id="setup-summary"' in page and "目前可参加：1 人" in page
    assert (
        "单选题 5" in page
        and "按专题领域：不限领域 10" in page
        and "允许考 1 次" in page
        and "每次考试 60 分钟" in page
    )
    assert 'id="setup-integrity"' in page and "试题顺序因人而异" in page


def test_attempts_read_started_and_in_progress_not_studying(
    app, client, login_as, make_exam, make_user
):
    from exam.exams import services

    exam = make_exam()
    candidate = make_user(UserRole.CANDIDATE)
    attempt = services.start_attempt(exam, candidate, utcnow())
    db.session.commit()
    login_as(UserRole.ORGANISER)
    for url in (f"/manage/exams/{exam.id}", f"/manage/exams/{exam.id}/attempts/{attempt.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "学习中" not in page and "开始时间" in page and "进行中" in page, url
    with app.test_request_context():  # lessons keep their own word
        from flask_babel import pgettext

        assert pgettext("lesson", "Started") == "学习中"
        assert pgettext("attempt", "Started") == "开始时间"
