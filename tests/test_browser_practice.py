"""A candidate practises on a phone in Chromium: the feedback marks what they tapped, and the
wrong-answer book reads as a list, with a drill that empties it."""

from __future__ import annotations

from conftest import PASSWORD
from test_browser import _log_in

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.questions import services
from exam.questions.models import QuestionStatus, Topic
from question_bank.model import QuestionData

PHONE = {"width": 390, "height": 844}


def test_a_candidate_sees_the_choice_marked_and_reads_then_drills_the_wrong_answers(
    browser, live_server, make_user, screenshot
):
    from playwright.sync_api import expect

    author = make_user(UserRole.ORGANISER)
    candidate = make_user(UserRole.CANDIDATE)
    topic = db.session.scalar(db.select(Topic).where(Topic.code == "G1"))
    question = services.create_question(
        QuestionData(
            kind="single",
            stem="生产经营单位的主要负责人是本单位安全生产（　）。",
            options=("第一责任人", "直接责任人", "监督人"),
            answer="A",
            explanation="主要负责人对本单位的安全生产工作全面负责。",
            legal_source="《安全生产法》第五条",
        ),
        [topic],
        [],
        author,
    )
    question.status = QuestionStatus.ACTIVE
    db.session.commit()

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(f"{live_server}/practice/topic/{topic.id}")
    page.get_by_text("直接责任人").tap()  # the wrong one, tapped on its words
    expect(page.locator("#submit-answer")).to_have_text("提交答案")
    page.locator("#submit-answer").tap()
    expect(page.locator("#practice-verdict")).to_contain_text("您的答案：B")
    chosen = page.locator('li[data-choice="B"]')
    expect(chosen.locator(".practice-chosen")).to_have_text("✗ 您的选择")
    expect(page.locator('li[data-choice="A"] .practice-right')).to_have_text("正确答案")
    expect(page.locator('li[data-choice="A"] .practice-chosen')).to_have_count(0)
    screenshot(page, "practice-feedback-phone")

    page.goto(f"{live_server}/practice/")
    page.locator("#wrong-list").tap()
    entry = page.locator(f"#wrong-{question.id}")
    expect(entry).to_contain_text("生产经营单位的主要负责人")
    expect(entry.locator('li[data-choice="B"] .practice-chosen')).to_have_text("✗ 您的选择")
    expect(entry.locator(".wrong-explanation")).to_have_text(
        "主要负责人对本单位的安全生产工作全面负责。"
    )
    expect(entry.locator(".wrong-source")).to_contain_text("《安全生产法》第五条")
    expect(entry.locator(".wrong-when")).to_contain_text("最近答错：")
    screenshot(page, "practice-wrong-book-phone")

    page.locator("#practise-wrong").tap()
    page.get_by_text("第一责任人").tap()
    page.locator("#submit-answer").tap()
    expect(page.locator('li[data-choice="A"] .practice-chosen')).to_have_text("✓ 您的选择")
    page.goto(f"{live_server}/practice/wrong")
    expect(page.locator(".wrong-entry")).to_have_count(0)  # right in the drill: out of the book
    phone.close()
