"""The pages around the candidate's exam page, without a browser: 考试须知 (read-only, with the
integrity settings in force), the exam page's kind labels and heading, and the service
worker served from the site's root under the app's Content-Security-Policy."""

import html
import json
import re

from sqlalchemy import func, select

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.exams.models import Attempt


def _attempts() -> int:
    return db.session.scalar(select(func.count(Attempt.id)))


def test_the_instructions_show_the_terms_and_settings_and_start_nothing(
    client, login_as, make_exam
):
    exam = make_exam(duration=45, access_code="2468", allowed_networks="10.0.0.0/8")
    exam.focus_loss_limit = 3
    db.session.commit()
    login_as(UserRole.CANDIDATE)
    response = client.get(f"/exams/{exam.id}/notice")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1" in page and "考试须知" in page
    assert "45 分钟" in page and 'id="notice-questions">10<' in page
    assert "离开考试页面" in page and "离开达 3 次后将自动交卷" in page
    assert "更换设备须经监考人员许可" in page and "考场网络" in page and "考试口令" in page
    assert f'action="/exams/{exam.id}/start"' in page and 'id="notice-read"' in page
    assert _attempts() == 0  # reading the instructions writes nothing


def test_the_exam_list_leads_to_the_instructions_not_straight_to_the_clock(
    client, login_as, make_exam
):
    exam = make_exam()
    login_as(UserRole.CANDIDATE)
    page = client.get("/exams").get_data(as_text=True)
    assert f'href="/exams/{exam.id}/notice"' in page
    assert f'action="/exams/{exam.id}/start"' not in page


def test_the_instructions_of_an_exam_under_way_lead_back_to_the_attempt(
    client, login_as, make_exam
):
    exam = make_exam(focus_tracking=False, one_device=False)
    login_as(UserRole.CANDIDATE)
    page = client.get(f"/exams/{exam.id}/notice").get_data(as_text=True)
    assert "离开考试页面" not in page and "更换设备" not in page
    started = client.post(f"/exams/{exam.id}/start", data={"csrf_token": "x"})
    response = client.get(f"/exams/{exam.id}/notice")
    assert response.status_code == 302
    assert response.headers["Location"] == started.headers["Location"]


def test_the_exam_page_names_the_kinds_and_has_a_heading(client, login_as, make_exam):
    exam = make_exam()
    login_as(UserRole.CANDIDATE)
    sit = client.post(f"/exams/{exam.id}/start", data={"csrf_token": "x"}).headers["Location"]
    page = client.get(sit).get_data(as_text=True)
    assert '<h1 class="h6' in page and exam.title in page
    kinds = json.loads(html.unescape(re.search(r'data-kinds="([^"]*)"', page).group(1)))
    assert kinds == {
        "single": "单选题",
        "multiple": "多选题",
        "truefalse": "判断题",
        "fill": "填空题",
    }
    assert 'data-worker="/exam-worker.js"' in page


def test_the_service_worker_is_served_from_the_root_and_allowed_by_the_policy(client):
    response = client.get("/exam-worker.js")
    assert response.status_code == 200
    assert "javascript" in response.content_type
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "worker-src 'self'" in response.headers["Content-Security-Policy"]
