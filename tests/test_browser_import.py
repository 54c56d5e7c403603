"""Importing a foreign question file in a real browser: map its categories, see the warnings."""

from conftest import PASSWORD
from test_question_import import FOREIGN_MOODLE

from exam.auth.models import UserRole
from exam.core.extensions import db
from exam.questions.models import QuestionVersion, Topic


def test_editor_maps_moodle_categories_to_topics_and_imports(
    browser, live_server, make_user, tmp_path, screenshot
):
    editor = make_user(UserRole.ORGANISER, username="mapper")
    g1, g3 = (db.session.scalar(db.select(Topic).where(Topic.code == c)) for c in ("G1", "G3"))
    path = tmp_path / "外部题库.xml"
    path.write_bytes(FOREIGN_MOODLE)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors = []  # console errors other than a failed load (the favicon is another matter)
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.goto(f"{live_server}/login")
    page.fill("#login", editor.username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/questions/import")
    page.set_input_files("#file", str(path))
    page.click("main button[type=submit]")
    page.wait_for_selector("#import-unmapped")
    assert page.locator("tr.import-category").count() == 2
    page.select_option("#category_0", str(g1.id))
    page.select_option("#category_1", str(g3.id))
    page.click("#apply-choices")
    page.wait_for_selector("#import-ok")
    topics = page.locator("td.import-topics").all_inner_texts()
    assert topics == [g1.name, g3.name, g3.name]
    assert page.locator("#category_1").input_value() == str(g3.id)  # kept across the update
    screenshot(page, "question-import-mapping")
    page.click("#confirm-import")
    page.wait_for_selector("#import-report")
    assert errors == []
    context.close()
    db.session.expire_all()
    stems = {
        v.stem: [t.code for t in v.question.topics]
        for v in db.session.scalars(db.select(QuestionVersion))
    }
    assert stems["生产经营单位应当制定应急预案。"] == ["G3"]
    assert stems["危险化学品应当储存在专用仓库内。"] == ["G1"]
