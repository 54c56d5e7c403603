"""Organisers compose, publish and follow exams."""

import io

from openpyxl import load_workbook

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams import services
from exam.exams.models import Exam


def _exam_form(**overrides):
    data = {
        "title": "专题考试",
        "opens_at": "2026-01-01T09:00",
        "closes_at": "2099-01-01T09:00",
        "duration_minutes": 60,
        "pass_mark": 80,
        "attempts_allowed": 1,
        "review_policy": "after_close",
        "scoring_policy": "all_or_nothing",
        "shuffle_questions": "y",
        "shuffle_options": "y",
        "rules-0-count": 5,
        "rules-0-kind": "single",
        "rules-0-points": 20,
        "rules-0-topic": "G1",
    }
    for i in range(1, 6):
        data.update({f"rules-{i}-count": "", f"rules-{i}-kind": "single", f"rules-{i}-points": ""})
    data.update(overrides)
    return data


def test_organiser_composes_and_publishes_an_exam(client, login_as, active_bank):
    login_as(UserRole.ORGANISER)
    response = client.post("/manage/exams/new", data=_exam_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    exam = db.session.scalar(db.select(Exam))
    assert exam.blueprint["rules"] == [
        {
            "count": 5,
            "kind": "single",
            "points": 20.0,
            "topic": "G1",
            "sector": None,
            "difficulty": None,
        }
    ]
    assert exam.opens_at.hour == 1  # 09:00 in Beijing is 01:00 UTC
    client.post(f"/manage/exams/{exam.id}/publish")
    assert db.session.get(Exam, exam.id).published_at is not None


def test_a_paper_the_bank_cannot_serve_is_not_published_and_the_rule_is_named(
    client, login_as, active_bank
):
    login_as(UserRole.ORGANISER)
    client.post("/manage/exams/new", data=_exam_form(**{"rules-0-count": 50}))
    exam = db.session.scalar(db.select(Exam))
    page = client.post(f"/manage/exams/{exam.id}/publish", follow_redirects=True).get_data(
        as_text=True
    )
    assert "第 1 条规则" in page and db.session.get(Exam, exam.id).published_at is None


def test_after_papers_are_drawn_the_paper_cannot_change(client, login_as, make_exam, make_user):
    exam = make_exam()
    services.start_attempt(exam, make_user(UserRole.CANDIDATE), utcnow())
    db.session.commit()
    rules = exam.blueprint["rules"]
    login_as(UserRole.ORGANISER)
    client.post(
        f"/manage/exams/{exam.id}/edit",
        data=_exam_form(title="改名后的考试", **{"rules-0-count": 1}),
    )
    exam = db.session.get(Exam, exam.id)
    assert exam.title == "改名后的考试" and exam.blueprint["rules"] == rules


def test_results_are_listed_and_exported(client, login_as, make_exam, make_user):
    exam = make_exam()
    attempt = services.start_attempt(exam, make_user(UserRole.CANDIDATE), utcnow())
    services.submit(attempt, utcnow())
    db.session.commit()
    login_as(UserRole.ORGANISER)
    assert "不合格" in client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    sheet = load_workbook(io.BytesIO(client.get(f"/manage/exams/{exam.id}/attempts.xlsx").data))[
        "成绩"
    ]
    assert sheet.max_row == 2 and sheet["H2"].value == "不合格"


def test_candidates_cannot_manage_exams(client, login_as):
    login_as(UserRole.CANDIDATE)
    assert client.get("/manage/exams/").status_code == 403


# --- a published exam the bank must go on serving (issue 16) ------------------------------


def _retire(kind: str) -> None:
    from exam.questions.models import Question, QuestionStatus, QuestionVersion

    for question in db.session.scalars(
        db.select(Question)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(QuestionVersion.kind == kind)
    ):
        question.status = QuestionStatus.RETIRED
    db.session.commit()


def test_an_open_exam_cannot_be_edited_into_a_paper_the_bank_cannot_serve(
    client, login_as, make_exam
):
    exam = make_exam()  # published and open, no paper drawn yet
    rules = exam.blueprint["rules"]
    login_as(UserRole.ORGANISER)
    response = client.post(
        f"/manage/exams/{exam.id}/edit", data=_exam_form(**{"rules-0-count": 50})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="blueprint-refused"' in page
    assert "第 1 条规则需要 50 道题" in page
    assert db.session.get(Exam, exam.id).blueprint["rules"] == rules
    # A paper the bank serves is saved as before.
    assert client.post(f"/manage/exams/{exam.id}/edit", data=_exam_form()).status_code == 302
    assert db.session.get(Exam, exam.id).blueprint["rules"][0]["count"] == 5


def test_the_page_of_a_published_exam_the_bank_no_longer_serves_warns_its_organisers(
    client, login_as, make_exam
):
    exam = make_exam()
    login_as(UserRole.ORGANISER)
    assert 'id="unservable-warning"' not in client.get(f"/manage/exams/{exam.id}").get_data(
        as_text=True
    )
    _retire("single")
    page = client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert 'id="unservable-warning"' in page and "考生现在无法开始这场考试" in page
    assert "第 1 条规则" in page  # the rule the bank no longer serves is named
    assert 'id="unservable-warning"' in client.get(f"/manage/exams/{exam.id}/invigilate").get_data(
        as_text=True
    )
