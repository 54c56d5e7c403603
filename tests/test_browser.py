"""What a person does in a real browser (Debian's Chromium through Playwright)."""

from conftest import PASSWORD, valid_credit_code, valid_id_number
from spreadsheets import xlsx

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.people.models import Person

PHONE = {"width": 390, "height": 844}


def _log_in(page, base, login, password):
    page.goto(f"{base}/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def _start_exam(page, base, exam_id):
    """From the candidate's exam list through 考试须知 and its confirmation to the paper."""
    page.goto(f"{base}/exams")
    page.click(f"#exam-{exam_id} .start-exam")
    page.check("#notice-read")
    page.click(".confirm-start")
    page.wait_for_selector("#questions section.question")


def _go_to(page, question_id):
    """Show a question through the answer card (one question per screen on a phone)."""
    page.click(f"#navigator button[data-question='{question_id}']")


def test_admin_imports_people_and_a_new_candidate_changes_password(
    browser, console_guard, live_server, make_user, make_town, tmp_path, screenshot
):
    console_guard.allow_failed_load("/import", "status of 422")  # the file with errors
    make_town("城关街道")
    admin = make_user(UserRole.ADMIN, username="bureau")
    code = valid_credit_code()
    leader_id, director_id = valid_id_number(born="19760315"), valid_id_number(born="19820101")
    bad_id = director_id[:-1] + ("0" if director_id[-1] != "0" else "1")
    enterprise = [
        [
            "鑫泰化工有限公司",
            code,
            "危险化学品",
            "城关街道",
            "工业路1号",
            "王五",
            "13800000000",
            120,
        ]
    ]
    bad = tmp_path / "名册-有错.xlsx"
    bad.write_bytes(
        xlsx(
            enterprise,
            [
                ["刘强", leader_id, "13800000001", "主要负责人", code, "", "2024-03-01"],
                ["陈静", bad_id, "13800000002", "安全总监", code, "", ""],
                ["孙伟", valid_id_number(), "13800000003", "厂长", code, "", ""],
            ],
        )
    )
    good = tmp_path / "名册.xlsx"
    good.write_bytes(
        xlsx(
            enterprise,
            [
                ["刘强", leader_id, "13800000001", "主要负责人", code, "", "2024-03-01"],
                ["陈静", director_id, "13800000002", "安全总监", code, "", ""],
            ],
        )
    )

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    _log_in(page, live_server, admin.username, PASSWORD)
    page.click("#nav-system")
    page.click("nav >> text=导入")
    page.set_input_files("#file", str(bad))
    page.click("main button[type=submit]")
    errors = page.locator("tr.import-error")
    assert errors.count() == 2
    assert "校验" in errors.nth(0).inner_text()  # the bad ID number's check digit
    assert "厂长" in errors.nth(1).inner_text()  # the unknown post, named
    assert page.locator("#import-errors").is_visible()
    screenshot(page, "import-errors")
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Person.id))) == 0  # nothing imported

    page.set_input_files("#file", str(good))
    page.click("main button[type=submit]")
    assert page.locator("#import-ok").is_visible()
    page.click("#confirm-import")
    rows = page.locator("#new-accounts tbody tr")
    assert rows.count() == 2
    row = rows.filter(has_text="刘强")
    login, one_time = row.locator(".login").inner_text(), row.locator(".password").inner_text()
    assert login == leader_id
    screenshot(page, "import-done")
    context.close()

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, login, one_time)
    page.wait_for_url("**/password")
    assert page.locator(".alert-warning").is_visible()
    page.fill("#current", one_time)
    page.fill("#new", "Anquan-2026")
    page.fill("#confirm", "Anquan-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("#profile-name").inner_text() == "刘强"
    assert page.locator("#profile-enterprise").inner_text() == "鑫泰化工有限公司"
    assert page.locator("#profile-role").inner_text() == "主要负责人"
    assert "我的" in page.locator("h2").first.inner_text()
    # Rendered with a real CJK font: the heading's glyphs are as wide as Chinese text is,
    # not the narrow boxes a missing font leaves.
    width = page.evaluate("""() => {
        const c = document.createElement('canvas').getContext('2d');
        c.font = '20px sans-serif';
        return [c.measureText('安全生产').width, c.measureText('\\u{F0000}\\u{F0001}\\u{F0002}\\u{F0003}').width];
    }""")
    assert width[0] >= 70 and width[0] != width[1]
    screenshot(page, "candidate-home-phone")
    phone.close()


def test_editor_imports_questions_reviewer_approves_candidate_practises(
    browser, console_guard, live_server, make_user, tmp_path, screenshot
):
    from openpyxl import Workbook

    from question_bank.formats.template import COLUMNS

    console_guard.allow_failed_load("/questions/import", "status of 422")  # the file with errors

    editor = make_user(UserRole.ORGANISER, username="editor")
    reviewer = make_user(UserRole.ADMIN, username="reviewer")
    candidate = make_user(UserRole.CANDIDATE)
    headers = [c.header for c in COLUMNS]

    def workbook(answer_of_second: str):
        wb = Workbook()
        ws = wb.active
        ws.append(headers)
        rows = [
            {
                "题型": "单选题",
                "题干": "生产经营单位的主要负责人是本单位安全生产（　）。",
                "选项A": "第一责任人",
                "选项B": "直接责任人",
                "选项C": "监督人",
                "答案": "A",
                "专题": "G2",
                "解析": "《安全生产法》第五条：主要负责人是本单位安全生产第一责任人。",
            },
            {
                "题型": "判断题",
                "题干": "从业人员有权拒绝违章指挥和强令冒险作业。",
                "答案": answer_of_second,
                "专题": "G2",
                "解析": "《安全生产法》第五十四条。",
            },
        ]
        for row in rows:
            ws.append([row.get(h, "") for h in headers])
        path = tmp_path / f"题库-{answer_of_second}.xlsx"
        wb.save(path)
        return path

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    _log_in(page, live_server, editor.username, PASSWORD)
    page.click("nav a[href='/questions/']")
    page.click("main a[href='/questions/import']")
    page.set_input_files("#file", str(workbook("也许")))
    page.click("main button[type=submit]")
    page.wait_for_selector("#import-errors")
    errors = page.locator("tr.import-error")
    assert errors.count() == 1 and "第 3 行" in errors.first.inner_text()
    screenshot(page, "question-import-error")
    page.set_input_files("#file", str(workbook("对")))
    page.click("main button[type=submit]")
    page.wait_for_selector("#import-ok")
    page.click("#confirm-import")
    page.wait_for_selector("#import-report")
    context.close()

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    _log_in(page, live_server, reviewer.username, PASSWORD)
    page.goto(f"{live_server}/questions/?status=draft")
    boxes = page.locator("#question-table input[name=ids]")
    assert boxes.count() == 2
    for i in range(2):
        boxes.nth(i).check()
    page.click("#bulk-form button[value=approve]")
    page.wait_for_selector(".alert-success")
    page.goto(f"{live_server}/questions/?status=reviewed")
    for i in range(page.locator("#question-table input[name=ids]").count()):
        page.locator("#question-table input[name=ids]").nth(i).check()
    page.click("#bulk-form button[value=activate]")
    page.wait_for_selector(".alert-success")
    page.goto(f"{live_server}/questions/?status=active")
    assert page.locator("#question-table input[name=ids]").count() == 2
    screenshot(page, "question-bank-active")
    context.close()

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    page.goto(f"{live_server}/practice/")
    page.click("#practice-topics >> text=抓制度完善")
    page.wait_for_selector("#submit-answer")
    stem = page.locator(".question-stem").inner_text()
    if "主要负责人" in stem:
        page.locator("input[name=choice][value=A]").check()
    else:
        page.locator("input[name=choice][value=true]").check()
    page.click("#submit-answer")
    page.wait_for_selector("#practice-explanation")
    assert "alert-success" in page.locator("#practice-verdict").get_attribute("class")
    assert "安全生产法" in page.locator("#practice-explanation").inner_text()
    screenshot(page, "practice-explanation-phone")
    phone.close()


def test_candidate_sits_the_demo_exam_on_a_phone_through_a_network_drop(
    browser, console_guard, live_server, screenshot
):
    import random

    from playwright.sync_api import expect

    from exam.demo.data import build_demo
    from exam.demo.exams import load_demo_exams
    from exam.demo.questions import load_demo_questions
    from exam.exams.models import Attempt, AttemptAnswer

    # The saves and heartbeats tried while offline, and the saves held back after it.
    console_guard.allow_failed_load(
        r"/api/v1/attempts/\d+/(answers/\d+|heartbeat)",
        "net::ERR_INTERNET_DISCONNECTED|net::ERR_FAILED",
    )
    rng = random.Random(2026)
    logins = build_demo(rng)
    load_demo_questions(rng)
    exam = load_demo_exams(rng)[0]  # the one open now
    db.session.commit()
    exam_id = exam.id

    _role, login, password, _note = next(
        row for row in logins.rows if row[2] == "anpei-demo-2026" and row[1][:1].isdigit()
    )
    # Others of the demo have sat this exam already: only this candidate's answers are read.
    user_id = db.session.scalar(
        db.select(User.id)
        .join(Person, Person.id == User.person_id)
        .where(Person.id_number == login)
    )

    def answers_on_the_server() -> set[str]:
        db.session.expire_all()
        return {
            str(a.question_id)
            for a in db.session.scalars(
                db.select(AttemptAnswer)
                .join(Attempt)
                .where(Attempt.exam_id == exam_id, Attempt.user_id == user_id)
            )
        }

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, login, password)
    _start_exam(page, live_server, exam_id)
    sections = page.locator("#questions section.question")
    assert sections.count() == 22  # 10 single, 5 multiple, 5 true/false and 2 fill-in questions
    assert "剩余时间" in page.locator("#countdown").inner_text()

    def answer(section):
        _go_to(page, section.get_attribute("data-question"))
        choices = section.locator(".list-group input")
        if choices.count():
            choices.first.check()
        else:
            section.locator("input.blank").first.fill("安全第一")
        return section.get_attribute("data-question")

    def shown_answered(section) -> bool:
        return (
            section.locator(".list-group input:checked").count() == 1
            or section.locator("input.blank").first.input_value() == "安全第一"
        )

    online_ids = [answer(sections.nth(i)) for i in range(3)]
    state = page.locator("#save-state")
    expect(state).to_have_attribute("data-state", "saved")
    phone.set_offline(True)
    offline_ids = [answer(sections.nth(i)) for i in range(3, 6)]
    expect(state).not_to_have_attribute("data-state", "saved")
    screenshot(page, "exam-offline-phone")
    stored = answers_on_the_server()
    assert stored == set(online_ids)  # the three answered offline are only on the device

    # Back on the network, but the saves are held back while the page reloads: the answers
    # must come from the device's storage and then reach the server.
    page.route("**/answers/**", lambda route: route.abort())
    phone.set_offline(False)
    page.reload()
    page.wait_for_selector("#questions section.question")
    for qid in offline_ids:
        assert shown_answered(page.locator(f"section[data-question='{qid}']"))
    page.unroute("**/answers/**")
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved", timeout=15000)
    stored = answers_on_the_server()
    assert stored == set(online_ids) | set(offline_ids)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    page.wait_for_selector("#exam-result")
    assert "/ 100" in page.locator("#exam-result").inner_text()
    screenshot(page, "exam-result-phone")
    phone.close()


