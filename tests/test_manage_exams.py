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


# --- papers that cover the eight grips and add up to 100 (issue 17) -----------------------


def _grip_questions(author, grips=range(2, 9), each=2) -> None:
    """Active single-choice questions filed under grips G2 … (the bank's G1 has its own)."""
    from exam.questions import services as bank
    from exam.questions.models import QuestionStatus, Topic
    from question_bank.model import QuestionData

    for grip in grips:
        topic = db.session.scalar(db.select(Topic).where(Topic.code == f"G{grip}"))
        for i in range(each):
            question = bank.create_question(
                QuestionData("single", f"第{grip}抓 第{i}题", ("甲", "乙", "丙", "丁"), "C"),
                [topic],
                [],
                author,
            )
            question.status = QuestionStatus.ACTIVE
    db.session.commit()


def _publish(client, exam_id: int) -> str:
    return client.post(f"/manage/exams/{exam_id}/publish", follow_redirects=True).get_data(
        as_text=True
    )


def test_a_50_point_paper_with_pass_mark_80_cannot_be_published(client, login_as, active_bank):
    login_as(UserRole.ORGANISER)
    fifty = _exam_form(**{"rules-0-points": 10})  # 5 questions × 10 points
    assert client.post("/manage/exams/new", data=fifty).status_code == 302  # a draft may be
    exam = db.session.scalar(db.select(Exam))
    page = _publish(client, exam.id)
    assert "试卷满分为 50 分，不是 100 分" in page
    assert "合格分 80 高于试卷满分 50 分：无人能够合格" in page
    assert db.session.get(Exam, exam.id).published_at is None
    # Confirming 50 points is not enough while nobody could pass.
    client.post(f"/manage/exams/{exam.id}/edit", data=dict(fifty, confirm_total="y"))
    assert db.session.get(Exam, exam.id).blueprint["confirmed_total"] == 50
    page = _publish(client, exam.id)
    assert "不是 100 分：请调整" not in page and "无人能够合格" in page
    assert "试卷满分为 50 分，不是 100 分（已确认）" in page  # confirmed: only a warning
    assert db.session.get(Exam, exam.id).published_at is None
    # A reachable pass mark on the confirmed total: published.
    client.post(f"/manage/exams/{exam.id}/edit", data=dict(fifty, confirm_total="y", pass_mark=40))
    _publish(client, exam.id)
    assert db.session.get(Exam, exam.id).published_at is not None


def test_a_confirmed_total_confirms_only_that_total(client, login_as, active_bank):
    login_as(UserRole.ORGANISER)
    hundred_twenty = _exam_form(**{"rules-0-count": 6, "pass_mark": 96, "confirm_total": "y"})
    client.post("/manage/exams/new", data=hundred_twenty)
    exam = db.session.scalar(db.select(Exam))
    assert exam.blueprint["confirmed_total"] == 120
    form = client.get(f"/manage/exams/{exam.id}/edit").get_data(as_text=True)
    assert "本试卷满分为 120 分（不是 100 分），我确认此满分" in form
    assert '<input checked class="form-check-input" id="confirm_total"' in form
    # The rules change (7 × 20 = 140): the old confirmation no longer counts.
    exam.blueprint = dict(exam.blueprint, rules=[dict(exam.blueprint["rules"][0], count=7)])
    db.session.commit()
    assert "试卷满分为 140 分" in _publish(client, exam.id)
    assert db.session.get(Exam, exam.id).published_at is None
    client.post(f"/manage/exams/{exam.id}/edit", data=hundred_twenty)
    _publish(client, exam.id)
    assert db.session.get(Exam, exam.id).published_at is not None


