"""The result page in a real browser on a phone: the review shows the option the candidate
tapped, by its text, after the paper shuffled the options."""

import types

import pytest
from conftest import PASSWORD
from test_browser import PHONE, _log_in, _start_exam
from test_result_review import CHOICE, OPTIONS, add_question, one_question_exam

from exam.auth.models import UserRole
from exam.exams import services
from question_bank.model import LETTERS
from question_bank.papers import draw_paper

TAPPED, KEY = OPTIONS[1], OPTIONS[3]  # written as B (wrong) and D (right)


def _seed_moving(exam, text: str) -> int:
    """A paper seed whose shuffle shows ``text`` under another letter than it is written with
    (so that a review in the question's own letters would name the wrong option)."""
    written = LETTERS[OPTIONS.index(text)]
    for seed in range(1, 200):
        paper = draw_paper(
            services.blueprint_of(exam), services.question_pool(), seed, services.topic_tree()
        )
        order = paper.items[0].option_order
        if order and LETTERS[list(order).index(OPTIONS.index(text))] != written:
            return seed
    raise AssertionError("no seed moves the option")


@pytest.mark.parametrize("policy", ["immediately", "never"])
def test_the_review_shows_the_option_text_the_candidate_tapped_after_shuffling(
    browser, live_server, make_user, make_exam, monkeypatch, screenshot, policy
):
    from playwright.sync_api import expect

    add_question(make_user, CHOICE)
    exam = one_question_exam(make_exam, "single", review_policy=policy)
    assert services.blueprint_of(exam).shuffle_options
    seed = _seed_moving(exam, TAPPED)
    # The start draws with this seed (the served app runs in this process).
    monkeypatch.setattr(services, "secrets", types.SimpleNamespace(randbits=lambda bits: seed))
    candidate = make_user(UserRole.CANDIDATE)

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    _start_exam(page, live_server, exam.id)
    question = page.locator("#questions section.question")
    expect(question).to_have_count(1)
    option = question.locator("label", has_text=TAPPED)
    shown_letter = option.locator("b").inner_text().rstrip(".")
    assert shown_letter != LETTERS[OPTIONS.index(TAPPED)]  # the shuffle moved it
    option.tap()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    page.wait_for_selector("#exam-result")

    item = page.locator("#review .review-item")
    expect(item).to_have_count(1)
    expect(item.locator(".review-kind")).to_have_text("单选题")
    chosen = item.locator(".review-option.is-chosen")
    expect(chosen).to_have_count(1)
    expect(chosen.locator(".review-option-text")).to_have_text(f"{shown_letter}. {TAPPED}")
    expect(chosen.locator(".review-chosen")).to_have_text("您的选择")
    if policy == "immediately":
        # Marked in words and signs, not colour alone: ✗ with its name for screen readers.
        expect(chosen.get_by_role("img", name="您的选择，错误")).to_have_text("✗")
        key = item.locator(".review-option.is-key")
        expect(key).to_have_count(1)
        expect(key).to_contain_text(KEY)
        expect(key.locator(".review-key")).to_have_text("正确答案")
        expect(item.locator(".review-state")).to_contain_text("错误")
    else:
        expect(chosen.get_by_role("img", name="您的选择")).to_have_text("●")
        expect(
            item.locator(".review-option.is-key, .review-key, .review-explanation")
        ).to_have_count(0)
        expect(page.locator("#review-withheld")).to_be_visible()
    # Every option as it was shown, in its order.
    expect(item.locator(".review-option-text")).to_have_count(4)
    screenshot(page, f"exam-review-{policy}-phone")
    result = page.url
    phone.close()
    desktop = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = desktop.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(result)
    expect(page.locator("#review .review-option.is-chosen")).to_have_count(1)
    screenshot(page, f"exam-review-{policy}-desktop")
    desktop.close()