def test_an_organiser_extends_time_and_reopens_while_the_candidate_sits(
    browser, live_server, make_user, make_exam, screenshot
):
    from playwright.sync_api import expect

    # Answers shown after the exam closes: an attempt whose right answers were shown is never reopened.
    exam = make_exam(
        duration=30,
        review_policy="after_close",
        rules=[
            {"count": 3, "kind": "single", "points": 20},
            {"count": 2, "kind": "truefalse", "points": 20},
        ],
    )
    candidate = make_user(UserRole.CANDIDATE)
    organiser = make_user(UserRole.ORGANISER)
    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = phone.new_page()
    _log_in(page, live_server, candidate.username, PASSWORD)
    _start_exam(page, live_server, exam.id)
    sections = page.locator("#questions section.question")
    answered = []
    for i in range(2):
        _go_to(page, sections.nth(i).get_attribute("data-question"))
        sections.nth(i).locator(".list-group input").first.check()
        answered.append(sections.nth(i).get_attribute("data-question"))
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")
    assert page.locator("#countdown").inner_text().startswith(("剩余时间 29:", "剩余时间 30:"))

    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    console = desk.new_page()
    _log_in(console, live_server, organiser.username, PASSWORD)
    console.goto(f"{live_server}/manage/exams/{exam.id}/invigilate")
    row = console.locator(f"#console-table tr[data-person='{candidate.person_id}']")
    expect(row).to_have_attribute("data-state", "in_progress")
    expect(row).to_contain_text("2 / 5")
    screenshot(console, "invigilation-console")
    row.locator("a").click()
    console.fill("#extend-minutes", "20")
    console.fill("#extend-reason", "网络故障")
    console.click("#action-extend button")
    expect(console.locator(".alert-success")).to_contain_text("已延长 20 分钟")
    screenshot(console, "invigilation-attempt")

    # The candidate's countdown grows by itself: no reload.
    page.wait_for_function(
        "() => /剩余时间 (49|50):/.test(document.getElementById('countdown').textContent)",
        timeout=15000,
    )
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    page.wait_for_selector("#exam-result")

    console.reload()
    console.fill("#reopen-minutes", "15")
    console.fill("#reopen-reason", "停电后恢复")
    console.click("#action-reopen button")
    expect(console.locator(".alert-success")).to_contain_text("重新开放 15 分钟")

    page.goto(f"{live_server}/exams")
    page.click(f"#exam-{exam.id} a.btn-primary")  # 继续
    page.wait_for_selector("#questions section.question")
    for qid in answered:
        assert (
            page.locator(f"section[data-question='{qid}'] .list-group input:checked").count() == 1
        )
    assert page.locator("#countdown").inner_text().startswith(("剩余时间 14:", "剩余时间 15:"))
    _go_to(page, sections.nth(2).get_attribute("data-question"))
    sections.nth(2).locator(".list-group input").first.check()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "saved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#submit-exam")
    page.wait_for_selector("#exam-result")
    assert "/ 100" in page.locator("#exam-result").inner_text()
    phone.close()
    desk.close()


