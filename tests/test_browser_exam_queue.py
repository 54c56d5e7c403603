"""The exam page's queue of answers in a real browser: an answer leaves the device only when
the server has acknowledged it, whatever the server answered before (an old CSRF token, a
database busy for a while)."""

import json

import pytest
from conftest import PASSWORD
from test_browser import PHONE, _log_in, _start_exam

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.exams.models import Attempt, AttemptAnswer

RULES = [{"count": 2, "kind": "single", "points": 50}]


def _sit(browser, live_server, make_user, make_exam):
    """A candidate's phone on the exam page of a new attempt; (context, page, attempt id)."""
    exam = make_exam(rules=RULES)
    candidate = make_user(UserRole.CANDIDATE)
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    _start_exam(page, live_server, exam.id)
    attempt_id = int(page.locator("#exam-app").get_attribute("data-attempt"))
    return phone, page, attempt_id


def _on_the_server(attempt_id: int) -> dict[int, str]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            db.select(AttemptAnswer.question_id, AttemptAnswer.response).where(
                AttemptAnswer.attempt_id == attempt_id
            )
        ).all()
    )


def _queued(page, attempt_id: int) -> dict:
    """The device's queue: question id -> {answer, seq, acked}."""
    return json.loads(
        page.evaluate(f"() => localStorage.getItem('anpei-attempt-{attempt_id}') || '{{}}'")
    )


def _submitted(attempt_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id).submitted_at is not None


def test_a_save_refused_for_an_old_csrf_token_gets_a_fresh_one_and_arrives(
    browser, console_guard, live_server, make_user, make_exam
):
    console_guard.allow_failed_load(r"/api/v1/attempts/\d+/(answers/\d+|submit)", "status of 400")
    console_guard.allow_failed_load(r"/api/v1/attempts/\d+/heartbeat", "net::ERR_FAILED")
    from playwright.sync_api import expect

    phone, page, attempt_id = _sit(browser, live_server, make_user, make_exam)
    # No heartbeat hands a fresh token here: the refusal itself must.
    page.route("**/heartbeat", lambda route: route.abort())
    saves = []
    page.on(
        "response",
        lambda r: saves.append(r.status) if "/answers/" in r.url else None,
    )
    page.evaluate("() => { document.getElementById('exam-app').dataset.csrf = 'expired'; }")
    section = page.locator("#questions section.question").first
    question_id = int(section.get_attribute("data-question"))
    section.locator(".list-group input").first.check()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved", timeout=15000)
    assert saves[0] == 400 and saves[-1] == 200  # refused for the token, then sent again
    assert _on_the_server(attempt_id) == {question_id: "A"}
    assert _queued(page, attempt_id)[str(question_id)]["acked"] is True

    # The submission too: refused for its token, it is sent again and goes through.
    page.evaluate("() => { document.getElementById('exam-app').dataset.csrf = 'expired'; }")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    page.wait_for_selector("#exam-result", timeout=15000)
    assert _submitted(attempt_id)
    phone.close()


def test_an_answer_stays_queued_while_the_server_answers_503_and_arrives_before_submission(
    browser, console_guard, live_server, make_user, make_exam
):
    console_guard.allow_failed_load(r"/api/v1/attempts/\d+/answers/\d+", "status of 503")
    from playwright.sync_api import expect

    phone, page, attempt_id = _sit(browser, live_server, make_user, make_exam)
    refused = []

    def busy_for_a_while(route):
        if len(refused) < 3:
            refused.append(route.request.url)
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps({"error": {"code": "retry", "message": "busy"}}),
            )
        else:
            route.continue_()

    page.route("**/answers/**", busy_for_a_while)
    section = page.locator("#questions section.question").first
    question_id = int(section.get_attribute("data-question"))
    section.locator(".list-group input").first.check()
    for _ in range(50):  # the first save goes out after the page's short pause
        if refused:
            break
        page.wait_for_timeout(100)
    assert refused  # the server said 503 …
    expect(page.locator("#save-state")).not_to_have_attribute("data-state", "saved")
    assert _queued(page, attempt_id)[str(question_id)]["acked"] is False  # … so it is kept
    assert _on_the_server(attempt_id) == {}

    # Submitting now waits for the queue: the answer arrives first, then the submission.
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    page.wait_for_selector("#exam-result", timeout=20000)
    assert len(refused) == 3
    assert _on_the_server(attempt_id) == {question_id: "A"}
    assert _submitted(attempt_id)
    phone.close()


@pytest.mark.parametrize("live_config", [{"WTF_CSRF_TIME_LIMIT": 3}])
def test_the_heartbeat_keeps_the_pages_token_fresh_past_its_lifetime(
    browser, live_server, make_user, make_exam, live_config
):
    """Tokens live 3 s here (24 h in production, which extra time can outrun): the page's
    first token is long dead when the answer is given, and the save needs no second try."""
    from playwright.sync_api import expect

    phone, page, attempt_id = _sit(browser, live_server, make_user, make_exam)
    first_token = page.locator("#exam-app").get_attribute("data-csrf")
    saves = []
    page.on("response", lambda r: saves.append(r.status) if "/answers/" in r.url else None)
    page.wait_for_timeout(6000)  # two token lifetimes; the heartbeat beats every 2 s
    assert page.evaluate("() => document.getElementById('exam-app').dataset.csrf") != first_token
    section = page.locator("#questions section.question").first
    question_id = int(section.get_attribute("data-question"))
    section.locator(".list-group input").first.check()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved", timeout=15000)
    assert saves == [200]
    assert _on_the_server(attempt_id) == {question_id: "A"}
    phone.close()


def test_a_beat_due_just_after_an_acknowledged_answer_is_skipped_never_two_in_a_row(
    browser, live_server, make_user, make_exam
):
    """Beats every 2 s here. While the candidate answers (every 0.6 s), each beat due within
    an interval of an acknowledged answer is skipped but never two in a row: a beat at least
    every 4 s. Idle, the page beats every interval."""
    import time

    phone, page, attempt_id = _sit(browser, live_server, make_user, make_exam)
    beats: list[float] = []
    page.on("request", lambda r: beats.append(time.monotonic()) if "/heartbeat" in r.url else None)
    options = page.locator("#questions section.question").first.locator(".list-group input")
    began = time.monotonic()
    for turn in range(17):  # about 10 s of answering, changing the answer each time
        options.nth(turn % 2).check()
        page.wait_for_timeout(600)
    answering = [b for b in beats if b >= began]
    ended = time.monotonic()
    # At most every other 2-s slot (one more for the first slot, before any acknowledgement):
    # the old page beat in every slot, 5 in 10 s.
    slots = (ended - began) / 2
    assert 1 <= len(answering) <= slots / 2 + 1 < slots, [round(b - began, 1) for b in answering]
    gaps = [b - a for a, b in zip([began, *answering], [*answering, ended], strict=True)]
    assert max(gaps) < 4 + 1.5, [round(g, 1) for g in gaps]  # never two skipped in a row
    page.wait_for_timeout(10000)
    # (The last answer is acknowledged about 0.4 s after ``ended``: a beat up to 2 s after
    # that may still be skipped.)
    idle = [b for b in beats if b > ended + 2.5]
    assert len(idle) >= 3, [round(b - ended, 1) for b in idle]  # every 2 s again
    phone.close()