def test_a_paper_missing_a_grip_under_a_coverage_rule_cannot_be_published(
    client, login_as, active_bank, make_user
):
    _grip_questions(make_user(UserRole.ORGANISER), grips=range(2, 8))  # none under G8
    login_as(UserRole.ORGANISER)
    # 100 points from G1 only, "at least 1 question from each of the eight grips".
    client.post("/manage/exams/new", data=_exam_form(coverage_per_area=1))
    exam = db.session.scalar(db.select(Exam))
    assert exam.blueprint["coverage"] == {"per_area": 1, "areas": []}
    page = _publish(client, exam.id)
    assert "组卷规则不能保证每个专题领域至少 1 题" in page
    assert "抓制度完善（0）" in page and "抓社会共治（0）" in page and "抓教育培训（" not in page
    assert db.session.get(Exam, exam.id).published_at is None
    # A rule per grip G2 … G7 (1 × 5 points each), G1's rule shortened: only G8 is missing.
    per_grip = {"rules-0-count": 2, "rules-0-points": 35}
    for row, grip in enumerate(range(2, 8), start=1):
        per_grip.update(
            {
                f"rules-{row}-count": 1,
                f"rules-{row}-kind": "single",
                f"rules-{row}-points": 5,
                f"rules-{row}-topic": f"G{grip}",
            }
        )
    client.post(f"/manage/exams/{exam.id}/edit", data=_exam_form(coverage_per_area=1, **per_grip))
    page = _publish(client, exam.id)
    assert "抓社会共治（0）" in page and "抓制度完善（" not in page
    assert db.session.get(Exam, exam.id).published_at is None
    # Listing the areas asked for (G1 … G7): published, and every paper drawn honours it.
    listed = _exam_form(
        coverage_per_area=1, coverage_areas=[f"G{g}" for g in range(1, 8)], **per_grip
    )
    client.post(f"/manage/exams/{exam.id}/edit", data=listed)
    _publish(client, exam.id)
    exam = db.session.get(Exam, exam.id)
    assert exam.published_at is not None
    pool, tree = services.question_pool(), services.topic_tree()
    from question_bank.papers import draw_paper

    by_id = {q.id: q for q in pool}
    for seed in range(20):
        paper = draw_paper(services.blueprint_of(exam), pool, seed, tree)
        for grip in range(1, 8):
            assert any(f"G{grip}" in by_id[i.question_id].topics for i in paper.items)


def test_a_published_exam_cannot_be_edited_into_a_total_nobody_can_reach(
    client, login_as, make_exam
):
    exam = make_exam()  # published, 100 points, pass mark 80
    login_as(UserRole.ORGANISER)
    response = client.post(
        f"/manage/exams/{exam.id}/edit", data=_exam_form(**{"rules-0-points": 10})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="blueprint-refused"' in page
    assert "合格分 80 高于试卷满分 50 分" in page
    assert db.session.get(Exam, exam.id).blueprint["rules"][0]["points"] == 10  # make_exam's


def test_the_exam_page_shows_its_rules_total_and_pass_mark(client, login_as, make_exam):
    exam = make_exam()
    login_as(UserRole.ORGANISER)
    page = client.get(f"/manage/exams/{exam.id}").get_data(as_text=True)
    assert "共 10 题，100 分" in page and "合格 80 / 满分 100，80%" in page
    assert 'id="paper-rules"' in page and 'id="paper-total-points">100<' in page
    assert "未设覆盖规则" in page


def test_the_exam_form_shows_the_total_of_its_rules(client, login_as, make_exam):
    exam = make_exam()
    login_as(UserRole.ORGANISER)
    page = client.get(f"/manage/exams/{exam.id}/edit").get_data(as_text=True)
    assert 'id="paper-total-text">合计：100 分，共 10 题<' in page
    assert '<script src="/static/exam-form.js">' in page
    assert page.count('name="rules-11-count"') == 1  # a row per grip and more


def test_candidates_and_their_admission_notice_see_the_paper_s_own_total(
    client, login_as, make_exam
):
    from exam.certificates.admission import exam_rules

    exam = make_exam(rules=[{"count": 6, "kind": "single", "points": 20}])  # 120, confirmed
    assert any("满分 120 分，96 分合格" in rule for rule in exam_rules(exam, 60))
    login_as(UserRole.CANDIDATE)
    assert "满分 120 分，合格分 96" in client.get("/exams").get_data(as_text=True)
    [mine] = client.get("/api/v1/me/exams").get_json()
    assert (mine["total_points"], mine["pass_mark"]) == (120, 96)


def test_an_exam_not_saved_yet_is_checked_against_the_default_pass_mark(app, active_bank):
    from datetime import timedelta

    now = utcnow()
    exam = Exam(
        title="五十分的试卷",
        blueprint={"rules": [{"count": 5, "kind": "single", "points": 10}], "confirmed_total": 50},
        opens_at=now,
        closes_at=now + timedelta(hours=2),
    )
    db.session.add(exam)
    problems = services.publish(exam, now)
    assert [p.params for p in problems] == [{"mark": "80", "total": "50"}]
    assert exam.published_at is None