def test_an_organiser_schedules_training_for_those_short_and_they_sign_in_by_qr(
    browser, live_server, make_user, screenshot, tmp_path
):
    import subprocess
    from datetime import timedelta

    from playwright.sync_api import expect

    from exam.core.timeutil import display_zone, utcnow

    candidate = make_user(UserRole.CANDIDATE)
    organiser = make_user(UserRole.ORGANISER)
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    _log_in(page, live_server, organiser.username, PASSWORD)
    page.goto(f"{live_server}/manage/training/hours")
    expect(page.locator("#shortfall-table")).to_contain_text(candidate.person.name)
    page.select_option("#invite-session", "new")
    page.click("#invite-button")
    expect(page.locator("#person_logins")).to_have_value(candidate.person.id_number)
    now = utcnow().astimezone(display_zone())
    page.fill("#title", "危险化学品企业主要负责人年度再培训")
    page.fill("#starts_at", (now - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#ends_at", (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#hours", "4")
    page.fill("#venue", "区应急管理局三楼会议室")
    page.click("#session-form button[type=submit]")
    qr = page.locator("#signin-qr")
    expect(qr).to_be_visible()
    screenshot(page, "training-session-screen")

    phone = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    _log_in(mobile, live_server, candidate.username, PASSWORD)
    expect(mobile.locator(".training-notice")).to_contain_text("危险化学品企业主要负责人年度再培训")
    mobile.goto(f"{live_server}/training")
    mobile.click(".enrol-button")
    expect(mobile.locator(".enrolment-status")).to_have_text("已报名")

    # The phone "scans" the code on the organiser's screen.
    image = tmp_path / "qr.png"
    qr.screenshot(path=str(image))
    link = subprocess.run(
        ["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert "/signin?code=" in link
    mobile.goto(link)
    mobile.click("#signin-button")
    expect(mobile.locator("#signin-done")).to_contain_text("学时已计入")
    screenshot(mobile, "training-signed-in-phone")
    mobile.goto(link)  # scanning again: signed in already, and when; nothing to press
    expect(mobile.locator("#signin-done")).to_contain_text("已签到（")
    expect(mobile.locator("#signin-button")).to_have_count(0)
    mobile.goto(f"{live_server}/training")
    expect(mobile.locator("#ledger .ledger-total").first).to_have_text("4.0")
    page.reload()
    expect(page.locator(f"#present-{candidate.person_id}")).to_be_checked()
    phone.close()
    desk.close()
